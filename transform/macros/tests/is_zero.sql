{#- Reconciliation: the column (a difference of two counts) is 0 on every row. Returns the rows
    that do not reconcile, whole, so the failure shows which table and by how much. -#}
{% test is_zero(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} <> 0 or {{ column_name }} is null
{% endtest %}
