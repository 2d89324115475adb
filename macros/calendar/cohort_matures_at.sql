{#- When a monthly cohort becomes mature (a timestamp): the start of the next month plus
    var('finish_rate_maturity_days') days, i.e. when even the cohort's last member has had that long to finish. -#}
{% macro cohort_matures_at(cohort_month) -%}
    cast({{ dbt.dateadd('day', var('finish_rate_maturity_days', 90), dbt.dateadd('month', 1, cohort_month)) }}
        as {{ dbt.type_timestamp() }})
{%- endmacro %}
