"""post_load_sql is split like SQL*Plus splits a script, and what reaches Oracle is valid."""

from __future__ import annotations

import pytest
from target_oracle_staging.connector import Commit, Statement
from target_oracle_staging.ddl_review import dry_run_transcript
from target_oracle_staging.hooks import ScriptError, post_load_statements, split_script
from target_oracle_staging.oracle_gate import OracleGate
from target_oracle_staging.testing import record_message, schema_message

GATHER_STATS = """-- refresh statistics after the load
BEGIN
  dbms_stats.gather_table_stats(ownname => USER, tabname => 'STG_ITEMS');
END;
/
"""
DBA_SCRIPT = """
UPDATE stg_items SET note = 'done; really' WHERE id = 1;
/* a comment; with a semicolon */
DECLARE
  n NUMBER;
BEGIN
  SELECT COUNT(*) INTO n FROM stg_items WHERE note = 'a;b';
  IF n > 0 THEN
    refresh_dw(p_mode => 'FULL');
  END IF;
END;
/
EXEC refresh_dw('INCR');
INSERT INTO load_audit (note) VALUES (q'[it's; fine]');
COMMIT;
"""


def test_a_plsql_block_keeps_its_end_and_sql_loses_its_semicolon() -> None:
    assert post_load_statements(GATHER_STATS, oracle=True) == [
        "BEGIN\n  dbms_stats.gather_table_stats(ownname => USER, tabname => 'STG_ITEMS');\nEND;"
    ]
    statements = post_load_statements(DBA_SCRIPT, oracle=True)
    assert statements[0] == "UPDATE stg_items SET note = 'done; really' WHERE id = 1"
    assert statements[1].startswith("DECLARE\n  n NUMBER;")
    assert statements[1].endswith("END IF;\nEND;")
    assert "'a;b'" in statements[1]
    assert statements[2] == "BEGIN refresh_dw('INCR'); END;"
    assert statements[3] == "INSERT INTO load_audit (note) VALUES (q'[it's; fine]')"
    assert statements[4] == "COMMIT"
    assert len(statements) == 5


def test_a_list_item_keeps_no_trailing_semicolon() -> None:
    assert post_load_statements(["BEGIN p; END;", "DELETE FROM t;"], oracle=True) == [
        "BEGIN p; END;",
        "DELETE FROM t",
    ]


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ("SET SERVEROUTPUT ON;\nBEGIN p; END;\n/", "line 1: SET"),
        ("DELETE FROM t;\nPROMPT done", "line 2: PROMPT"),
        ("SPOOL out.log\n", "line 1: SPOOL"),
    ],
)
def test_sqlplus_commands_are_refused_with_their_line(script: str, where: str) -> None:
    with pytest.raises(ScriptError, match=where):
        post_load_statements(script, oracle=True)


def test_postgres_dollar_quotes_and_strings_do_not_split() -> None:
    script = "DO $$ BEGIN PERFORM 1; END $$;\nINSERT INTO t VALUES ('x;y');\nSELECT 'it''s;';"
    assert [s.sql for s in split_script(script, oracle=False)] == [
        "DO $$ BEGIN PERFORM 1; END $$",
        "INSERT INTO t VALUES ('x;y')",
        "SELECT 'it''s;'",
    ]


def test_the_hook_reaches_oracle_as_valid_statements_after_the_commit() -> None:
    """Oracle dry run: the script's statements follow the load's commit, each one valid for
    the driver (no trailing ';' on SQL, blocks whole)."""
    messages = [
        schema_message("items", {"id": {"type": "integer"}}, ["id"]),
        record_message("items", {"id": 1}),
    ]
    transcript = dry_run_transcript(messages, {"post_load_sql": DBA_SCRIPT})
    expected = post_load_statements(DBA_SCRIPT, oracle=True)
    start = next(
        i for i, e in enumerate(transcript) if isinstance(e, Statement) and e.sql == expected[0]
    )
    assert [e.sql for e in transcript[start : start + len(expected)]] == expected
    assert isinstance(transcript[start + len(expected)], Commit)  # the hook commits once
    merge = max(
        i for i, e in enumerate(transcript[:start])
        if isinstance(e, Statement) and e.sql.startswith("MERGE INTO STG_ITEMS")
    )  # fmt: skip
    assert any(isinstance(e, Commit) for e in transcript[merge:start])  # after the load's commit
    OracleGate().require(transcript)
