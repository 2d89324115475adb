{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- One row per ISO week x service x environment x scope: the service's deploys (scope service, team null) and
    each team's deploys to it (scope team), measured over the trailing window of var dora_tier_window_weeks weeks
    ending with the week, with each DORA key's tier by var dora_performance_bands and the overall tier, the worst
    of the keys' tiers. A deploy counts under every team of the tickets it shipped. -#}

{%- set window_weeks = var('dora_tier_window_weeks') | int %}

with

dora_weekly as (

    select * from {{ ref('fct_dora_weekly') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}

),

deploy_tickets as (

    select * from {{ ref('stg_deploys__deploy_tickets') }}

),

work_items as (

    select * from {{ ref('fct_work_items') }}

),

find_deploy_teams as (

    select distinct
        deploy_tickets.deploy_id,
        work_items.team
    from deploy_tickets
    inner join work_items
        on deploy_tickets.ticket_id = work_items.ticket_id
    where work_items.team is not null

),

-- each deploy once under its service, and once under each team of its shipped tickets
assign_scopes as (

    select
        deploy_id,
        'service' as scope,
        cast(null as {{ dbt.type_string() }}) as team
    from deployments

    union all

    select
        deploy_id,
        'team' as scope,
        team
    from find_deploy_teams

),

-- a failure still unrestored at the as-of counts with the time it has been open so far (a lower bound)
scope_deployments as (

    select
        assign_scopes.scope,
        assign_scopes.team,
        deployments.deploy_id,
        deployments.service,
        deployments.environment,
        {{ flowmetrics_iso_week_start('deployments.deployed_at') }} as week_start,
        deployments.deploy_status,
        deployments.is_failure,
        deployments.lead_time_seconds,
        case
            when deployments.is_failure and not deployments.is_restored then 1 else 0
        end as is_unrestored_failure,
        case
            when deployments.is_failure
                then coalesce(
                    deployments.time_to_restore_seconds,
                    {{ seconds_between('deployments.deployed_at', as_of()) }}
                )
        end as restore_or_open_seconds
    from assign_scopes
    inner join deployments
        on assign_scopes.deploy_id = deployments.deploy_id

),

find_first_weeks as (

    select
        service,
        environment,
        min(week_start) as first_week_start
    from dora_weekly
    group by service, environment

),

find_team_first_weeks as (

    select
        service,
        environment,
        team,
        min(week_start) as first_week_start
    from scope_deployments
    where scope = 'team'
    group by service, environment, team

),

-- the service's weeks from its first deploy, and each team's from the team's first deploy to the service
spine_weeks as (

    select
        dora_weekly.week_start,
        dora_weekly.service,
        dora_weekly.environment,
        'service' as scope,
        cast(null as {{ dbt.type_string() }}) as team,
        dora_weekly.is_complete_week
    from dora_weekly

    union all

    select
        dora_weekly.week_start,
        dora_weekly.service,
        dora_weekly.environment,
        'team' as scope,
        find_team_first_weeks.team,
        dora_weekly.is_complete_week
    from dora_weekly
    inner join find_team_first_weeks
        on
            dora_weekly.service = find_team_first_weeks.service
            and dora_weekly.environment = find_team_first_weeks.environment
            and dora_weekly.week_start >= find_team_first_weeks.first_week_start

),

attach_first_weeks as (

    select
        spine_weeks.*,
        cast(find_first_weeks.first_week_start as {{ dbt.type_timestamp() }}) as first_week_at,
        cast(spine_weeks.week_start as {{ dbt.type_timestamp() }}) as week_at
    from spine_weeks
    inner join find_first_weeks
        on
            spine_weeks.service = find_first_weeks.service
            and spine_weeks.environment = find_first_weeks.environment

),

count_history_weeks as (

    select
        *,
        {{ seconds_between('first_week_at', 'week_at') }} / 604800 + 1 as history_weeks
    from attach_first_weeks

),

-- the window: the week and the weeks before it, back to the service's first week
size_windows as (

    select
        week_start,
        service,
        environment,
        scope,
        team,
        is_complete_week,
        case when history_weeks < {{ window_weeks }} then history_weeks else {{ window_weeks }} end as window_weeks
    from count_history_weeks

),

aggregate_windows as (

    select
        size_windows.week_start,
        size_windows.service,
        size_windows.environment,
        size_windows.scope,
        size_windows.team,
        size_windows.is_complete_week,
        size_windows.window_weeks,
        count(scope_deployments.deploy_id) as deployments,
        sum(case when scope_deployments.is_failure then 1 else 0 end) as failed_deployments,
        sum(scope_deployments.is_unrestored_failure) as unrestored_failures,
        {{ flowmetrics_median(
            "case when scope_deployments.deploy_status = 'success' then scope_deployments.lead_time_seconds end"
        ) }} as median_lead_time_seconds,
        {{ flowmetrics_median('scope_deployments.restore_or_open_seconds') }} as median_time_to_restore_seconds
    from size_windows
    left join scope_deployments
        on
            size_windows.service = scope_deployments.service
            and size_windows.environment = scope_deployments.environment
            and size_windows.scope = scope_deployments.scope
            and (size_windows.scope = 'service' or size_windows.team = scope_deployments.team)
            and size_windows.week_start >= scope_deployments.week_start
            and {{ dbt.dateadd('day', -7 * window_weeks, 'size_windows.week_start') }} < scope_deployments.week_start
    group by
        size_windows.week_start,
        size_windows.service,
        size_windows.environment,
        size_windows.scope,
        size_windows.team,
        size_windows.is_complete_week,
        size_windows.window_weeks

),

measure_windows as (

    select
        *,
        cast(deployments as {{ type_double() }}) / window_weeks as deployments_per_week,
        case
            when deployments > 0 then cast(failed_deployments as {{ type_double() }}) / deployments
        end as change_failure_rate
    from aggregate_windows

),

rate_keys as (

    select
        *,
        {{ dora_tier('deployments_per_week * 365 / 7', 'deployments_per_year', higher_is_better=true) }}
            as deployment_frequency_tier,
        {{ dora_tier('median_lead_time_seconds', 'lead_time_hours', scale=3600) }} as lead_time_tier,
        {{ dora_tier('change_failure_rate', 'change_failure_rate') }} as change_failure_rate_tier,
        {{ dora_tier('median_time_to_restore_seconds', 'time_to_restore_hours', scale=3600) }}
            as time_to_restore_tier
    from measure_windows

),

-- the overall tier is the worst of the keys' tiers; a key without a tier (no deploys, no failure) is left out
rank_tiers as (

    select
        *,
        case deployment_frequency_tier
            when 'elite' then 1 when 'high' then 2 when 'medium' then 3 when 'low' then 4 else 0
        end as deployment_frequency_rank,
        case lead_time_tier
            when 'elite' then 1 when 'high' then 2 when 'medium' then 3 when 'low' then 4 else 0
        end as lead_time_rank,
        case change_failure_rate_tier
            when 'elite' then 1 when 'high' then 2 when 'medium' then 3 when 'low' then 4 else 0
        end as change_failure_rate_rank,
        case time_to_restore_tier
            when 'elite' then 1 when 'high' then 2 when 'medium' then 3 when 'low' then 4 else 0
        end as time_to_restore_rank
    from rate_keys

),

final as (

    select
        week_start,
        service,
        environment,
        cast(scope as {{ dbt.type_string() }}) as scope,
        cast(team as {{ dbt.type_string() }}) as team,
        is_complete_week,
        cast(window_weeks as {{ dbt.type_bigint() }}) as window_weeks,
        cast(deployments as {{ dbt.type_bigint() }}) as deployments,
        cast(deployments_per_week as {{ type_double() }}) as deployments_per_week,
        cast(deployment_frequency_tier as {{ dbt.type_string() }}) as deployment_frequency_tier,
        cast(median_lead_time_seconds as {{ type_double() }}) as median_lead_time_seconds,
        cast(lead_time_tier as {{ dbt.type_string() }}) as lead_time_tier,
        cast(failed_deployments as {{ dbt.type_bigint() }}) as failed_deployments,
        cast(change_failure_rate as {{ type_double() }}) as change_failure_rate,
        cast(change_failure_rate_tier as {{ dbt.type_string() }}) as change_failure_rate_tier,
        cast(coalesce(unrestored_failures, 0) as {{ dbt.type_bigint() }}) as unrestored_failures,
        cast(median_time_to_restore_seconds as {{ type_double() }}) as median_time_to_restore_seconds,
        cast(time_to_restore_tier as {{ dbt.type_string() }}) as time_to_restore_tier,
        cast(
            case greatest(deployment_frequency_rank, lead_time_rank, change_failure_rate_rank, time_to_restore_rank)
                when 1 then 'elite' when 2 then 'high' when 3 then 'medium' else 'low'
            end as {{ dbt.type_string() }}
        ) as overall_tier,
        cast('{{ var("dora_performance_bands")["version"] }}' as {{ dbt.type_string() }}) as bands_version
    from rank_tiers

)

select * from final
