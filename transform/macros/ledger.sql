{#- Source freshness from the load ledger: the end of the latest successful load of a staging
    table. A load that brought no changed rows (TR2000 skips unchanged plants) still counts, which
    the rows' own SDC timestamps would not show. Used as each source table's loaded_at_query. -#}
{% macro ledger_loaded_at(table_name) -%}
select max(ended_at) from {{ ledger_relation('etl_stream_log') }}
where table_name = '{{ table_name }}' and status = 'SUCCESS'
{%- endmacro %}

{#- The ledger table in the staging schema (the target writes it next to the STG_* tables). -#}
{% macro ledger_relation(name) -%}
{{ env_var('DBT_STAGING_SCHEMA', '') or target.schema }}.{{ name }}
{%- endmacro %}

{#- Ledger columns, each as itself or as NULL of its type when the ledger predates it (contract
    C4: STATE_ID, SOURCE_COMPLETE, HOST_NAME, PROCESS_ID and HEARTBEAT_AT are newer than some
    ledgers). `columns`: (name, type) pairs; `prefix` qualifies them (e.g. 'ctl.'). The table's
    columns are read from the database once, when the model runs; an offline compile (the
    dw_assume_incremental var set: no database to ask) assumes the full C4 ledger. -#}
{% macro ledger_optional_columns(relation, columns, prefix='') -%}
    {%- set offline = not execute or var('dw_assume_incremental', none) is not none -%}
    {%- set present = [] -%}
    {%- if not offline -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for name, type in columns -%}
        {%- if offline or name | lower in present -%}
            {{ prefix }}{{ name }} as {{ name }}
        {%- else -%}
            cast(null as {{ type }}) as {{ name }}
        {%- endif -%}
        {%- if not loop.last %},
    {% endif -%}
    {%- endfor -%}
{%- endmacro %}
