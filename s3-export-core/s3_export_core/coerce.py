"""Turn CSV text into JSON values as each column's spec says, without the SDK's generic pass.

Converters raise ValueError on text that does not fit; the caller adds the location.
Date formats come from the spec only: a value is never guessed month-first or day-first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo

from s3_export_core.specs import ColumnSpec

Converter = Callable[[str], object]

_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{1,2})",
    "%S": r"(?P<S>\d{1,2})",
    "%f": r"(?P<f>\d{1,6})",
}


def _format_regex(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(fmt):
        piece = fmt[index : index + 2]
        if piece in _DIRECTIVES:
            parts.append(_DIRECTIVES[piece])
            index += 2
        elif fmt[index] == "%":
            msg = f"Unsupported date directive {piece!r} in format {fmt!r}"
            raise ValueError(msg)
        else:
            parts.append(re.escape(fmt[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def _temporal_converter(column: ColumnSpec, zone: tzinfo) -> Converter:
    patterns = [_format_regex(fmt) for fmt in column.formats]
    as_date = column.type == "date"
    is_utc = zone is UTC
    expected = " or ".join(column.formats)

    def convert(text: str) -> str:
        stripped = text.strip()
        for pattern in patterns:
            match = pattern.match(stripped)
            if match is None:
                continue
            parts = match.groupdict()
            # datetime() validates the calendar (no 02/30) and the clock.
            moment = datetime(
                int(parts["Y"]),
                int(parts.get("m") or 1),
                int(parts.get("d") or 1),
                int(parts.get("H") or 0),
                int(parts.get("M") or 0),
                int(parts.get("S") or 0),
                int((parts.get("f") or "0").ljust(6, "0")),
            )
            if as_date:
                return date(moment.year, moment.month, moment.day).isoformat()
            if is_utc:
                return moment.isoformat() + "+00:00"
            return moment.replace(tzinfo=zone).astimezone(UTC).isoformat()
        msg = f"{text!r} does not match {expected}"
        raise ValueError(msg)

    return convert


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        # Exports write some integer columns as "12.0"; accept those, never "12.5".
        value = float(text)
        if not value.is_integer():
            raise
        return int(value)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # NaN/inf are not JSON
        msg = f"{text!r} is not a finite number"
        raise ValueError(msg)
    return value


def _boolean_converter(column: ColumnSpec) -> Converter:
    truthy = {token.lower() for token in column.true_values}
    falsy = {token.lower() for token in column.false_values}

    def convert(text: str) -> bool:
        token = text.strip().lower()
        if token in truthy:
            return True
        if token in falsy:
            return False
        msg = f"{text!r} is not one of {sorted(truthy | falsy)}"
        raise ValueError(msg)

    return convert


def converter_for(column: ColumnSpec, zone: tzinfo = UTC) -> Converter | None:
    """None means: keep the text as it is (strings).

    `zone` is the export's time zone for naive date-times; output is UTC with an offset.
    """
    if column.type == "string":
        return None
    if column.type == "integer":
        return _integer
    if column.type == "number":
        return _number
    if column.type == "boolean":
        return _boolean_converter(column)
    return _temporal_converter(column, zone)
