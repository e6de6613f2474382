"""The target's settings, declared once (meltano.yml is checked against `--about`)."""

from __future__ import annotations

from singer_sdk import typing as th

CONFIG_JSONSCHEMA = th.PropertiesList(
    th.Property("user", th.StringType, description="Oracle user name."),
    th.Property("password", th.StringType, secret=True, description="Oracle password."),
    th.Property(
        "dsn",
        th.StringType,
        description="Oracle easy connect string (host:port/service) or a TNS alias "
        "found in `config_dir`/tnsnames.ora.",
    ),
    th.Property("host", th.StringType, description="Oracle host (with `service_name`)."),
    th.Property("port", th.IntegerType, description="Oracle listener port (default 1521)."),
    th.Property("service_name", th.StringType, description="Oracle service name."),
    th.Property(
        "config_dir",
        th.StringType,
        description="Folder with tnsnames.ora (and the wallet's sqlnet.ora).",
    ),
    th.Property(
        "wallet_location",
        th.StringType,
        description="Folder with the Autonomous Database wallet (ewallet.pem) for mTLS.",
    ),
    th.Property("wallet_password", th.StringType, secret=True, description="Wallet password."),
    th.Property(
        "sqlalchemy_url",
        th.StringType,
        secret=True,
        description="SQLAlchemy URL of a non-Oracle database, e.g. "
        "postgresql+psycopg://user@host/db.",
    ),
    th.Property(
        "database_path",
        th.StringType,
        description="Embedded DuckDB file used when neither Oracle settings nor "
        "`sqlalchemy_url` are set (default warehouse.duckdb in the working directory).",
    ),
    th.Property(
        "default_target_schema",
        th.StringType,
        description="Schema for staging and ledger tables (default: the connection's).",
    ),
    th.Property(
        "table_prefix",
        th.StringType,
        description="Staging table name prefix (default STG_<SOURCE>_).",
    ),
    th.Property(
        "source_name",
        th.StringType,
        description="Source name for the prefix and the ledger (default from "
        "MELTANO_EXTRACTOR_NAME: tap-tr2000 -> TR2000).",
    ),
    th.Property(
        "load_method",
        th.StringType,
        allowed_values=["upsert", "overwrite", "append-only"],
        description="upsert (default with key properties), overwrite, or append-only "
        "(default without key properties).",
    ),
    th.Property(
        "batch_size_rows",
        th.IntegerType,
        description="Rows per batch, one bulk load + one MERGE each (default 100000 on "
        "DuckDB, 50000 on Oracle and PostgreSQL).",
    ),
    th.Property(
        "max_rejects",
        th.IntegerType,
        default=0,
        description="Rejected rows tolerated per run before the run fails.",
    ),
    th.Property(
        "post_load_sql",
        th.CustomType({"type": ["string", "array"], "items": {"type": "string"}}),
        description="A SQL script (or a list of scripts) run once after every stream loaded "
        "successfully; split as SQL*Plus does: `;` ends SQL, a `/` line ends a PL/SQL block.",
    ),
    th.Property(
        "post_load_procedure",
        th.StringType,
        description="Stored procedure called once after every stream loaded successfully.",
    ),
    th.Property(
        "hard_delete",
        th.BooleanType,
        default=False,
        description="On ACTIVATE_VERSION delete rows of older versions (else set SDC_DELETED_AT).",
    ),
    th.Property(
        "add_record_metadata",
        th.BooleanType,
        default=True,
        description="Add the SDC_* metadata columns (needed for ACTIVATE_VERSION).",
    ),
    th.Property(
        "max_delete_share",
        # A number, or its text: Meltano 4.4 passes fractional settings as strings.
        th.CustomType({"type": ["number", "string"], "pattern": r"^(0(\.\d+)?|1(\.0+)?)$"}),
        default=0.5,
        description="Largest share of a table's rows one run may retire (ACTIVATE_VERSION) or "
        "overwrite away; a run that would remove more fails that stream and keeps the rows. "
        "1 allows any deletion.",
    ),
    th.Property(
        "progress_interval_seconds",
        th.CustomType({"type": ["number", "string"]}),
        default=10,
        description="Seconds between progress lines (rows loaded and rejected per stream, rows/s); "
        "0 logs one after every batch.",
    ),
    th.Property(
        "require_sync_completed",
        th.BooleanType,
        default=False,
        description="Record a run as SUCCESS only when the tap's last STATE says its sync "
        "completed (the `sync_completed` marker of this project's taps); without it the run "
        "is INCOMPLETE. Leave off for taps that do not send the marker.",
    ),
    th.Property(
        "stale_run_minutes",
        th.NumberType,
        default=60,
        description="A RUNNING ledger row of another host whose heartbeat is older than this is "
        "marked INTERRUPTED by the next run of the same source.",
    ),
    th.Property(
        "oracle_parity",
        th.BooleanType,
        default=True,
        description="On DuckDB and PostgreSQL, store and refuse what Oracle would: '' as NULL, "
        "string lengths, NUMBER precision, 38-digit integers, names cut to fit every "
        "database. Turn off only if you never load Oracle.",
    ),
    th.Property(
        "oracle_block_size",
        th.IntegerType,
        default=8192,
        allowed_values=[2048, 4096, 8192, 16384, 32768],
        description="The Oracle database's block size: it sets the index key limit "
        "(6398 bytes on 8 KB blocks).",
    ),
    th.Property(
        "oracle_max_key_bytes",
        th.IntegerType,
        description="Index key limit in bytes, if your DBA states another figure than the "
        "block size's.",
    ),
    th.Property(
        "oracle_max_string_size",
        th.StringType,
        default="STANDARD",
        allowed_values=["STANDARD", "EXTENDED"],
        description="The database's MAX_STRING_SIZE: VARCHAR2 up to 4000 (STANDARD) or 32767 "
        "(EXTENDED) bytes; longer strings are CLOB.",
    ),
    th.Property(
        "oracle_identifier_max_bytes",
        th.IntegerType,
        default=128,
        allowed_values=[30, 128],
        description="Longest identifier: 128 bytes from Oracle 12.2, 30 before.",
    ),
).to_dict()
