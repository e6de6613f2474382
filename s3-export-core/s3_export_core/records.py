"""From CSV rows to records: header checks, column mapping, bad-row policy, coercion."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from s3_export_core.coerce import Converter, converter_for, fast_expression
from s3_export_core.csvread import LineCounter
from s3_export_core.errors import ExportError
from s3_export_core.progress import TICK_EVERY_ROWS
from s3_export_core.specs import ColumnSpec, TableSpec

ON_BAD_ROW_CHOICES = ("fail", "skip", "keep")
EXTRA_PROPERTY = "_sdc_extra"
TICK_MASK = TICK_EVERY_ROWS - 1


# In typed (non-string) columns these are null in every table; string columns keep them as text
# unless their spec lists them (MOLO's tables do).
TYPED_NULL_TOKENS = frozenset({"NULL", "null", "N/A", "NONE"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_header(header: list[str], where: str) -> list[str]:
    names = [name.strip() for name in header]
    control = next((name for name in names if CONTROL_CHARACTERS.search(name)), None)
    if control is not None:
        msg = (
            f"{where}, line 1: the header holds NUL or control characters (near "
            f"{control[:40]!r}): the member is not CSV text (binary, UTF-16 or damaged)"
        )
        raise ExportError(msg)
    empty = [index + 1 for index, name in enumerate(names) if not name]
    if empty:
        msg = f"{where}, line 1: header has empty column names at positions {empty}"
        raise ExportError(msg)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        msg = f"{where}, line 1: header repeats column names {duplicates}"
        raise ExportError(msg)
    return names


@dataclass
class RowCounts:
    rows: int = 0
    skipped: int = 0
    kept_with_problems: int = 0
    blank_lines: int = 0
    problems: list[str] = field(default_factory=list)
    # Blocks read by the columnar path and by the row path (blockread.BlockReader).
    columnar_blocks: int = 0
    row_blocks: int = 0


@dataclass(frozen=True)
class Slot:
    """One output column: where its text is, how it converts, what is null."""

    name: str
    index: int  # -1: the column is missing from the member
    convert: Converter | None
    nulls: frozenset[str]
    strip_for_nulls: bool
    column: ColumnSpec | None = None


class RowPlan:
    """How one member's header maps onto its spec (or onto all-string columns when unlisted)."""

    def __init__(
        self,
        spec: TableSpec | None,
        header: list[str],
        where: str,
        *,
        strict_schema: bool,
        on_bad_row: str,
        logger: logging.Logger,
        zone: tzinfo = UTC,
    ) -> None:
        if on_bad_row not in ON_BAD_ROW_CHOICES:
            msg = f"on_bad_row must be one of {ON_BAD_ROW_CHOICES}, not {on_bad_row!r}"
            raise ExportError(msg)
        self.where = where
        self.zone = zone
        self.on_bad_row = on_bad_row
        self.width = len(header)
        self.counts = RowCounts()
        self._logger = logger
        names = check_header(header, where)
        position = {name: index for index, name in enumerate(names)}
        slots: list[Slot] = []
        spec_names: set[str] = set()
        table_nulls = spec.null_tokens if spec else ("",)
        if spec is not None:
            missing_key = [name for name in spec.key if name not in position]
            if missing_key:
                # Without its key a member cannot be a snapshot of the table (e.g. a data row
                # where the header should be, or another table's file under this name).
                msg = (
                    f"{where}, line 1: the header lacks the key column(s) {missing_key} of "
                    f"table {spec.stream}; it has {names[:8]}{' ...' if len(names) > 8 else ''}"
                )
                raise ExportError(msg)
            missing = [c.name for c in spec.columns if c.name not in position]
            if missing:
                logger.warning("%s: columns %s are missing; they load as null", where, missing)
            for column in spec.columns:
                spec_names.add(column.name)
                nulls = frozenset(
                    column.null_tokens if column.null_tokens is not None else table_nulls
                )
                if column.type != "string":
                    nulls |= TYPED_NULL_TOKENS
                slots.append(
                    Slot(
                        name=column.name,
                        index=position.get(column.name, -1),
                        convert=converter_for(column, zone),
                        nulls=nulls,
                        strip_for_nulls=any(token.strip() for token in nulls),
                        column=column,
                    )
                )
        self.extra_columns = [name for name in names if name not in spec_names]
        if spec is not None and self.extra_columns:
            if strict_schema:
                msg = (
                    f"{where}, line 1: columns {self.extra_columns} are not in the table spec "
                    "(strict_schema is on)"
                )
                raise ExportError(msg)
            if len(self.extra_columns) != spec.unlisted_column_count:
                logger.warning(
                    "%s: columns %s are not in the table spec; they load as strings",
                    where,
                    self.extra_columns,
                )
        for name in self.extra_columns:
            slots.append(Slot(name, position[name], None, frozenset(table_nulls), False))
        self._slots = slots
        self._converter: Callable[[list[str]], dict[str, Any]] | None = None

    @property
    def slots(self) -> list[Slot]:
        """The record's columns in output order (spec columns, then extra ones)."""
        return list(self._slots)

    @property
    def keeps(self) -> bool:
        """on_bad_row=keep: every record carries _sdc_extra."""
        return self.on_bad_row == "keep"

    def _compile(self) -> Callable[[list[str]], dict[str, Any]]:
        """One generated function per member: row -> record, no per-cell loop or lookups."""
        namespace: dict[str, Any] = {}
        entries: list[str] = []
        for number, slot in enumerate(self._slots):
            if slot.index < 0:
                entries.append(f"{slot.name!r}: None")
                continue
            namespace[f"n{number}"] = slot.nulls
            test = f"(t := row[{slot.index}]) in n{number}"
            # Typed columns skip the strip: a padded null token fails conversion, and the row
            # is redone by _convert_slowly, which strips.
            if slot.strip_for_nulls and slot.convert is None:
                test += f" or t.strip() in n{number}"
            value = "t"
            if slot.convert is not None:
                namespace[f"c{number}"] = slot.convert
                fast = (
                    fast_expression(slot.column, str(number), namespace, self.zone)
                    if slot.column
                    else None
                )
                value = f"({fast})" if fast else f"c{number}(t)"
            entries.append(f"{slot.name!r}: None if {test} else {value}")
        source = (
            "def convert(row):\n    return {\n"
            + "".join(f"        {entry},\n" for entry in entries)
            + "    }\n"
        )
        exec(compile(source, f"<row plan {self.where}>", "exec"), namespace)  # noqa: S102
        return namespace["convert"]

    def _convert_slowly(
        self, line: int, row: list[str], extra_info: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Cell by cell, to say which value is bad (and to skip or keep the row)."""
        record: dict[str, Any] = {}
        for slot in self._slots:
            if slot.index < 0:
                record[slot.name] = None
                continue
            text = row[slot.index]
            if text in slot.nulls or (slot.strip_for_nulls and text.strip() in slot.nulls):
                record[slot.name] = None
            elif slot.convert is None:
                record[slot.name] = text
            else:
                try:
                    record[slot.name] = slot.convert(text)
                except (ValueError, OverflowError) as exc:
                    bad = self._bad_value(line, slot.name, text, exc)
                    if bad is None:
                        return None, None
                    extra_info = extra_info or {}
                    extra_info.setdefault("invalid_values", {}).update(bad)
                    record[slot.name] = None
        return record, extra_info

    def records(
        self,
        rows: Iterator[tuple[int, list[str]]],
        metadata: dict[str, Any],
        lines: LineCounter,
        tick: Callable[[int], None] | None = None,
    ) -> Generator[dict[str, Any], None, None]:
        width = self.width
        counts = self.counts
        if self._converter is None:
            self._converter = self._compile()
        convert = self._converter
        keep = self.on_bad_row == "keep"
        for line, fields in rows:
            if not fields:
                counts.blank_lines += 1
                continue
            extra_info: dict[str, Any] | None = None
            record: dict[str, Any] | None
            if len(fields) != width or (lines.nul_seen and any("\x00" in v for v in fields)):
                row, extra_info = self._bad_row(line, fields)
                if row is None:
                    continue
                record, extra_info = self._convert_slowly(line, row, extra_info)
            else:
                try:
                    record = convert(fields)
                except (ValueError, OverflowError):
                    record, extra_info = self._convert_slowly(line, fields, None)
            if record is None:
                continue
            record.update(metadata)
            record["_sdc_source_lineno"] = line
            if extra_info is not None:
                counts.kept_with_problems += 1
                record[EXTRA_PROPERTY] = extra_info
            elif keep:
                record[EXTRA_PROPERTY] = None
            counts.rows += 1
            if tick is not None and not counts.rows & TICK_MASK:
                tick(counts.rows)
            yield record

    def _problem(self, line: int, text: str) -> str:
        return f"{self.where}, line {line}: {text}"

    def _bad_row(self, line: int, row: list[str]) -> tuple[list[str] | None, dict[str, Any] | None]:
        if len(row) != self.width:
            problem = f"{len(row)} fields where the header has {self.width}"
        else:
            columns = [str(index + 1) for index, value in enumerate(row) if "\x00" in value]
            problem = f"NUL character in field(s) {', '.join(columns)}"
        message = self._problem(line, problem)
        if self.on_bad_row == "fail":
            msg = f"{message} (on_bad_row=fail; use skip or keep to load the rest)"
            raise ExportError(msg)
        if self.on_bad_row == "skip":
            self._count_skip(message)
            return None, None
        info: dict[str, Any] = {"problem": problem}
        if len(row) > self.width:
            info["extra_values"] = row[self.width :]
            row = row[: self.width]
        elif len(row) < self.width:
            info["missing_fields"] = self.width - len(row)
            row = row + [""] * (self.width - len(row))
        if any("\x00" in value for value in row):
            info["nul_fields"] = {str(i + 1): v for i, v in enumerate(row) if "\x00" in v}
            row = [value.replace("\x00", "") for value in row]
        return row, info

    def _bad_value(
        self, line: int, column: str, text: str, exc: Exception
    ) -> dict[str, Any] | None:
        message = self._problem(line, f"column {column!r}: {exc}")
        if self.on_bad_row == "fail":
            raise ExportError(message) from exc
        if self.on_bad_row == "skip":
            self._count_skip(message)
            return None
        return {column: text}

    def _count_skip(self, message: str) -> None:
        self.counts.skipped += 1
        if len(self.counts.problems) < 20:
            self.counts.problems.append(message)
            self._logger.warning("Skipped row: %s", message)
