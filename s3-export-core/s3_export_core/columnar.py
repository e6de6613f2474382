"""The columnar fast path: a block of whole CSV records to RECORD lines in C (pyarrow), or None.

A block is converted only when every value in it is one whose result the row path
(`records.RowPlan`) is known to produce, byte for byte: plain RFC 4180 quoting, no control
characters, no blank lines, no quoted line breaks, the header's field count on every line,
valid UTF-8, and in typed columns only the shapes of `shapes.py` (canonical integers, decimals
of at most 15 digits, the spec's boolean words, zero-padded dates valid in the calendar). Any
doubt and `convert()` returns None: the caller sends the whole block through the row path,
which locates, skips or keeps what is wrong exactly as before.

A record's line is one `binary_join_element_wise` of the block's columns (each already its
JSON text) with the constant text between them (the RECORD envelope, keys, metadata).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from singer_sdk.contrib.msgspec import encoder

from s3_export_core.records import EXTRA_PROPERTY, RowPlan, Slot
from s3_export_core.shapes import (
    INTEGER,
    PY_WHITESPACE,
    DateFormat,
    date_formats,
    in_place_edits,
)
from s3_export_core.specs import ColumnSpec

# Control characters (JSON escapes them, csv takes CR for a line end) other than LF; a CR only
# in CR LF. bytes.translate deletes them in one C pass (a regex search is 10x slower).
_CONTROL_AND_CR = bytes([*range(0x0A), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0x7F])
# A well-formed quoted field without line breaks: it opens at a field start and closes before
# a delimiter or line end. When these account for every quote of a block, Python's csv and
# Arrow's parser read the same fields from it (tests/test_s3core_columnar.py).
_QUOTED = re.compile(rb'"(?<=[,\n]")[^"\n]*(?:""[^"\n]*)*"(?=[,\r\n])')
LINENO = "_sdc_source_lineno"
# Arrow's text of a double that msgspec writes otherwise: exponents, below 1e-5, inf, nan.
_NOT_PLAIN = r"e|n|^-?0\.00000"
_END = 1 << 30  # a slice start past any value's end: replace_slice appends there
# The join takes array arguments much faster than scalars; longer texts stay scalars.
LONG_CONSTANT = 48

# A column's pieces for one block: literal text and arrays of text, joined in order.
Pieces = list["str | Any"]


@dataclass
class EncodedBlock:
    """RECORD lines of one block: `data[offsets[i]:offsets[i + 1]]` is record i's line."""

    rows: int
    lines: int
    data: memoryview
    offsets: memoryview
    keep_alive: Any = None


@dataclass(frozen=True)
class _Column:
    index: int  # in the CSV row
    pieces: Callable[[Any], Pieces | None]  # None: the block is not for the columnar path


def unsupported(plan: RowPlan, metadata: dict[str, Any]) -> str | None:
    """Why this member cannot take the columnar path, or None when it can."""
    clash = {slot.name for slot in plan.slots} & {*metadata, LINENO, EXTRA_PROPERTY}
    if clash:
        return f"columns {sorted(clash)} have the names of metadata columns"
    for slot in plan.slots:
        column = slot.column
        if slot.convert is None or column is None or column.type not in {"date-time", "date"}:
            continue
        if plan.zone is not UTC:
            return f"column {slot.name!r}: a source_timezone other than UTC"
        if date_formats(column) is None:
            return f"column {slot.name!r}: formats {list(column.formats)}"
    return None


def _plain(block: bytes) -> bool:
    """No control characters (CR only before LF) and only well-formed quoted fields."""
    if not block:
        return False
    removed = len(block) - len(block.translate(None, _CONTROL_AND_CR))
    if removed and removed != block.count(b"\r\n"):
        return False
    return b'"' not in block or b'"' not in _QUOTED.sub(b"", b"\n" + block)


