"""End to end through Meltano: the real taps into target-oracle-staging, then `dbt build`.

One scenario per database (DuckDB, PostgreSQL), each with two pipeline runs:
run 1 loads a MOLO export, a Stellar export and a TR2000 fixture API; between the runs one MOLO
table gets a changed, a deleted and a new row, one TR2000 plant a new description and a new issue
revision (which supersedes the previous one). The warehouse must then show exactly that: changed
rows with a new DW_LAST_UPDATED, unchanged rows untouched, deletions flagged, SCD2 versions closed
and opened, and every data test green.

Also: the Oracle profile parses and compiles offline, and the SQL it produces passes the Oracle
offline checks (sqlglot read="oracle", unquoted identifiers of at most 128 bytes).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from testkit.marina.generator import export_key, load_spec

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
TRANSFORM = REPO / "transform"
CHANGED_TABLE = "piers"  # MOLO stream edited between the runs
CHANGED_PLANT = 1000  # generated TR2000 plant edited between the runs

Query = Callable[[str], list[tuple]]


def _ok(result) -> None:
    """The command succeeded; else show its error lines (dbt's and the plugins')."""
    if result.returncode != 0:
        lines = (result.stdout + result.stderr).splitlines()
        errors = [line for line in lines if re.search(r"error|fail|exception", line, re.I)]
        pytest.fail("\n".join(errors[-40:] or lines[-40:]))


def _molo_member(stream: str) -> tuple[str, str, str]:
    """(member, key column, a text column) of a MOLO table, from the tap's spec."""
    table = next(t for t in load_spec("molo")["tables"] if t["stream"] == stream)
    text = next(
        c["name"]
        for c in table["columns"]
        if c["type"] == "string" and c["name"] not in table["key"]
    )
    return table["member"], table["key"][0], text


def _next_molo_export(previous: Path, when: datetime) -> dict[str, str]:
    """Copy a MOLO export under a newer key, editing one member: the first row's text changed,
    the last row deleted, a new row added. Returns the keys {changed, deleted, added, unchanged}."""
    member, key, text = _molo_member(CHANGED_TABLE)
    target = previous.with_name(export_key("molo", when))
    with zipfile.ZipFile(previous) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
                header = list(rows[0].keys())
                changed, unchanged, deleted = rows[0], rows[1], rows[-1]
                changed[text] = f"{changed[text]} (renamed)"
                added = {**unchanged, key: "999999"}
                rows = [*rows[:-1], added]
                buffer = io.StringIO()
                writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
                data = buffer.getvalue().encode("utf-8")
            out.writestr(info, data)
    return {
        "changed": changed[key],
        "unchanged": unchanged[key],
        "deleted": deleted[key],
        "added": "999999",
        "text": text.lower(),
    }


def _generator():
    """transform/scripts/generate_models.py as a module (tables typed by the target's rules)."""
    import importlib.util

    if "generate_models" in sys.modules:
        return sys.modules["generate_models"]
    script = TRANSFORM / "scripts" / "generate_models.py"
    spec = importlib.util.spec_from_file_location("generate_models", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def _canonical(value, kind: str) -> str | None:  # noqa: PLR0911 - one return per kind
    """The canonical text of macros/hashing.sql, written again in Python: the reference every
    database's SQL must reproduce (so Oracle, DuckDB and PostgreSQL hash alike)."""
    if value is None:
        return None
    if kind in ("string", "time"):
        return str(value) or None
    if kind == "integer":
        return str(int(value))
    if kind == "number":
        text = repr(value) if isinstance(value, float) else str(value)
        return text.rstrip("0").rstrip(".") if "." in text else text
    if kind == "boolean":
        return "1" if value else "0"
    if kind == "datetime":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind == "date":
        return value.strftime("%Y-%m-%d")
    text = value if isinstance(value, str) else json.dumps(value)  # lob, json
    return f"{len(text)}:{text[:1000]}" if text else None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _reference_hashes(row: dict, key: list[str], kinds: dict[str, str]) -> tuple[str, str]:
    """(DW_ID, DW_ROW_HASH) of one staging row, as macros/hashing.sql defines them."""
    dw_id = _md5("|".join(_canonical(row[k], kinds[k]) or "<null>" for k in key))
    parts = []
    for name, kind in kinds.items():
        text = _canonical(row[name], kind)
        wide = kind in {"string", "time", "lob", "json"}  # hashed on their own
        parts.append("N" if text is None else _md5(text) if wide else text)
    groups = [_md5("|".join(parts[i : i + 50])) for i in range(0, len(parts), 50)]
    return dw_id, groups[0] if len(groups) == 1 else _md5("".join(groups))


def _assert_hashes_match_reference(query_many, tables, relation) -> None:
    """Every live warehouse row carries the reference DW_ID and DW_ROW_HASH of its staging row."""
    statements = []
    for table in tables:
        target, live = relation(table)
        statements.append(f"SELECT {', '.join(c.name for c in table.columns)} FROM {table.staging}")
        statements.append(f"SELECT dw_id, dw_row_hash FROM {target} WHERE {live}")
    results = query_many(statements)  # one connection for all of them
    for i, table in enumerate(tables):
        kinds = {c.name: c.hash_kind for c in table.columns}
        staged = [dict(zip(kinds, row, strict=True)) for row in results[2 * i]]
        expected = sorted(_reference_hashes(row, table.key, kinds) for row in staged)
        assert sorted(results[2 * i + 1]) == expected, relation(table)[0]


TAPS = ("tap-molo-s3", "tap-stellar-s3", "tap-tr2000")
NO_DATA_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "test"}


