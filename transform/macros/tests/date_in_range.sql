{#- A date is plausible: not before `min_date` (ISO) and not after the run date plus
    `max_days_ahead` days. Null passes (use not_null for that). -#}
{% test date_in_range(model, column_name, min_date='1950-01-01', max_days_ahead=366) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < date '{{ min_date }}'
   or {{ column_name }} > date '{{ (run_started_at + modules.datetime.timedelta(days=max_days_ahead)).strftime("%Y-%m-%d") }}'
{% endtest %}
