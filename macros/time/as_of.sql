{#- The as-of time of this build, as a scalar SQL expression. Every model that needs "now" uses this macro,
    never current_timestamp: it is var('as_of') when set, else the latest event in the data (int_as_of_resolved). -#}
{% macro as_of() -%}
    (select as_of_resolved.as_of from {{ ref('int_as_of_resolved') }} as as_of_resolved)
{%- endmacro %}

{#- var('as_of') as a timestamp literal, or none when the var is not set. -#}
{% macro as_of_override() -%}
    {%- set value = var('as_of', '') -%}
    {%- if value is none or value | string | trim == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast('" ~ (value | string | trim | replace('T', ' ') | replace('Z', '')) ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