def _pipeline(meltano, environment: str, taps: tuple[str, ...], dbt: str, env: dict[str, str]):
    """The taps into the target, then a dbt command, in one `meltano run`."""
    blocks = [name for tap in taps for name in (tap, "target-oracle-staging")]
    return meltano.run("run", *blocks, dbt, environment=environment, timeout=900, **env)


def _jobs(meltano, environment: str, jobs: tuple[str, ...], env: dict[str, str]):
    """meltano.yml's jobs (taps -> target -> dbt build of their part), in one `meltano run`."""
    return meltano.run("run", *jobs, environment=environment, timeout=900, **env)


def _blank_a_null(query: Query, execute: Callable[[str], None], table) -> tuple[str, str, str]:
    """Make one staging value '' where the warehouse holds NULL for it (with the matching hash):
    '' and NULL are the same value (Oracle's rule), so the next build must leave the row alone."""
    key = table.key[0]
    column = next(c.name for c in table.columns if c.kind == "string" and c.name != key)
    kinds = {c.name: c.hash_kind for c in table.columns}
    names = ", ".join(kinds)
    row = dict(
        zip(kinds, query(f"SELECT {names} FROM {table.staging} ORDER BY {key}")[0], strict=True)
    )
    _, blank_hash = _reference_hashes({**row, column: None}, table.key, kinds)
    execute(f"UPDATE {table.staging} SET {column} = '' WHERE {key} = {row[key]}")
    execute(
        f"UPDATE {table.warehouse} SET {column} = NULL, dw_row_hash = '{blank_hash}' "
        f"WHERE {key} = {row[key]}"
    )
    return table.warehouse, column, f"{key} = {row[key]}"


