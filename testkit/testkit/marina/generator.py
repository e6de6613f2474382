"""Deterministic MOLO and Stellar exports generated from the taps' table specs.

Real member names, archive layouts and key names; `rows` is the scale knob; `Quirks` switches on
the damage real exports show (BOM, CRLF, quoted newlines, NUL, bad UTF-8, ragged rows,
header-only members, extra and missing columns). Members are streamed to disk, so millions of
rows never sit in memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

# Members the MOLO ZIP holds besides the 50 spec'd tables (users, credentials, tokens, cards).
MOLO_UNLISTED = {
    "AspNetUsers.csv": ["Id", "UserName", "Email", "PasswordHash"],
    "ContactAuthCredential.csv": ["Id", "ContactId", "Secret"],
    "EmailTokenSet.csv": ["Id", "Token", "ExpiresOn"],
    "CIMDataSet.csv": ["Id", "CardLast4", "CardType"],
}
STELLAR_UNLISTED = {
    "data/users.csv": ["id", "email", "password"],
    "data/password_resets.csv": ["email", "token", "created_at"],
}
# The styles CSV has 124 columns, 26 of which no parser ever named; their names are unknown,
# so the generator invents clearly synthetic ones.
STYLES_LEGACY_COLUMNS = [f"legacy_column_{index:02d}" for index in range(1, 27)]
WORDS = ["harbor", "slip", "Bay", "dock", "O'Neil", "North", "marina", "fuel", "Zoë", "café"]
BASE_TIME = datetime(2025, 3, 4, 5, 6, 7)


def spec_path(kind: str) -> Path:
    if kind == "molo":
        import tap_molo_s3

        return Path(tap_molo_s3.__file__).with_name("tables.json")
    import tap_stellar_s3

    return Path(tap_stellar_s3.__file__).with_name("tables.json")


def load_spec(kind: str) -> dict[str, Any]:
    return json.loads(spec_path(kind).read_text(encoding="utf-8"))


@dataclass
class Quirks:
    """Damage to put into the export; stream-valued switches name the stream that gets it."""

    bom: bool = False
    crlf: bool = False
    quoted_newlines: str | None = None
    nul: str | None = None
    bad_utf8: str | None = None
    ragged_row: str | None = None
    header_only: set[str] = field(default_factory=set)
    extra_column: str | None = None
    missing_column: str | None = None


@dataclass
class ExportSummary:
    """What was written: data rows and key tuples per stream (keys only for small exports)."""

    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    keys: dict[str, list[tuple]] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    damaged_lines: dict[str, int] = field(default_factory=dict)


def _format_time(moment: datetime, fmt: str) -> str:
    return moment.strftime(fmt)


def _value(column: dict[str, Any], row: int, rng: random.Random) -> str:
    """A value that fits the column's spec, including its C1 bounds (precision, max_length)."""
    kind = column["type"]
    digits = column.get("precision", 10) - column.get("scale", 0)
    if kind == "integer":
        return str(rng.randint(0, min(5000, 10**digits - 1)))
    if kind == "number":
        scale = column.get("scale", 2)
        largest = min(1000, 10**digits - 10**-scale)
        return f"{rng.uniform(0, largest):.{min(scale, 2)}f}"
    if kind == "boolean":
        return rng.choice(["True", "False", "1", "0"])
    if kind in {"date-time", "date"}:
        moment = BASE_TIME + timedelta(minutes=row * 37 + rng.randint(0, 1440))
        if kind == "date":
            moment = moment.replace(hour=0, minute=0, second=0)
        return _format_time(moment, column["formats"][0])
    words = rng.sample(WORDS, k=rng.randint(1, 3))
    text = " ".join(words)
    if rng.random() < 0.1:
        text += ', "quoted"'
    return text[: column.get("max_length", len(text))]


