"""Oracle without an Oracle server: dry-run statements, sqlglot, and the oracledb bulk path."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from unittest.mock import create_autospec

import oracledb
import pytest
import sqlglot
from sqlglot import exp
from target_oracle_staging.connector import Commit, Statement, oracle_connect_params
from target_oracle_staging.ddl_review import (
    dry_run,
    dry_run_transcript,
    main,
    schema_messages_from_catalog,
)
from target_oracle_staging.dialects.oracle import OracleDialect
from target_oracle_staging.oracle_gate import OracleGate
from target_oracle_staging.oracle_model import ORACLE_MODEL
from target_oracle_staging.reserved_words import RESERVED_WORDS
from target_oracle_staging.tables import build_table_spec
from target_oracle_staging.target import TargetOracleStaging
from target_oracle_staging.testing import record_message, schema_message, to_lines

# -- the schemas of all three taps -----------------------------------------------------------


def _tap_catalogs() -> dict[str, dict]:
    """The discovered catalogs of the three taps (offline discovery, no network)."""
    from tap_molo_s3.tap import TapMoloS3
    from tap_stellar_s3.tap import TapStellarS3
    from tap_tr2000.tap import TapTr2000

    return {
        cls.name: cls(config={}, validate_config=False).catalog_dict
        for cls in (TapTr2000, TapMoloS3, TapStellarS3)
    }


def _sample_value(schema: dict, n: int) -> object:  # noqa: PLR0911
    """A value that fits the property's schema (its maxLength, maximum and multipleOf)."""
    types = schema.get("type", "string")
    types = {types} if isinstance(types, str) else set(types)
    if schema.get("format") == "date-time":
        return f"2024-01-0{n}T10:00:00+02:00"
    if schema.get("format") == "date":
        return f"2024-01-0{n}"
    if "integer" in types:
        return min(n, schema.get("maximum", n))
    if "number" in types:
        value = n if "multipleOf" in schema else n + 0.5
        return min(value, schema.get("maximum", value))
    if "boolean" in types:
        return n % 2 == 0
    if "object" in types:
        return {"n": n}
    if "array" in types:
        return [n]
    text = f"value {n}"
    return text[-schema["maxLength"] :] if "maxLength" in schema else text


def _messages_for(catalog: dict) -> list[dict]:
    messages = []
    for schema_msg in schema_messages_from_catalog(catalog):
        messages.append(schema_msg)
        props = schema_msg["schema"]["properties"]
        for n in (1, 2, 1):  # a duplicate key inside the batch
            record = {name: _sample_value(prop, n) for name, prop in props.items()}
            messages.append(record_message(schema_msg["stream"], record, version=1))
        messages.append({"type": "ACTIVATE_VERSION", "stream": schema_msg["stream"], "version": 1})
    return messages


@pytest.fixture(scope="module")
def tap_catalogs() -> dict[str, dict]:
    return _tap_catalogs()


@pytest.fixture(scope="module", params=["upsert", "append-only", "overwrite"])
def oracle_run(request, tap_catalogs) -> tuple[str, list, dict]:
    """Everything the target would send to Oracle for the three taps' streams."""
    transcript: list = []
    for tap, catalog in tap_catalogs.items():
        source = tap.removeprefix("tap-").removesuffix("-s3").upper()
        config = {
            "source_name": source,
            "load_method": request.param,
            "hard_delete": True,
            "max_delete_share": 1,
        }
        transcript += dry_run_transcript(_messages_for(catalog), config)
    return request.param, transcript, tap_catalogs


@pytest.fixture(scope="module")
def oracle_statements(oracle_run) -> tuple[str, list[str], dict]:
    method, transcript, catalogs = oracle_run
    return method, [e.sql for e in transcript if isinstance(e, Statement)], catalogs


def test_oracle_would_refuse_no_statement_of_any_tap(oracle_run) -> None:
    """The gate replays creates, loads, merges, swaps, commits: nothing Oracle refuses."""
    _, transcript, _ = oracle_run
    assert sum(isinstance(e, Statement) for e in transcript) > 500
    OracleGate().require(transcript)