def _scenario(
    meltano, environment, dbt, env, query_many, execute, marina_export, tr2000, *, history: bool
) -> None:
    """Run 1: all three sources and `dbt build`. Run 2: the changed MOLO export (and, with
    `history`, the changed TR2000 API) and `dbt build` with every data test.
    `query_many` runs a list of statements on one connection, `execute` one change."""

    def query(sql: str) -> list[tuple]:
        return query_many([sql])[0]

    molo = marina_export("molo", rows=6, when=datetime(2025, 12, 20, 5, 0, 3), seed=3)
    stellar = marina_export("stellar", rows=4, when=datetime(2025, 12, 21, 7, 1))
    env = {
        **env,
        "TAP_MOLO_S3_LOCAL_PATH": str(molo.path.parent),
        "TAP_STELLAR_S3_LOCAL_PATH": str(stellar.path.parent),
        "TAP_TR2000_BASE_URL": tr2000.base_url,
    }

    # ---- run 1: everything new (data tests run after run 2, on both runs' data) ----------------
    if history:  # dev: the project's own jobs, exactly as `meltano run marina tr2000`
        _ok(_jobs(meltano, environment, ("marina", "tr2000"), {**env, **NO_DATA_TESTS}))
    else:
        _ok(_pipeline(meltano, environment, TAPS, f"{dbt}:build", {**env, **NO_DATA_TESTS}))
    (first,) = query("SELECT max(dw_last_inserted) FROM dw_molo_boats")[0]
    dw_tables = [f"dw_molo_{t['stream']}" for t in load_spec("molo")["tables"]] + [
        f"dw_stellar_{t['stream']}" for t in load_spec("stellar")["tables"]
    ]
    # Per table: live rows = staged rows, and one pair of timestamps (one connection for all).
    results = iter(
        query_many(
            [
                sql
                for table in dw_tables
                for sql in (
                    f"SELECT count(*) FROM {table} WHERE dw_is_deleted = 0",
                    f"SELECT count(*) FROM {table.replace('dw_', 'stg_', 1)}",
                    f"SELECT DISTINCT dw_last_inserted, dw_last_updated FROM {table}",
                )
            ]
        )
    )
    for table in dw_tables:
        live, staged, stamps = next(results), next(results), next(results)
        assert live == staged, table
        assert stamps in ([], [(first, first)]), table
    assert query("SELECT count(*) FROM dw_molo_piers")[0][0] == 6
    issues_before = dict(
        query(
            "SELECT issue_revision, status FROM dw_tr2000_issues "
            f"WHERE plant_id = '{CHANGED_PLANT}'"
        )
    )
    assert issues_before
    assert set(issues_before.values()) <= {"R", "S"}
    assert query("SELECT count(*) FROM hist_tr2000_plants WHERE valid_to IS NOT NULL") == [(0,)]
    generator = _generator()
    marina_tables = [
        *generator.spec_tables("molo", REPO / "tap-molo-s3/tap_molo_s3/tables.json"),
        *generator.spec_tables("stellar", REPO / "tap-stellar-s3/tap_stellar_s3/tables.json"),
    ]
    _assert_hashes_match_reference(
        query_many, marina_tables, lambda t: (t.warehouse, "dw_is_deleted = 0")
    )
    _assert_hashes_match_reference(
        query_many,
        generator.tr2000_tables(),
        lambda t: (f"hist_tr2000_{t.stream}", "valid_to IS NULL"),
    )

    # ---- the sources change ----------------------------------------------------------------
    customers = next(t for t in marina_tables if t.staging == "stg_stellar_customers")
    blanked = _blank_a_null(query, execute, customers)
    keys = _next_molo_export(molo.path, datetime(2025, 12, 21, 5, 0, 3))
    plant = next(p for p in tr2000.world.plants if p["PlantID"] == CHANGED_PLANT)
    plant["LongDescription"] = "Generated plant 0, renamed"
    new_issue = tr2000.world.publish_issue(CHANGED_PLANT)

    # ---- run 2 (Stellar's export did not change: its tap would only skip it) ------------------
    _ok(_pipeline(meltano, environment, TAPS[::2] if history else TAPS[:1], f"{dbt}:build", env))
    (second,) = query("SELECT max(dw_last_updated) FROM dw_molo_piers")[0]
    assert second > first

    def pier(key: str) -> tuple:
        rows = query(
            f"SELECT {keys['text']}, dw_last_inserted, dw_last_updated, dw_is_deleted, "
            f"dw_deleted_at FROM dw_molo_piers WHERE id = {key}"
        )
        assert len(rows) == 1, (key, rows)
        return rows[0]

    text, inserted, updated, deleted, deleted_at = pier(keys["changed"])
    assert text.endswith("(renamed)")
    assert (inserted, updated, deleted, deleted_at) == (first, second, 0, None)
    assert pier(keys["unchanged"])[1:] == (first, first, 0, None)
    _, inserted, updated, deleted, deleted_at = pier(keys["deleted"])
    assert (inserted, updated, deleted) == (first, first, 1)
    assert deleted_at is not None
    assert pier(keys["added"])[1:] == (second, second, 0, None)

    # Every other warehouse row was left alone: same content, same timestamps.
    others = [table for table in dw_tables if table != "dw_molo_piers"]
    moved = query_many(
        [
            f"SELECT count(CASE WHEN dw_last_updated <> dw_last_inserted THEN 1 END), "
            f"count(CASE WHEN dw_is_deleted = 1 THEN 1 END) FROM {table}"
            for table in others
        ]
    )
    assert dict(zip(others, moved, strict=True)) == {table: [(0, 0)] for table in others}

    table, column, where = blanked
    assert query(f"SELECT {column} FROM {table} WHERE {where}") == [(None,)]

    if history:
        _assert_history(query, issues_before, new_issue)
        _assert_freshness_and_docs(meltano, environment, dbt, env)

    # Monitoring: every target run is on the dashboard as SUCCESS.
    runs = query(
        "SELECT source_name, status, count(*) FROM v_etl_dashboard GROUP BY source_name, status "
        "ORDER BY source_name"
    )
    tr2000_runs = 2 if history else 1
    assert runs == [
        ("MOLO", "SUCCESS", 2),
        ("STELLAR", "SUCCESS", 1),
        ("TR2000", "SUCCESS", tr2000_runs),
    ]
    assert query("SELECT count(*) FROM v_etl_dashboard WHERE duration_seconds < 0") == [(0,)]
    reconciled = query("SELECT count(*), sum(abs(difference)) FROM v_etl_reconciliation")
    assert reconciled == [(len(dw_tables), 0)]


