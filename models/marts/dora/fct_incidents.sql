{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- One row per incident opened at or before the as-of: from raw incidents, and from tickets whose ticket_type is
    one of var('incident_ticket_types') (opened when created, resolved at their first entry into a done status).
    An incident resolved after the as-of is still open at the as-of (censored). -#}

{%- set ticket_types = var('incident_ticket_types', []) -%}
{%- if ticket_types is string -%}{%- set ticket_types = [ticket_types] if ticket_types | trim else [] -%}{%- endif -%}
{%- set quoted_types = [] -%}
{%- for ticket_type in ticket_types -%}
    {%- do quoted_types.append(flowmetrics.quoted_literal(ticket_type) | trim) -%}
{%- endfor -%}
{%- set ticket_type_list = quoted_types | join(', ') -%}

with

incidents as (

    select * from {{ ref('stg_deploys__incidents') }}

),

deploys as (

    select * from {{ ref('stg_deploys__deploys') }}

),

work_items as (

    select * from {{ ref('fct_work_items') }}

),

status_intervals as (

    select * from {{ ref('fct_status_intervals') }}

),

recorded_incidents as (

    select
        incident_id,
        'incidents' as incident_source,
        service,
        severity,
        opened_at,
        resolved_at,
        caused_by_deploy_id
    from incidents

),

first_done_entries as (

    select
        ticket_id,
        min(entered_at) as resolved_at
    from status_intervals
    where stage_kind = 'done' and entered_at <= {{ as_of() }}
    group by ticket_id

),

ticket_incidents as (

    select
        work_items.ticket_id as incident_id,
        'ticket' as incident_source,
        work_items.team as service,
        cast(null as {{ dbt.type_string() }}) as severity,
        work_items.created_at as opened_at,
        first_done_entries.resolved_at,
        cast(null as {{ dbt.type_string() }}) as caused_by_deploy_id
    from work_items
    left join first_done_entries
        on work_items.ticket_id = first_done_entries.ticket_id
    {% if ticket_types | length > 0 -%}
        where work_items.ticket_type in ({{ ticket_type_list }})
    {%- else -%}
        where 1 = 0
    {%- endif %}

),

union_sources as (

    select * from recorded_incidents
    union all
    select * from ticket_incidents

),

keep_incidents_up_to_as_of as (

    select
        incident_id,
        incident_source,
        service,
        severity,
        opened_at,
        case when resolved_at <= {{ as_of() }} then resolved_at end as resolved_at,
        caused_by_deploy_id
    from union_sources
    where opened_at <= {{ as_of() }}

),

known_deploys as (

    select
        deploy_id,
        service,
        environment,
        deployed_at
    from deploys
    where deployed_at <= {{ as_of() }}

),

-- a service's environment when its deploys name one environment, else its production environment if it has one
service_environments as (

    select
        service,
        case
            when count(distinct environment) = 1 then min(environment)
            else max(case when environment = 'production' then environment end)
        end as environment
    from known_deploys
    group by service

),

attach_deploys as (

    select
        keep_incidents_up_to_as_of.*,
        known_deploys.deploy_id is not null as is_caused_by_known_deploy,
        coalesce(known_deploys.service, keep_incidents_up_to_as_of.service) as attributed_service,
        coalesce(known_deploys.environment, service_environments.environment) as attributed_environment
    from keep_incidents_up_to_as_of
    left join known_deploys
        on
            keep_incidents_up_to_as_of.caused_by_deploy_id = known_deploys.deploy_id
            and keep_incidents_up_to_as_of.opened_at >= known_deploys.deployed_at
    left join service_environments
        on keep_incidents_up_to_as_of.service = service_environments.service

),

final as (

    select
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        cast(incident_source as {{ dbt.type_string() }}) as incident_source,
        cast(service as {{ dbt.type_string() }}) as service,
        cast(severity as {{ dbt.type_string() }}) as severity,
        opened_at,
        resolved_at,
        resolved_at is not null as is_restored,
        {{ seconds_between('opened_at', 'resolved_at') }} as time_to_restore_seconds,
        cast(caused_by_deploy_id as {{ dbt.type_string() }}) as caused_by_deploy_id,
        is_caused_by_known_deploy,
        cast(attributed_service as {{ dbt.type_string() }}) as attributed_service,
        cast(attributed_environment as {{ dbt.type_string() }}) as attributed_environment
    from attach_deploys

)

select * from final
