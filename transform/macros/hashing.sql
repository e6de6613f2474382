{#- Content hashes used as surrogate keys and change detectors. Nulls get a marker so that
    (null, 'a') and ('a', null) hash differently; columns are separated for the same reason. -#}

{% macro dw_text(column) -%}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>')
{%- endmacro %}

{% macro surrogate_key(columns) -%}
    {{ return(adapter.dispatch('surrogate_key', 'pipeline_warehouse')(columns)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}
    md5({% for column in columns %}{{ dw_text(column) }}{% if not loop.last %} || '|' || {% endif %}{% endfor %})
{%- endmacro %}

{% macro oracle__surrogate_key(columns) -%}
    lower(rawtohex(standard_hash({% for column in columns %}{{ dw_text(column) }}{% if not loop.last %} || '|' || {% endif %}{% endfor %}, 'MD5')))
{%- endmacro %}

{#- The row hash over every content column. `lob_columns` are CLOBs on Oracle (long strings,
    objects, arrays), which STANDARD_HASH cannot take directly. -#}
{% macro row_hash(columns, lob_columns=[]) -%}
    {{ return(adapter.dispatch('row_hash', 'pipeline_warehouse')(columns, lob_columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns, lob_columns=[]) -%}
    {{ default__surrogate_key(columns) }}
{%- endmacro %}

{#- Oracle: SQL strings stop at 4000 bytes, so each column is hashed on its own (32 hex characters),
    the column hashes are concatenated in groups of 100 (3,300 bytes at most) and the group hashes
    hashed again. A CLOB is hashed through its length and first 4000 characters. -#}
{% macro oracle__row_hash(columns, lob_columns=[]) -%}
    {%- set lobs = lob_columns | map('lower') | list -%}
    {%- set groups = columns | batch(100) | list -%}
    {%- set group_hashes = [] -%}
    {%- for group in groups -%}
        {%- set parts = [] -%}
        {%- for column in group -%}
            {%- if column | lower in lobs -%}
                {%- set value = "to_char(dbms_lob.getlength(" ~ column ~ ")) || ':' || dbms_lob.substr(" ~ column ~ ", 4000, 1)" -%}
                {%- do parts.append("nvl(rawtohex(standard_hash(" ~ value ~ ", 'MD5')), 'N')") -%}
            {%- else -%}
                {%- do parts.append("nvl(rawtohex(standard_hash(" ~ column ~ ", 'MD5')), 'N')") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do group_hashes.append("rawtohex(standard_hash(" ~ parts | join(" || '|' || ") ~ ", 'MD5'))") -%}
    {%- endfor -%}
    {%- if group_hashes | length == 1 -%}
    lower({{ group_hashes[0] }})
    {%- else -%}
    lower(rawtohex(standard_hash({{ group_hashes | join(" || ") }}, 'MD5')))
    {%- endif -%}
{%- endmacro %}
