"""Text shapes the columnar path vouches for, as RE2 patterns, and how it rewrites dates.

Each pattern accepts only text whose row-path result (coerce.py, records.py) is known: a value
outside them makes the columnar path hand its block to the row path. Pure Python, no pyarrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from s3_export_core.coerce import _DIRECTIVES
from s3_export_core.specs import ColumnSpec

# What str.strip() strips (str.isspace); tests/test_s3core_columnar.py checks the list.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# int(text) is the text itself: no sign on 0, no leading zeros, no "+", no spaces, < 2**63.
INTEGER = r"^(0|-?[1-9][0-9]{0,17})$"


_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
_YEAR = "[1-9][0-9]{3}"  # date() takes years 1-9999; below 1000 Arrow and Python may differ
_LEAP_YEAR = "([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)"
# (month, day, year) alternatives that together are exactly the valid dates.
_CALENDAR = (
    ("(0[1-9]|1[0-2])", "(0[1-9]|1[0-9]|2[0-8])", _YEAR),
    ("(0[13-9]|1[0-2])", "(29|30)", _YEAR),
    ("(0[13578]|1[02])", "31", _YEAR),
    ("02", "29", _LEAP_YEAR),
)
_CLOCK = {"H": "([01][0-9]|2[0-3])", "M": "[0-5][0-9]", "S": "[0-5][0-9]"}
_SUPPORTED_CLOCKS: tuple[set[str], ...] = ({"H", "M", "S"}, {"H", "M"}, set())

# A slice [start, stop) of the value's text, or literal text.
Piece = tuple[int, int] | str


def _tokens(fmt: str) -> list[str] | None:
    """The format as directives ('%Y') and literal characters; None for other directives."""
    tokens: list[str] = []
    index = 0
    while index < len(fmt):
        if fmt[index] == "%":
            piece = fmt[index : index + 2]
            if piece not in _DIRECTIVES or piece == "%f":
                return None
            tokens.append(piece)
            index += 2
        else:
            tokens.append(fmt[index])
            index += 1
    return tokens


@dataclass(frozen=True)
class DateFormat:
    """One of a column's formats: its patterns and how a strict match becomes ISO text."""

    fmt: str
    strict: str  # zero-padded, a valid date and clock time
    loose: str  # coerce._format_regex's shape: where the row path would take this format
    width: int
    iso: tuple[Piece, ...]  # the ISO text (no quotes, no offset) from slices of the value


def date_format(fmt: str, as_date: bool) -> DateFormat | None:
    """The format's shapes, or None when the columnar path does not take it."""
    tokens = _tokens(fmt)
    if tokens is None or fmt != fmt.strip():
        return None
    directives = [token[1] for token in tokens if token.startswith("%")]
    if len(set(directives)) != len(directives):
        return None
    if not {"Y", "m", "d"} <= set(directives):
        return None
    if set(directives) - {"Y", "m", "d"} not in _SUPPORTED_CLOCKS:
        return None
    loose = "".join(
        ("[0-9]{4}" if part == "%Y" else "[0-9]{1,2}") if part.startswith("%") else re.escape(part)
        for part in tokens
    )
    cases = []
    for month, day, year in _CALENDAR:
        fields = {"Y": year, "m": month, "d": day, **_CLOCK}
        cases.append(
            "".join(
                fields[token[1]] if token.startswith("%") else re.escape(token) for token in tokens
            )
        )
    position = 0
    at: dict[str, tuple[int, int]] = {}
    text_at: dict[int, str] = {}
    for token in tokens:
        if token.startswith("%"):
            at[token[1]] = (position, position + _WIDTH[token[1]])
            position += _WIDTH[token[1]]
        else:
            text_at[position] = token
            position += 1
    iso: list[Piece] = [at["Y"], "-", at["m"], "-", at["d"]]
    if not as_date:
        iso += ["T", at.get("H", "00"), ":", at.get("M", "00"), ":", at.get("S", "00")]
    return DateFormat(
        fmt=fmt,
        strict="^(?:" + "|".join(cases) + ")$",
        loose="^" + loose + "$",
        width=position,
        iso=_merged(iso, text_at),
    )


def _merged(pieces: list[Piece], text_at: dict[int, str]) -> tuple[Piece, ...]:
    """Join slice, literal, slice into one slice where the value's text has that literal."""
    out: list[Piece] = []
    for piece in pieces:
        out.append(piece)
        while (
            len(out) >= 3
            and isinstance(out[-1], tuple)
            and isinstance(out[-2], str)
            and isinstance(out[-3], tuple)
            and out[-3][1] + len(out[-2]) == out[-1][0]
            and all(text_at.get(out[-3][1] + offset) == char for offset, char in enumerate(out[-2]))
        ):
            last, _literal, first = out.pop(), out.pop(), out.pop()
            assert isinstance(first, tuple)
            assert isinstance(last, tuple)
            out.append((first[0], last[1]))
    # Adjacent literals become one.
    merged: list[Piece] = []
    for piece in out:
        if merged and isinstance(piece, str) and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return tuple(merged)


def date_formats(column: ColumnSpec) -> list[DateFormat] | None:
    """All of a date/date-time column's formats, or None if the columnar path takes none."""
    formats = [date_format(fmt, column.type == "date") for fmt in column.formats]
    if any(found is None for found in formats):
        return None
    return [found for found in formats if found is not None]


def iso_text(value: str, pieces: tuple[Piece, ...]) -> str:
    """What the pieces make of one value (used for the null marker's text)."""
    return "".join(
        value[piece[0] : piece[1]] if isinstance(piece, tuple) else piece for piece in pieces
    )


def in_place_edits(pieces: tuple[Piece, ...], width: int) -> list[tuple[int, int, str]] | None:
    """The pieces as replacements of the value's own text, [start, stop) -> literal, when its
    slices come in order (e.g. '%Y-%m-%d %H:%M:%S' -> ISO is one 'T' put at 10); else None."""
    edits: list[tuple[int, int, str]] = []
    position = 0
    literal = ""
    for piece in pieces:
        if isinstance(piece, str):
            literal += piece
            continue
        start, stop = piece
        if start < position:
            return None
        if start > position or literal:
            edits.append((position, start, literal))
        position, literal = stop, ""
    if literal or position < width:
        edits.append((position, width, literal))  # the rest of the value (width long)
    return edits
