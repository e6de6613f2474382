"""Our own primary-key check for tap tests (the SDK's uniqueness half cannot fail)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def stored_key(record: dict[str, Any], keys: list[str]) -> tuple[Any, ...]:
    """The key as a database stores it: a missing part, null and "" are all NULL."""
    return tuple(None if record.get(k) in (None, "") else record[k] for k in keys)


def duplicate_keys(records: Iterable[dict[str, Any]], keys: list[str]) -> dict[tuple, int]:
    """Keys that occur more than once, with their counts."""
    counts = Counter(stored_key(r, keys) for r in records)
    return {key: n for key, n in counts.items() if n > 1}
