"""The columnar path against the row path: same messages, counts and errors, or it steps aside.

Two levels, both in-process:
- blocks: synthetic CSV (random quoting, numbers, dates, booleans, null spellings) through
  `RowPlan.records` and `ColumnarConverter.convert`: whenever the columnar path takes a block,
  its RECORD lines equal the row path's byte for byte, and it takes the clean ones;
- taps: the marina bad-input corpus and generated exports with every quirk, read with
  csv_reader=row and with the block reader at block sizes that put the bad rows
  alone in a block, at a block's edge and in its middle: the same messages (RECORD, STATE,
  SCHEMA, ACTIVATE_VERSION), the same error text, the same counts.
"""

from __future__ import annotations

import io
import logging
import random
import sys
from datetime import datetime
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from s3_export_core.blockread import BLOCK_BYTES_ENV
from s3_export_core.columnar import ColumnarConverter
from s3_export_core.csvread import LineCounter, iter_csv_lines
from s3_export_core.errors import ExportError
from s3_export_core.records import RowPlan
from s3_export_core.shapes import PY_WHITESPACE
from s3_export_core.specs import ColumnSpec, TableSpec
from s3_export_core.stream import SnapshotStream
from singer_sdk.contrib.msgspec import encoder
from tap_molo_s3.tap import TapMoloS3
from tap_stellar_s3.tap import TapStellarS3
from testkit.marina.corpus import all_cases
from testkit.marina.generator import Quirks, export_key, write_molo_zip, write_stellar_tar_gz
from testkit.marina.runner import run_tap_outcome

TAPS = {"molo": TapMoloS3, "stellar": TapStellarS3}
LOGGER = logging.getLogger("test-columnar")
METADATA = {"_sdc_source_key": "k.zip", "_sdc_source_member": "T.csv", "_sdc_snapshot_at": "s"}
PREFIX, SUFFIX = b'{"type":"RECORD","record":', b"}\n"
DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y", "%Y-%m-%d %H:%M")


# Blocks -------------------------------------------------------------------------------------


def _plan(spec: TableSpec, header: list[str], on_bad_row: str = "fail") -> RowPlan:
    return RowPlan(spec, header, "T.csv", strict_schema=False, on_bad_row=on_bad_row, logger=LOGGER)


def both_paths(
    spec: TableSpec, text: bytes, on_bad_row: str = "fail"
) -> tuple[list[bytes] | str, list[bytes] | None]:
    """(the row path's RECORD lines or its error, the columnar path's lines or None)."""
    header_line, _, body = text.partition(b"\n")
    header = header_line.decode().split(",")
    plan = _plan(spec, header, on_bad_row)
    counter = LineCounter()
    counter.lines = 1
    rows = iter_csv_lines(io.BytesIO(body), "T.csv", counter)
    expected: list[bytes] | str
    try:
        expected = [
            PREFIX + encoder.encode(record) + SUFFIX
            for record in plan.records(rows, dict(METADATA), counter)
        ]
    except ExportError as exc:
        expected = str(exc)
    converter = ColumnarConverter(
        _plan(spec, header, on_bad_row), dict(METADATA), PREFIX, SUFFIX, (pa, pc, pacsv)
    )
    block = converter.convert(body, 2)
    if block is None:
        return expected, None
    lines = [
        bytes(block.data[block.offsets[index] : block.offsets[index + 1]])
        for index in range(block.rows)
    ]
    return expected, lines


def _assert_same_or_refused(spec: TableSpec, text: bytes, on_bad_row: str = "fail") -> bool:
    expected, columnar = both_paths(spec, text, on_bad_row)
    if columnar is None:
        return False
    assert columnar == expected, text
    return True