def _assert_freshness_and_docs(meltano, environment: str, dbt: str, env: dict[str, str]) -> None:
    """`dbt source freshness` passes on every source just loaded (the ledger says when), and
    `dbt docs generate` documents every column the database has in every model and snapshot."""
    result = meltano.run("invoke", dbt, "source", "freshness", environment=environment, **env)
    _ok(result)
    prefix = dbt.upper().replace("-", "_")
    target = Path(env[f"{prefix}_TARGET_PATH"])
    sources = json.loads((target / "sources.json").read_text())["results"]
    # Every staging table (50 MOLO, 29 Stellar, 20 TR2000) and ETL_CONTROL has a rule.
    assert len(sources) == 100
    assert {s["status"] for s in sources} == {"pass"}

    # The manifest of the build just run; the catalog read from the database.
    _ok(
        meltano.run(
            "invoke", dbt, "docs", "generate", "--no-compile", environment=environment, **env
        )
    )
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    undocumented = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in {"model", "snapshot"}:
            continue
        if not node["description"]:
            undocumented.append(unique_id)
        documented = {name for name, c in node["columns"].items() if c["description"]}
        in_database = {name.lower() for name in catalog[unique_id]["columns"]}
        undocumented += [f"{unique_id}.{c}" for c in sorted(in_database - documented)]
    assert undocumented == []


def _assert_history(query: Query, issues_before: dict[str, str], new_issue: str) -> None:
    # SCD2: the plant's old version closed, the new one current.
    versions = query(
        "SELECT long_description, valid_from, valid_to FROM hist_tr2000_plants "
        f"WHERE plant_id = '{CHANGED_PLANT}' ORDER BY valid_from"
    )
    assert len(versions) == 2
    (old_text, _, closed_at), (new_text, opened_at, open_end) = versions
    assert (old_text, new_text) == ("Generated plant 0", "Generated plant 0, renamed")
    assert closed_at == opened_at
    assert open_end is None
    current = query(
        f"SELECT long_description FROM dw_tr2000_plants WHERE plant_id = '{CHANGED_PLANT}'"
    )
    assert current == [("Generated plant 0, renamed",)]
    history = query(
        "SELECT is_current, count(*) FROM dw_tr2000_plants_history "
        f"WHERE plant_id = '{CHANGED_PLANT}' GROUP BY is_current ORDER BY is_current"
    )
    assert history == [(0, 1), (1, 1)]
    # The other plant did not change: one version.
    assert query("SELECT count(*) FROM hist_tr2000_plants WHERE plant_id = '1001'") == [(1,)]
    # Plant details carry the same description: their version closed and opened too.
    details = query(
        "SELECT long_description, valid_to IS NULL FROM hist_tr2000_plant_details "
        f"WHERE plant_id = '{CHANGED_PLANT}' ORDER BY valid_from"
    )
    assert details == [("Generated plant 0", False), ("Generated plant 0, renamed", True)]
    # The new issue revision's references of every kind arrive as current versions; the older
    # revisions' references did not change, so none of their versions closed.
    for kind in ("eds", "esk", "mds", "pcs", "pipe_element", "sc", "vds", "vsk", "vsm"):
        ((new, closed),) = query(
            f"SELECT count(CASE WHEN issue_revision = '{new_issue}' AND valid_to IS NULL "
            f"THEN 1 END), count(valid_to) FROM hist_tr2000_issue_{kind}_references "
            f"WHERE plant_id = '{CHANGED_PLANT}'"
        )
        assert (new > 0, closed) == (True, 0), kind

    # The new issue revision supersedes the previous one: its status version closed (R -> S).
    issues_after = dict(
        query(
            "SELECT issue_revision, status FROM dw_tr2000_issues "
            f"WHERE plant_id = '{CHANGED_PLANT}'"
        )
    )
    assert issues_after[new_issue] == "R"
    superseded = [rev for rev, status in issues_before.items() if issues_after[rev] != status]
    assert superseded, (issues_before, issues_after)
    for revision in superseded:
        statuses = query(
            "SELECT status, valid_to FROM hist_tr2000_issues "
            f"WHERE plant_id = '{CHANGED_PLANT}' AND issue_revision = '{revision}' "
            "ORDER BY valid_from"
        )
        assert [s for s, _ in statuses] == [issues_before[revision], issues_after[revision]]
        assert statuses[0][1] is not None
        assert statuses[1][1] is None


