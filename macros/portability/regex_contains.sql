{#- Whether `expression` holds a match of the regular expression `pattern` (a SQL expression; POSIX-style classes
    and alternation only, which DuckDB's RE2, PostgreSQL and Spark's Java regexes read alike). -#}
{% macro regex_contains(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'flowmetrics')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_contains(expression, pattern) -%}
    regexp_matches({{ expression }}, ({{ pattern }}))
{%- endmacro %}

{% macro postgres__regex_contains(expression, pattern) -%}
    ({{ expression }} ~ ({{ pattern }}))
{%- endmacro %}

{% macro spark__regex_contains(expression, pattern) -%}
    ({{ expression }} rlike ({{ pattern }}))
{%- endmacro %}
