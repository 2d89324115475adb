{#- Reading JSON columns (as Airbyte lands nested objects) the same way on every engine. A path is a dotted list of
    object keys ('author.displayName'); an empty path is the value itself. Paths are written by models, never taken
    from data. -#}

{#- The text at `path` inside the JSON value `column` (a JSON string unquoted; null when absent or JSON null). -#}
{% macro json_text(column, path='') -%}
    {{ return(adapter.dispatch('json_text', 'flowmetrics')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path='') -%}
    (cast({{ column }} as jsonb) #>> {{ flowmetrics.json_postgres_path(path) }})
{%- endmacro %}

{% macro duckdb__json_text(column, path='') -%}
    json_extract_string({{ column }}, {{ flowmetrics.json_dollar_path(path, quote_keys=true) }})
{%- endmacro %}

{% macro spark__json_text(column, path='') -%}
    {%- if path -%}
        get_json_object({{ column }}, {{ flowmetrics.json_dollar_path(path, quote_keys=false) }})
    {%- else -%}
        {#- Elements from json_array_elements are already text on Spark (strings unquoted, objects as JSON). -#}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{#- A join clause (written right after the from item that holds `column`) giving one row per element of the JSON
    array at `path`: `<alias>.element` (JSON; text on Spark) and `<alias>.position` (0-based). A missing, null or
    non-array value gives no row, as an inner join does. -#}
{% macro json_array_elements(column, path, alias) -%}
    {{ return(adapter.dispatch('json_array_elements', 'flowmetrics')(column, path, alias)) }}
{%- endmacro %}

{% macro default__json_array_elements(column, path, alias) -%}
    {%- set value = "(cast(" ~ column ~ " as jsonb) #> " ~ flowmetrics.json_postgres_path(path) ~ ")" -%}
    cross join lateral (
        select
            elements.value as element,
            elements.ordinality - 1 as position
        from jsonb_array_elements(
            case when jsonb_typeof({{ value }}) = 'array' then {{ value }} end
        ) with ordinality as elements (value, ordinality)
    ) as {{ alias }}
{%- endmacro %}

{% macro duckdb__json_array_elements(column, path, alias) -%}
    {%- set json_path = flowmetrics.json_dollar_path(path, quote_keys=true) -%}
    cross join lateral (
        select
            elements.value as element,
            cast(elements.key as integer) as position
        from json_each({{ column }}, {{ json_path }}) as elements
        where json_type({{ column }}, {{ json_path }}) = 'ARRAY'
    ) as {{ alias }}
{%- endmacro %}

{% macro spark__json_array_elements(column, path, alias) -%}
    lateral view posexplode(
        from_json(get_json_object({{ column }}, {{ flowmetrics.json_dollar_path(path, quote_keys=false) }}), 'array<string>')
    ) {{ alias }} as position, element
{%- endmacro %}

{#- '$."a"."b"' (DuckDB, keys quoted) or '$.a.b' (Spark) for the dotted path 'a.b'; '$' for the empty path. -#}
{% macro json_dollar_path(path, quote_keys) -%}
    {%- set parts = ['$'] -%}
    {%- for key in (path.split('.') if path else []) -%}
        {%- do parts.append('"' ~ key ~ '"' if quote_keys else key) -%}
    {%- endfor -%}
    {{ return(flowmetrics.quoted_literal(parts | join('.'))) }}
{%- endmacro %}

{#- Postgres' text-array path '{"a","b"}' for the dotted path 'a.b'; '{}' for the empty path. -#}
{% macro json_postgres_path(path) -%}
    {%- set keys = [] -%}
    {%- for key in (path.split('.') if path else []) -%}
        {%- do keys.append('"' ~ key ~ '"') -%}
    {%- endfor -%}
    {{ return(flowmetrics.quoted_literal('{' ~ keys | join(',') ~ '}')) }}
{%- endmacro %}
