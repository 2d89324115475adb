{%- set override = as_of_override() -%}
{#- The latest event of every enabled domain (vars flowmetrics_<domain>_enabled): a disabled domain's staging models
    are not built, and its events do not move the as-of. -#}
{%- set latest = [] -%}
{%- if flowmetrics.flowmetrics_domain_enabled('flow') -%}
    {%- do latest.extend([
        ('changed_at', 'stg_tickets__status_changes'),
        ('created_at', 'stg_tickets__tickets'),
    ]) -%}
{%- endif -%}
{%- if flowmetrics.flowmetrics_domain_enabled('dora') -%}
    {%- do latest.extend([
        ('deployed_at', 'stg_deploys__deploys'),
        ('opened_at', 'stg_deploys__incidents'),
        ('resolved_at', 'stg_deploys__incidents'),
    ]) -%}
{%- endif -%}
{%- if flowmetrics.flowmetrics_domain_enabled('experiments') -%}
    {%- do latest.extend([
        ('occurred_at', 'stg_experiments__events'),
        ('exposed_at', 'stg_experiments__exposures'),
    ]) -%}
{%- endif -%}
{%- if latest | length == 0 -%}
    {{ exceptions.raise_compiler_error("vars flowmetrics_flow_enabled, flowmetrics_experiments_enabled and flowmetrics_dora_enabled are all false: no domain to build") }}
{%- endif %}

with

latest_events as (

    {% for column, model in latest -%}
        select max({{ column }}) as latest_at from {{ ref(model) }}
        {% if not loop.last -%}
            union all
        {% endif -%}
    {%- endfor %}
),

final as (

    select
        {% if override is none -%}
            max(latest_at) as as_of,
        {%- else -%}
            {{ override }} as as_of,
        {%- endif %}
        max(latest_at) as latest_event_at,
        {{ 'false' if override is none else 'true' }} as is_as_of_overridden
    from latest_events

)

select * from final
