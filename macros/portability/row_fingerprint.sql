{#- A whole number that stands for one row's values, for order-independent fingerprints: sum it over a set of rows
    and compare the sum (with the row count) to tell whether the set changed. Each engine's own fast hash, kept
    non-negative and below 2^32 (or a signed 32-bit int), so a sum over billions of rows fits a bigint. The same
    engine must compute both sums compared; the values differ between engines. -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'flowmetrics')(columns)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    {{ exceptions.raise_compiler_error(
        "row_fingerprint has no implementation for the " ~ target.type ~ " engine: add "
        ~ target.type ~ "__row_fingerprint in macros/portability/row_fingerprint.sql") }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    cast(hash({{ columns | join(', ') }}) % 4294967296 as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro postgres__row_fingerprint(columns) -%}
    cast(hashtext(concat_ws('|'
        {%- for column in columns %}, cast({{ column }} as text){% endfor %})) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro spark__row_fingerprint(columns) -%}
    cast(hash({{ columns | join(', ') }}) as {{ dbt.type_bigint() }})
{%- endmacro %}
