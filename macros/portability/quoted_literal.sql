{#- A SQL string literal holding `value` as data: quotes (and on Spark backslashes) escaped, so a value from a var
    is never read as SQL. -#}
{% macro quoted_literal(value) -%}
    {{ return(adapter.dispatch('quoted_literal', 'flowmetrics')(value)) }}
{%- endmacro %}

{% macro default__quoted_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__quoted_literal(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