def test_every_tr2000_key_fits_the_index_key_limit(oracle_statements) -> None:
    """ORA-01450: the 20 TR2000 tables with their keys, each within 6,398 bytes."""
    method, statements, _ = oracle_statements
    if method != "upsert":
        pytest.skip("keys are declared on upsert tables")
    creates = [s for s in statements if s.startswith("CREATE TABLE STG_TR2000_")]
    assert len(creates) == 20
    keyed = [s for s in creates if "PRIMARY KEY" in s or "UNIQUE" in s]
    assert len(keyed) >= 17
    gate = OracleGate()
    for create in keyed:
        assert gate.check_statement(create) == [], create


def _parse(statement: str) -> exp.Expression:
    return sqlglot.parse_one(statement, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)


def test_every_statement_parses_as_oracle(oracle_statements) -> None:
    _, statements, _ = oracle_statements
    assert len(statements) > 100
    for statement in statements:
        _parse(statement)


def test_identifiers_fit_and_are_not_reserved(oracle_statements) -> None:
    _, statements, _ = oracle_statements
    seen = set()
    dictionary_queries = ("SELECT USER FROM DUAL", "SELECT privilege FROM session_")
    for statement in statements:
        if statement.startswith(dictionary_queries):
            continue  # the start-up privilege check reads Oracle's own views
        for identifier in _parse(statement).find_all(exp.Identifier):
            name = identifier.name
            seen.add(name)
            assert len(name.encode()) <= ORACLE_MODEL.identifier_max_bytes, statement
            assert not identifier.quoted, statement
            assert name.upper() not in RESERVED_WORDS, (name, statement)
    expected = {"STG_TR2000_PLANTS", "STG_MOLO_MARINA_LOCATIONS", "STG_STELLAR_ACCESSORIES"}
    assert expected <= seen  # the identifiers of every tap were checked


def test_types_are_valid_oracle_types(oracle_statements) -> None:
    _, statements, catalogs = oracle_statements
    ddl = "\n".join(s for s in statements if s.startswith("CREATE"))
    assert not re.search(r"VARCHAR2(?!\(\d+ CHAR\))", ddl), "lengthless VARCHAR2"
    assert not re.search(r"\b(DECIMAL|NUMERIC)\b", ddl), "scale-less DECIMAL"
    for forbidden in ("DATETIME", "BOOLEAN", "UUID", "TEXT", "JSONB", "TIME", "DOUBLE"):
        assert not re.search(rf"\w+ {forbidden}\b", ddl), forbidden
    plants = next(s for s in statements if s.startswith("CREATE TABLE STG_TR2000_PLANTS "))
    assert "PLANT_ID VARCHAR2(" in plants
    # every date-time property of every tap is a TIMESTAMP(6) column
    for catalog in catalogs.values():
        for entry in catalog["streams"]:
            for prop, prop_schema in entry["schema"]["properties"].items():
                if prop_schema.get("format") == "date-time":
                    column = re.escape(_lower_identifier(prop))
                    assert re.search(rf"\b{column} TIMESTAMP\(6\)", ddl), (entry["stream"], prop)


def _lower_identifier(prop: str) -> str:
    from target_oracle_staging.names import to_identifier

    return to_identifier(prop).upper()


def test_merge_source_keeps_the_last_record_per_key(oracle_statements) -> None:
    method, statements, _ = oracle_statements
    merges = [s for s in statements if s.startswith("MERGE")]
    if method != "upsert":
        assert merges == []
        return
    assert len(merges) > 50
    for merge in merges:
        tree = _parse(merge)
        using = tree.args["using"]
        window = next(using.find_all(exp.Window))
        assert window.this.key == "rownumber"
        assert "LD__SEQ DESC" in window.sql(dialect="oracle").upper()
        assert "ld__rn = 1" in merge
        assert re.search(r"ON \((t\.\w+ = s\.\w+|COALESCE\(t\.\w+)", merge)


