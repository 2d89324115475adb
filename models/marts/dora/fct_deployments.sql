{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- One row per deploy at or before the as-of: the tickets it shipped, lead time for changes, and for a failure
    (status failed or rolled_back, or named as the cause of an incident) the time to restore: until the last of
    its incidents was resolved when it caused incidents, else until the next successful deploy of the same service
    and environment. -#}

with

deploys as (

    select * from {{ ref('stg_deploys__deploys') }}

),

deploy_tickets as (

    select * from {{ ref('stg_deploys__deploy_tickets') }}

),

work_items as (

    select * from {{ ref('fct_work_items') }}

),

incidents as (

    select * from {{ ref('fct_incidents') }}

),

-- an incident still open makes its deploy unrestored: the deploy is restored when its last incident is resolved
summarise_caused_incidents as (

    select
        caused_by_deploy_id as deploy_id,
        count(*) as incidents_caused,
        case when count(*) = count(resolved_at) then max(resolved_at) end as incidents_resolved_at
    from incidents
    where is_caused_by_known_deploy
    group by caused_by_deploy_id

),

keep_deploys_up_to_as_of as (

    select
        deploys.*,
        coalesce(summarise_caused_incidents.incidents_caused, 0) as incidents_caused,
        summarise_caused_incidents.incidents_resolved_at,
        deploys.deploy_status in ('failed', 'rolled_back')
        or coalesce(summarise_caused_incidents.incidents_caused, 0) > 0 as is_failure
    from deploys
    left join summarise_caused_incidents
        on deploys.deploy_id = summarise_caused_incidents.deploy_id
    where deploys.deployed_at <= {{ as_of() }}

),

distinct_deploy_tickets as (

    select distinct
        deploy_id,
        ticket_id
    from deploy_tickets

),

summarise_shipped_tickets as (

    select
        distinct_deploy_tickets.deploy_id,
        count(*) as tickets_shipped,
        sum(case when work_items.ai_assisted then 1 else 0 end) as ai_assisted_tickets,
        sum(case when not work_items.ai_assisted then 1 else 0 end) as not_ai_assisted_tickets,
        min(work_items.started_at) as first_ticket_started_at
    from distinct_deploy_tickets
    left join work_items
        on distinct_deploy_tickets.ticket_id = work_items.ticket_id
    group by distinct_deploy_tickets.deploy_id

),

-- the next successful deploy strictly after each deploy: at equal times successes sort first, so they are not "after"
find_next_success as (

    select
        *,
        min(case when deploy_status = 'success' then deployed_at end) over (
            partition by service, environment
            order by deployed_at, case when deploy_status = 'success' then 0 else 1 end, deploy_id
            rows between 1 following and unbounded following
        ) as next_success_at
    from keep_deploys_up_to_as_of

),

successes as (

    select
        service,
        environment,
        deployed_at,
        min(deploy_id) as deploy_id
    from keep_deploys_up_to_as_of
    where deploy_status = 'success'
    group by service, environment, deployed_at

),

attach_restores as (

    select
        find_next_success.*,
        case
            when find_next_success.incidents_caused > 0 then find_next_success.incidents_resolved_at
            when find_next_success.is_failure then find_next_success.next_success_at
        end as restored_at,
        case
            when find_next_success.incidents_caused > 0 then null
            when find_next_success.is_failure then successes.deploy_id
        end as restored_by_deploy_id
    from find_next_success
    left join successes
        on
            find_next_success.service = successes.service
            and find_next_success.environment = successes.environment
            and find_next_success.next_success_at = successes.deployed_at

),

final as (

    select
        attach_restores.deploy_id,
        attach_restores.service,
        attach_restores.environment,
        attach_restores.deployed_at,
        attach_restores.deploy_status,
        attach_restores.commit_sha,
        attach_restores.first_commit_at,
        cast(coalesce(summarise_shipped_tickets.tickets_shipped, 0) as {{ dbt.type_bigint() }}) as tickets_shipped,
        cast(coalesce(summarise_shipped_tickets.ai_assisted_tickets, 0) as {{ dbt.type_bigint() }})
            as ai_assisted_tickets,
        cast(coalesce(summarise_shipped_tickets.not_ai_assisted_tickets, 0) as {{ dbt.type_bigint() }})
            as not_ai_assisted_tickets,
        case
            when summarise_shipped_tickets.ai_assisted_tickets > 0 then true
            when summarise_shipped_tickets.not_ai_assisted_tickets > 0 then false
        end as ai_assisted,
        coalesce(
            summarise_shipped_tickets.ai_assisted_tickets > 0 and summarise_shipped_tickets.not_ai_assisted_tickets > 0,
            false
        ) as is_mixed_ai_assistance,
        summarise_shipped_tickets.first_ticket_started_at,
        coalesce(attach_restores.first_commit_at, summarise_shipped_tickets.first_ticket_started_at)
            as change_started_at,
        case
            when attach_restores.first_commit_at is not null then 'first_commit'
            when summarise_shipped_tickets.first_ticket_started_at is not null then 'ticket_first_active'
            else 'none'
        end as lead_time_source,
        {{ seconds_between(
            'coalesce(attach_restores.first_commit_at, summarise_shipped_tickets.first_ticket_started_at)',
            'attach_restores.deployed_at'
        ) }} as lead_time_seconds,
        attach_restores.is_failure,
        cast(attach_restores.incidents_caused as {{ dbt.type_bigint() }}) as incidents_caused,
        case
            when attach_restores.incidents_caused > 0 then 'incidents'
            when attach_restores.is_failure then 'deploy_status'
        end as restore_source,
        case when attach_restores.is_failure then attach_restores.restored_at is not null end as is_restored,
        attach_restores.restored_at,
        attach_restores.restored_by_deploy_id,
        {{ seconds_between('attach_restores.deployed_at', 'attach_restores.restored_at') }} as time_to_restore_seconds
    from attach_restores
    left join summarise_shipped_tickets
        on attach_restores.deploy_id = summarise_shipped_tickets.deploy_id

)

select * from final
