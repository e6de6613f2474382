{#- The run's start (UTC) as an ANSI timestamp literal: one value for every model of a run, and the
    same syntax on Oracle, PostgreSQL and DuckDB. -#}
{% macro dw_run_timestamp() -%}
    timestamp '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
{%- endmacro %}
