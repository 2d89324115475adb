{#- Fails on rows where the boolean expression is not true. -#}
{% test flowmetrics_expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
