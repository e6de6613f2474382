"""The post-load hook runs once after a successful load, never after a failed one."""

from __future__ import annotations

import logging

import pytest
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

PROPS = {"id": {"type": "integer"}}


def _messages(n: int) -> list[dict]:
    return [
        schema_message("items", PROPS, ["id"]),
        *[record_message("items", {"id": i}) for i in range(n)],
    ]


def test_post_load_sql_runs_after_every_stream_loaded(database: Database) -> None:
    summary, items = database.table("HOOK_SUMMARY"), database.table(f"{database.prefix}ITEMS")
    config = {
        **database.config,
        "post_load_sql": [
            f"CREATE TABLE {summary} (n INTEGER, note VARCHAR(40))",
            # sent verbatim: no bind parameters (":30"), no driver escapes ("%")
            f"INSERT INTO {summary} SELECT COUNT(*), '10:30 100%' FROM {items}",
        ],
    }
    run_target(config, _messages(4))
    assert database.rows(f"select n, note from {summary}") == [(4, "10:30 100%")]


def test_post_load_sql_as_text_with_several_statements(database: Database) -> None:
    summary = database.table("HOOK_TEXT")
    config = {
        **database.config,
        "post_load_sql": (
            f"CREATE TABLE {summary} (n INTEGER);\nINSERT INTO {summary} VALUES (7);\n"
        ),
    }
    run_target(config, _messages(1))
    assert database.rows(f"select n from {summary}") == [(7,)]


def test_hook_is_skipped_when_the_load_failed(database: Database, caplog) -> None:
    summary = database.table("HOOK_SKIPPED")
    config = {**database.config, "post_load_sql": [f"CREATE TABLE {summary} (n INTEGER)"]}
    messages = [*_messages(2), {"type": "RECORD", "stream": "undeclared", "record": {"id": 1}}]
    with caplog.at_level(logging.WARNING):
        run = run_target(config, messages, expect_error=True)
    assert "Post-load hook skipped: the load failed" in caplog.text
    assert (
        database.scalar(
            f"select status from {database.table('ETL_CONTROL')} where run_id = :r", r=run.run_id
        )
        == "FAILED"
    )
    with pytest.raises(Exception, match=r"(?i)hook_skipped"):
        database.rows(f"select * from {summary}")


def test_failing_hook_marks_the_run_failed(database: Database) -> None:
    config = {**database.config, "post_load_sql": ["SELECT * FROM no_such_table_anywhere"]}
    run = run_target(config, _messages(2), expect_error=True)
    assert "post-load hook statement 1 failed" in str(run.error)
    control = database.rows(
        f"select status, error_text from {database.table('ETL_CONTROL')} where run_id = :r",
        r=run.run_id,
    )[0]
    assert control[0] == "FAILED"
    assert "post-load hook" in control[1]


def test_post_load_procedure_on_postgresql(pg_url) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url.url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {pg_url.schema}.proc_calls (called_at TIMESTAMP)"))
        conn.execute(
            sa.text(
                f"CREATE PROCEDURE {pg_url.schema}.after_load() LANGUAGE SQL AS "
                f"$$ INSERT INTO {pg_url.schema}.proc_calls VALUES (now()) $$"
            )
        )
    config = {
        "sqlalchemy_url": pg_url.url,
        "default_target_schema": pg_url.schema,
        "post_load_procedure": f"{pg_url.schema}.after_load",
    }
    run_target(config, _messages(3))
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {pg_url.schema}.proc_calls")).scalar() == 1
        )
    engine.dispose()


def test_procedure_name_is_validated(tmp_path) -> None:
    config = {"database_path": str(tmp_path / "w.duckdb"), "post_load_procedure": "x; DROP TABLE y"}
    run = run_target(config, _messages(1), expect_error=True)
    assert "not a valid procedure name" in str(run.error)
