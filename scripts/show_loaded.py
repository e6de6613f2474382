"""Print what the pipeline loaded into the embedded DuckDB database: tables, rows, last runs."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def main(database: Path) -> int:
    if not database.exists():
        print(f"No database at {database}: the pipeline did not load anything.", file=sys.stderr)
        return 1
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            """
            SELECT table_schema, table_name, table_type
            FROM information_schema.tables
            ORDER BY table_schema, table_name
            """
        ).fetchall()
        rows = []
        for schema, name, kind in tables:
            count = conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
            rows.append((f"{schema}.{name}".upper(), "view" if kind == "VIEW" else "table", count))
        width = max((len(name) for name, _, _ in rows), default=10)
        print(f"\n{database}\n")
        print(f"{'TABLE':<{width}}  {'KIND':<5}  {'ROWS':>9}")
        for name, kind, count in rows:
            print(f"{name:<{width}}  {kind:<5}  {count:>9,}")
        runs = [t for t in tables if t[1].lower() == "etl_control"]
        if runs:
            schema = runs[0][0]
            print("\nLast target runs (ETL_CONTROL):")
            for row in conn.execute(
                f"SELECT * FROM {schema}.etl_control ORDER BY started_at DESC LIMIT 5"
            ).fetchall():
                print("  ", " | ".join("" if value is None else str(value) for value in row))
    return 0


if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "output" / "warehouse.duckdb"
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
