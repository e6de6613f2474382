{#- Reconciliation: after a build the warehouse holds as many live rows as the staging table
    (which holds the latest load) has undeleted rows. Returns one row, with both counts, when
    they differ. -#}
{% test reconciles_with_staging(model, staging, soft_delete_column='sdc_deleted_at') %}
with staging_rows as (
    select count(*) as row_count from {{ staging }}
    {%- if soft_delete_column %} where {{ soft_delete_column }} is null{% endif %}
),
warehouse_rows as (
    select count(*) as row_count from {{ model }} where dw_is_deleted = 0
)
select staging_rows.row_count as staging_rows, warehouse_rows.row_count as warehouse_rows
from staging_rows cross join warehouse_rows
where staging_rows.row_count <> warehouse_rows.row_count
{% endtest %}
