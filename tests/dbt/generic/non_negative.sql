{#- Fails on rows where the column is negative (nulls pass: not_null says whether they may exist). -#}
{% test non_negative(model, column_name) %}

select *
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
