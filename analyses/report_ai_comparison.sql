-- Question: does AI-assisted work finish, get reworked and fail in production more or less often than the rest?
-- The report's AI comparison: one row per ai_assisted value (null: not recorded) with the finish rate and median
-- cycle time of started work items, the rework rate and the change failure rate of deploys.

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

rework_rate as (

    select * from {{ ref('fct_rework_rate') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}

),

started_work_items as (

    select
        ai_assisted,
        count(*) as started,
        sum(case when state = 'finished' then 1 else 0 end) as finished,
        {{ flowmetrics.flowmetrics_median('cycle_time_seconds') }} as median_cycle_time_seconds
    from work_items
    where started_at is not null
    group by ai_assisted

),

rework as (

    select
        ai_assisted,
        sum(started_work_items) as started_work_items,
        sum(reworked_work_items) as reworked_work_items
    from rework_rate
    group by ai_assisted

),

deploys as (

    select
        ai_assisted,
        count(*) as deployments,
        sum(case when is_failure then 1 else 0 end) as failures
    from deployments
    group by ai_assisted

),

final as (

    select
        coalesce(started_work_items.ai_assisted, rework.ai_assisted, deploys.ai_assisted) as ai_assisted,
        cast(started_work_items.finished as {{ type_double() }}) / nullif(started_work_items.started, 0) as finish_rate,
        started_work_items.median_cycle_time_seconds / 86400.0 as median_cycle_time_days,
        cast(rework.reworked_work_items as {{ type_double() }}) / nullif(rework.started_work_items, 0) as rework_rate,
        cast(deploys.failures as {{ type_double() }}) / nullif(deploys.deployments, 0) as change_failure_rate
    from started_work_items
    full outer join rework
        on started_work_items.ai_assisted is not distinct from rework.ai_assisted
    full outer join deploys
        on coalesce(started_work_items.ai_assisted, rework.ai_assisted) is not distinct from deploys.ai_assisted

)

select * from final
order by ai_assisted
