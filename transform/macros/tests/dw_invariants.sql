{#- The bookkeeping of a DW table holds for every row: DW_ID set and unique, the required key
    parts set, DW_LAST_INSERTED and DW_LAST_UPDATED set, updated never before inserted,
    DW_IS_DELETED 0 or 1 and DW_DELETED_AT set exactly on deleted rows. One query (one dbt node)
    for all of them keeps `dbt build` fast. Returns the offending rows with the rule broken. -#}
{% test dw_invariants(model, required=[]) %}
select dw_id, broken_rule
from (
    select
        dw_id,
        case
            when dw_id is null then 'DW_ID is null'
            when count(*) over (partition by dw_id) > 1 then 'DW_ID not unique'
            {%- for column in required %}
            when {{ column }} is null then 'key part {{ column | upper }} is null'
            {%- endfor %}
            when dw_last_inserted is null then 'DW_LAST_INSERTED is null'
            when dw_last_updated is null then 'DW_LAST_UPDATED is null'
            when dw_last_updated < dw_last_inserted then 'DW_LAST_UPDATED before DW_LAST_INSERTED'
            when dw_is_deleted is null or dw_is_deleted not in (0, 1) then 'DW_IS_DELETED not 0/1'
            when dw_is_deleted = 1 and dw_deleted_at is null then 'deleted without DW_DELETED_AT'
            when dw_is_deleted = 0 and dw_deleted_at is not null then 'DW_DELETED_AT on a live row'
        end as broken_rule
    from {{ model }}
) checked
where broken_rule is not null
{% endtest %}
