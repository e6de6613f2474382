{#- Referential integrity on a composite key: every (from_columns) of the model exists as
    (to_columns) in `to`. Rows with a null in the key are not checked. -#}
{% test relationships_multi(model, to, from_columns, to_columns, to_where=none) %}
select {% for column in from_columns %}child.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }} child
where {% for column in from_columns %}child.{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
  and not exists (
    select 1
    from {{ to }} parent
    where {% for i in range(from_columns | length) %}parent.{{ to_columns[i] }} = child.{{ from_columns[i] }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- if to_where %} and {{ to_where }}{% endif %}
  )
{% endtest %}
