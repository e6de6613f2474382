"""Table specs: what a staging table (and its helpers) look like, independent of any database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from target_oracle_staging.names import (
    MAX_IDENTIFIER_BYTES,
    convert_names,
    derived_name,
    fit_length,
    to_identifier,
)
from target_oracle_staging.oracle_model import MAX_COLUMNS, ORACLE_MODEL, OracleModel
from target_oracle_staging.types import ColumnType, Kind, column_type, is_nullable

ETL_RUN_ID = "ETL_RUN_ID"
EXTRACTION_DATE = "EXTRACTION_DATE"
LOAD_SEQ = "LD__SEQ"  # order of arrival inside a load; converted names never contain "__"
SDC_TABLE_VERSION = "SDC_TABLE_VERSION"
SDC_DELETED_AT = "SDC_DELETED_AT"

LOAD_METHODS = ("upsert", "overwrite", "append-only")

# Columns whose value is the same for a whole batch: they are not shipped row by row through
# the bulk path but set once in the MERGE / INSERT ... SELECT (bind parameters).
BATCH_CONSTANT_COLUMNS = frozenset(
    {ETL_RUN_ID, EXTRACTION_DATE, "SDC_RECEIVED_AT", "SDC_BATCHED_AT", "SDC_SYNC_STARTED_AT"}
)


class TableDesignError(ValueError):
    """A stream whose table Oracle would refuse; raised before any DDL."""


@dataclass(frozen=True)
class Column:
    name: str  # converted identifier, upper case
    type: ColumnType
    source: str | None = None  # the record property it comes from; None for ETL columns
    nullable: bool = True


@dataclass
class TableSpec:
    """A staging table: converted names, logical types, keys and how it is loaded.

    The key is a PRIMARY KEY when every key column is NOT NULL, otherwise a UNIQUE constraint
    over nullable columns (rows with empty key parts load and are matched null-safely).
    """

    stream: str
    name: str
    columns: list[Column]
    keys: list[str]
    load_method: str
    schema: str | None = None
    identifier_max_bytes: int = MAX_IDENTIFIER_BYTES
    column_by_name: dict[str, Column] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.column_by_name = {c.name: c for c in self.columns}

    @property
    def bulk_columns(self) -> list[Column]:
        """The columns that travel row by row (everything but the batch constants)."""
        return [c for c in self.columns if c.name not in BATCH_CONSTANT_COLUMNS]

    @property
    def constant_columns(self) -> list[Column]:
        return [c for c in self.columns if c.name in BATCH_CONSTANT_COLUMNS]

    @property
    def key_columns(self) -> list[Column]:
        return [self.column_by_name[k] for k in self.keys]

    @property
    def load_table(self) -> str:
        return derived_name(self.name, "LD", self.identifier_max_bytes)

    @property
    def swap_table(self) -> str:
        return derived_name(self.name, "NEW", self.identifier_max_bytes)

    @property
    def has_key_constraint(self) -> bool:
        return bool(self.keys) and self.load_method != "append-only"

    @property
    def key_is_primary(self) -> bool:
        """PRIMARY KEY when no key part can be null, else a UNIQUE constraint."""
        return self.has_key_constraint and not any(c.nullable for c in self.key_columns)

    @property
    def constraint_name(self) -> str:
        return derived_name(
            self.name, "PK" if self.key_is_primary else "UK", self.identifier_max_bytes
        )

    def with_columns(self, columns: list[Column]) -> TableSpec:
        """The same table with other column definitions (e.g. what the database already has)."""
        return replace(self, columns=columns)


def source_name_from_env(extractor_name: str | None) -> str | None:
    """tap-tr2000 -> TR2000, tap-molo-s3 -> MOLO, tap-stellar-s3 -> STELLAR."""
    if not extractor_name:
        return None
    name = extractor_name.removeprefix("tap-").removesuffix("-s3")
    return name.upper().replace("-", "_")


def default_table_prefix(source_name: str | None) -> str:
    return f"STG_{to_identifier(source_name)}_" if source_name else "STG_"


def table_name(prefix: str, stream: str, max_bytes: int = MAX_IDENTIFIER_BYTES) -> str:
    """`<prefix><STREAM>`; the prefix is used as given (upper-cased), the stream converted."""
    full = f"{prefix.upper()}{to_identifier(stream, max_bytes)}"
    return fit_length(full, f"{prefix}{stream}", max_bytes)


METADATA_KINDS = {
    "_sdc_extracted_at": Kind.DATETIME,
    "_sdc_received_at": Kind.DATETIME,
    "_sdc_batched_at": Kind.DATETIME,
    "_sdc_deleted_at": Kind.DATETIME,
    "_sdc_sequence": Kind.INTEGER,
    "_sdc_table_version": Kind.INTEGER,
    "_sdc_sync_started_at": Kind.INTEGER,
}


def _resolve_method(stream: str, load_method: str | None, has_keys: bool) -> str:
    method = load_method or ("upsert" if has_keys else "append-only")
    if method not in LOAD_METHODS:
        msg = f"stream {stream!r}: load_method {method!r} is not one of {LOAD_METHODS}"
        raise ValueError(msg)
    if method == "upsert" and not has_keys:
        return "append-only"  # nothing to merge on: keep every row
    return method


def build_table_spec(
    stream: str,
    json_schema: dict,
    key_properties: list[str] | None,
    *,
    prefix: str,
    schema: str | None,
    load_method: str | None,
    model: OracleModel = ORACLE_MODEL,
    identifier_max_bytes: int = MAX_IDENTIFIER_BYTES,
) -> TableSpec:
    """Everything the target needs to know about one stream's staging table.

    Raises TableDesignError for a table Oracle would refuse (a key over the index key limit, a
    LOB in the key, more than 1,000 columns), before anything reaches a database.
    """
    keys_in = list(key_properties or [])
    method = _resolve_method(stream, load_method, bool(keys_in))
    properties: dict = dict(json_schema.get("properties") or {})
    missing = [k for k in keys_in if k not in properties]
    if missing:
        msg = f"stream {stream!r}: key properties {missing} are not in the schema"
        raise ValueError(msg)
    names = convert_names(list(properties), f"stream {stream!r}", identifier_max_bytes)
    key_names = [names[k] for k in keys_in]
    columns = [
        Column(
            name=names[prop],
            type=(
                ColumnType(METADATA_KINDS[prop])
                if prop in METADATA_KINDS
                else column_type(prop_schema)
            ),
            source=prop,
            nullable=names[prop] not in key_names or is_nullable(prop_schema),
        )
        for prop, prop_schema in properties.items()
    ]
    if keys_in and method != "append-only":
        columns = _bounded_keys(stream, columns, key_names, model)
    etl_columns = [Column(ETL_RUN_ID, ColumnType(Kind.STRING, length=36))]
    if method == "append-only":
        etl_columns.append(Column(EXTRACTION_DATE, ColumnType(Kind.DATETIME)))
    for extra in etl_columns:
        if extra.name in names.values():
            msg = f"stream {stream!r}: property converts to reserved column {extra.name}"
            raise ValueError(msg)
    all_columns = columns + etl_columns
    if len(all_columns) > MAX_COLUMNS:
        msg = (
            f"stream {stream!r}: {len(all_columns)} columns (with the ETL columns), more than "
            f"Oracle's {MAX_COLUMNS} per table (ORA-01792); deselect properties or split the "
            "stream with a stream map"
        )
        raise TableDesignError(msg)
    return TableSpec(
        stream=stream,
        name=table_name(prefix, stream, identifier_max_bytes),
        columns=all_columns,
        keys=key_names,
        load_method=method,
        schema=schema,
        identifier_max_bytes=identifier_max_bytes,
    )


def _bounded_keys(
    stream: str, columns: list[Column], key_names: list[str], model: OracleModel
) -> list[Column]:
    """String key columns get lengths that make the whole key fit Oracle's index key limit."""
    by_name = {c.name: c for c in columns}
    try:
        lengths = model.key_string_lengths(stream, [(k, by_name[k].type) for k in key_names])
    except ValueError as exc:
        raise TableDesignError(str(exc)) from exc
    return [
        replace(c, type=replace(c.type, length=lengths[c.name])) if c.name in lengths else c
        for c in columns
    ]
