{#- One row per domain (flow, experiments, dora) with whether this build built it (vars
    flowmetrics_<domain>_enabled): the record readers check before they expect a domain's marts, so a domain switched
    off is told apart from a build that failed to make them. Never disabled itself. -#}

with

list_domains as (

    {% for domain in flowmetrics.flowmetrics_domains() -%}
        select
            '{{ domain }}' as domain_name,
            {{ 'true' if flowmetrics.flowmetrics_domain_enabled(domain) else 'false' }} as is_enabled
        {% if not loop.last -%}
            union all
        {% endif -%}
    {%- endfor %}

)

select * from list_domains
