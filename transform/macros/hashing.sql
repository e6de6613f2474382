{#- Content hashes used as surrogate keys and change detectors, the same value on Oracle, DuckDB
    and PostgreSQL for the same data: every column is first rendered as canonical text that no
    session setting (NLS_*, DateStyle, TimeZone) changes, then hashed with MD5 (lower-case hex).

    Columns come as (name, kind) pairs from the generator, which asks the target for each
    column's type: kind is string, integer, number, boolean, datetime, date, time, json, or lob
    (a CLOB on Oracle). Canonical text:
      string, time   the value; '' is NULL (Oracle stores '' as NULL, so every database does here)
      integer        decimal digits, '-' sign
      number         plain decimal, no trailing zeros, '0.5' not '.5'
      boolean        '1' / '0'
      datetime       'YYYY-MM-DD HH24:MI:SS.FF6'
      date           'YYYY-MM-DD'
      lob, json      '<length in characters>:<first 1000 characters>' (Oracle cannot hash a CLOB
                     in SQL; the DW merge compares LOBs in full besides)
    A NULL is hashed as a marker, and parts are separated, so (null, 'a') and ('a', null) differ. -#}

{% macro dw_text(column, kind='string') -%}
    {{ return(adapter.dispatch('dw_text', 'pipeline_warehouse')(column, kind)) }}
{%- endmacro %}

{#- Strip the trailing zeros (and a bare '.') of a plain decimal text. -#}
{% macro dw_trim_decimal(text) -%}
    case when {{ text }} like '%.%' then rtrim(rtrim({{ text }}, '0'), '.') else {{ text }} end
{%- endmacro %}

{% macro default__dw_text(column, kind) -%}
    {%- set text = "cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")" -%}
    {%- if kind in ('string', 'time') -%}
        nullif({{ text }}, '')
    {%- elif kind == 'integer' -%}
        {{ text }}
    {%- elif kind == 'number' -%}
        {{ dw_trim_decimal(text) }}
    {%- elif kind == 'boolean' -%}
        cast(cast({{ column }} as integer) as {{ dbt.type_string() }})
    {%- elif kind == 'datetime' -%}
        to_char({{ column }}, 'YYYY-MM-DD HH24:MI:SS.US')
    {%- elif kind == 'date' -%}
        to_char({{ column }}, 'YYYY-MM-DD')
    {%- elif kind in ('lob', 'json') -%}
        cast(length(nullif({{ text }}, '')) as {{ dbt.type_string() }}) || ':' || substr({{ text }}, 1, 1000)
    {%- else -%}
        {{ exceptions.raise_compiler_error("dw_text: unknown kind " ~ kind ~ " of column " ~ column) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__dw_text(column, kind) -%}
    {%- if kind == 'datetime' -%}
        strftime(cast({{ column }} as timestamp), '%Y-%m-%d %H:%M:%S.%f')
    {%- elif kind == 'date' -%}
        strftime(cast({{ column }} as date), '%Y-%m-%d')
    {%- elif kind == 'number' -%}
        {#- DOUBLE renders its shortest round-trip text, DECIMAL its scale's digits. -#}
        {{ dw_trim_decimal("cast(" ~ column ~ " as varchar)") }}
    {%- else -%}
        {{ default__dw_text(column, kind) }}
    {%- endif -%}
{%- endmacro %}

{#- Oracle: explicit formats and NLS parameters, so the session's NLS settings do not matter;
    '' already is NULL. -#}
{% macro oracle__dw_text(column, kind) -%}
    {%- if kind in ('string', 'time') -%}
        {{ column }}
    {%- elif kind in ('integer', 'number', 'boolean') -%}
        {%- set text = "to_char(" ~ column ~ ", 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')" -%}
        regexp_replace({{ text }}, '^(-?)\.', '\10.')
    {%- elif kind == 'datetime' -%}
        to_char({{ column }}, 'YYYY-MM-DD HH24:MI:SS.FF6')
    {%- elif kind == 'date' -%}
        to_char({{ column }}, 'YYYY-MM-DD')
    {%- elif kind in ('lob', 'json') -%}
        {#- || skips NULLs on Oracle: an empty or null LOB must stay NULL explicitly. -#}
        case when nvl(dbms_lob.getlength({{ column }}), 0) = 0 then null
            else to_char(dbms_lob.getlength({{ column }})) || ':' || dbms_lob.substr({{ column }}, 1000, 1) end
    {%- else -%}
        {{ exceptions.raise_compiler_error("dw_text: unknown kind " ~ kind ~ " of column " ~ column) }}
    {%- endif -%}
{%- endmacro %}

{#- A column as the warehouse stores it: '' becomes NULL in text columns, as on Oracle. -#}
{% macro dw_value(column, kind='string') -%}
    {{ return(adapter.dispatch('dw_value', 'pipeline_warehouse')(column, kind)) }}
{%- endmacro %}

{% macro default__dw_value(column, kind) -%}
    {%- if kind == 'string' -%}nullif({{ column }}, ''){%- else -%}{{ column }}{%- endif -%}
{%- endmacro %}

{% macro oracle__dw_value(column, kind) -%}
    {{ column }}
{%- endmacro %}

{% macro dw_md5(text) -%}
    {{ return(adapter.dispatch('dw_md5', 'pipeline_warehouse')(text)) }}
{%- endmacro %}

{% macro default__dw_md5(text) -%}
    md5({{ text }})
{%- endmacro %}

{% macro oracle__dw_md5(text) -%}
    lower(rawtohex(standard_hash({{ text }}, 'MD5')))
{%- endmacro %}

{#- (name, kind) pairs; a bare name is a string column. -#}
{% macro dw_column_pairs(columns) -%}
    {%- set pairs = [] -%}
    {%- for column in columns -%}
        {%- if column is string -%}
            {%- do pairs.append((column, 'string')) -%}
        {%- else -%}
            {%- do pairs.append((column[0], column[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(pairs) }}
{%- endmacro %}

{#- The surrogate key: MD5 of the key parts' canonical texts joined by '|'. `columns`: names
    (strings) or (name, kind) pairs. Key parts are short (Oracle index keys), so their joined
    text stays under Oracle's 4000-byte SQL string limit. -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for name, kind in dw_column_pairs(columns) -%}
        {%- do parts.append("coalesce(" ~ dw_text(name, kind) ~ ", '<null>')") -%}
    {%- endfor -%}
    {{ dw_md5(parts | join(" || '|' || ")) }}
{%- endmacro %}

{#- The row hash over every content column. Text-like columns (string, time, lob, json) may hold
    4000 bytes, Oracle's SQL string limit, so each is hashed on its own; the other kinds' texts
    are short (at most 65 characters) and go in as they are, which halves the hashing work. The
    parts ('N' for null: no canonical text or MD5 is 'N') are joined by '|' in groups of 50 (at
    most 3,300 bytes) and hashed; several groups' hashes are hashed again. The same construction
    on every database, so the same value. -#}
{% macro row_hash(columns) -%}
    {%- set groups = dw_column_pairs(columns) | batch(50) | list -%}
    {%- set group_hashes = [] -%}
    {%- for group in groups -%}
        {%- set parts = [] -%}
        {%- for name, kind in group -%}
            {%- if kind in ('string', 'time', 'lob', 'json') -%}
                {%- do parts.append("coalesce(" ~ dw_md5(dw_text(name, kind)) ~ ", 'N')") -%}
            {%- else -%}
                {%- do parts.append("coalesce(" ~ dw_text(name, kind) ~ ", 'N')") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do group_hashes.append(dw_md5(parts | join(" || '|' || "))) -%}
    {%- endfor -%}
    {%- if group_hashes | length == 1 -%}
        {{ group_hashes[0] }}
    {%- else -%}
        {{ dw_md5(group_hashes | join(" || ")) }}
    {%- endif -%}
{%- endmacro %}

{#- True when two values of a LOB column differ (null-safe); Oracle cannot compare CLOBs with
    = or <> (ORA-00932), so it asks DBMS_LOB.COMPARE. -#}
{% macro dw_lob_differs(left, right) -%}
    {{ return(adapter.dispatch('dw_lob_differs', 'pipeline_warehouse')(left, right)) }}
{%- endmacro %}

{% macro default__dw_lob_differs(left, right) -%}
    cast({{ left }} as {{ dbt.type_string() }}) is distinct from cast({{ right }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro oracle__dw_lob_differs(left, right) -%}
    (case
        when {{ left }} is null and {{ right }} is null then 0
        when {{ left }} is null or {{ right }} is null then 1
        when dbms_lob.compare({{ left }}, {{ right }}) = 0 then 0
        else 1
    end) = 1
{%- endmacro %}
