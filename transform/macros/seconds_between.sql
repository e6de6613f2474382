{#- Seconds from one timestamp to another, as a number. -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'pipeline_warehouse')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    extract(epoch from ({{ end_ts }} - {{ start_ts }}))
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (epoch_us(cast({{ end_ts }} as timestamp)) - epoch_us(cast({{ start_ts }} as timestamp))) / 1000000.0
{%- endmacro %}

{#- Oracle: a TIMESTAMP difference is an INTERVAL DAY TO SECOND. -#}
{% macro oracle__seconds_between(start_ts, end_ts) -%}
    (extract(day from ({{ end_ts }} - {{ start_ts }})) * 86400
     + extract(hour from ({{ end_ts }} - {{ start_ts }})) * 3600
     + extract(minute from ({{ end_ts }} - {{ start_ts }})) * 60
     + extract(second from ({{ end_ts }} - {{ start_ts }})))
{%- endmacro %}

{#- The calendar day of a timestamp (Oracle's DATE keeps the time of day, so TRUNC there). -#}
{% macro dw_day(ts) -%}
    {{ return(adapter.dispatch('dw_day', 'pipeline_warehouse')(ts)) }}
{%- endmacro %}

{% macro default__dw_day(ts) -%}
    cast({{ ts }} as date)
{%- endmacro %}

{% macro oracle__dw_day(ts) -%}
    trunc({{ ts }})
{%- endmacro %}