def _dbt_env(utility: str, tmp_path: Path) -> dict[str, str]:
    """dbt's artefacts and logs in the test's folder, so parallel tests never share them."""
    prefix = utility.upper().replace("-", "_")
    return {
        f"{prefix}_TARGET_PATH": str(tmp_path / "dbt-target"),
        f"{prefix}_LOG_PATH": str(tmp_path / "dbt-logs"),
    }


def test_warehouse_on_duckdb(meltano, marina_export, tr2000_server_factory, tmp_path):
    import duckdb

    database = meltano.env["TARGET_ORACLE_STAGING_DATABASE_PATH"]
    env = {**_dbt_env("dbt-duckdb", tmp_path), "DBT_DUCKDB_PATH": database}
    tr2000 = tr2000_server_factory(plants=2)

    def query_many(statements: list[str]) -> list[list[tuple]]:
        with duckdb.connect(database, read_only=True) as connection:
            return [connection.sql(sql).fetchall() for sql in statements]

    def execute(sql: str) -> None:
        with duckdb.connect(database) as connection:
            connection.execute(sql)

    _scenario(
        meltano, "dev", "dbt-duckdb", env, query_many, execute, marina_export, tr2000, history=True
    )


def test_warehouse_on_postgresql(meltano, pg_url, marina_export, tr2000_server_factory, tmp_path):
    env = {
        **_dbt_env("dbt-postgres", tmp_path),
        "TARGET_ORACLE_STAGING_SQLALCHEMY_URL": pg_url.url,
        "TARGET_ORACLE_STAGING_DEFAULT_TARGET_SCHEMA": pg_url.schema,
        "DBT_POSTGRES_SCHEMA": pg_url.schema,
        "DBT_POSTGRES_STAGING_SCHEMA": pg_url.schema,
    }
    tr2000 = tr2000_server_factory(plants=2)
    engine = pg_url.engine()

    def query_many(statements: list[str]) -> list[list[tuple]]:
        with engine.connect() as connection:
            return [[tuple(row) for row in connection.execute(sa.text(sql))] for sql in statements]

    def execute(sql: str) -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(sql))

    try:
        _scenario(
            meltano,
            "ci",
            "dbt-postgres",
            env,
            query_many,
            execute,
            marina_export,
            tr2000,
            history=False,
        )
    finally:
        engine.dispose()


# ---- Oracle, live (only with TARGET_ORACLE_STAGING_TEST_DSN=user/password@dsn) ----------------

ORACLE_TEST_DSN = "TARGET_ORACLE_STAGING_TEST_DSN"
OBJECT_PATTERNS = ("STG\\_%", "DW\\_%", "HIST\\_TR2000\\_%", "V\\_ETL\\_%", "ETL\\_%")


def _drop_pipeline_objects(engine: sa.Engine) -> None:
    """Drop what the pipeline and dbt created in the (dedicated) test schema."""
    where = " or ".join(f"object_name like '{p}' escape '\\'" for p in OBJECT_PATTERNS)
    with engine.begin() as connection:
        objects = connection.execute(
            sa.text(
                f"select object_name, object_type from user_objects where ({where}) "
                "and object_type in ('TABLE', 'VIEW')"
            )
        ).fetchall()
        for name, kind in objects:
            purge = " cascade constraints purge" if kind == "TABLE" else ""
            connection.execute(sa.text(f"drop {kind.lower()} {name}{purge}"))


