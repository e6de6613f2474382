{#- The key is unique: no two rows share the combination of `columns` (null counts as a value),
    and the `required` parts are never null. `where_sql` narrows the rows checked, e.g. to
    current versions. One query (one dbt node) for the whole key keeps `dbt build` fast. -#}
{% test unique_combination(model, columns, where_sql=none, required=[]) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{%- if where_sql %}
where {{ where_sql }}
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- for column in required %}
    or max(case when {{ column }} is null then 1 else 0 end) = 1
{%- endfor %}
{% endtest %}
