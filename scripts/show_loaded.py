"""Print what the pipeline loaded into the embedded DuckDB database: layers, tables, rows, runs.

Usage: python scripts/show_loaded.py [DATABASE] [--all]   (--all lists every table)
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import duckdb

DETAIL_PREFIXES = ("STG_TR2000_",)  # the real TR2000 sample: worth seeing table by table


def _group(name: str) -> str:
    """STG_MOLO_BOATS → STG_MOLO; ETL_CONTROL → ETL; V_ETL_DASHBOARD → V_ETL."""
    match = re.match(r"^(STG|DW|HIST|V)_([A-Z0-9]+)_", name)
    return f"{match[1]}_{match[2]}" if match else name.split("_", 1)[0]


def main(database: Path, list_all: bool) -> int:
    if not database.exists():
        print(f"No database at {database}: the pipeline did not load anything.", file=sys.stderr)
        return 1
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "ORDER BY table_schema, table_name"
        ).fetchall()
        counts = {
            name.upper(): conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }
        ledger_schema = next((s for s, n in tables if n.lower() == "etl_control"), None)
        runs = (
            conn.execute(
                f"SELECT run_id, source_name, status, records_received, records_loaded, "
                f"records_rejected FROM {ledger_schema}.etl_control ORDER BY started_at"
            ).fetchall()
            if ledger_schema
            else []
        )

    groups: dict[str, list[int]] = defaultdict(list)
    for name, count in counts.items():
        groups[_group(name)].append(count)
    print(f"\n{database}: {len(counts)} tables and views\n")
    print(f"{'LAYER':<16} {'OBJECTS':>7} {'ROWS':>10}")
    for group in sorted(groups):
        print(f"{group:<16} {len(groups[group]):>7} {sum(groups[group]):>10,}")

    shown = {
        name: count
        for name, count in counts.items()
        if list_all or name.startswith(DETAIL_PREFIXES) or name.startswith("ETL_")
    }
    width = max(map(len, shown), default=10)
    print(f"\n{'TABLE':<{width}} {'ROWS':>10}")
    for name, count in shown.items():
        print(f"{name:<{width}} {count:>10,}")

    if runs:
        print("\nTarget runs (ETL_CONTROL): source, status, received / loaded / rejected")
        for run_id, source, status, received, loaded, rejected in runs:
            print(f"  {run_id}  {source or '-':<8} {status:<8} {received} / {loaded} / {rejected}")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--all"]
    default = Path(__file__).resolve().parent.parent / "output" / "warehouse.duckdb"
    sys.exit(main(Path(args[0]) if args else default, "--all" in sys.argv))
