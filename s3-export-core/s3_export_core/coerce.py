"""Turn CSV text into JSON values as each column's spec says, without the SDK's generic pass.

Converters raise ValueError on text that does not fit; the caller adds the location.
Date formats come from the spec only: a value is never guessed month-first or day-first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from operator import itemgetter

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


def _format_parser(fmt: str, as_date: bool, zone: tzinfo) -> Callable[[str], str | None]:
    """Compile one format into a function: text -> ISO text, or None when it does not match."""
    pattern = _format_regex(fmt)
    order = list(pattern.groupindex)
    fields = {name: f"int(g[{index}])" for index, name in enumerate(order)}
    if "f" in fields:
        fields["f"] = f"int(g[{order.index('f')}].ljust(6, '0'))"
    arguments = ", ".join(
        fields.get(name, default)
        for name, default in (
            ("Y", "1"),
            ("m", "1"),
            ("d", "1"),
            ("H", "0"),
            ("M", "0"),
            ("S", "0"),
            ("f", "0"),
        )
    )
    if as_date:
        result = "_date(moment.year, moment.month, moment.day).isoformat()"
    elif zone is UTC:
        result = "moment.isoformat() + '+00:00'"
    else:
        result = "moment.replace(tzinfo=_zone).astimezone(_UTC).isoformat()"
    # Generated so the hot path is a regex match, a few int() and one datetime(): no dicts.
    source = (
        "def parse(text, _match=_match, _datetime=_datetime, _date=_date, _zone=_zone,"
        " _UTC=_UTC):\n"
        "    found = _match(text)\n"
        "    if found is None:\n"
        "        return None\n"
        "    g = found.groups()\n"
        f"    moment = _datetime({arguments})\n"
        f"    return {result}\n"
    )
    namespace: dict = {
        "_match": pattern.match,
        "_datetime": datetime,
        "_date": date,
        "_zone": zone,
        "_UTC": UTC,
    }
    exec(compile(source, f"<date format {fmt}>", "exec"), namespace)  # noqa: S102 - our own code
    return namespace["parse"]


_WIDTHS = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}
KNOWN_VALUES_LIMIT = 100_000


def _fixed_layout(fmt: str) -> tuple[dict[str, tuple[int, int]], list[tuple[int, str]], int] | None:
    """Slices of each field and positions of each separator in a zero-padded format."""
    slices: dict[str, tuple[int, int]] = {}
    literals: list[tuple[int, str]] = []
    position = 0
    index = 0
    while index < len(fmt):
        piece = fmt[index : index + 2]
        if piece in _WIDTHS:
            slices[piece[1]] = (position, position + _WIDTHS[piece])
            position += _WIDTHS[piece]
            index += 2
        elif fmt[index] == "%":
            return None
        else:
            literals.append((position, fmt[index]))
            position += 1
            index += 1
    return slices, literals, position


def _fixed_width_parser(
    fmt: str, as_date: bool, general: Callable[[str], str | None]
) -> Callable[[str], str | None] | None:
    """Zero-padded UTC formats (the common case) parsed by slicing.

    A date prefix and a clock suffix, once validated (date() for the calendar, ranges for the
    clock), are remembered: an export holds many rows per day and at most 86,400 clock values.
    Anything unusual goes to the regex parser, which says what is wrong.
    """
    layout = _fixed_layout(fmt)
    if layout is None:
        return None
    slices, literals, width = layout
    if not {"Y", "m", "d"} <= set(slices):
        return None
    has_clock = {"H", "M", "S"} <= set(slices)
    if set(slices) - {"Y", "m", "d"} and not has_clock:
        return None
    (ys, ye), (ms, me), (ds, de) = slices["Y"], slices["m"], slices["d"]

    positions = [at for at, _ in literals]
    if len(positions) > 1:
        pick: Callable[[str], object] = itemgetter(*positions)
        separators: object = tuple(char for _, char in literals)
    elif positions:
        pick, separators = itemgetter(positions[0]), literals[0][1]
    else:
        pick, separators = (lambda _text: ""), ""

    clock_starts = [slices[name][0] for name in ("H", "M", "S") if name in slices]
    split = min(clock_starts) if clock_starts else width
    cacheable = max(ye, me, de) <= split
    known_days: dict[str, str] = {}
    known_clocks: dict[str, str] = {}

    def parse(text: str) -> str | None:
        day = known_days.get(text[:split])
        if day is not None:
            clock = known_clocks.get(text[split:])
            if clock is not None:
                return day + clock
        return parse_and_learn(text)

    def parse_and_learn(text: str) -> str | None:
        if len(text) != width or pick(text) != separators:
            return general(text)
        year, month, day_of_month = text[ys:ye], text[ms:me], text[ds:de]
        if not (year + month + day_of_month).isdigit():
            return general(text)
        day = date(int(year), int(month), int(day_of_month)).isoformat()
        if has_clock:
            hour = text[slices["H"][0] : slices["H"][1]]
            minute = text[slices["M"][0] : slices["M"][1]]
            second = text[slices["S"][0] : slices["S"][1]]
            digits = hour + minute + second
            if not digits.isdigit() or hour > "23" or minute > "59" or second > "59":
                return general(text)  # says what is wrong (datetime() range error)
            clock = f"T{hour}:{minute}:{second}+00:00"
        else:
            clock = "T00:00:00+00:00"
        if as_date:
            clock = ""
        if cacheable:
            if len(known_days) >= KNOWN_VALUES_LIMIT or len(known_clocks) >= KNOWN_VALUES_LIMIT:
                known_days.clear()
                known_clocks.clear()
            known_days[text[:split]] = day
            known_clocks[text[split:]] = clock
        return day + clock

    return parse if cacheable else parse_and_learn


def _temporal_converter(column: ColumnSpec, zone: tzinfo) -> Converter:
    as_date = column.type == "date"
    parsers = []
    for fmt in column.formats:
        general = _format_parser(fmt, as_date, zone)
        fast = _fixed_width_parser(fmt, as_date, general) if zone is UTC else None
        parsers.append(fast or general)
    expected = " or ".join(column.formats)
    first = parsers[0]

    def convert(text: str) -> str:
        # ValueError from datetime() (e.g. month 13) propagates: the format matched, the date not.
        result = first(text)
        if result is not None:
            return result
        stripped = text.strip()
        for parser in parsers:
            result = parser(stripped)
            if result is not None:
                return result
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


_NUMBER_ENDINGS = frozenset("0123456789.")


def fast_expression(
    column: ColumnSpec, name: str, namespace: dict, zone: tzinfo = UTC
) -> str | None:
    """A Python expression on `t` for the generated row function, or None to call the converter.

    Builtins first (int/float/dict lookups); anything they do not take falls to the strict
    converter `c<name>`, which raises with a reason.
    """
    if column.type == "integer":
        namespace["_int"] = int
        return f"_int(t) if t.isdigit() else c{name}(t)"
    if column.type == "number":
        namespace["_float"] = float
        namespace["_number_endings"] = _NUMBER_ENDINGS
        # NaN and inf do not end in a digit or a dot; they go to the strict converter.
        return f"_float(t) if t[-1:] in _number_endings else c{name}(t)"
    if column.type == "boolean":
        tokens: dict[str, bool] = {}
        for value, words in ((True, column.true_values), (False, column.false_values)):
            for word in words:
                for variant in (word, word.lower(), word.upper(), word.title()):
                    tokens[variant] = value
        namespace[f"b{name}"] = tokens
        return f"b{name}[t] if t in b{name} else c{name}(t)"
    if column.type in {"date-time", "date"}:
        namespace[f"p{name}"] = column_first_parser(column, zone)
        return f"p{name}(t) or c{name}(t)"
    return None


def column_first_parser(column: ColumnSpec, zone: tzinfo = UTC) -> Callable[[str], str | None]:
    """The parser of the column's first format (None on mismatch), for the hot path."""
    as_date = column.type == "date"
    general = _format_parser(column.formats[0], as_date, zone)
    fast = _fixed_width_parser(column.formats[0], as_date, general) if zone is UTC else None
    return fast or general


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
