{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- One row per ISO week (Monday 00:00 UTC) x service x environment, from the week of the service's first deploy
    to the as-of week (weeks without deploys included): the DORA measures, overall and split by AI assistance.
    Restore figures come from fct_incidents when the warehouse has any incident, else from deploy status. -#}

with

deployments as (

    select * from {{ ref('fct_deployments') }}

),

incidents as (

    select * from {{ ref('fct_incidents') }}

),

choose_restore_source as (

    select case when count(*) > 0 then 'incidents' else 'deploy_status' end as restore_source
    from incidents

),

-- an incident counts in the week it was opened, under the service and environment it is attributed to
aggregate_incident_weeks as (

    select
        {{ flowmetrics_iso_week_start('opened_at') }} as week_start,
        attributed_service as service,
        attributed_environment as environment,
        count(*) as incidents_opened,
        sum(case when is_restored then 0 else 1 end) as unrestored_incidents,
        {{ flowmetrics_median('time_to_restore_seconds') }} as median_time_to_restore_seconds
    from incidents
    where attributed_environment is not null
    group by {{ flowmetrics_iso_week_start('opened_at') }}, attributed_service, attributed_environment

),

assign_weeks as (

    select
        {{ flowmetrics_iso_week_start('deployed_at') }} as week_start,
        service,
        environment,
        {{ utc_date('deployed_at') }} as deployed_on,
        deploy_status,
        is_failure,
        is_restored,
        ai_assisted,
        lead_time_seconds,
        time_to_restore_seconds
    from deployments

),

services as (

    select
        service,
        environment,
        min(week_start) as first_week_start
    from assign_weeks
    group by service, environment

),

calendar_days as (

    {{ flowmetrics_date_spine('(select min(services.first_week_start) from services)', utc_date(as_of())) }}

),

calendar_weeks as (

    select distinct {{ flowmetrics_iso_week_start('date_day') }} as week_start
    from calendar_days

),

aggregate_weeks as (

    select
        week_start,
        service,
        environment,
        count(*) as deployments,
        count(distinct deployed_on) as deployment_days,
        sum(case when is_failure then 1 else 0 end) as failed_deployments,
        sum(case when deploy_status = 'rolled_back' then 1 else 0 end) as rolled_back_deployments,
        sum(case when is_failure and not is_restored then 1 else 0 end) as unrestored_failures,
        {{ flowmetrics_median("case when deploy_status = 'success' then lead_time_seconds end") }}
            as median_lead_time_seconds,
        {{ flowmetrics_median('time_to_restore_seconds') }} as median_time_to_restore_seconds,
        sum(case when ai_assisted then 1 else 0 end) as ai_assisted_deployments,
        sum(case when ai_assisted and is_failure then 1 else 0 end) as ai_assisted_failed_deployments,
        {{ flowmetrics_median("case when ai_assisted and deploy_status = 'success' then lead_time_seconds end") }}
            as ai_assisted_median_lead_time_seconds,
        sum(case when not ai_assisted then 1 else 0 end) as not_ai_assisted_deployments,
        sum(case when not ai_assisted and is_failure then 1 else 0 end) as not_ai_assisted_failed_deployments,
        {{ flowmetrics_median("case when not ai_assisted and deploy_status = 'success' then lead_time_seconds end") }}
            as not_ai_assisted_median_lead_time_seconds
    from assign_weeks
    group by week_start, service, environment

),

fill_weeks as (

    select
        calendar_weeks.week_start,
        services.service,
        services.environment,
        coalesce(aggregate_weeks.deployments, 0) as deployments,
        coalesce(aggregate_weeks.deployment_days, 0) as deployment_days,
        coalesce(aggregate_weeks.failed_deployments, 0) as failed_deployments,
        coalesce(aggregate_weeks.rolled_back_deployments, 0) as rolled_back_deployments,
        choose_restore_source.restore_source,
        case
            when choose_restore_source.restore_source = 'incidents'
                then coalesce(aggregate_incident_weeks.unrestored_incidents, 0)
            else coalesce(aggregate_weeks.unrestored_failures, 0)
        end as unrestored_failures,
        coalesce(aggregate_incident_weeks.incidents_opened, 0) as incidents_opened,
        aggregate_weeks.median_lead_time_seconds,
        case
            when choose_restore_source.restore_source = 'incidents'
                then aggregate_incident_weeks.median_time_to_restore_seconds
            else aggregate_weeks.median_time_to_restore_seconds
        end as median_time_to_restore_seconds,
        coalesce(aggregate_weeks.ai_assisted_deployments, 0) as ai_assisted_deployments,
        coalesce(aggregate_weeks.ai_assisted_failed_deployments, 0) as ai_assisted_failed_deployments,
        aggregate_weeks.ai_assisted_median_lead_time_seconds,
        coalesce(aggregate_weeks.not_ai_assisted_deployments, 0) as not_ai_assisted_deployments,
        coalesce(aggregate_weeks.not_ai_assisted_failed_deployments, 0) as not_ai_assisted_failed_deployments,
        aggregate_weeks.not_ai_assisted_median_lead_time_seconds
    from services
    inner join calendar_weeks
        on services.first_week_start <= calendar_weeks.week_start
    cross join choose_restore_source
    left join aggregate_weeks
        on
            calendar_weeks.week_start = aggregate_weeks.week_start
            and services.service = aggregate_weeks.service
            and services.environment = aggregate_weeks.environment
    left join aggregate_incident_weeks
        on
            calendar_weeks.week_start = aggregate_incident_weeks.week_start
            and services.service = aggregate_incident_weeks.service
            and services.environment = aggregate_incident_weeks.environment

),

final as (

    select
        week_start,
        service,
        environment,
        cast(deployments as {{ dbt.type_bigint() }}) as deployments,
        cast(deployment_days as {{ dbt.type_bigint() }}) as deployment_days,
        cast(failed_deployments as {{ dbt.type_bigint() }}) as failed_deployments,
        cast(rolled_back_deployments as {{ dbt.type_bigint() }}) as rolled_back_deployments,
        case
            when deployments > 0 then cast(failed_deployments as {{ type_double() }}) / deployments
        end as change_failure_rate,
        cast(median_lead_time_seconds as {{ type_double() }}) as median_lead_time_seconds,
        cast(median_time_to_restore_seconds as {{ type_double() }}) as median_time_to_restore_seconds,
        cast(unrestored_failures as {{ dbt.type_bigint() }}) as unrestored_failures,
        cast(restore_source as {{ dbt.type_string() }}) as restore_source,
        cast(incidents_opened as {{ dbt.type_bigint() }}) as incidents_opened,
        cast(ai_assisted_deployments as {{ dbt.type_bigint() }}) as ai_assisted_deployments,
        cast(ai_assisted_failed_deployments as {{ dbt.type_bigint() }}) as ai_assisted_failed_deployments,
        case
            when ai_assisted_deployments > 0
                then cast(ai_assisted_failed_deployments as {{ type_double() }}) / ai_assisted_deployments
        end as ai_assisted_change_failure_rate,
        cast(ai_assisted_median_lead_time_seconds as {{ type_double() }}) as ai_assisted_median_lead_time_seconds,
        cast(not_ai_assisted_deployments as {{ dbt.type_bigint() }}) as not_ai_assisted_deployments,
        cast(not_ai_assisted_failed_deployments as {{ dbt.type_bigint() }}) as not_ai_assisted_failed_deployments,
        case
            when not_ai_assisted_deployments > 0
                then cast(not_ai_assisted_failed_deployments as {{ type_double() }}) / not_ai_assisted_deployments
        end as not_ai_assisted_change_failure_rate,
        cast(not_ai_assisted_median_lead_time_seconds as {{ type_double() }})
            as not_ai_assisted_median_lead_time_seconds,
        {{ dbt.dateadd('day', 7, 'week_start') }} <= {{ as_of() }} as is_complete_week
    from fill_weeks

)

select * from final
