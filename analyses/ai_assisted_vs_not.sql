-- Question: does AI-assisted work finish, get reworked and fail in production more or less often than the rest?
-- Finish rate of started work items (mature cohorts only, when there are any, else all), rework rate of started
-- items, and change failure rate of deploys (a deploy is AI-assisted when it shipped an AI-assisted ticket).

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

with

finish_rate as (

    select * from {{ ref('fct_work_item_finish_rate') }}

),

rework_rate as (

    select * from {{ ref('fct_rework_rate') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}

),

cohorts as (

    select 'ai_assisted' as ai_assistance
    union all
    select 'not_ai_assisted' as ai_assistance
    union all
    select 'unknown' as ai_assistance

),

has_mature_cohorts as (

    select max(case when is_mature then 1 else 0 end) as any_mature
    from finish_rate

),

label_finish_rate as (

    select
        finish_rate.started,
        finish_rate.finished,
        case
            when finish_rate.ai_assisted then 'ai_assisted'
            when not finish_rate.ai_assisted then 'not_ai_assisted'
            else 'unknown'
        end as ai_assistance
    from finish_rate
    cross join has_mature_cohorts
    where finish_rate.is_mature or has_mature_cohorts.any_mature = 0

),

finishing as (

    select
        ai_assistance,
        sum(started) as started,
        sum(finished) as finished
    from label_finish_rate
    group by ai_assistance

),

label_rework_rate as (

    select
        started_work_items,
        reworked_work_items,
        backward_moves,
        case
            when ai_assisted then 'ai_assisted'
            when not ai_assisted then 'not_ai_assisted'
            else 'unknown'
        end as ai_assistance
    from rework_rate

),

reworking as (

    select
        ai_assistance,
        sum(started_work_items) as started_work_items,
        sum(reworked_work_items) as reworked_work_items,
        sum(backward_moves) as backward_moves
    from label_rework_rate
    group by ai_assistance

),

label_deployments as (

    select
        is_failure,
        lead_time_seconds,
        case
            when ai_assisted then 'ai_assisted'
            when not ai_assisted then 'not_ai_assisted'
            else 'unknown'
        end as ai_assistance
    from deployments

),

deploying as (

    select
        ai_assistance,
        count(*) as deployments,
        sum(case when is_failure then 1 else 0 end) as failed_deployments,
        {{ flowmetrics_median('lead_time_seconds') }} / 3600.0 as median_lead_time_hours
    from label_deployments
    group by ai_assistance

),

final as (

    select
        cohorts.ai_assistance,
        coalesce(finishing.started, 0) as started,
        coalesce(finishing.finished, 0) as finished,
        cast(finishing.finished as {{ type_double() }}) / nullif(finishing.started, 0) as finish_rate,
        cast(reworking.reworked_work_items as {{ type_double() }})
        / nullif(reworking.started_work_items, 0) as rework_rate,
        cast(reworking.backward_moves as {{ type_double() }})
        / nullif(reworking.started_work_items, 0) as backward_moves_per_item,
        coalesce(deploying.deployments, 0) as deployments,
        cast(deploying.failed_deployments as {{ type_double() }})
        / nullif(deploying.deployments, 0) as change_failure_rate,
        deploying.median_lead_time_hours
    from cohorts
    left join finishing
        on cohorts.ai_assistance = finishing.ai_assistance
    left join reworking
        on cohorts.ai_assistance = reworking.ai_assistance
    left join deploying
        on cohorts.ai_assistance = deploying.ai_assistance

)

select * from final
where started > 0 or deployments > 0
order by ai_assistance
