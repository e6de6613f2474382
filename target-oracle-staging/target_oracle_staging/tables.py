"""Table specs: what a staging table (and its helpers) look like, independent of any database."""

from __future__ import annotations

from dataclasses import dataclass, field

from target_oracle_staging.names import convert_names, derived_name, fit_length, to_identifier
from target_oracle_staging.types import ColumnType, Kind, column_type

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


@dataclass(frozen=True)
class Column:
    name: str  # converted identifier, upper case
    type: ColumnType
    source: str | None = None  # the record property it comes from; None for ETL columns
    nullable: bool = True


@dataclass
class TableSpec:
    """A staging table: converted names, logical types, keys and how it is loaded."""

    stream: str
    name: str
    columns: list[Column]
    keys: list[str]
    load_method: str
    schema: str | None = None
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
    def load_table(self) -> str:
        return derived_name(self.name, "LD")

    @property
    def swap_table(self) -> str:
        return derived_name(self.name, "NEW")

    @property
    def has_primary_key(self) -> bool:
        return bool(self.keys) and self.load_method != "append-only"

    def qualified(self, table: str | None = None) -> str:
        """`schema.table` in lower case (rendered unquoted, folded by each database)."""
        name = (table or self.name).lower()
        return f"{self.schema.lower()}.{name}" if self.schema else name


def source_name_from_env(extractor_name: str | None) -> str | None:
    """tap-tr2000 -> TR2000, tap-molo-s3 -> MOLO, tap-stellar-s3 -> STELLAR."""
    if not extractor_name:
        return None
    name = extractor_name.removeprefix("tap-").removesuffix("-s3")
    return name.upper().replace("-", "_")


def default_table_prefix(source_name: str | None) -> str:
    return f"STG_{to_identifier(source_name)}_" if source_name else "STG_"


def table_name(prefix: str, stream: str) -> str:
    """`<prefix><STREAM>`; the prefix is used as given (upper-cased), the stream converted."""
    full = f"{prefix.upper()}{to_identifier(stream)}"
    return fit_length(full, f"{prefix}{stream}")


METADATA_KINDS = {
    "_sdc_extracted_at": Kind.DATETIME,
    "_sdc_received_at": Kind.DATETIME,
    "_sdc_batched_at": Kind.DATETIME,
    "_sdc_deleted_at": Kind.DATETIME,
    "_sdc_sequence": Kind.INTEGER,
    "_sdc_table_version": Kind.INTEGER,
    "_sdc_sync_started_at": Kind.INTEGER,
}


def build_table_spec(
    stream: str,
    json_schema: dict,
    key_properties: list[str] | None,
    *,
    prefix: str,
    schema: str | None,
    load_method: str | None,
) -> TableSpec:
    """Everything the target needs to know about one stream's staging table."""
    keys_in = list(key_properties or [])
    method = load_method or ("upsert" if keys_in else "append-only")
    if method not in LOAD_METHODS:
        msg = f"stream {stream!r}: load_method {method!r} is not one of {LOAD_METHODS}"
        raise ValueError(msg)
    if method == "upsert" and not keys_in:
        method = "append-only"  # nothing to merge on: keep every row
    properties: dict = dict(json_schema.get("properties") or {})
    missing = [k for k in keys_in if k not in properties]
    if missing:
        msg = f"stream {stream!r}: key properties {missing} are not in the schema"
        raise ValueError(msg)
    names = convert_names(list(properties), where=f"stream {stream!r}")
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
            nullable=names[prop] not in key_names,
        )
        for prop, prop_schema in properties.items()
    ]
    etl_columns = [Column(ETL_RUN_ID, ColumnType(Kind.STRING, length=36))]
    if method == "append-only":
        etl_columns.append(Column(EXTRACTION_DATE, ColumnType(Kind.DATETIME)))
    for extra in etl_columns:
        if extra.name in names.values():
            msg = f"stream {stream!r}: property converts to reserved column {extra.name}"
            raise ValueError(msg)
    return TableSpec(
        stream=stream,
        name=table_name(prefix, stream),
        columns=columns + etl_columns,
        keys=key_names,
        load_method=method,
        schema=schema,
    )