@pytest.mark.oracle_live
@pytest.mark.skipif(not os.environ.get(ORACLE_TEST_DSN), reason=f"{ORACLE_TEST_DSN} not set")
def test_warehouse_on_oracle_live(meltano, marina_export, tr2000_server_factory, tmp_path):
    """The DuckDB scenario against a real Oracle schema of its own (everything in it is dropped)."""
    credentials, dsn = os.environ[ORACLE_TEST_DSN].rsplit("@", 1)
    user, password = credentials.split("/", 1)
    env = {
        **_dbt_env("dbt-oracle", tmp_path),
        "ORACLE_USER": user,
        "ORACLE_DSN": dsn,
        "TARGET_ORACLE_STAGING_PASSWORD": password,
        "DBT_ORACLE_PASSWORD": password,
    }
    url = sa.URL.create("oracle+oracledb", username=user, password=password)
    engine = sa.create_engine(url, connect_args={"dsn": dsn})

    def query_many(statements: list[str]) -> list[list[tuple]]:
        with engine.connect() as connection:
            return [[tuple(row) for row in connection.execute(sa.text(sql))] for sql in statements]

    def execute(sql: str) -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(sql))

    _drop_pipeline_objects(engine)
    try:
        tr2000 = tr2000_server_factory(plants=2)
        _scenario(
            meltano,
            "prod",
            "dbt-oracle",
            env,
            query_many,
            execute,
            marina_export,
            tr2000,
            history=False,
        )
    finally:
        _drop_pipeline_objects(engine)
        engine.dispose()


# ---- Oracle, offline -----------------------------------------------------------------------

ORACLE_ENV = {
    "DBT_ORACLE_USER": "etl_owner",
    "DBT_ORACLE_DSN": "127.0.0.1:9/FREEPDB1",  # nothing listens: nothing may connect
    "DBT_ORACLE_PASSWORD": "not-used-offline",
    "DBT_ORACLE_DATABASE": "FREEPDB1",
}
QUOTED_IDENTIFIER = re.compile(r'"[^"]*"')


def _oracle_compile(meltano, env: dict[str, str], incremental: bool, *select: str) -> list[Path]:
    """Compile with the Oracle profile, no database: the DW models' branch chosen by a var.
    Returns every compiled file (models, snapshots, analyses)."""
    result = meltano.run(
        "invoke",
        "dbt-oracle",
        "compile",
        "--no-populate-cache",
        "--vars",
        f"{{dw_assume_incremental: {str(incremental).lower()}}}",
        *select,
        environment="prod",
        **env,
    )
    _ok(result)
    target = Path(env["DBT_ORACLE_TARGET_PATH"])
    # dbt keeps a compiled snapshot's select in the manifest only: written out like the others.
    manifest = json.loads((target / "manifest.json").read_text())
    snapshots = target / "compiled" / "pipeline_warehouse" / "snapshots"
    for node in manifest["nodes"].values():
        if node["resource_type"] == "snapshot" and node.get("compiled_code"):
            snapshots.mkdir(parents=True, exist_ok=True)
            (snapshots / f"{node['name']}.sql").write_text(node["compiled_code"])
    return sorted((target / "compiled" / "pipeline_warehouse").rglob("*.sql"))


def _check_oracle_sql(path: Path, lobs: set[str] = frozenset()) -> None:
    """The offline checks the target's statements get: Oracle syntax, unquoted, <= 128 bytes,
    and no CLOB column (`lobs`) used where Oracle refuses one."""
    import sqlglot
    from sqlglot import exp

    sql = path.read_text()
    assert not QUOTED_IDENTIFIER.search(sql), f"{path.name}: quoted identifier"
    tree = sqlglot.parse_one(sql, read="oracle")
    for node in tree.find_all(exp.Identifier, exp.Table, exp.Column):
        assert len(node.name.encode("utf-8")) <= 128, f"{path.name}: {node.name}"
    misuse = lob_misuse(tree, lobs)
    assert misuse == [], f"{path.name}: {misuse}"


# Where Oracle refuses a CLOB: comparisons (ORA-00932), GROUP BY / DISTINCT / ORDER BY /
# PARTITION BY and set operations without ALL (ORA-00932, ORA-22848), STANDARD_HASH (ORA-00902).
LOB_COMPARISONS = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "In", "Like", "NullSafeEQ", "NullSafeNEQ")