def _key_values(table: dict[str, Any], row: int) -> dict[str, str]:
    """Unique keys: a single key counts up; a composite key walks a 7-wide grid."""
    columns = {column["name"]: column for column in table["columns"]}
    keys = table["key"]
    parts = [row + 1] if len(keys) == 1 else [row // 7 + 1, row % 7 + 1]
    values: dict[str, str] = {}
    for name, part in zip(keys, parts, strict=True):
        column = columns[name]
        if column["type"] in {"date", "date-time"}:
            moment = BASE_TIME.replace(hour=0, minute=0, second=0) + timedelta(days=part)
            values[name] = _format_time(moment, column["formats"][0])
        elif column["type"] in {"integer", "number"}:
            values[name] = str(part)
        else:
            values[name] = f"K{part:06d}"
    return values


def _header(kind: str, table: dict[str, Any], quirks: Quirks) -> list[str]:
    header = [column["name"] for column in table["columns"]]
    if kind == "stellar" and table["stream"] == "styles":
        header += STYLES_LEGACY_COLUMNS
    if quirks.missing_column == table["stream"]:
        non_key = [name for name in header if name not in table["key"]]
        header.remove(non_key[-1])
    if quirks.extra_column == table["stream"]:
        header.append("UnexpectedColumn")
    return header


def write_member(
    handle: IO[bytes],
    kind: str,
    table: dict[str, Any],
    rows: int,
    quirks: Quirks,
    seed: int,
    summary: ExportSummary | None = None,
    pattern_rows: int | None = None,
) -> None:
    """Write one CSV member to a binary handle.

    `pattern_rows` (benchmarks): after that many rows, non-key values repeat the earlier rows,
    so millions of rows are written at csv speed; keys stay unique.
    """
    stream = table["stream"]
    rng = random.Random(f"{seed}:{stream}")
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=False)
    if quirks.bom:
        text.write("\ufeff")
    terminator = "\r\n" if quirks.crlf else "\n"
    writer = csv.writer(text, lineterminator=terminator)
    header = _header(kind, table, quirks)
    writer.writerow(header)
    columns = {column["name"]: column for column in table["columns"]}
    text_index = _first_string_index(header, columns, table["key"])
    count = 0 if stream in quirks.header_only else rows
    keep_keys = summary is not None and rows <= 100_000
    line = 2
    patterns: list[list[str]] = []

    def remember(keys: dict[str, str]) -> None:
        if keep_keys:
            summary.keys.setdefault(stream, []).append(  # type: ignore[union-attr]
                tuple(keys[name] for name in table["key"])
            )

    key_positions = [header.index(name) for name in table["key"] if name in header]
    for row in range(count):
        keys = _key_values(table, row)
        if pattern_rows and row >= pattern_rows:
            values = list(patterns[row % pattern_rows])
            for position in key_positions:
                values[position] = keys[header[position]]
            writer.writerow(values)
            remember(keys)
            continue
        values = [
            keys[name]
            if name in keys
            else (
                ("" if rng.random() < 0.1 else _value(columns[name], row, rng))
                if name in columns
                else f"{name}-{row}"
            )
            for name in header
        ]
        if quirks.quoted_newlines == stream and row % 2 == 0:
            values[text_index] = f"line one\r\nline two\nrow {row}"
        if row == count // 2:
            _damage(values, stream, text_index, quirks)
            if summary is not None:
                summary.damaged_lines[stream] = line
        if "BADBYTE" in values:
            # csv writes text; the invalid byte goes in below the text layer.
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator=terminator).writerow(values)
            text.flush()
            handle.write(buffer.getvalue().encode("utf-8").replace(b"BADBYTE", b"bad\xffbyte"))
        else:
            writer.writerow(values)
        if pattern_rows:
            patterns.append(values)
        line += sum(value.count("\n") for value in values) + 1
        remember(keys)
    text.flush()
    text.detach()
    if summary is not None:
        summary.rows[stream] = count
        summary.keys.setdefault(stream, [])


def _damage(values: list[str], stream: str, text_index: int, quirks: Quirks) -> None:
    if quirks.ragged_row == stream:
        values.append("surplus value")
    if quirks.nul == stream:
        values[text_index] = "nul\x00inside"
    if quirks.bad_utf8 == stream:
        values[text_index] = "BADBYTE"


def _first_string_index(header: list[str], columns: dict, key: list[str]) -> int:
    for index, name in enumerate(header):
        if name in columns and columns[name]["type"] == "string" and name not in key:
            return index
    return len(header) - 1


def _write_unlisted(handle: IO[bytes], header: list[str], rows: int) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in range(rows):
        writer.writerow([f"{name}-{row}" for name in header])
    text.flush()
    text.detach()


def _tables(kind: str, streams: set[str] | None) -> Iterator[dict[str, Any]]:
    for table in load_spec(kind)["tables"]:
        if streams is None or table["stream"] in streams:
            yield table


