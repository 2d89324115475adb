{#- The DORA performance tier of a measure: elite, high, medium or low by the edges of var dora_performance_bands,
    a value on an edge in the better band; null when the measure is null. -#}
{% macro dora_tier(value_expression, key, higher_is_better=false, scale=1) -%}
    {%- set edges = var('dora_performance_bands')[key] -%}
    {%- set better = '>=' if higher_is_better else '<=' -%}
    case
        when {{ value_expression }} is null then null
        {%- for tier in ['elite', 'high', 'medium'] %}
        when {{ value_expression }} {{ better }} {{ edges[tier] * scale }} then '{{ tier }}'
        {%- endfor %}
        else 'low'
    end
{%- endmacro %}
