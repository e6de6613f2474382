"""`target-oracle-staging-report`: one self-contained HTML file about the runs in the ledger.

The plots are Plotly figures with plotly.js inlined (no CDN, opens offline); every number on the
page also sits in a plain HTML table with data-* attributes, so it can be checked and copied.
"""

from __future__ import annotations

import logging
import sys
import typing as t
from pathlib import Path

from target_oracle_staging.ops.cli_common import parser, run_main
from target_oracle_staging.ops.db import open_database
from target_oracle_staging.ops.report_data import ReportData, collect, typed
from target_oracle_staging.ops.settings import SettingsError, as_number, load_settings

logger = logging.getLogger("target_oracle_staging.ops.report")
PROG = "target-oracle-staging-report"
DEFAULT_PATH = "etl-report.html"
STATUS_COLORS = {
    "SUCCESS": "#2e7d32",
    "RUNNING": "#1565c0",
    "INCOMPLETE": "#ef6c00",
    "INTERRUPTED": "#6a1b9a",
    "FAILED": "#c62828",
    "ROLLED_BACK": "#616161",
}


def _plotly():
    try:
        import plotly.graph_objects as go
        import plotly.offline
    except ImportError:  # an optional dependency: say how to get it
        msg = "the report needs plotly: pip install 'target-oracle-staging[ops]'"
        raise SettingsError(msg) from None
    return go, plotly.offline


def figures(data: ReportData) -> dict[str, t.Any]:
    go, _ = _plotly()
    layout = {
        "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
        "height": 360,
        "template": "plotly_white",
    }
    out: dict[str, t.Any] = {}

    runs = go.Figure(layout={**layout, "title": "Runs over time (duration, by status)"})
    for status in sorted({r["status"] or "UNKNOWN" for r in data.runs}):
        items = [r for r in data.runs if (r["status"] or "UNKNOWN") == status]
        runs.add_trace(
            go.Scatter(
                x=[typed(r["started_at"]) for r in items],
                y=[round(r["duration_seconds"] or 0, 1) for r in items],
                mode="markers",
                name=status,
                marker={"size": 10, "color": STATUS_COLORS.get(status, "#000")},
                text=[f"{r['source_name']} {r['run_id']}" for r in items],
                hovertemplate="%{text}<br>%{x}<br>%{y} s<extra>" + status + "</extra>",
            )
        )
    runs.update_yaxes(title="seconds", rangemode="tozero")
    out["runs"] = runs

    by_run = data.streams_by_run()
    labels = {r["run_id"]: f"{typed(r['started_at'])} {r['source_name']}" for r in data.runs}
    rows = go.Figure(
        layout={**layout, "title": "Rows written per stream and run", "barmode": "stack"}
    )
    for stream in sorted({s["stream_name"] for s in data.streams}):
        pairs = [
            (
                labels.get(run_id, run_id),
                sum(s[k] or 0 for k in ("records_inserted", "records_updated")),
            )
            for run_id, items in by_run.items()
            for s in items
            if s["stream_name"] == stream
        ]
        rows.add_trace(go.Bar(x=[p[0] for p in pairs], y=[p[1] for p in pairs], name=stream))
    rows.update_yaxes(title="rows inserted + updated")
    out["rows"] = rows

    codes = data.reject_codes()
    rejects = go.Figure(
        data=[go.Bar(x=list(codes), y=list(codes.values()), marker={"color": "#c62828"})],
        layout={**layout, "title": "Rejected rows by error code"},
    )
    if not codes:
        rejects.add_annotation(text="no rejected rows", showarrow=False, font={"size": 16})
        rejects.update_xaxes(visible=False)
        rejects.update_yaxes(visible=False)
    out["rejects"] = rejects

    durations = go.Figure(
        layout={**layout, "title": "Stream durations (seconds)", "showlegend": False}
    )
    for stream in sorted({s["stream_name"] for s in data.streams}):
        values = [
            float(s["duration_seconds"])
            for s in data.streams
            if s["stream_name"] == stream and s["duration_seconds"] is not None
        ]
        durations.add_trace(go.Box(y=values, name=stream, boxpoints="all"))
    out["durations"] = durations
    return out


def render(data: ReportData) -> str:
    import jinja2

    _, offline = _plotly()
    figs = {
        name: fig.to_html(
            default_width="100%",  # the plot follows its grid cell instead of a fixed 700 px
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{name}",
            config={"displaylogo": False, "responsive": True},
        )
        for name, fig in figures(data).items()
    }
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("target_oracle_staging.ops", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["v"] = typed
    env.filters["first_line"] = (
        lambda s: (str(s).strip().splitlines() or [""])[0][:300] if s else ""
    )
    return env.get_template("report.html.j2").render(
        data=data,
        figs=figs,
        plotly_js=offline.get_plotlyjs(),
        colors=STATUS_COLORS,
        streams_by_run=data.streams_by_run(),
    )


def write_report(settings: t.Mapping[str, t.Any], output: str | None = None) -> Path:
    days = as_number(settings, "report_days", 90)
    path = Path(output or settings.get("report_path") or DEFAULT_PATH)
    database = open_database(settings)
    try:
        data = collect(database, days, settings.get("warehouse_schema"))
    finally:
        database.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    logger.info(
        "report of %d runs (%d streams, %d rejected rows, %d alerts) written",
        data.totals["runs"], len(data.streams), data.totals["records_rejected"],
        data.totals["alerts"],
    )  # fmt: skip
    return path


def main(argv: list[str] | None = None) -> int:
    p = parser(PROG, "Write a self-contained HTML report of the runs in the ETL ledger.")
    p.add_argument(
        "--output", "-o", help=f"HTML file to write (default: report_path or {DEFAULT_PATH})"
    )
    p.add_argument(
        "--days", dest="report_days", help="runs started this many days back (default 90)"
    )
    p.add_argument(
        "--warehouse-schema", dest="warehouse_schema", help="schema of V_ETL_RECONCILIATION"
    )
    args = p.parse_args(argv)
    args.prog = PROG

    def body() -> int:
        overrides = {
            k: getattr(args, k)
            for k in ("default_target_schema", "report_days", "warehouse_schema")
        }
        path = write_report(load_settings(args.config, overrides), args.output)
        print(path.resolve())  # the path is the command's output
        return 0

    return run_main(args, body)


if __name__ == "__main__":
    sys.exit(main())
