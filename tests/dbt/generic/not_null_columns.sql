{#- Every column of the model that declares a not_null (or primary_key) constraint holds no null, checked in one
    pass over the model: one row per such column that has nulls, with how many. The constraint in the model's YAML
    is the one statement of the rule; warehouses that enforce a contract's constraints refuse the nulls already,
    and this test holds the rule on every model and every warehouse, contracted or not. -#}
{% test not_null_columns(model) %}

{%- set columns = flowmetrics.not_null_constrained_columns() %}

with

counted as (

    select
        {%- for column in columns %}
        sum(case when {{ adapter.quote(column) }} is null then 1 else 0 end) as nulls_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

nulls_by_column as (

    {%- for column in columns %}
    select
        {{ flowmetrics.quoted_literal(column) }} as column_name,
        nulls_{{ loop.index }} as null_rows
    from counted
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from nulls_by_column
where null_rows > 0

{% endtest %}
