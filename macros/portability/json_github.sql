{#- The text at a dotted path (`head.ref`) of a JSON column, null when absent: DuckDB json_extract_string,
    PostgreSQL #>>, Spark get_json_object. `path` is written by the model, never user text. -#}
{% macro json_field_text(column, path) -%}
    {{ return(adapter.dispatch('json_field_text', 'flowmetrics')(column, path)) }}
{%- endmacro %}

{% macro default__json_field_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro postgres__json_field_text(column, path) -%}
    (cast({{ column }} as json) #>> '{ {{- path.split('.') | join(',') -}} }')
{%- endmacro %}

{% macro spark__json_field_text(column, path) -%}
    get_json_object({{ column }}, '$.{{ path }}')
{%- endmacro %}
