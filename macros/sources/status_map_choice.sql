{#- Whether any configured source (var flowmetrics_sources) is a connector, not the contract: without a shipped
    status_map, such a build maps statuses by the map suggested from the data, not the default seed. -#}
{% macro connector_source_configured() -%}
    {%- for source in flowmetrics.configured_sources() -%}
        {%- if source.adapter != 'contract' -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
