{#- A timestamp never earlier than another one of the same row (e.g. updated >= inserted). -#}
{% test not_before(model, column_name, other) %}
select {{ column_name }}, {{ other }}
from {{ model }}
where {{ column_name }} < {{ other }}
{% endtest %}