def test_overwrite_swaps_in_one_transaction(tap_catalogs) -> None:
    """DELETE and INSERT … SELECT of the swap commit together: no commit (and no DDL, which
    commits on Oracle) between them; the swap table is dropped only afterwards."""
    config = {"source_name": "TR2000", "load_method": "overwrite", "max_delete_share": 1}
    transcript = dry_run_transcript(_messages_for(tap_catalogs["tap-tr2000"]), config)
    sql = [e.sql if isinstance(e, Statement) else type(e).__name__ for e in transcript]
    delete_at = sql.index("DELETE FROM STG_TR2000_PLANTS")
    insert_at = next(i for i, s in enumerate(sql) if s.startswith("INSERT INTO STG_TR2000_PLANTS "))
    commit_at = sql.index("Commit", delete_at)
    assert delete_at < insert_at < commit_at
    assert "FROM STG_TR2000_PLANTS__NEW" in sql[insert_at]
    between = sql[delete_at + 1 : commit_at]
    assert not any(s.startswith(("CREATE", "ALTER", "DROP")) for s in between), between
    assert "Rollback" not in between
    assert sql.index("DROP TABLE STG_TR2000_PLANTS__NEW PURGE") > commit_at


def test_load_tables_are_global_temporary(oracle_statements) -> None:
    method, statements, _ = oracle_statements
    gtts = [s for s in statements if s.startswith("CREATE GLOBAL TEMPORARY TABLE")]
    if method == "overwrite":
        assert gtts == []
    else:
        assert gtts
        assert all(s.endswith("ON COMMIT DELETE ROWS") for s in gtts)


