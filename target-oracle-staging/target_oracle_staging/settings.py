"""The target's settings, declared once: `--about`, meltano.yml and the README table come from here.

scripts/sync_meltano_settings.py writes meltano.yml's settings (title -> label, the connection
modes -> settings_group_validation) and the README table from `--about`; the code takes defaults
from `default()` / `setting()`, never from literals of its own.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

# batch_size_rows when unset, by how the database is loaded (the description is built from these).
BATCH_ROWS_ENCODED = 100_000  # DuckDB: encoded records spooled to disk, no memory per row
BATCH_ROWS_FOREGROUND = 50_000  # Oracle: converted rows in memory, loaded between batches
BATCH_ROWS_BACKGROUND = BATCH_ROWS_FOREGROUND // 2  # the rest: two batches in memory at once

# A number, or its text: Meltano 4.4 passes fractional settings as strings.
NUMBER_OR_TEXT = th.CustomType({"type": ["number", "string"]})

_PROPERTIES = th.PropertiesList(
    th.Property(
        "user",
        th.StringType,
        title="Oracle user",
        description="Oracle user name.",
    ),
    th.Property(
        "password",
        th.StringType,
        secret=True,
        title="Oracle password",
        description="Oracle password.",
    ),
    th.Property(
        "dsn",
        th.StringType,
        title="Oracle DSN",
        description="Oracle easy connect string (host:port/service) or a TNS alias found in "
        "config_dir/tnsnames.ora (python-oracledb thin mode, no Instant Client). Any of dsn, "
        "host or service_name selects Oracle.",
    ),
    th.Property(
        "host",
        th.StringType,
        title="Oracle host",
        description="Oracle host, with port and service_name, instead of dsn.",
    ),
    th.Property(
        "port",
        th.IntegerType,
        title="Oracle port",
        default=1521,
        description="Oracle listener port (with host).",
    ),
    th.Property(
        "service_name",
        th.StringType,
        title="Oracle service name",
        description="Oracle service name (with host).",
    ),
    th.Property(
        "config_dir",
        th.StringType,
        title="Oracle config folder",
        description="Folder holding tnsnames.ora (and the sqlnet.ora of an Autonomous Database "
        "wallet).",
    ),
    th.Property(
        "wallet_location",
        th.StringType,
        title="Wallet folder",
        description="Folder holding the Autonomous Database wallet (ewallet.pem) for mTLS.",
    ),
    th.Property(
        "wallet_password",
        th.StringType,
        secret=True,
        title="Wallet password",
        description="Password of the wallet in wallet_location.",
    ),
    th.Property(
        "sqlalchemy_url",
        th.StringType,
        secret=True,
        title="SQLAlchemy URL",
        description="SQLAlchemy URL of a non-Oracle database, e.g. "
        "postgresql+psycopg://user@host/db; used when no Oracle setting (dsn, host, "
        "service_name) is set.",
    ),
    th.Property(
        "database_path",
        th.StringType,
        title="DuckDB file",
        default="warehouse.duckdb",
        description="Embedded DuckDB file, used when neither an Oracle setting nor "
        "sqlalchemy_url is set; a relative path is taken from the working directory.",
    ),
    th.Property(
        "default_target_schema",
        th.StringType,
        title="Target schema",
        description="Schema of the staging and ledger tables (default: the connection's). "
        "Created on PostgreSQL and DuckDB; on Oracle it must exist (a schema is a user).",
    ),
    th.Property(
        "table_prefix",
        th.StringType,
        title="Table prefix",
        description="Staging table name prefix (default STG_<SOURCE>_, or STG_ without a "
        "source name).",
    ),
    th.Property(
        "source_name",
        th.StringType,
        title="Source name",
        description="SOURCE in the default prefix and in the ledger (default from "
        "MELTANO_EXTRACTOR_NAME: tap-tr2000 -> TR2000, tap-molo-s3 -> MOLO, tap-stellar-s3 -> "
        "STELLAR).",
    ),
    th.Property(
        "load_method",
        th.StringType,
        title="Load method",
        allowed_values=["upsert", "overwrite", "append-only"],
        description="How rows are written: upsert (merge on the key; the default for streams "
        "with key properties), overwrite (the table becomes the new extraction) or append-only "
        "(every extraction added; the default for streams without key properties).",
    ),
    th.Property(
        "batch_size_rows",
        th.IntegerType,
        title="Batch size (rows)",
        description="Rows per batch, one bulk load and one MERGE each. Unset, it depends on "
        f"the database: {BATCH_ROWS_ENCODED} on DuckDB, {BATCH_ROWS_FOREGROUND} on Oracle, "
        f"{BATCH_ROWS_BACKGROUND} on PostgreSQL and other SQLAlchemy databases (one batch "
        "loads in the background while the next is read).",
    ),
    th.Property(
        "max_rejects",
        th.IntegerType,
        title="Maximum rejects",
        default=0,
        description="Rejected rows (ETL_REJECTS) tolerated per run; one more fails the run. "
        "Rejected rows are recorded and the rest of their batch is loaded either way.",
    ),
    th.Property(
        "post_load_sql",
        th.CustomType({"type": ["string", "array"], "items": {"type": "string"}}),
        title="Post-load SQL",
        description="A SQL script (or a list of scripts) run once after every stream loaded "
        "successfully (skipped when the load failed; a failing statement fails the run). Split "
        "as SQL*Plus does: `;` ends SQL, a `/` line ends a PL/SQL block.",
    ),
    th.Property(
        "post_load_procedure",
        th.StringType,
        title="Post-load procedure",
        description="Stored procedure called once after every stream loaded successfully "
        "(BEGIN p; END; on Oracle, CALL p() elsewhere).",
    ),
    th.Property(
        "hard_delete",
        th.BooleanType,
        title="Hard delete",
        default=False,
        description="On ACTIVATE_VERSION delete the rows of older versions (else set "
        "SDC_DELETED_AT).",
    ),
    th.Property(
        "add_record_metadata",
        th.BooleanType,
        title="Add record metadata",
        default=True,
        description="Add the SDC_* metadata columns (needed for ACTIVATE_VERSION).",
    ),
    th.Property(
        "validate_records",
        th.BooleanType,
        title="Validate records",
        default=True,
        description="Has no effect: instead of the SDK's JSON Schema validation every value "
        "is checked by its conversion to the column type (and Oracle's rules), and a row that "
        "does not fit goes to ETL_REJECTS with the reason.",
    ),
    th.Property(
        "max_delete_share",
        th.CustomType({"type": ["number", "string"], "pattern": r"^(0(\.\d+)?|1(\.0+)?)$"}),
        title="Maximum delete share",
        default=0.5,
        description="Mass-delete guard: the largest share of a table's live rows one run may "
        "retire (ACTIVATE_VERSION) or overwrite away; a run that would remove more fails that "
        "stream and the table keeps its rows. 1 allows any deletion.",
    ),
    th.Property(
        "progress_interval_seconds",
        NUMBER_OR_TEXT,
        title="Progress interval (seconds)",
        default=10,
        description="Seconds between progress lines (rows loaded and rejected per stream, "
        "rows/s); 0 logs one after every batch.",
    ),
    th.Property(
        "require_sync_completed",
        th.BooleanType,
        title="Require sync completed",
        default=False,
        description="Record a run as SUCCESS only when the tap's last STATE says its sync "
        "completed (the sync_completed marker of this project's taps); otherwise the run is "
        "INCOMPLETE and nothing is swapped or retired. Leave off for taps that never send it.",
    ),
    th.Property(
        "stale_run_minutes",
        NUMBER_OR_TEXT,
        title="Stale run (minutes)",
        default=60,
        description="A RUNNING ledger row of another host whose heartbeat is older than this "
        "is marked INTERRUPTED by the next run of the same source.",
    ),
    th.Property(
        "oracle_parity",
        th.BooleanType,
        title="Oracle parity",
        default=True,
        description="On DuckDB and PostgreSQL, store and refuse what Oracle would: '' as NULL, "
        "string lengths, NUMBER precision, 38-digit integers, names cut to fit every "
        "database. Turn off only if you never load Oracle.",
    ),
    th.Property(
        "oracle_block_size",
        th.IntegerType,
        title="Oracle block size",
        default=8192,
        allowed_values=[2048, 4096, 8192, 16384, 32768],
        description="The Oracle tablespace's block size in bytes: it sets the index key limit "
        "(2 KB blocks 1,478 bytes, 4 KB 3,118, 8 KB 6,398, 16 KB 12,958, 32 KB 26,078).",
    ),
    th.Property(
        "oracle_max_key_bytes",
        th.IntegerType,
        title="Oracle index key limit (bytes)",
        description="Index key limit in bytes, when your DBA states another figure than the "
        "block size's (overrides oracle_block_size for keys).",
    ),
    th.Property(
        "oracle_max_string_size",
        th.StringType,
        title="Oracle MAX_STRING_SIZE",
        default="STANDARD",
        allowed_values=["STANDARD", "EXTENDED"],
        description="The database's MAX_STRING_SIZE: VARCHAR2 up to 4000 (STANDARD) or 32767 "
        "(EXTENDED) bytes; longer strings are CLOB.",
    ),
    th.Property(
        "oracle_identifier_max_bytes",
        th.IntegerType,
        title="Oracle identifier limit (bytes)",
        default=128,
        allowed_values=[30, 128],
        description="Longest identifier: 128 bytes from Oracle 12.2, 30 before.",
    ),
)

CONFIG_JSONSCHEMA: dict[str, t.Any] = {
    **_PROPERTIES.to_dict(),
    # The plugin's label in meltano.yml.
    "title": "Oracle staging (DuckDB, PostgreSQL)",
    # The connection modes, most specific first (connection.dialect_name_for picks Oracle when
    # dsn, host or service_name is set, else sqlalchemy_url, else the DuckDB file).
    "settings_group_validation": [
        ["user", "password", "dsn"],
        ["user", "password", "host", "service_name"],
        ["sqlalchemy_url"],
        ["database_path"],
    ],
}


def default(name: str) -> t.Any:
    """The schema's default of setting `name` (None when it has none)."""
    return CONFIG_JSONSCHEMA["properties"][name].get("default")


def setting(config: t.Mapping[str, t.Any], name: str) -> t.Any:
    """The configured value, or the schema's default when unset or null."""
    value = config.get(name)
    return default(name) if value is None else value
