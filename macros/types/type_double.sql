{#- An 8-byte floating point type. dbt.type_float() is 4 bytes on DuckDB and Spark, too coarse for seconds. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'flowmetrics')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
