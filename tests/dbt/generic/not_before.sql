{#- Flow invariant: a timestamp never lies before another of the same row (e.g. exited_at >= entered_at). -#}
{% test not_before(model, column_name, earlier_column) %}

select *
from {{ model }}
where {{ column_name }} < {{ earlier_column }}

{% endtest %}