def write_molo_zip(
    path: Path,
    *,
    rows: int = 5,
    seed: int = 0,
    quirks: Quirks | None = None,
    streams: set[str] | None = None,
    unlisted: bool = True,
    pattern_rows: int | None = None,
) -> ExportSummary:
    """A MOLO export: a ZIP with <Table>.csv members at its root."""
    quirks = quirks or Quirks()
    summary = ExportSummary(path=path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for table in _tables("molo", streams):
            summary.members[table["stream"]] = table["member"]
            with archive.open(table["member"], "w", force_zip64=True) as handle:
                write_member(handle, "molo", table, rows, quirks, seed, summary, pattern_rows)
        if unlisted:
            for member, header in MOLO_UNLISTED.items():
                with archive.open(member, "w") as handle:
                    _write_unlisted(handle, header, 3)
    return summary


def write_stellar_tar_gz(
    path: Path,
    *,
    rows: int = 5,
    seed: int = 0,
    quirks: Quirks | None = None,
    streams: set[str] | None = None,
    unlisted: bool = True,
    pattern_rows: int | None = None,
) -> ExportSummary:
    """A Stellar export: gzip-compressed tar with data/<table>.csv (named *.sql.gz in S3)."""
    quirks = quirks or Quirks()
    summary = ExportSummary(path=path)
    with tarfile.open(path, "w:gz") as archive:
        directory = tarfile.TarInfo("data")
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        archive.addfile(directory)
        members: list[tuple[str, Any]] = [
            (table["member"], table) for table in _tables("stellar", streams)
        ]
        if unlisted:
            members += list(STELLAR_UNLISTED.items())
        for member, table in members:
            with tempfile.TemporaryFile() as spool:
                if isinstance(table, dict):
                    summary.members[table["stream"]] = member
                    write_member(spool, "stellar", table, rows, quirks, seed, summary, pattern_rows)
                else:
                    _write_unlisted(spool, table, 3)
                info = tarfile.TarInfo(member)
                info.size = spool.tell()
                info.mtime = int(BASE_TIME.timestamp())
                spool.seek(0)
                archive.addfile(info, spool)
    return summary


def write_gzip_csv(
    path: Path,
    kind: str,
    stream: str,
    *,
    rows: int = 5,
    seed: int = 0,
    quirks: Quirks | None = None,
) -> ExportSummary:
    """One table as a gzip-compressed CSV (the member name goes into the gzip header)."""
    summary = ExportSummary(path=path)
    table = next(_tables(kind, {stream}))
    member_name = table["member"].rsplit("/", 1)[-1]
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename=member_name, mode="wb", fileobj=raw, mtime=0) as handle,
    ):
        summary.members[stream] = member_name
        write_member(handle, kind, table, rows, quirks or Quirks(), seed, summary)  # type: ignore[arg-type]
    return summary


def write_sql_dump_gz(path: Path) -> Path:
    """What the Stellar key name suggests but the export is not: a gzip MySQL dump."""
    dump = (
        "-- MySQL dump 10.13  Distrib 8.0.36\n"
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "INSERT INTO `customers` VALUES (1,'a');\n"
    )
    with gzip.open(path, "wb") as handle:
        handle.write(dump.encode())
    return path


def write_export(kind: str, path: Path, **kwargs: Any) -> ExportSummary:
    writer = write_molo_zip if kind == "molo" else write_stellar_tar_gz
    return writer(path, **kwargs)


def export_key(kind: str, moment: datetime) -> str:
    """The real key name of an export taken at `moment`."""
    if kind == "molo":
        return moment.strftime("%Y%m%d%H%M%S.zip")
    return moment.strftime("prod_resilient_%Y-%m-%d_%H_%M-DATA.sql.gz")


def write_samples(root: Path) -> list[ExportSummary]:
    """The demo's bundled exports: samples/molo/<key>.zip and samples/stellar/<key>.sql.gz."""
    summaries = []
    for kind, when in (
        ("molo", datetime(2025, 12, 21, 5, 0, 3)),
        ("stellar", datetime(2025, 12, 21, 7, 1)),
    ):
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        # MOLO's .NET export writes a BOM and CRLF line ends; Stellar's MySQL side does not.
        quirks = Quirks(bom=True, crlf=True) if kind == "molo" else Quirks()
        summaries.append(write_export(kind, folder / export_key(kind, when), rows=5, quirks=quirks))
    return summaries


if __name__ == "__main__":
    import sys

    for written in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "samples")):
        print(f"{written.path}: {sum(written.rows.values())} rows in {len(written.rows)} tables")
