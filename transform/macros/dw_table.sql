{#-
  The one warehouse-table pattern behind every DW_MOLO_* / DW_STELLAR_* model.

  An incremental merge on DW_ID (the surrogate of the source key) whose select returns only rows
  that must change, so unchanged rows are never touched:
    - new keys: inserted with DW_LAST_INSERTED = DW_LAST_UPDATED = the run's timestamp;
    - changed content (DW_ROW_HASH differs): DW_LAST_UPDATED moves, DW_LAST_INSERTED stays;
    - deleted at the source (SDC_DELETED_AT set by the target, or the key absent from the staging
      table, which holds the latest snapshot): DW_IS_DELETED = 1 and DW_DELETED_AT set, the row
      kept; a key that comes back is un-flagged.
  `columns` are (staging column name, kind) pairs from the generator (see hashing.sql for the
  kinds; `lob` = CLOB on Oracle), `key` the source key's column names. Text columns store ''
  as NULL (Oracle's rule, on every database). LOB columns are never compared with =/<> (Oracle
  refuses, ORA-00932): the row hash covers their length and first 1000 characters, and
  dw_lob_differs() compares them in full. `incremental` forces a branch (the Oracle gate's
  analyses); by default dw_is_incremental() decides.
-#}
{% macro dw_table(source_name, table_name, key, columns, soft_delete_column='sdc_deleted_at', incremental=none) -%}
{%- set now = dw_run_timestamp() -%}
{%- set pairs = dw_column_pairs(columns) -%}
{%- set kinds = {} -%}
{%- for name, kind in pairs -%}{%- do kinds.update({name: kind}) -%}{%- endfor -%}
{%- set key_pairs = [] -%}
{%- for name in key -%}{%- do key_pairs.append((name, kinds.get(name, 'string'))) -%}{%- endfor -%}
{%- set names = pairs | map(attribute=0) | list -%}
{%- set lobs = [] -%}
{%- for name, kind in pairs -%}{%- if kind in ('lob', 'json') -%}{%- do lobs.append(name) -%}{%- endif -%}{%- endfor -%}
{%- set not_deleted_at = "cast(null as " ~ dbt.type_timestamp() ~ ")" -%}
with src as (
    select
        {{ surrogate_key(key_pairs) }} as dw_id,
        {%- for name, kind in pairs %}
        {{ dw_value(name, kind) }} as {{ name }},
        {%- endfor %}
        {{ row_hash(pairs) }} as dw_row_hash,
        etl_run_id as dw_etl_run_id,
        {%- if soft_delete_column %}
        case when {{ soft_delete_column }} is null then 0 else 1 end as dw_is_deleted,
        {{ soft_delete_column }} as src_deleted_at
        {%- else %}
        0 as dw_is_deleted,
        {{ not_deleted_at }} as src_deleted_at
        {%- endif %}
    from {{ source(source_name, table_name) }}
)
{%- if (dw_is_incremental() if incremental is none else incremental) %}
{%- set changed = [] -%}
{%- for name in lobs -%}{%- do changed.append(" or " ~ dw_lob_differs("cur." ~ name, "src." ~ name)) -%}{%- endfor -%}
{%- set changed_lobs = changed | join("") -%},
cur as (
    select dw_id, dw_row_hash, dw_last_inserted, dw_last_updated, dw_is_deleted, dw_deleted_at
        {%- for name in lobs %}, {{ name }}{% endfor %}
    from {{ this }}
),
arrived_or_changed as (
    select
        src.dw_id,
        {%- for name in names %}
        src.{{ name }},
        {%- endfor %}
        src.dw_row_hash,
        src.dw_etl_run_id,
        coalesce(cur.dw_last_inserted, {{ now }}) as dw_last_inserted,
        case
            when cur.dw_id is null or cur.dw_row_hash <> src.dw_row_hash{{ changed_lobs }} then {{ now }}
            else cur.dw_last_updated
        end as dw_last_updated,
        src.dw_is_deleted,
        case
            when src.dw_is_deleted = 0 then {{ not_deleted_at }}
            else coalesce(cur.dw_deleted_at, src.src_deleted_at, {{ now }})
        end as dw_deleted_at
    from src
    left join cur on cur.dw_id = src.dw_id
    where cur.dw_id is null
        or cur.dw_row_hash <> src.dw_row_hash{{ changed_lobs }}
        or cur.dw_is_deleted <> src.dw_is_deleted
),
vanished as (
    select
        tgt.dw_id,
        {%- for name in names %}
        tgt.{{ name }},
        {%- endfor %}
        tgt.dw_row_hash,
        tgt.dw_etl_run_id,
        tgt.dw_last_inserted,
        tgt.dw_last_updated,
        1 as dw_is_deleted,
        {{ now }} as dw_deleted_at
    from {{ this }} tgt
    where tgt.dw_is_deleted = 0
        and not exists (select 1 from src where src.dw_id = tgt.dw_id)
)
select * from arrived_or_changed
union all
select * from vanished
{%- else %}
select
    dw_id,
    {%- for name in names %}
    {{ name }},
    {%- endfor %}
    dw_row_hash,
    dw_etl_run_id,
    {{ now }} as dw_last_inserted,
    {{ now }} as dw_last_updated,
    dw_is_deleted,
    case when dw_is_deleted = 0 then {{ not_deleted_at }} else src_deleted_at end as dw_deleted_at
from src
{%- endif %}
{%- endmacro %}

{#- is_incremental(), except that an offline compile (no database to ask whether the table
    exists) chooses the branch: --vars '{dw_assume_incremental: true}' (MERGE source) or false
    (first build). -#}
{% macro dw_is_incremental() -%}
    {%- set assumed = var('dw_assume_incremental', none) -%}
    {%- if assumed is not none -%}
        {{ return(assumed) }}
    {%- endif -%}
    {{ return(is_incremental()) }}
{%- endmacro %}
