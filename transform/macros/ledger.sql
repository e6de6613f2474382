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
