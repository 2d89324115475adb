{%- set override = as_of_override() -%}

with

status_changes as (

    select max(changed_at) as latest_at from {{ ref('stg_tickets__status_changes') }}

),

tickets as (

    select max(created_at) as latest_at from {{ ref('stg_tickets__tickets') }}

),

deploys as (

    select max(deployed_at) as latest_at from {{ ref('stg_deploys__deploys') }}

),

incidents_opened as (

    select max(opened_at) as latest_at from {{ ref('stg_deploys__incidents') }}

),

incidents_resolved as (

    select max(resolved_at) as latest_at from {{ ref('stg_deploys__incidents') }}

),

experiment_events as (

    select max(occurred_at) as latest_at from {{ ref('stg_experiments__events') }}

),

experiment_exposures as (

    select max(exposed_at) as latest_at from {{ ref('stg_experiments__exposures') }}

),

union_latest as (

    select latest_at from status_changes
    union all
    select latest_at from tickets
    union all
    select latest_at from deploys
    union all
    select latest_at from incidents_opened
    union all
    select latest_at from incidents_resolved
    union all
    select latest_at from experiment_events
    union all
    select latest_at from experiment_exposures

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
    from union_latest

)

select * from final
