"""Derive a tap's tables.json from the reference facts in shared/reference/marina/*_tables.json.

Run once per export kind; the output is reviewed and committed as the tap's spec data file:

    python s3-export-core/scripts/specs_from_reference.py molo  REF/molo_tables.json  OUT.json
    python s3-export-core/scripts/specs_from_reference.py stellar REF/stellar_tables.json OUT.json

Rules (why each differs from the predecessor ETL):
- types follow the parser, except that text columns in the staging DDL stay strings (an int
  parser on an NVARCHAR2 column would lose non-digit values) and parser "string" columns with a
  NUMBER(p,0)/NUMBER(p,s) DDL become integer/number (Oracle converted them implicitly);
- date formats keep month-first and ISO forms only: the predecessor also tried day-first
  formats, which misreads 03/04 dates. MOLO date columns carry a time part (Central-time
  midnight written as UTC, e.g. 02/28/2025 06:00:00), so they are date-time, not truncated;
- `empty_value` defaults (0, 'Unknown') and `max_len` truncation are NOT applied: null stays
  null and text is kept whole;
- keys are the reference keys (composite for Stellar holidays and booking_accessories);
- contract C1: integer and number columns with a NUMBER(p[,s]) staging type carry `precision`
  and `scale`; string columns with a (N)VARCHAR2(n) / (N)CHAR(n) staging type carry
  `max_length` n (characters). The staging width is the one the data lived in; the parser's
  `max_len` truncation is not a limit of the source and is not used.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ARCHIVES = {
    "molo": {
        "name": "MOLO",
        "format": "zip",
        "bucket": "resilient-molo-backups",
        "region": "us-east-1",
        "key_pattern": r"^(?P<timestamp>\d{14})\.zip$",
        "timestamp_format": "%Y%m%d%H%M%S",
        "key_example": "20251221050003.zip",
        "layout": "ZIP with <Table>.csv members at the root",
        "timezone": "UTC",
        "timezone_note": "Timestamps are UTC (date-only values are Central midnight as UTC).",
    },
    "stellar": {
        "name": "Stellar",
        "format": "tar.gz",
        "bucket": "resilient-ims-backups",
        "region": "us-east-1",
        "key_pattern": (
            r"^prod_resilient_(?P<timestamp>\d{4}-\d{2}-\d{2}_\d{2}_\d{2})-DATA\.sql\.gz$"
        ),
        "timestamp_format": "%Y-%m-%d_%H_%M",
        "key_example": "prod_resilient_2025-12-21_07_01-DATA.sql.gz",
        "layout": "gzip-compressed tar (despite the .sql.gz name) with data/<table>.csv members",
        "timezone": "UTC",
        "timezone_note": "Undocumented; the predecessor loaded naive values. Set source_timezone "
        "if the Stellar server writes local time.",
    },
}
TEXT_DDL = ("NVARCHAR2", "VARCHAR2", "NCLOB", "CLOB", "CHAR")
DIGITS_AS_TEXT = re.compile(r"last4|zip|phone", re.IGNORECASE)
DAY_FIRST = {"%d/%m/%Y"}
UNLISTED_COLUMNS = {("stellar", "styles"): 26}


def column_type(column: dict) -> tuple[str, list[str]]:  # noqa: PLR0911 - one rule per return
    parse = column["parse"]
    ddl = (column.get("oracle_type") or "").upper()
    kind, _, formats = parse.partition(":")
    if kind in {"datetime", "date"}:
        kept = [fmt for fmt in formats.split("|") if fmt not in DAY_FIRST]
        has_time = any("%H" in fmt for fmt in kept)
        if kind == "date" and not has_time and "%m/%d/%Y" in kept:
            kept.insert(0, "%m/%d/%Y %H:%M:%S")
            has_time = True
        return ("date-time" if kind == "datetime" or has_time else "date"), kept
    if ddl.startswith(TEXT_DDL) or DIGITS_AS_TEXT.search(column["csv"]):
        return "string", []
    if kind == "int":
        return "integer", []
    if kind == "float":
        return "number", []
    if kind == "bool":
        return "boolean", []
    match = re.match(r"NUMBER\((\d+)(?:,\s*(\d+))?\)", ddl)
    if match and (match.group(2) in {None, "0"}):
        return "integer", []
    if ddl.startswith(("NUMBER", "BINARY_DOUBLE", "FLOAT")):
        return "number", []
    return "string", []


NUMBER_DDL = re.compile(r"NUMBER\((\d+)(?:,\s*(\d+))?\)")
TEXT_WIDTH_DDL = re.compile(r"N?(?:VARCHAR2?|CHAR)\((\d+)(?:\s+(?:CHAR|BYTE))?\)")


def column_limits(kind: str, ddl: str) -> dict:
    """C1: precision/scale of numeric columns, max_length of text columns, from the DDL."""
    if kind in {"integer", "number"} and (match := NUMBER_DDL.fullmatch(ddl)):
        return {"precision": int(match.group(1)), "scale": int(match.group(2) or 0)}
    if kind == "string" and (match := TEXT_WIDTH_DDL.fullmatch(ddl)):
        return {"max_length": int(match.group(1))}
    return {}


def convert(source: str, reference: dict) -> dict:
    tables = []
    for table in reference["tables"]:
        columns = []
        for column in table["columns"]:
            kind, formats = column_type(column)
            entry: dict = {"name": column["csv"], "type": kind}
            if formats:
                entry["formats"] = formats
            entry.update(column_limits(kind, (column.get("oracle_type") or "").upper()))
            if column.get("null_tokens") is not None:
                entry["null_tokens"] = column["null_tokens"]
            columns.append(entry)
        spec = {
            "stream": table["stream"],
            "member": table["csv_member"],
            "key": table["key"],
            "null_tokens": table.get("null_tokens", [""]),
            "columns": columns,
        }
        if count := UNLISTED_COLUMNS.get((source, table["stream"])):
            spec["unlisted_column_count"] = count
        if table.get("key_note"):
            spec["description"] = table["key_note"]
        tables.append(spec)
    return {
        "source": reference["source"],
        "derived_from": reference["provenance"]["repository"]
        + "@"
        + reference["provenance"]["commit"],
        "archive": ARCHIVES[source],
        "tables": tables,
    }


def main() -> None:
    source, reference_path, output_path = sys.argv[1:4]
    reference = json.loads(Path(reference_path).read_text(encoding="utf-8"))
    document = convert(source, reference)
    Path(output_path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
