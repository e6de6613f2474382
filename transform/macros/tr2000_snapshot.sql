{#- The select of a TR2000 SCD2 snapshot: the staging columns as the warehouse stores them (''
    is NULL), DW_ID (the null-safe surrogate of the key: a key part may be empty, e.g. an MDS
    reference's Area, and dbt's snapshot join on the raw key would never match a NULL) and
    DW_ROW_HASH, the snapshot's only check column (so no LOB is ever compared, and '' vs NULL or
    the session's NLS settings never count as a change). `columns`: (name, kind) pairs. -#}
{% macro tr2000_snapshot(table_name, key, columns) -%}
{%- set pairs = dw_column_pairs(columns) -%}
{%- set kinds = {} -%}
{%- for name, kind in pairs -%}{%- do kinds.update({name: kind}) -%}{%- endfor -%}
{%- set key_pairs = [] -%}
{%- for name in key -%}{%- do key_pairs.append((name, kinds.get(name, 'string'))) -%}{%- endfor -%}
select
    {{ surrogate_key(key_pairs) }} as dw_id,
    {%- for name, kind in pairs %}
    {{ dw_value(name, kind) }} as {{ name }},
    {%- endfor %}
    {{ row_hash(pairs) }} as dw_row_hash
from {{ source('tr2000', table_name) }}
{%- endmacro %}