def test_ddl_review_command_prints_oracle_ddl(tmp_path, capsys) -> None:
    singer = tmp_path / "schemas.jsonl"
    singer.write_text(
        to_lines(
            [
                schema_message(
                    "plants",
                    {
                        "PlantID": {"type": "integer"},
                        "LongDescription": {"type": "string", "maxLength": 8000},
                    },
                    ["PlantID"],
                )
            ]
        )
    )
    assert main([str(singer)]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE STG_PLANTS (" in out
    assert "PLANT_ID NUMBER(38) NOT NULL" in out
    assert "LONG_DESCRIPTION CLOB" in out
    assert "CREATE TABLE ETL_CONTROL (" in out
    assert "MERGE" not in out
    for statement in filter(None, (s.strip() for s in out.split(";\n"))):
        _parse(statement)


# -- the oracledb bulk path against an autospec'd connection ----------------------------------


@dataclass
class FakeBatchError:
    """What cursor.getbatcherrors() returns: offset, code and message of each refused row."""

    offset: int
    code: int
    message: str


PROPS = {
    "id": {"type": "integer"},
    "name": {"type": ["null", "string"], "maxLength": 10},
    "changed_at": {"type": ["null", "string"], "format": "date-time"},
    "day": {"type": ["null", "string"], "format": "date"},
    "active": {"type": ["null", "boolean"]},
    "notes": {"type": ["null", "string"], "maxLength": 9000},
}


def _autospec_connection(errors: list[FakeBatchError]):
    connection = create_autospec(oracledb.Connection, instance=True)
    cursor = create_autospec(oracledb.Cursor, instance=True)
    connection.cursor.return_value = cursor
    cursor.getbatcherrors.return_value = errors
    return connection, cursor


def test_bulk_path_sets_input_sizes_and_uses_batch_errors() -> None:
    spec = build_table_spec(
        "items", {"properties": PROPS}, ["id"], prefix="STG_", schema=None, load_method=None
    )
    dialect = OracleDialect(ORACLE_MODEL)
    connection, cursor = _autospec_connection([])
    rows = [[1, "a", dt.datetime(2024, 1, 1), dt.date(2024, 1, 1), 1, "n", 10]]
    assert dialect.bulk_load(connection, "STG_ITEMS__LD", spec, rows) == []

    sizes = cursor.setinputsizes.call_args.args
    columns = [c.name for c in dialect.load_columns(spec)]
    by_column = dict(zip(columns, sizes, strict=True))
    assert by_column["CHANGED_AT"] is oracledb.DB_TYPE_TIMESTAMP
    assert by_column["DAY"] is oracledb.DB_TYPE_DATE
    assert by_column["NAME"] == 10
    assert by_column["NOTES"] is oracledb.DB_TYPE_LONG
    assert by_column["ID"] is oracledb.DB_TYPE_NUMBER
    sql, bound = cursor.executemany.call_args.args
    assert cursor.executemany.call_args.kwargs == {"batcherrors": True}
    assert bound == rows
    # Bind plan: short binds first, the LONG-bound NOTES (over 4,000 bytes) last (ORA-24816).
    assert sql.startswith("INSERT INTO STG_ITEMS__LD (ID, NAME, CHANGED_AT, DAY, ACTIVE, ")
    assert columns[-1] == "NOTES"
    assert ":v7)" in sql
    assert OracleGate().check_statement(sql) == []
    _parse(sql)
    cursor.close.assert_called_once()


def test_batch_errors_map_to_the_right_records_even_out_of_order() -> None:
    errors = [
        FakeBatchError(offset=3, code=12899, message="ORA-12899: value too large for column NAME"),
        FakeBatchError(offset=1, code=1722, message="ORA-01722: invalid number"),
    ]
    connection, _ = _autospec_connection(errors)
    target = TargetOracleStaging(config={"dry_run_dialect": "oracle", "max_rejects": 5})
    session = target.run.session
    session.driver_connection = connection
    records = [
        {"id": n, "name": f"n{n}", "changed_at": "2024-05-01T12:00:00+02:00", "active": n % 2 == 0}
        for n in range(1, 6)
    ]
    messages = [
        schema_message("items", PROPS, ["id"]),
        *[record_message("items", r) for r in records],
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        target.listen(io.StringIO(to_lines(messages)))

    statements = [e for e in session.transcript if isinstance(e, Statement)]
    reject_params = next(
        e.params for e in statements if e.sql.startswith("INSERT INTO ETL_REJECTS")
    )
    assert [(r["record_key"], r["code"]) for r in reject_params] == [
        ("id=2", "ORA-01722"),
        ("id=4", "ORA-12899"),
    ]
    assert '"name":"n4"' in reject_params[1]["record_json"]
    assert reject_params[1]["source_location"] == "stream items, input line 5"
    control = next(
        e.params
        for e in statements
        if e.sql.startswith("UPDATE ETL_CONTROL") and "status = :status" in e.sql
    )
    assert (control["received"], control["loaded"], control["rejected"]) == (5, 3, 2)
    assert control["status"] == "SUCCESS"
    # the bound rows: booleans as NUMBER(1), date-times converted to UTC before binding
    cursor = connection.cursor.return_value
    bound_rows = cursor.executemany.call_args.args[1]
    assert bound_rows[0][2] == dt.datetime(2024, 5, 1, 10, 0)
    assert [row[4] for row in bound_rows] == [0, 1, 0, 1, 0]
    OracleGate().require(session.transcript)  # the reject inserts and ledger counts included


def test_each_batch_is_one_executemany_and_one_merge() -> None:
    """Round trips per batch on Oracle: one setinputsizes + executemany for the rows, two counts
    and one MERGE, one commit (which empties the global temporary load table)."""
    connection, cursor = _autospec_connection([])
    target = TargetOracleStaging(config={"dry_run_dialect": "oracle", "batch_size_rows": 4})
    session = target.run.session
    session.driver_connection = connection
    records = [{"id": n, "name": f"n{n}"} for n in range(1, 11)]
    messages = [
        schema_message("items", PROPS, ["id"]),
        *[record_message("items", r) for r in records],
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        target.listen(io.StringIO(to_lines(messages)))

    batches = [call.args[1] for call in cursor.executemany.call_args_list]
    assert [[row[0] for row in rows] for rows in batches] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert cursor.setinputsizes.call_count == 3  # once before each executemany
    assert [call.kwargs for call in cursor.executemany.call_args_list] == [
        {"batcherrors": True}
    ] * 3
    # What the load session sends between one bulk insert and the batch's commit.
    loads = [
        i
        for i, e in enumerate(session.transcript)
        if isinstance(e, Statement) and e.sql.startswith("INSERT INTO STG_ITEMS__LD")
    ]
    assert len(loads) == 3
    for start in loads:
        end = next(
            i for i in range(start, len(session.transcript)) if session.transcript[i] == Commit()
        )
        sent = [e.sql.split(" ", 2)[:2] for e in session.transcript[start + 1 : end]]
        assert sent == [["SELECT", "COUNT(*)"], ["SELECT", "COUNT(*)"], ["MERGE", "INTO"]]
    OracleGate().require(session.transcript)


# -- connection settings ------------------------------------------------------------------------


def test_thin_mode_connection_parameters() -> None:
    assert oracle_connect_params(
        {"user": "u", "password": "p", "dsn": "db.example:1521/ORCLPDB"}
    ) == {
        "user": "u",
        "password": "p",
        "dsn": "db.example:1521/ORCLPDB",
    }
    assert (
        oracle_connect_params({"user": "u", "host": "h", "service_name": "svc"})["dsn"]
        == "h:1521/svc"
    )
    assert (
        oracle_connect_params({"host": "h", "port": 1522, "service_name": "s"})["dsn"] == "h:1522/s"
    )
    tns = oracle_connect_params({"user": "u", "dsn": "prod_high", "config_dir": "/etc/tns"})
    assert tns == {"user": "u", "dsn": "prod_high", "config_dir": "/etc/tns"}
    wallet = oracle_connect_params(
        {
            "user": "admin",
            "password": "pw",
            "dsn": "adb_high",
            "config_dir": "/wallet",
            "wallet_location": "/wallet",
            "wallet_password": "wpw",
        }
    )
    assert wallet["wallet_location"] == "/wallet"
    assert wallet["wallet_password"] == "wpw"
    with pytest.raises(ValueError, match="dsn"):
        oracle_connect_params({"user": "u"})


def test_secrets_stay_out_of_about_and_errors(capsys) -> None:
    TargetOracleStaging.print_about(output_format="json")
    about = capsys.readouterr().out
    for secret in ("password", "wallet_password", "sqlalchemy_url"):
        assert f'"{secret}"' in about
    assert '"secret": true' in about or '"sensitive": true' in about
    target = TargetOracleStaging(
        config={"sqlalchemy_url": "postgresql://etl:s3cr3t@db.example/x", "password": "hunter2"}
    )
    redacted = target.run.redact("failed for postgresql://etl:s3cr3t@db.example/x with hunter2")
    assert "s3cr3t" not in redacted
    assert "hunter2" not in redacted


def test_schema_evolution_on_oracle_adds_columns_and_widens_strings() -> None:
    narrow = {"id": {"type": "integer"}, "name": {"type": ["null", "string"], "maxLength": 10}}
    wider = {**narrow, "name": {"type": ["null", "string"], "maxLength": 200}}
    added = {**wider, "CountryCode": {"type": ["null", "string"], "maxLength": 2}}
    transcript = dry_run_transcript(
        [
            schema_message("items", narrow, ["id"]),
            record_message("items", {"id": 1, "name": "a"}),
            schema_message("items", wider, ["id"]),
            record_message("items", {"id": 2, "name": "b" * 150}),
            schema_message("items", added, ["id"]),
            record_message("items", {"id": 3, "name": "c", "CountryCode": "NO"}),
        ]
    )
    OracleGate().require(transcript)  # evolution DDL, recreated load table, loads in between
    statements = [e.sql for e in transcript if isinstance(e, Statement)]
    assert "ALTER TABLE STG_ITEMS MODIFY (NAME VARCHAR2(200 CHAR))" in statements
    assert "ALTER TABLE STG_ITEMS ADD (COUNTRY_CODE VARCHAR2(2 CHAR))" in statements
    # The load table (a global temporary table) is recreated with the new shape.
    assert "DROP TABLE STG_ITEMS__LD PURGE" in statements
    for statement in statements:
        _parse(statement)


def test_varchar2_to_clob_is_refused_with_a_clear_error() -> None:
    narrow = {"id": {"type": "integer"}, "note": {"type": ["null", "string"], "maxLength": 100}}
    huge = {**narrow, "note": {"type": ["null", "string"], "maxLength": 10000}}
    with pytest.raises(Exception, match=r"VARCHAR2\(100 CHAR\).*CLOB"):
        dry_run(
            [
                schema_message("items", narrow, ["id"]),
                record_message("items", {"id": 1}),
                schema_message("items", huge, ["id"]),
                record_message("items", {"id": 2}),
            ]
        )


def test_ddl_command_reads_a_discovered_catalog_from_stdin(tap_catalogs) -> None:
    catalog = json.dumps(tap_catalogs["tap-stellar-s3"], indent=2)
    result = subprocess.run(
        [sys.executable, "-m", "target_oracle_staging.ddl_review"],
        input=catalog,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MELTANO_EXTRACTOR_NAME": "tap-stellar-s3"},
    )
    creates = [s for s in result.stdout.split(";\n") if "CREATE TABLE STG_STELLAR_" in s]
    assert len(creates) == len(tap_catalogs["tap-stellar-s3"]["streams"])
    assert "CREATE GLOBAL TEMPORARY TABLE STG_STELLAR_" in result.stdout


def test_ddl_command_check_refuses_what_oracle_would(tmp_path, capsys) -> None:
    """--check: a key over the limit on 2 KB blocks is listed with ORA-01450, exit 1."""
    singer = tmp_path / "schemas.jsonl"
    props = {"Code": {"type": "string", "maxLength": 400}, "Name": {"type": "string"}}
    singer.write_text(to_lines([schema_message("codes", props, ["Code"])]))
    assert main([str(singer), "--check"]) == 0
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"oracle_block_size": 2048}))
    with pytest.raises(Exception, match=r"ORA-01450|index key limit"):
        main([str(singer), "--check", "--config", str(config)])


@pytest.mark.parametrize(
    ("schema", "privileges", "missing"),
    [
        (None, ["CREATE SESSION"], "CREATE ANY TABLE"),
        ("STAGING", ["CREATE SESSION", "CREATE ANY TABLE"], "ALTER ANY TABLE, DROP ANY TABLE"),
        (None, ["CREATE SESSION", "CREATE TABLE"], None),
        (
            "STAGING",
            [
                f"{v} ANY TABLE"
                for v in ("CREATE", "ALTER", "DROP", "SELECT", "INSERT", "UPDATE", "DELETE")
            ],
            None,
        ),
    ],
)
def test_missing_privileges_fail_before_any_ddl(schema, privileges, missing) -> None:
    config = {"dry_run_dialect": "oracle", **({"default_target_schema": schema} if schema else {})}
    target = TargetOracleStaging(config=config)
    session = target.run.session
    session.answers = {
        "SELECT USER FROM DUAL": [("ETL",)],
        "FROM session_privs": [(p,) for p in privileges],
    }
    messages = [schema_message("items", PROPS, ["id"]), record_message("items", {"id": 1})]
    with contextlib.redirect_stdout(io.StringIO()):
        if missing is None:
            target.listen(io.StringIO(to_lines(messages)))
            return
        with pytest.raises(PermissionError) as caught:
            target.listen(io.StringIO(to_lines(messages)))
    assert f"Oracle user ETL cannot load schema {schema or 'ETL'}" in str(caught.value)
    assert missing in str(caught.value)
    assert not any(
        isinstance(e, Statement) and e.sql.startswith("CREATE") for e in session.transcript
    )


def test_failure_paths_send_nothing_oracle_would_refuse() -> None:
    """A cut-off overwrite snapshot and too many rejects: the swap-table cleanup, the reject
    rows and the FAILED ledger writes pass the gate too (they run only when something failed)."""
    refused = [FakeBatchError(offset=0, code=1722, message="ORA-01722: invalid number")]
    one_record = [schema_message("items", PROPS, ["id"]), record_message("items", {"id": 1})]
    cases = [
        (
            {"load_method": "overwrite"},
            _overwrite_without_activation(),
            [],
            "DROP TABLE STG_ITEMS__NEW",
        ),
        ({"max_rejects": 0}, one_record, refused, "INSERT INTO ETL_REJECTS"),
    ]
    for settings, messages, errors, cleanup in cases:
        connection, _ = _autospec_connection(errors)
        target = TargetOracleStaging(config={"dry_run_dialect": "oracle", **settings})
        session = target.run.session
        session.driver_connection = connection
        with contextlib.redirect_stdout(io.StringIO()), pytest.raises(RuntimeError):
            target.listen(io.StringIO(to_lines(messages)))
        statements = [e for e in session.transcript if isinstance(e, Statement)]
        assert any(e.sql.startswith(cleanup) for e in statements), cleanup
        assert any(
            "status = :status" in e.sql and e.params["status"] == "FAILED" for e in statements
        )
        OracleGate().require(session.transcript)


def _overwrite_without_activation() -> list[dict]:
    return [
        schema_message("items", PROPS, ["id"]),
        record_message("items", {"id": 1}, version=2),
    ]
