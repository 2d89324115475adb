{#- One row per match of `pattern` in `text` (the first capture group), as a set-returning select-list expression:
    `select id, {{ regex_all_matches('body', '#([0-9]+)') }} as number from t` gives a row per match. The pattern
    is RE2/Java syntax (DuckDB, Spark); on Postgres `\b` (a word boundary) is written `\y`. -#}
{% macro regex_all_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_all_matches', 'flowmetrics')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_all_matches(text, pattern) -%}
    unnest(regexp_extract_all({{ text }}, {{ flowmetrics.quoted_literal(pattern) }}, 1))
{%- endmacro %}

{% macro postgres__regex_all_matches(text, pattern) -%}
    (regexp_matches({{ text }}, {{ flowmetrics.quoted_literal(pattern | replace('\\b', '\\y')) }}, 'g'))[1]
{%- endmacro %}

{% macro spark__regex_all_matches(text, pattern) -%}
    explode(regexp_extract_all({{ text }}, {{ flowmetrics.quoted_literal(pattern) }}, 1))
{%- endmacro %}
