"""`target-oracle-staging-ddl`: print the DDL the target would run on Oracle, offline.

Input is a Singer stream (SCHEMA messages; other messages are ignored) or a catalog JSON
(`tap --discover` output). Nothing connects to a database: the target runs in dry-run mode
with the Oracle dialect and every statement it would send is captured.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import typing as t
from pathlib import Path

from target_oracle_staging.connection import CONNECTION_SETTINGS

DDL_PREFIXES = ("CREATE", "ALTER", "DROP")


def schema_messages_from_catalog(catalog: dict) -> list[dict]:
    """One SCHEMA message per catalog stream (key properties from metadata if needed)."""
    messages = []
    for entry in catalog.get("streams", []):
        keys = entry.get("key_properties")
        if keys is None:
            for item in entry.get("metadata", []):
                if not item.get("breadcrumb"):
                    keys = item.get("metadata", {}).get("table-key-properties")
        messages.append(
            {
                "type": "SCHEMA",
                "stream": entry.get("stream") or entry["tap_stream_id"],
                "schema": entry["schema"],
                "key_properties": keys or [],
            }
        )
    return messages


def parse_input(text: str) -> list[dict]:
    """Singer JSON lines or one catalog document."""
    stripped = text.strip()
    if stripped.startswith("{") and '"streams"' in stripped[:2000]:
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and "streams" in document:
            return schema_messages_from_catalog(document)
    messages = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"input line {number} is not JSON: {exc}"
            raise ValueError(msg) from exc
        if message.get("type") in {"SCHEMA", "RECORD", "ACTIVATE_VERSION"}:
            messages.append(message)
    return messages


def dry_run(messages: list[dict], config: dict | None = None, dialect: str = "oracle") -> list[str]:
    """Every statement the target would send for these messages, in order."""
    return [e.sql for e in dry_run_transcript(messages, config, dialect) if hasattr(e, "sql")]


def dry_run_transcript(
    messages: list[dict], config: dict | None = None, dialect: str = "oracle"
) -> list[t.Any]:
    """What the target would send (statements, commits, rollbacks), in order."""
    from target_oracle_staging.target import TargetOracleStaging

    settings = {k: v for k, v in (config or {}).items() if k not in _CONNECTION_SETTINGS}
    settings["dry_run_dialect"] = dialect
    target = TargetOracleStaging(config=settings)
    session = target.run.session  # the run releases it at the end; keep its statement log
    lines = "".join(json.dumps(m) + "\n" for m in messages)
    with contextlib.redirect_stdout(io.StringIO()):
        target.listen(io.StringIO(lines))
    return list(session.transcript)


_CONNECTION_SETTINGS = frozenset(CONNECTION_SETTINGS)


def ddl_statements(statements: t.Iterable[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(DDL_PREFIXES)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="target-oracle-staging-ddl",
        description="Print the Oracle DDL target-oracle-staging would run for a catalog or "
        "a Singer stream of SCHEMA messages, without a database.",
    )
    parser.add_argument("input", nargs="?", help="catalog JSON or Singer messages (default stdin)")
    parser.add_argument("--config", help="target config JSON (prefix, schema, load_method)")
    parser.add_argument(
        "--all-statements", action="store_true", help="also print DML (MERGE, INSERT, ledger)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check every statement against the Oracle model (limits and semantics); exit 1 "
        "and list what Oracle would refuse",
    )
    args = parser.parse_args(argv)
    text = Path(args.input).read_text() if args.input else sys.stdin.read()
    config = json.loads(Path(args.config).read_text()) if args.config else {}
    transcript = dry_run_transcript(parse_input(text), config)
    if args.check:
        from target_oracle_staging.oracle_gate import OracleGate
        from target_oracle_staging.oracle_model import OracleModel, OracleSettings

        violations = OracleGate(OracleModel(OracleSettings.from_config(config))).run(transcript)
        for violation in violations:
            sys.stderr.write(f"{violation}\n")
        if violations:
            return 1
        sys.stderr.write(f"{len(transcript)} statements: none that Oracle would refuse\n")
    statements = [e.sql for e in transcript if hasattr(e, "sql")]
    chosen = statements if args.all_statements else ddl_statements(statements)
    from target_oracle_staging.oracle_gate import OracleGate
    from target_oracle_staging.oracle_model import OracleModel, OracleSettings

    gate = OracleGate(OracleModel(OracleSettings.from_config(config)))
    for statement in chosen:
        for key, width in gate.key_widths(statement):
            verdict = "fits" if width.fits else "TOO WIDE (ORA-01450)"
            sys.stdout.write(f"-- {key}: {width.describe()}: {verdict}\n")
        terminator = "\n/" if statement.rstrip().upper().endswith("END;") else ";"
        sys.stdout.write(f"{statement.strip()}{terminator}\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
