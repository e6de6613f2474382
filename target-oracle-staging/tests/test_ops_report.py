"""The run report: numbers on the page equal the ledger; it renders offline in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from target_oracle_staging.ops.alerts import run_alerts
from target_oracle_staging.ops.report import main
from target_oracle_staging.ops.testing import ops_settings
from target_oracle_staging.testing import Database, record_message, run_target, schema_message

PROPS = {"id": {"type": ["integer"]}, "qty": {"type": ["integer", "null"]}}


def _ledger(database: Database) -> list[str]:
    """Three runs of two sources: clean, with rejects, failed."""

    def run(source, rows, bad, fail=False, **cfg):
        messages = [schema_message("orders", PROPS, ["id"]), schema_message("lines", PROPS)]
        messages += [record_message("orders", {"id": i, "qty": i}) for i in range(rows)]
        messages += [record_message("lines", {"id": i, "qty": 1}) for i in range(rows * 2)]
        messages += [record_message("orders", {"id": 900 + i, "qty": "x"}) for i in range(bad)]
        config = {**database.config, "source_name": source, **cfg}
        return run_target(config, messages, expect_error=fail).run_id

    return [
        run("TR2000", 5, 0),
        run("MOLO", 4, 3, max_rejects=10),
        run("MOLO", 2, 1, fail=True),
    ]


class _Cells(HTMLParser):
    """Collects data-* marked elements: {(table id, run id, stream, field): text}."""

    def __init__(self) -> None:
        super().__init__()
        self.table = None
        self.row: dict = {}
        self.field: str | None = None
        self.values: dict[tuple, str] = {}
        self.ids: dict[str, str] = {}
        self._id: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id")
        elif tag == "tr":
            self.row = a
        elif tag == "td" and "data-field" in a:
            self.field = a["data-field"]
        if "id" in a and "data-value" in a:
            self.ids[a["id"]] = a["data-value"]

    def handle_data(self, data):
        if self.field:
            key = (self.table, self.row.get("data-run-id"), self.row.get("data-stream"), self.field)
            self.values[key] = data.strip()
            self.field = None


def _ledger_rows(database: Database, table: str) -> list[dict]:
    with database.engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(sa.text(f"select * from {database.table(table)}"))
        ]


def test_report_numbers_match_the_ledger(database: Database, tmp_path: Path, capsys) -> None:
    ids = _ledger(database)
    run_alerts(ops_settings(database))
    config = tmp_path / "ops.json"
    config.write_text(json.dumps(ops_settings(database)))
    out = tmp_path / "out" / "report.html"

    assert main(["--config", str(config), "--output", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out.resolve())

    page = out.read_text(encoding="utf-8")
    cells = _Cells()
    cells.feed(page)
    control = _ledger_rows(database, "ETL_CONTROL")
    assert cells.ids["total-runs"] == "3"
    assert int(cells.ids["total-loaded"]) == sum(r["records_loaded"] for r in control)
    assert int(cells.ids["total-rejected"]) == sum(r["records_rejected"] for r in control) == 4
    for r in control:
        for field in ("records_received", "records_loaded", "records_rejected"):
            assert cells.values[("runs", r["run_id"], None, field)] == str(r[field])
        if r.get("host_name"):  # a ledger with the newer C4 columns shows where each run ran
            assert cells.values[("runs", r["run_id"], None, "host_name")].startswith(r["host_name"])
    for s in _ledger_rows(database, "ETL_STREAM_LOG"):
        for field in ("records_received", "records_inserted", "records_rejected"):
            assert cells.values[("streams", s["run_id"], s["stream_name"], field)] == str(s[field])
    assert cells.values[("rejects", ids[1], "orders", "rejects")] == "3"
    assert cells.values[("rejects", ids[2], "orders", "rejects")] == "1"
    alerts = _ledger_rows(database, "ETL_ALERTS")
    assert int(cells.ids["total-alerts"]) == len(alerts) > 0
    assert "No <code>" in page  # no reconciliation view in this database: said so
    # Self-contained: no script, style or image from anywhere else.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "cdn" not in page.lower().split("<script>")[0]


@pytest.fixture(scope="module")
def duckdb_ledger(tmp_path_factory) -> tuple[Database, Path]:
    """One DuckDB ledger for the tests that only read it."""
    folder = tmp_path_factory.mktemp("report")
    path = folder / "w.duckdb"
    database = Database("duckdb", {"database_path": str(path)}, f"duckdb:///{path}")
    _ledger(database)
    config = folder / "c.json"
    config.write_text(json.dumps(ops_settings(database)))
    yield database, config
    database.dispose()


def test_report_of_an_empty_period_says_so(duckdb_ledger, tmp_path: Path) -> None:
    _, config = duckdb_ledger
    out = tmp_path / "r.html"
    assert main(["--config", str(config), "-o", str(out), "--days", "0"]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'id="total-runs" data-value="0"' in page
    assert "No runs in this period." in page


def test_a_database_without_a_ledger_is_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "empty.duckdb"
    sa.create_engine(f"duckdb:///{path}").connect().close()
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"database_path": str(path)}))
    assert main(["--config", str(config), "-o", str(tmp_path / "r.html")]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "no ETL_CONTROL table in the default schema" in line
    assert "check default_target_schema" in line


CHROMIUM = next(
    (
        p
        for p in (
            shutil.which(n) for n in ("chromium-headless-shell", "chromium", "chromium-browser")
        )
        if p
    ),
    None,
)


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium (apt-get install chromium-headless-shell)"
)
def test_report_renders_in_headless_chromium_offline(duckdb_ledger, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    database, config = duckdb_ledger
    control = _ledger_rows(database, "ETL_CONTROL")
    database.dispose()  # DuckDB: one process may hold the file; the command opens it next
    out = tmp_path / "r.html"
    assert main(["--config", str(config), "-o", str(out)]) == 0

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(offline=True)  # a CDN would fail here
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        page.wait_for_selector("#plot-runs .main-svg")
        plots = page.eval_on_selector_all(
            ".plot .js-plotly-plot",
            "els => els.map(e => [e.id, e.querySelectorAll('.main-svg').length])",
        )
        overflow = page.eval_on_selector_all(
            ".plot .js-plotly-plot",
            "els => els.filter(e => e.querySelector('.main-svg').getBoundingClientRect().width"
            " > e.getBoundingClientRect().width + 1).map(e => e.id)",
        )
        points = page.eval_on_selector_all("#plot-runs .point", "els => els.length")
        loaded = page.inner_text("#total-loaded")
        browser.close()
    assert errors == []
    assert requests == [out.as_uri()]
    assert [name for name, svgs in plots if svgs > 0] == [
        "plot-runs",
        "plot-rows",
        "plot-rejects",
        "plot-durations",
    ]
    assert overflow == []  # every plot fits its cell (none drawn wider and clipped)
    assert points == len(control)  # one marker per run
    assert int(loaded) == sum(r["records_loaded"] for r in control)