def lob_misuse(tree, lobs: set[str]) -> list[str]:
    """Each place in a parsed statement where a CLOB column of `lobs` is used directly, i.e.
    not inside a DBMS_LOB call (DBMS_LOB.COMPARE, GETLENGTH, SUBSTR take CLOBs) or IS NULL."""
    from sqlglot import exp

    def direct(scope) -> list[str]:
        found = []
        for column in scope.find_all(exp.Column):
            if column.name.lower() not in lobs:
                continue
            node, wrapped = column.parent, False
            while node is not None and node is not scope.parent:
                if isinstance(node, exp.Dot) and node.this.name.lower() == "dbms_lob":
                    wrapped = True
                    break
                if isinstance(node, exp.Is):  # IS [NOT] NULL takes a CLOB
                    wrapped = True
                    break
                node = node.parent
            if not wrapped:
                found.append(column.sql(dialect="oracle"))
        return found

    misuse = []
    kinds = tuple(getattr(exp, name) for name in LOB_COMPARISONS if hasattr(exp, name))
    for node in tree.find_all(*kinds):
        misuse += [f"{type(node).__name__}: {c}" for c in direct(node)]
    for node in tree.find_all(exp.Group, exp.Order, exp.Distinct):
        misuse += [f"{type(node).__name__}: {c}" for c in direct(node)]
    for node in tree.find_all(exp.Window):
        for part in node.args.get("partition_by") or []:
            misuse += [f"PARTITION BY: {c}" for c in direct(part)]
    for node in tree.find_all(exp.Union, exp.Intersect, exp.Except):
        if node.args.get("distinct"):
            misuse += [f"{type(node).__name__} without ALL: {c}" for c in direct(node)]
    for node in tree.find_all(exp.StandardHash):
        misuse += [f"STANDARD_HASH: {c}" for c in direct(node)]
    for node in tree.find_all(exp.Select):
        if node.args.get("distinct"):
            misuse += [
                f"SELECT DISTINCT: {c}" for c in direct(exp.Tuple(expressions=node.expressions))
            ]
    return misuse


@pytest.mark.parametrize(
    "statement",
    [
        "select 1 from a join b on a.notes = b.notes",
        "select 1 from a where a.notes <> 'x'",
        "select notes, count(*) from a group by notes",
        "select distinct id, notes from a",
        "select id from a order by notes",
        "select row_number() over (partition by notes order by id) from a",
        "select notes from a union select notes from b",
        "select standard_hash(notes, 'MD5') from a",
    ],
)
def test_lob_gate_catches_each_misuse(statement):
    """The gate can fail: every way Oracle refuses a CLOB is caught."""
    import sqlglot

    assert lob_misuse(sqlglot.parse_one(statement, read="oracle"), {"notes"})
    wrapped = statement.replace("notes", "dbms_lob.getlength(notes)")
    assert not lob_misuse(sqlglot.parse_one(wrapped, read="oracle"), {"notes"}), wrapped


def _lob_columns() -> dict[str, set[str]]:
    """CLOB columns per compiled file name, from the generator (and the gate analyses)."""
    generator = _generator()
    lobs = {
        "oracle_lob_gate.sql": {"notes", "spec"},
        "oracle_lob_gate_first_build.sql": {"notes", "spec"},
        "oracle_lob_gate_snapshot.sql": {"notes"},
    }
    for source in ("molo", "stellar"):
        spec = REPO / f"tap-{source}-s3" / f"tap_{source}_s3" / "tables.json"
        for table in generator.spec_tables(source, spec):
            lobs[f"{table.warehouse}.sql"] = set(table.lob_columns)
    for table in generator.tr2000_tables():
        for name in (f"dw_tr2000_{table.stream}", f"hist_tr2000_{table.stream}"):
            lobs[f"{name}.sql"] = set(table.lob_columns)
            lobs[f"{name}_history.sql"] = set(table.lob_columns)
    return lobs