class ColumnarConverter:
    """Converts blocks of one member (whose columns `unsupported` accepted)."""

    def __init__(
        self, plan: RowPlan, metadata: dict[str, Any], prefix: bytes, suffix: bytes, arrow: Any
    ) -> None:
        self._pa, self._pc, self._csv = arrow
        pa = self._pa
        self._width = plan.width
        self._columns: list[tuple[str, _Column | None]] = []
        for number, slot in enumerate(plan.slots):
            key = ("{" if number == 0 else ",") + encoder.encode(slot.name).decode() + ":"
            if number == 0:
                key = prefix.decode() + key
            self._columns.append((key, None if slot.index < 0 else self._column(slot)))
        tail = "".join(
            f",{encoder.encode(key).decode()}:{encoder.encode(value).decode()}"
            for key, value in metadata.items()
        )
        self._tail = tail + f",{encoder.encode(LINENO).decode()}:"
        closing = f",{encoder.encode(EXTRA_PROPERTY).decode()}:null}}" if plan.keeps else "}"
        self._closing = closing + suffix.decode()
        self._constants: dict[str, Any] = {}
        self._rows = 0
        self._block_has_quote = self._block_has_backslash = True
        self._names = [f"c{index}" for index in range(self._width)]
        self._parse_options = self._csv.ParseOptions(
            delimiter=",",
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=True,
        )
        self._convert_options = self._csv.ConvertOptions(
            column_types={f"c{index}": pa.string() for index in range(self._width)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=True,
        )

    # Columns --------------------------------------------------------------------------------

    def _column(self, slot: Slot) -> _Column:
        pc, pa = self._pc, self._pa
        nulls = pa.array(sorted(slot.nulls), pa.string())
        column = slot.column
        if slot.convert is None or column is None:
            return self._string_column(slot, nulls)
        if column.type in {"date-time", "date"}:
            formats = date_formats(column)
            assert formats is not None  # unsupported() said so
            return self._date_column(slot, nulls, formats, column.type == "date")
        check: Callable[[Any, Any], Any | None]
        if column.type == "integer":
            check = self._integer
        elif column.type == "number":
            check = self._number
        else:
            check = self._boolean(column)

        def pieces(values: Any) -> Pieces | None:
            null = pc.is_in(values, value_set=nulls)
            text = check(values, pc.invert(null))
            if text is None:
                return None
            return [pc.if_else(null, "null", text)]

        return _Column(slot.index, pieces)

    def _string_column(self, slot: Slot, nulls: Any) -> _Column:
        pc = self._pc
        strip = slot.strip_for_nulls

        def pieces(values: Any) -> Pieces:
            null = pc.is_in(values, value_set=nulls)
            if strip:  # records.py: `t.strip() in nulls` too
                stripped = pc.utf8_trim(values, characters=PY_WHITESPACE)
                null = pc.or_(null, pc.is_in(stripped, value_set=nulls))
            text = values
            # Only blocks holding them pay for the escapes (one pass each, like a search).
            if self._block_has_backslash:
                text = pc.replace_substring(text, "\\", "\\\\")
            if self._block_has_quote:
                text = pc.replace_substring(text, '"', '\\"')
            return [self._nullable(null, self._around(text, '"', '"'))]

        return _Column(slot.index, pieces)

    def _nullable(self, null: Any, text: Any) -> Any:
        return self._pc.if_else(null, "null", text) if self._pc.any(null).as_py() else text

    def _all(self, ok: Any, valid: Any) -> bool:
        """True when every value that is not null passed (`ok` where `valid`)."""
        pc = self._pc
        return not pc.any(pc.and_not(valid, ok)).as_py()

    def _integer(self, values: Any, valid: Any) -> Any | None:
        if not self._all(self._pc.match_substring_regex(values, INTEGER), valid):
            return None
        return values

    def _number(self, values: Any, valid: Any) -> Any | None:
        """float(text) as msgspec writes it: the double's shortest repr, '.0' if integral.

        Arrow and Python both round a decimal text to the nearest double, and both write the
        shortest text that reads back as it: the same digits. Only the notation differs: Arrow
        writes an exponent from about 1e14 and below 1e-6, msgspec from 1e16 and below 1e-5;
        a block with an exponent, a value below 1e-5, inf or nan is left to the row path.
        """
        pc, pa = self._pc, self._pa
        # Text Arrow does not read as a number (Python may: 1_000) raises: the block is refused.
        doubles = pc.cast(pc.if_else(valid, values, "0"), pa.float64())
        shortest = pc.cast(doubles, pa.string())
        if pc.any(pc.match_substring_regex(shortest, _NOT_PLAIN)).as_py():
            return None
        integral = pc.invert(pc.match_substring(shortest, "."))
        if not pc.any(integral).as_py():
            return shortest
        appended = self._around(pc.filter(shortest, integral), "", ".0")
        return pc.replace_with_mask(shortest, integral, appended)

    def _boolean(self, column: ColumnSpec) -> Callable[[Any, Any], Any | None]:
        pa, pc = self._pa, self._pc
        # The row path's token table (coerce.fast_expression): later words win, as in a dict.
        tokens: dict[str, bool] = {}
        for value, words in ((True, column.true_values), (False, column.false_values)):
            for word in words:
                for variant in (word, word.lower(), word.upper(), word.title()):
                    tokens[variant] = value
        words = pa.array(list(tokens), pa.string())
        json_text = pa.array(["true" if value else "false" for value in tokens.values()])

        def check(values: Any, valid: Any) -> Any | None:
            index = pc.index_in(values, value_set=words)
            if not self._all(pc.is_valid(index), valid):
                return None
            return pc.take(json_text, pc.fill_null(index, 0))

        return check

    def _date_column(
        self, slot: Slot, nulls: Any, formats: list[DateFormat], as_date: bool
    ) -> _Column:
        pc = self._pc
        first = formats[0]
        after = '"' if as_date else '+00:00"'

        def pieces(values: Any) -> Pieces | None:
            null = pc.is_in(values, value_set=nulls)
            valid = pc.invert(null)
            strict = pc.match_substring_regex(values, first.strict)
            if self._all(strict, valid):
                iso = self._iso(values, first, after)  # every value has the first format
            else:
                iso = self._mixed_dates(values, valid, formats, after)
                if iso is None:
                    return None
            return [self._nullable(null, iso)]

        return _Column(slot.index, pieces)

    def _iso(self, values: Any, date: DateFormat, after: str) -> Any:
        """'"' + the ISO text from slices of each value + `after` (values of that format)."""
        pieces = date.iso
        edits = in_place_edits(pieces, date.width)
        replace = self._pc.binary_replace_slice
        if edits is not None:
            # The ISO text is the value with literals put in place (Y-m-d H:M:S): no join.
            text = values
            for start, stop, literal in reversed(edits):
                text = replace(text, start, stop, literal)
            return self._around(text, '"', after)
        slices = self._pc.utf8_slice_codeunits
        parts: list[Any] = ['"']
        for piece in pieces:
            parts.append(piece if isinstance(piece, str) else slices(values, piece[0], piece[1]))
        parts.append(after)
        return self._join(parts)

    def _around(self, text: Any, before: str, after: str) -> Any:
        """before + each value + after (two byte-slice replacements: 4x faster than a join)."""
        replace = self._pc.binary_replace_slice
        if before:
            text = replace(text, 0, 0, before)
        if after:
            text = replace(text, _END, _END, after)
        return text

    def _mixed_dates(
        self, values: Any, valid: Any, formats: list[DateFormat], after: str
    ) -> Any | None:
        """ISO text where values have several formats: the row path takes, for each value, the
        first format whose pattern (coerce._format_regex) matches; that must match strictly."""
        pc = self._pc
        taken = pc.invert(valid)
        result = None
        for candidate in formats:
            loose = pc.and_not(pc.match_substring_regex(values, candidate.loose), taken)
            if not pc.any(loose).as_py():
                continue
            strict = pc.match_substring_regex(values, candidate.strict)
            if pc.any(pc.and_not(loose, strict)).as_py():
                return None
            iso = self._iso(values, candidate, after)
            result = iso if result is None else pc.if_else(loose, iso, result)
            taken = pc.or_(taken, loose)
        if result is None or not pc.all(taken).as_py():
            return None
        return result

    def _join(self, parts: list[Any]) -> Any:
        """Concatenate texts and arrays row by row (literal texts become constant columns)."""
        return self._pc.binary_join_element_wise(*self._with_constants(parts, self._rows), "")

    # Blocks ---------------------------------------------------------------------------------

    def convert(self, block: bytes, first_line: int) -> EncodedBlock | None:
        """RECORD lines for a block of whole lines, or None when the row path must read it."""
        if not _plain(block):
            return None
        try:
            return self._encode(block, first_line)
        except self._pa.ArrowException:
            # A ragged row, invalid UTF-8, a value a kernel refuses: a doubt like any other.
            # The row path reads the block and says where (the caller counts row-path blocks).
            return None

    def _encode(self, block: bytes, first_line: int) -> EncodedBlock | None:
        lines = block.count(b"\n") + (not block.endswith(b"\n"))
        pa, pc = self._pa, self._pc
        table = self._csv.read_csv(
            pa.py_buffer(block),
            # One chunk per column (Arrow cuts 1 MiB chunks by default: a copy to join).
            read_options=self._csv.ReadOptions(
                column_names=self._names, use_threads=False, block_size=len(block) + 1
            ),
            parse_options=self._parse_options,
            convert_options=self._convert_options,
        )
        rows = table.num_rows
        if rows != lines or rows == 0:
            return None  # blank lines
        table = table.combine_chunks()
        self._rows = rows
        self._block_has_quote = b'"' in block
        self._block_has_backslash = b"\\" in block
        parts: list[Any] = []
        for key, column in self._columns:
            parts.append(key)
            if column is None:  # missing from the member
                parts.append("null")
                continue
            pieces = column.pieces(table.column(column.index).chunk(0))
            if pieces is None:
                return None
            parts.extend(pieces)
        parts.append(self._tail)
        parts.append(
            pc.cast(pa.array(range(first_line, first_line + rows), pa.int64()), pa.string())
        )
        parts.append(self._closing)
        joined = self._join(parts)
        _validity, offsets, data = joined.buffers()
        return EncodedBlock(
            rows=rows,
            lines=lines,
            data=memoryview(data),
            offsets=memoryview(offsets).cast("i")[joined.offset : joined.offset + rows + 1],
            keep_alive=joined,
        )

    def _with_constants(self, parts: list[Any], rows: int) -> list[Any]:
        """Adjacent literal texts merged, each as a column (join is far faster with arrays)."""
        merged: list[Any] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        return [self._constant(part, rows) if isinstance(part, str) else part for part in merged]

    def _constant(self, text: str, rows: int) -> Any:
        if len(text) > LONG_CONSTANT:
            return text  # a scalar: repeated it would take rows x its length of memory
        column = self._constants.get(text)
        if column is None or len(column) < rows:
            column = self._pa.array([text] * max(rows, 4096), self._pa.string())
            self._constants[text] = column
        return column.slice(0, rows)
