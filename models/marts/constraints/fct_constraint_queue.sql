{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- The items waiting in front of the constraint named by the latest detection run (flowmetrics detect), oldest
    first: the agenda of a cross-functional unblock meeting. Empty when no run named a constraint. -#}

with

constraint_findings as (

    select * from {{ ref('stg_flowmetrics__constraint_findings') }}

),

status_intervals as (

    select * from {{ ref('fct_status_intervals') }}

),

work_items as (

    select * from {{ ref('fct_work_items') }}

),

rank_runs as (

    select
        *,
        row_number() over (order by detected_at desc, run_id desc) as recency
    from constraint_findings
    where scope = 'overall'

),

latest_constraint as (

    select
        run_id,
        detected_at,
        as_of as detected_as_of,
        constraint_stage,
        constraint_team,
        confidence
    from rank_runs
    where recency = 1 and constraint_stage is not null

),

select_waiting_items as (

    select
        status_intervals.ticket_id,
        status_intervals.stage,
        status_intervals.status,
        status_intervals.entered_at as queued_at,
        latest_constraint.run_id,
        latest_constraint.detected_at,
        latest_constraint.detected_as_of,
        latest_constraint.confidence
    from status_intervals
    inner join latest_constraint
        on status_intervals.stage = latest_constraint.constraint_stage
    where
        status_intervals.is_current
        and status_intervals.stage_kind = 'queue'
        and (latest_constraint.constraint_team is null or status_intervals.team = latest_constraint.constraint_team)

),

final as (

    select
        select_waiting_items.ticket_id,
        cast(
            row_number() over (order by select_waiting_items.queued_at, select_waiting_items.ticket_id)
            as {{ dbt.type_bigint() }}
        ) as queue_position,
        work_items.title,
        work_items.ticket_type,
        work_items.team,
        work_items.requested_by,
        work_items.ai_assisted,
        select_waiting_items.stage,
        select_waiting_items.status,
        select_waiting_items.queued_at,
        {{ seconds_between('select_waiting_items.queued_at', as_of()) }} as age_in_queue_seconds,
        work_items.entered_current_stage_at as entered_stage_at,
        work_items.age_in_stage_seconds,
        work_items.created_at,
        {{ seconds_between('work_items.created_at', as_of()) }} as age_since_created_seconds,
        work_items.rework_count,
        select_waiting_items.run_id,
        select_waiting_items.detected_at,
        select_waiting_items.detected_as_of,
        select_waiting_items.confidence as constraint_confidence
    from select_waiting_items
    inner join work_items
        on select_waiting_items.ticket_id = work_items.ticket_id

)

select * from final
