{#- The continuous (linearly interpolated) percentile of an expression, as an aggregate: percentile_cont(f) within
    group (order by x) in standard SQL. Use it in a group by only, never as a window function (Postgres has no
    ordered-set window aggregates). Nulls are ignored. -#}
{% macro flowmetrics_percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('flowmetrics_percentile_cont', 'flowmetrics')(expression, fraction)) }}
{%- endmacro %}

{% macro default__flowmetrics_percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__flowmetrics_percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__flowmetrics_percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro bigquery__flowmetrics_percentile_cont(expression, fraction) -%}
    {{ exceptions.raise_compiler_error("percentile_cont: BigQuery has it only as an analytic function; not supported yet") }}
{%- endmacro %}

{#- The median (50th continuous percentile) of an expression, as an aggregate. -#}
{% macro flowmetrics_median(expression) -%}
    {{ return(flowmetrics.flowmetrics_percentile_cont(expression, 0.5)) }}
{%- endmacro %}
