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
import io
import os
import re
import shutil
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


TAPS = ("tap-molo-s3", "tap-stellar-s3", "tap-tr2000")
NO_DATA_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "test"}


def _pipeline(meltano, environment: str, taps: tuple[str, ...], dbt: str, env: dict[str, str]):
    """The taps into the target, then a dbt command, in one `meltano run`."""
    blocks = [name for tap in taps for name in (tap, "target-oracle-staging")]
    return meltano.run("run", *blocks, dbt, environment=environment, timeout=900, **env)


def _jobs(meltano, environment: str, jobs: tuple[str, ...], env: dict[str, str]):
    """meltano.yml's jobs (taps -> target -> dbt build of their part), in one `meltano run`."""
    return meltano.run("run", *jobs, environment=environment, timeout=900, **env)


def _scenario(
    meltano, environment, dbt, env, query: Query, marina_export, tr2000, *, history: bool
) -> None:
    """Run 1: all three sources and `dbt build`. Run 2: the changed MOLO export (and, with
    `history`, the changed TR2000 API) and `dbt build` with every data test."""
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
    for table in dw_tables:
        stg = table.replace("dw_", "stg_", 1)
        (live,) = query(f"SELECT count(*) FROM {table} WHERE dw_is_deleted = 0")[0]
        (staged,) = query(f"SELECT count(*) FROM {stg}")[0]
        assert live == staged, table
        rows = query(f"SELECT DISTINCT dw_last_inserted, dw_last_updated FROM {table}")
        assert rows in ([], [(first, first)]), table
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

    # ---- the sources change ----------------------------------------------------------------
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
    for table in dw_tables:
        if table == "dw_molo_piers":
            continue
        moved = query(f"SELECT count(*) FROM {table} WHERE dw_last_updated <> dw_last_inserted")
        assert moved == [(0,)], table
        assert query(f"SELECT count(*) FROM {table} WHERE dw_is_deleted = 1") == [(0,)], table

    if history:
        _assert_history(query, issues_before, new_issue)

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

    def query(sql: str) -> list[tuple]:
        with duckdb.connect(database, read_only=True) as connection:
            return connection.sql(sql).fetchall()

    _scenario(meltano, "dev", "dbt-duckdb", env, query, marina_export, tr2000, history=True)


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

    def query(sql: str) -> list[tuple]:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]

    try:
        _scenario(meltano, "ci", "dbt-postgres", env, query, marina_export, tr2000, history=False)
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

    def query(sql: str) -> list[tuple]:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]

    _drop_pipeline_objects(engine)
    try:
        tr2000 = tr2000_server_factory(plants=2)
        _scenario(meltano, "prod", "dbt-oracle", env, query, marina_export, tr2000, history=False)
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
    """Compile with the Oracle profile, no database: the DW models' branch chosen by a var."""
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
    target = Path(env["DBT_ORACLE_TARGET_PATH"]) / "compiled" / "pipeline_warehouse" / "models"
    return sorted(target.rglob("*.sql"))


def _check_oracle_sql(path: Path) -> None:
    """The offline checks the target's statements get: Oracle syntax, unquoted, <= 128 bytes."""
    import sqlglot
    from sqlglot import exp

    sql = path.read_text()
    assert not QUOTED_IDENTIFIER.search(sql), f"{path.name}: quoted identifier"
    tree = sqlglot.parse_one(sql, read="oracle")
    for node in tree.find_all(exp.Identifier, exp.Table, exp.Column):
        assert len(node.name.encode("utf-8")) <= 128, f"{path.name}: {node.name}"


def test_oracle_profile_parses_and_compiles_offline(meltano, tmp_path):
    env = {**_dbt_env("dbt-oracle", tmp_path), **ORACLE_ENV}
    _ok(meltano.run("invoke", "dbt-oracle:parse", environment="prod", **env))
    dw_count = len(load_spec("molo")["tables"]) + len(load_spec("stellar")["tables"])

    # Every model, the DW ones with their incremental (MERGE source) select.
    models = _oracle_compile(meltano, env, True)
    dw_models = [path for path in models if path.parent.name in {"molo", "stellar"}]
    assert len(dw_models) == dw_count
    for path in models:
        _check_oracle_sql(path)
    for path in dw_models:
        sql = path.read_text()
        assert "standard_hash(" in sql
        assert "not exists" in sql  # the deletion branch
    assert len(models) >= dw_count + 3 + 18  # + monitoring views + TR2000 views

    # The first build of a DW table (its CREATE TABLE AS select).
    shutil.rmtree(Path(env["DBT_ORACLE_TARGET_PATH"]) / "compiled")
    first_builds = _oracle_compile(meltano, env, False, "--select", "path:models/dw")
    first_builds = [path for path in first_builds if path.parent.name in {"molo", "stellar"}]
    assert len(first_builds) == dw_count
    for path in first_builds:
        _check_oracle_sql(path)
        assert "not exists" not in path.read_text()


def test_generated_dbt_files_match_the_tap_specs():
    """The per-table dbt files are what the generator makes from the taps' specs today."""
    import importlib.util

    script = TRANSFORM / "scripts" / "generate_models.py"
    spec = importlib.util.spec_from_file_location("generate_models", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    files = module.render()
    stale = [str(path) for path, text in files.items() if path.read_text() != text]
    assert stale == [], "run python transform/scripts/generate_models.py"
    dw = [path for path in files if path.suffix == ".sql" and path.parent.parent.name == "dw"]
    assert len(dw) == len(load_spec("molo")["tables"]) + len(load_spec("stellar")["tables"])
    # Names follow the target's rule: PCSRevDate -> pcs_rev_date.
    assert module.column_name("PCSRevDate") == "pcs_rev_date"


def test_schedules_run_the_jobs_with_the_matching_warehouse(meltano):
    """TR2000 weekly (Sunday 02:00), marina daily; prod jobs use dbt-oracle, dev dbt-duckdb."""
    import json

    result = meltano.run("schedule", "list", "--format=json", environment="prod")
    _ok(result)
    schedules = {s["name"]: s for s in json.loads(result.stdout)["schedules"]["job"]}
    weekly, daily = schedules["tr2000-weekly"], schedules["marina-daily"]
    assert weekly["cron_interval"] == "0 2 * * 0"
    assert daily["cron_interval"].split()[2:] == ["*", "*", "*"]
    assert weekly["job"]["tasks"] == ["tap-tr2000 target-oracle-staging dbt-oracle:build-tr2000"]
    marina_tasks = daily["job"]["tasks"][0].split()
    assert marina_tasks[:4] == [
        "tap-molo-s3",
        "target-oracle-staging",
        "tap-stellar-s3",
        "target-oracle-staging",
    ]
    assert marina_tasks[-1] == "dbt-oracle:build-marina"
    assert schedules["tr2000-weekly-dev"]["job"]["tasks"][0].endswith("dbt-duckdb:build-tr2000")
