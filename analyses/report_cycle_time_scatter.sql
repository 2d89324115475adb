-- Question: how long did the recently finished work take from start to finish, against the service-level
-- expectations? The report's cycle-time scatter: one row per work item finished in the SLE window, its cycle time
-- in days and the overall 50/85/95% lines of fct_cycle_time_sle (the per-type lines are the mart's other rows).

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

cycle_time_sle as (

    select * from {{ ref('fct_cycle_time_sle') }}

),

overall_lines as (

    select * from cycle_time_sle
    where sle_scope = 'overall'

),

final as (

    select
        work_items.ticket_id,
        work_items.ticket_type,
        work_items.finished_at,
        work_items.cycle_time_seconds / 86400.0 as cycle_time_days,
        overall_lines.p50_cycle_time_seconds / 86400.0 as sle_p50_days,
        overall_lines.p85_cycle_time_seconds / 86400.0 as sle_p85_days,
        overall_lines.p95_cycle_time_seconds / 86400.0 as sle_p95_days
    from work_items
    inner join overall_lines
        on
            work_items.finished_at > overall_lines.window_start
            and work_items.finished_at <= overall_lines.window_end
    where
        work_items.state = 'finished'
        and work_items.cycle_time_seconds is not null

)

select * from final
order by finished_at asc, ticket_id asc
