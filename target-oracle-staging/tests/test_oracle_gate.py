"""The Oracle gate refuses what Oracle refuses: one failing example (and one passing twin) per
rule, and a clean bill for every transcript the target produces for the three taps."""

from __future__ import annotations

import datetime as dt

import oracledb
import pytest
from target_oracle_staging.connector import Commit, Rollback, Statement
from target_oracle_staging.oracle_gate import OracleGate, OracleGateError
from target_oracle_staging.oracle_model import OracleModel, OracleSettings

GATE = OracleGate()
KEYED = (
    "CREATE TABLE S.T (ID NUMBER(38) NOT NULL, NAME VARCHAR2(100 CHAR), BODY CLOB, "
    "NOTE VARCHAR2(4000 CHAR), CHANGED TIMESTAMP(6), CONSTRAINT T__PK PRIMARY KEY (ID))"
)
GTT = (
    "CREATE GLOBAL TEMPORARY TABLE S.T__LD (ID NUMBER(38), NAME VARCHAR2(100 CHAR)) "
    "ON COMMIT DELETE ROWS"
)
INSERT = "INSERT INTO S.T (ID, NAME) VALUES (:i, :n)"
STAMPED = "INSERT INTO S.T (ID, CHANGED) VALUES (:i, :a)"
NEW_YEAR = dt.datetime(2024, 1, 1)
MERGE = (
    "MERGE INTO S.T t USING (SELECT ID, NAME FROM (SELECT l.*, ROW_NUMBER() OVER (PARTITION BY "
    "ID ORDER BY l.LD__SEQ DESC) AS ld__rn FROM S.T__LD l) d WHERE d.ld__rn = 1) s ON (t.ID = "
    "s.ID) WHEN MATCHED THEN UPDATE SET NAME = s.NAME WHEN NOT MATCHED THEN INSERT (ID, NAME) "
    "VALUES (s.ID, s.NAME)"
)
LOAD = "INSERT INTO S.T__LD (ID, NAME) VALUES (:v1, :v2)"


def _codes(statements: list) -> list[str]:
    transcript = [Statement(s) if isinstance(s, str) else s for s in statements]
    return [v.code for v in GATE.run(transcript)]


# (rule, bad statement(s), the same done right) — each bad case must yield exactly its code.
STATEMENT_CASES = [
    ("ORA-01450", "CREATE TABLE A (X VARCHAR2(1000 CHAR), Y VARCHAR2(1000 CHAR), "
     "CONSTRAINT A__PK PRIMARY KEY (X, Y))",
     "CREATE TABLE A (X VARCHAR2(700 CHAR), Y VARCHAR2(700 CHAR), "
     "CONSTRAINT A__PK PRIMARY KEY (X, Y))"),
    ("ORA-02329", "CREATE TABLE A (X CLOB, CONSTRAINT A__UK UNIQUE (X))",
     "CREATE TABLE A (X VARCHAR2(100 CHAR), CONSTRAINT A__UK UNIQUE (X))"),
    ("ORA-00972", f"CREATE TABLE {'A' * 129} (X NUMBER)", f"CREATE TABLE {'A' * 128} (X NUMBER)"),
    ("ORA-00904", "CREATE TABLE A (LEVEL NUMBER)", "CREATE TABLE A (LEVEL_ NUMBER)"),
    ("ORA-00903", "CREATE TABLE TABLE (X NUMBER)", "CREATE TABLE TABLE_ (X NUMBER)"),
    ("ORA-00933", "DROP TABLE IF EXISTS A", "DROP TABLE A PURGE"),
    ("ORA-00901", "CREATE TEMPORARY TABLE A (X NUMBER)",
     "CREATE GLOBAL TEMPORARY TABLE A (X NUMBER) ON COMMIT DELETE ROWS"),
    ("ORA-00905", "CREATE GLOBAL TEMPORARY TABLE A (X NUMBER)",
     "CREATE GLOBAL TEMPORARY TABLE A (X NUMBER) ON COMMIT PRESERVE ROWS"),
    ("ORA-00902", "CREATE TABLE A (X TEXT)", "CREATE TABLE A (X CLOB)"),
    ("ORA-00902", "CREATE TABLE A (X BOOLEAN)", "CREATE TABLE A (X NUMBER(1))"),
    ("ORA-00902", "CREATE TABLE A (X BIGINT)", "CREATE TABLE A (X NUMBER(38))"),
    ("ORA-00902", "CREATE TABLE A (X JSONB)", "CREATE TABLE A (X CLOB)"),
    ("ORA-00902", "CREATE TABLE A (X DOUBLE)", "CREATE TABLE A (X BINARY_DOUBLE)"),
    ("ORA-00906", "CREATE TABLE A (X VARCHAR2)", "CREATE TABLE A (X VARCHAR2(10 CHAR))"),
    ("ORA-00910", "CREATE TABLE A (X VARCHAR2(4001 CHAR))",
     "CREATE TABLE A (X VARCHAR2(4000 CHAR))"),
    ("ORA-01727", "CREATE TABLE A (X NUMBER(39))", "CREATE TABLE A (X NUMBER(38))"),
    ("ORA-01792", "CREATE TABLE A (" + ", ".join(f"C{i} NUMBER" for i in range(1001)) + ")",
     "CREATE TABLE A (" + ", ".join(f"C{i} NUMBER" for i in range(1000)) + ")"),
    ("ORA-00933", "SELECT COUNT(*) FROM A;", "SELECT COUNT(*) FROM A"),
    ("ORA-00933", "SELECT X FROM A LIMIT 1", "SELECT X FROM A FETCH FIRST 1 ROWS ONLY"),
    ("ORA-00908", "SELECT 1 FROM A a, B b WHERE a.X IS NOT DISTINCT FROM b.X",
     "SELECT 1 FROM A a, B b WHERE DECODE(a.X, b.X, 1, 0) = 1"),
    ("ORA-00911", "SELECT X::int FROM A", "SELECT CAST(X AS NUMBER) FROM A"),
    ("ORA-01745", "UPDATE A SET X = :date", "UPDATE A SET X = :date_"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "bad", "good"), STATEMENT_CASES)