def test_oracle_profile_compiles_offline(meltano, tmp_path):
    env = {**_dbt_env("dbt-oracle", tmp_path), **ORACLE_ENV}
    dw_count = len(load_spec("molo")["tables"]) + len(load_spec("stellar")["tables"])
    lobs = _lob_columns()
    nodes = "resource_type:model resource_type:snapshot resource_type:analysis"

    # Every model, snapshot and gate analysis; the DW models with their incremental select.
    compiled = _oracle_compile(meltano, env, True, "--select", *nodes.split())
    dw_models = [path for path in compiled if path.parent.name in {"molo", "stellar"}]
    assert len(dw_models) == dw_count
    snapshots = [path for path in compiled if path.name.startswith("hist_tr2000_")]
    assert len(snapshots) == 20
    gates = [path for path in compiled if path.name.startswith("oracle_lob_gate")]
    assert len(gates) == 3
    for path in compiled:
        _check_oracle_sql(path, lobs.get(path.name, set()))
    for path in dw_models:
        sql = path.read_text()
        assert "standard_hash(" in sql
        assert "not exists" in sql  # the deletion branch
    # Numbers and timestamps rendered with explicit formats, whatever the session's NLS settings.
    all_dw = " ".join(path.read_text() for path in dw_models)
    assert "'TM9', 'NLS_NUMERIC_CHARACTERS=" in all_dw
    assert "'YYYY-MM-DD HH24:MI:SS.FF6')" in all_dw
    gate = next(path for path in gates if path.name == "oracle_lob_gate.sql").read_text()
    assert gate.count("dbms_lob.compare(") == 4  # notes and spec, in the WHERE and the CASE
    assert len(compiled) >= dw_count + 3 + 40 + 20 + 3  # monitoring, TR2000 views, snapshots

    # The first build of a DW table (its CREATE TABLE AS select), from the same macro: the gate
    # analysis forces that branch (one compile, not a second one with other vars).
    first = next(path for path in gates if path.name == "oracle_lob_gate_first_build.sql")
    assert "not exists" not in first.read_text()
    assert "dbms_lob.compare(" not in first.read_text()


def test_generated_dbt_files_match_the_tap_specs():
    """The per-table dbt files are what the generator makes from the taps' specs today."""
    module = _generator()
    files = module.render()
    stale = [str(path) for path, text in files.items() if path.read_text() != text]
    assert stale == [], "run python transform/scripts/generate_models.py"
    dw = [path for path in files if path.suffix == ".sql" and path.parent.parent.name == "dw"]
    assert len(dw) == len(load_spec("molo")["tables"]) + len(load_spec("stellar")["tables"])
    # Names follow the target's rule: PCSRevDate -> pcs_rev_date.
    assert module.column_name("PCSRevDate") == "pcs_rev_date"


@pytest.mark.parametrize(
    ("schema", "lob", "kind"),
    [
        ({"type": ["string", "null"]}, False, "string"),  # VARCHAR2(4000 CHAR)
        ({"type": ["string", "null"], "maxLength": 4000}, False, "string"),
        ({"type": ["string", "null"], "maxLength": 4001}, True, "string"),  # CLOB
        ({"type": ["object", "null"]}, True, "json"),
        ({"type": ["array", "null"]}, True, "json"),
        ({"type": ["integer", "null"]}, False, "integer"),
        ({"type": ["string", "null"], "format": "date-time"}, False, "datetime"),
    ],
)
def test_generator_knows_which_columns_are_clobs(schema, lob, kind):
    """The generator asks the target's Oracle type for each property (a schema `maxLength`,
    the field no table spec had under its old name `max_length`)."""
    (column,) = _generator().columns_from_schema({"Notes": schema})
    assert (column.name, column.lob, column.kind) == ("notes", lob, kind)
    assert column.hash_kind == ("lob" if lob else kind)


def test_generator_refuses_a_table_too_wide_for_oracle():
    """1,000 staging columns + the DW bookkeeping would break Oracle's 1,000-column limit: the
    generator says so, naming the stream, instead of writing a model that fails on Oracle."""
    generator = _generator()
    properties = {f"Col{i}": {"type": ["string", "null"]} for i in range(994)}
    table = generator.Table(
        source="molo",
        stream="wide",
        key=["col0"],
        columns=generator.columns_from_schema(properties),
        origin="a test spec",
    )
    with pytest.raises(generator.GeneratorError, match=r"a test spec: stream 'wide' .* 1001"):
        generator.dw_model_sql(table)
    narrow = generator.Table("molo", "wide", ["col0"], table.columns[:993], "a test spec")
    assert "dw_table(" in generator.dw_model_sql(narrow)
