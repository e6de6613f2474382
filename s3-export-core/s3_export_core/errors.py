"""One error type for bad exports, so users see where the problem is."""

from __future__ import annotations


class ExportError(Exception):
    """An export (archive, member, row or value) cannot be read as specified.

    The message always names where: bucket/key, member and line when known.
    """
