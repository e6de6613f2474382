{#- A text column matches a regular expression (POSIX ERE), e.g. a revision or code format. -#}
{% test matches_pattern(model, column_name, pattern) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ pipeline_warehouse.regex_matches(column_name, pattern) }}
{% endtest %}

{% macro regex_matches(column, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'pipeline_warehouse')(column, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(column, pattern) -%}
    ({{ column }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(column, pattern) -%}
    regexp_matches({{ column }}, '{{ pattern }}')
{%- endmacro %}

{% macro oracle__regex_matches(column, pattern) -%}
    regexp_like({{ column }}, '{{ pattern }}')
{%- endmacro %}