def test_each_statement_rule_refuses_its_bad_example(code: str, bad: str, good: str) -> None:
    assert code in [v.code for v in GATE.check_statement(bad)]
    assert GATE.check_statement(good) == []


# Rules that need the tables: (rule, statements after KEYED and GTT are created, good twin).
TABLE_CASES = [
    ("ORA-00932", ["SELECT COUNT(*) FROM S.T WHERE BODY = 'x'"],
     ["SELECT COUNT(*) FROM S.T WHERE DBMS_LOB.COMPARE(BODY, TO_CLOB('x')) = 0"]),
    ("ORA-00932", ["SELECT ID FROM S.T ORDER BY BODY"], ["SELECT ID FROM S.T ORDER BY NAME"]),
    ("ORA-00932", ["SELECT BODY, COUNT(*) FROM S.T GROUP BY BODY"],
     ["SELECT NAME, COUNT(*) FROM S.T GROUP BY NAME"]),
    ("ORA-00932", ["SELECT DISTINCT BODY FROM S.T"], ["SELECT DISTINCT NAME FROM S.T"]),
    ("ORA-00932",
     ["SELECT ROW_NUMBER() OVER (PARTITION BY BODY ORDER BY ID) FROM S.T"],
     ["SELECT ROW_NUMBER() OVER (PARTITION BY NAME ORDER BY ID) FROM S.T"]),
    ("ORA-02327", ["CREATE INDEX T_BODY ON S.T (BODY)"], ["CREATE INDEX T_NAME ON S.T (NAME)"]),
    ("ORA-01450",
     ["CREATE TABLE S.W (A VARCHAR2(4000 CHAR), B VARCHAR2(4000 CHAR))",
      "CREATE INDEX W_AB ON S.W (A, B)"],
     ["CREATE TABLE S.W (A VARCHAR2(4000 CHAR), B VARCHAR2(4000 CHAR))",
      "CREATE INDEX W_A ON S.W (A)"]),
    ("ORA-22858", ["ALTER TABLE S.T MODIFY (NAME CLOB)"],
     ["ALTER TABLE S.T MODIFY (NAME VARCHAR2(200 CHAR))"]),
    ("ORA-01758", ["ALTER TABLE S.T ADD (CODE VARCHAR2(10 CHAR) NOT NULL)"],
     ["ALTER TABLE S.T ADD (CODE VARCHAR2(10 CHAR))"]),
    ("ORA-00933", ["ALTER TABLE S.T ADD CODE VARCHAR2(10 CHAR)"],
     ["ALTER TABLE S.T ADD (CODE VARCHAR2(10 CHAR))"]),
    ("ORA-01400", ["INSERT INTO S.T (ID, NAME) VALUES ('', 'x')"],
     ["INSERT INTO S.T (ID, NAME) VALUES (1, 'x')"]),
    ("ORA-01400", ["INSERT INTO S.T (NAME) VALUES ('x')"],
     ["INSERT INTO S.T (ID, NAME) VALUES (1, 'x')"]),
    ("ORA-01400", [Statement(INSERT, {"i": "", "n": "x"})],
     [Statement(INSERT, {"i": 1, "n": "x"})]),
    ("ORA-12899", [Statement(INSERT, {"i": 1, "n": "x" * 101})],
     [Statement(INSERT, {"i": 1, "n": "x" * 100})]),
    ("ORA-01461",
     [Statement("INSERT INTO S.T (ID, NOTE) VALUES (:i, :n)", {"i": 1, "n": "é" * 2100})],
     [Statement("INSERT INTO S.T (ID, BODY) VALUES (:i, :n)", {"i": 1, "n": "é" * 2100})]),
    ("UNTYPED-TIMESTAMP",
     [Statement(STAMPED, {"i": 1, "a": NEW_YEAR})],
     [Statement(STAMPED, {"i": 1, "a": NEW_YEAR}, {"a": oracledb.DB_TYPE_TIMESTAMP})]),
    ("ORA-24816",
     [Statement(LOAD, None, [oracledb.DB_TYPE_LONG, 100])],
     [Statement(LOAD, None, [100, oracledb.DB_TYPE_LONG])]),
    ("ORA-38104",
     [LOAD, MERGE.replace("UPDATE SET NAME = s.NAME", "UPDATE SET ID = s.ID, NAME = s.NAME"),
      Commit()],
     [LOAD, MERGE, Commit()]),
    ("ORA-30926",
     [LOAD, "MERGE INTO S.T t USING S.T__LD s ON (t.ID = s.ID) WHEN MATCHED THEN UPDATE SET "
      "NAME = s.NAME", Commit()],
     [LOAD, MERGE, Commit()]),
    ("ORA-30926",
     [LOAD, MERGE.replace("PARTITION BY ID", "PARTITION BY NAME"), Commit()],
     [LOAD, MERGE, Commit()]),
    ("GTT-EMPTIED", [LOAD, Commit(), MERGE, Commit()], [LOAD, MERGE, Commit()]),
    ("GTT-EMPTIED", [LOAD, "ALTER TABLE S.T ADD (CODE NUMBER)", MERGE],
     ["ALTER TABLE S.T ADD (CODE NUMBER)", LOAD, MERGE]),
    ("IMPLICIT-COMMIT", ["DELETE FROM S.T", "DROP TABLE S.W PURGE", Rollback()],
     ["DELETE FROM S.T", Rollback(), "DROP TABLE S.W PURGE"]),
]  # fmt: skip


