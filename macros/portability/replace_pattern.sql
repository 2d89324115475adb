{#- Every match of a regular expression in a text replaced (POSIX classes only, so the pattern means the same on
    every engine). -#}
{% macro replace_pattern(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_pattern', 'flowmetrics')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__replace_pattern(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ flowmetrics.quoted_literal(pattern) }}, {{ flowmetrics.quoted_literal(replacement) }}, 'g')
{%- endmacro %}

{% macro spark__replace_pattern(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ flowmetrics.quoted_literal(pattern) }}, {{ flowmetrics.quoted_literal(replacement) }})
{%- endmacro %}

{#- A status name as the words of its letters and digits, lower case, one space between them: `Ready-for QA` and
    `ready for qa` both read `ready for qa`. What the status name rules (seed status_name_rules) match. -#}
{% macro status_words(expression) -%}
    trim({{ flowmetrics.replace_pattern('lower(' ~ expression ~ ')', '[^a-z0-9]+', ' ') }})
{%- endmacro %}
