{#- Views over the TR2000 SCD2 snapshots (VALID_FROM / VALID_TO; VALID_TO null = current). -#}

{% macro tr2000_current_view(snapshot_name) -%}
select hist.*
from {{ ref(snapshot_name) }} hist
where hist.valid_to is null
{%- endmacro %}

{% macro tr2000_history_view(snapshot_name) -%}
select
    hist.*,
    case when hist.valid_to is null then 1 else 0 end as is_current
from {{ ref(snapshot_name) }} hist
{%- endmacro %}