def _table(*columns: ColumnSpec, null_tokens: tuple[str, ...] = ("",)) -> TableSpec:
    return TableSpec("t", "T.csv", (columns[0].name,), columns, null_tokens=null_tokens)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    def field(value: str) -> str:
        if any(char in value for char in ',"\r\n') or value != value.strip():
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(header)] + [",".join(field(value) for value in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def test_whitespace_list_is_what_str_strip_strips():
    stripped = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert stripped == PY_WHITESPACE


def test_clean_typed_block_is_taken_and_identical():
    spec = _table(
        ColumnSpec("Id", "integer"),
        ColumnSpec("Amount", "number"),
        ColumnSpec("Active", "boolean"),
        ColumnSpec("At", "date-time", formats=DATE_FORMATS),
        ColumnSpec("Day", "date", formats=("%Y-%m-%d",)),
        ColumnSpec("Note", "string"),
        ColumnSpec("Stamp", "date-time", formats=("%Y-%m-%d %H:%M:%S",)),
        ColumnSpec("Since", "date", formats=("%Y-%m-%d %H:%M:%S",)),
        ColumnSpec("Short", "date-time", formats=("%Y/%m/%d %H:%M",)),
        null_tokens=("", "NULL", "N/A", "NONE"),
    )
    stamp, short = "2025-03-05 02:09:07", "2025/03/05 02:09"
    rows = [
        [
            "1",
            "585.24",
            "True",
            "03/05/2025 02:09:07",
            "2024-02-29",
            'dock, "q"',
            stamp,
            stamp,
            short,
        ],
        ["2", "12", "0", "", "NULL", "café\\Zoë", "", "", ""],
        ["3", "1.00", "false", "12/31/1999 23:59:59", "2025-12-31", " N/A ", stamp, stamp, short],
        ["-4", "-0.50", "Y", "N/A", "", "NULL", "NULL", stamp, short],
        ["5", "33.90", "", "02/29/2000 00:00:00", "1000-01-01", "", stamp, "", short],
    ]
    assert _assert_same_or_refused(spec, _csv([c.name for c in spec.columns], rows))


@pytest.mark.parametrize("policy", ["fail", "skip", "keep"])
@pytest.mark.parametrize(
    ("column", "bad"),
    [
        (ColumnSpec("V", "integer"), ["007", "+5", "1.0", "12.5", " 5", "٣", "-0", "9" * 19]),
        (
            ColumnSpec("V", "number"),
            ["1e5", "inf", "nan", ".5", "5.", "1_000", "0.000001", "123456789012345.6", " 1"],
        ),
        (ColumnSpec("V", "boolean"), ["maybe", " true", "TRUE ", "oui"]),
        (
            ColumnSpec("V", "date-time", formats=DATE_FORMATS),
            [
                "02/29/2025 00:00:00",
                "02/30/2024 00:00:00",
                "13/01/2024 00:00:00",
                "01/01/2024 24:00:00",
                "01/01/2024 00:00:60",
                "1/2/2024 03:04:05",
                " 01/01/2024 00:00:00",
                "01/01/0999 00:00:00",
                "2024-01-01 10:11",
                "01/02/2024",
            ],
        ),
    ],
    ids=lambda value: getattr(value, "type", None) or "values",
)
def test_doubtful_values_are_refused_or_identical(column, bad, policy):
    """Each doubtful value in the middle of a clean block: the row path's answer or None."""
    spec = _table(ColumnSpec("Id", "integer"), column)
    for value in bad:
        rows = [[str(n), value if n == 2 else _clean(column)] for n in range(1, 5)]
        _assert_same_or_refused(spec, _csv(["Id", "V"], rows), policy)


def _clean(column: ColumnSpec) -> str:
    return {"integer": "42", "number": "4.25", "boolean": "1"}.get(
        column.type, "01/02/2024 03:04:05"
    )


def _random_field(rng: random.Random, dirty: bool) -> str:
    plain = ["a", "b", " ", "é", "\\", "NULL"] + (['"', "\t", "\r"] if dirty else [])
    if rng.random() < 0.5:
        return "".join(rng.choice(plain) for _ in range(3))
    quoted = ["a", ",", '""', " ", "é"] + (["\n", "\r\n", "\r"] if dirty else [])
    junk = rng.choice(["x", '"', " "]) if dirty and rng.random() < 0.3 else ""
    return '"' + "".join(rng.choice(quoted) for _ in range(3)) + '"' + junk


def test_random_quoting_is_refused_or_identical():
    """Lines of plain and quoted fields, some malformed (stray quotes, text after a closing
    quote, line breaks in quotes, bare CR, ragged, blank): whenever the columnar path takes a
    block, Python's csv (the row path) reads the same fields from it."""
    spec = _table(ColumnSpec("A", "string"), ColumnSpec("B", "string"), ColumnSpec("C", "string"))
    rng = random.Random(14)
    taken = 0
    for _ in range(300):
        lines = []
        for _ in range(rng.randint(1, 6)):
            dirty = rng.random() < 0.15
            width = rng.choice([3, 2, 4]) if dirty else 3
            lines.append(",".join(_random_field(rng, dirty) for _ in range(width)))
            lines.append(rng.choice(["\r", "\n\n", "\r\n"]) if dirty else "\n")
        if _assert_same_or_refused(spec, b"A,B,C\n" + "".join(lines).encode()):
            taken += 1
    assert taken > 10  # some random blocks are plain CSV


def test_random_decimals_match_msgspec():
    """float(text) as msgspec writes it, for the decimal shapes exports hold."""
    spec = _table(ColumnSpec("Id", "integer"), ColumnSpec("V", "number"))
    rng = random.Random(7)
    for _ in range(20):
        values = []
        for _ in range(500):
            digits = rng.randint(1, 15)
            integer = str(rng.randint(10 ** (digits - 1), 10**digits - 1)) if digits > 1 else "0"
            decimals = rng.randint(0, 6)
            fraction = "".join(rng.choice("0123456789") for _ in range(decimals))
            sign = "-" if rng.random() < 0.2 else ""
            values.append(f"{sign}{integer}.{fraction}" if fraction else f"{sign}{integer}")
        rows = [[str(n), value] for n, value in enumerate(values, 1)]
        _assert_same_or_refused(spec, _csv(["Id", "V"], rows))
    typical = [[str(n), value] for n, value in enumerate(["585.24", "12", "1.00", "-0"], 1)]
    assert _assert_same_or_refused(spec, _csv(["Id", "V"], typical))


def test_random_dates_are_refused_or_identical():
    spec = _table(ColumnSpec("Id", "integer"), ColumnSpec("At", "date-time", formats=DATE_FORMATS))
    rng = random.Random(3)
    for _ in range(30):
        rows = []
        for n in range(1, 40):
            moment = datetime(rng.randint(1000, 9999), rng.randint(1, 12), rng.randint(1, 28))
            value = moment.strftime(rng.choice(DATE_FORMATS))
            if rng.random() < 0.05:  # day 29-31 in any month, possibly invalid
                value = f"{rng.randint(1, 12):02d}/{rng.randint(29, 31)}/{rng.randint(1896, 2104)}"
            rows.append([str(n), value])
        _assert_same_or_refused(spec, _csv(["Id", "At"], rows))


def test_null_spellings_with_whitespace_are_identical():
    spec = _table(
        ColumnSpec("Id", "integer"), ColumnSpec("S", "string"), null_tokens=("", "NULL", "N/A")
    )
    values = [" NULL", "N/A\u3000", "\xa0", "\u2028N/A", "NULL\x85", "null", " x ", "NULLx"]
    rows = [[str(n), value] for n, value in enumerate(values, 1)]
    assert _assert_same_or_refused(spec, _csv(["Id", "S"], rows))


# Taps ---------------------------------------------------------------------------------------


def test_an_overridden_post_process_keeps_the_row_path(tmp_path):
    """The SDK's loop hands post_process the stand-in of a columnar record: a stream that
    overrides it gets real records (the row path)."""
    path = tmp_path / export_key("molo", datetime(2025, 12, 21, 5, 0, 3))
    write_molo_zip(path, rows=3, streams={"piers"})
    tap = TapMoloS3(config={"local_path": str(tmp_path)})
    plain = tap.streams["piers"]

    class Custom(type(plain)):  # type: ignore[misc]
        def post_process(self, row, context=None):
            return row

    custom = Custom(tap, plain.spec, name=plain.name, member=plain.member)
    plain.records_direct = custom.records_direct = True
    assert plain.encoded_record_frame() is not None
    assert custom.encoded_record_frame() is None


# 1: every line a block of its own (a bad row alone, its neighbours at block edges); 700: a
# few rows a block (bad rows at an edge or inside); 0: the default (the member in one block).
BLOCK_SIZES = (1, 700, 0)


def _normalised(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without what depends on the clock (table version, extraction time)."""
    out = []
    for original in messages:
        message = msgspec.json.decode(msgspec.json.encode(original))
        message.pop("version", None)
        message.pop("time_extracted", None)
        completed = message.get("value", {}).get("sync_completed")
        if completed:
            completed.pop("at", None)
        out.append(message)
    return out


def _run(monkeypatch, kind: str, config: dict[str, Any], reader: str, block: int = 0):
    if block:
        monkeypatch.setenv(BLOCK_BYTES_ENV, str(block))
    else:
        monkeypatch.delenv(BLOCK_BYTES_ENV, raising=False)
    tap, error, output = run_tap_outcome(TAPS[kind], {**config, "csv_reader": reader})
    counts = {}
    for name, stream in tap.streams.items():
        found = stream.row_counts
        if found is not None:
            counts[name] = (
                found.rows,
                found.skipped,
                found.kept_with_problems,
                found.blank_lines,
                found.problems,
            )
    blocks = sum(s.row_counts.columnar_blocks for s in tap.streams.values() if s.row_counts)
    return (repr(error), _normalised(output.messages), counts), blocks


def _assert_paths_agree(
    monkeypatch, kind: str, config: dict[str, Any], sizes: tuple[int, ...] = BLOCK_SIZES
) -> int:
    reference, row_path_blocks = _run(monkeypatch, kind, config, "row")
    assert row_path_blocks == 0, "csv_reader=row converted blocks column-wise"
    columnar_blocks = 0
    for block in sizes:
        result, blocks = _run(monkeypatch, kind, config, "auto", block)
        assert result[0] == reference[0], f"block {block}: error differs"
        assert result[2] == reference[2], f"block {block}: counts differ"
        assert result[1] == reference[1], f"block {block}: messages differ"
        columnar_blocks += blocks
    return columnar_blocks


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.id)
def test_corpus_reads_the_same_by_both_paths(tmp_path, monkeypatch, case):
    path = case.write(tmp_path / "exports")
    config = {"local_path": str(path.parent), **case.config}
    # Members of 5 rows, one line a block: the bad line alone, its neighbours at block edges
    # (the member in one block is test_s3core_bad_input's default run).
    _assert_paths_agree(monkeypatch, case.kind, config, (1,))


QUIRKS = {
    "clean": Quirks(),
    "bom_crlf": Quirks(bom=True, crlf=True),
    "quoted_newlines": Quirks(quoted_newlines="invoices"),
    "nul": Quirks(nul="invoices"),
    "bad_utf8": Quirks(bad_utf8="invoices"),
    "ragged": Quirks(ragged_row="invoices"),
    "extra_missing": Quirks(extra_column="invoices", missing_column="piers"),
}


@pytest.mark.parametrize("policy", ["fail", "skip", "keep"])
@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_generated_molo_export_reads_the_same_by_both_paths(tmp_path, monkeypatch, quirk, policy):
    if quirk in {"clean", "bom_crlf", "quoted_newlines", "extra_missing"} and policy != "fail":
        pytest.skip("no bad rows: on_bad_row changes nothing")
    # A STATE every 7 records (the SDK's STATE_MSG_FREQUENCY, 10,000 by default) falls inside
    # columnar blocks: it must come between the same two records as on the row path.
    monkeypatch.setattr(SnapshotStream, "STATE_MSG_FREQUENCY", 7)
    path = tmp_path / export_key("molo", datetime(2025, 12, 21, 5, 0, 3))
    write_molo_zip(path, rows=24, streams={"invoices", "piers"}, quirks=QUIRKS[quirk])
    config = {"local_path": str(tmp_path), "on_bad_row": policy}
    blocks = _assert_paths_agree(monkeypatch, "molo", config)
    if quirk in {"clean", "bom_crlf", "extra_missing"}:
        assert blocks > 0, "the columnar path read nothing of a clean export"


def test_generated_stellar_export_reads_the_same_by_both_paths(tmp_path, monkeypatch):
    path = tmp_path / export_key("stellar", datetime(2025, 12, 21, 7, 1))
    write_stellar_tar_gz(path, rows=16, streams={"bookings", "styles"})
    blocks = _assert_paths_agree(monkeypatch, "stellar", {"local_path": str(tmp_path)})
    assert blocks > 0
