{#- The key is unique: no two rows share the combination of `columns` (null counts as a value).
    `where` narrows the rows checked, e.g. to current versions. -#}
{% test unique_combination(model, columns, where_sql=none) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{%- if where_sql %}
where {{ where_sql }}
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