@pytest.mark.parametrize(("code", "bad", "good"), TABLE_CASES)
def test_each_semantic_rule_refuses_its_bad_example(code: str, bad: list, good: list) -> None:
    setup = [KEYED, GTT, Commit()]
    assert code in _codes([*setup, *bad])
    assert _codes([*setup, *good]) == []


def test_string_literals_never_trigger_rules() -> None:
    text = "INSERT INTO S.T (ID, NAME) VALUES (1, 'IF EXISTS x::y LIMIT 5; ORDER BY BODY')"
    assert _codes([KEYED, text]) == []


def test_limits_follow_the_database_settings() -> None:
    wide = (
        "CREATE TABLE A (X VARCHAR2(1000 CHAR), Y VARCHAR2(1000 CHAR), "
        "CONSTRAINT A__PK PRIMARY KEY (X, Y))"
    )
    assert [v.code for v in GATE.check_statement(wide)] == ["ORA-01450"]  # 8,002 > 6,398
    big_blocks = OracleGate(OracleModel(OracleSettings(block_size=16384)))
    assert big_blocks.check_statement(wide) == []
    old_names = OracleGate(OracleModel(OracleSettings(identifier_max_bytes=30)))
    assert [v.code for v in old_names.check_statement(f"CREATE TABLE {'A' * 31} (X NUMBER)")] == [
        "ORA-00972"
    ]


def test_require_raises_with_every_violation_located() -> None:
    with pytest.raises(OracleGateError) as caught:
        GATE.require([Statement("CREATE TABLE A (X TEXT)"), Statement("DROP TABLE IF EXISTS A")])
    text = str(caught.value)
    assert "statement 1: ORA-00902" in text
    assert "statement 2: ORA-00933" in text
