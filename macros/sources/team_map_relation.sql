{#- The team map a connector source's tickets are mapped with: the relation named by var team_map_relation
    (`schema.table`, columns source_name, attribute, value, team) when set, else the seed team_map. -#}
{% macro team_map_relation() -%}
    {%- set name = var('team_map_relation', '') -%}
    {%- if not name -%}
        {{ return(ref('team_map')) }}
    {%- endif -%}
    {%- set parts = (name | string).split('.') -%}
    {%- if parts | length != 2 or not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', parts[0]) or not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', parts[1]) -%}
        {{ exceptions.raise_compiler_error("var team_map_relation must be schema.table (letters, digits, underscores); got '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(adapter.quote(parts[0]) ~ "." ~ adapter.quote(parts[1])) }}
{%- endmacro %}
