-- Question: how old is the open work in each stage, and which items are older than the stage's usual time or the
-- 85% service-level expectation? The report's aging work-in-progress chart: one row per open item with its days in
-- the current stage against the stage's 85th percentile of completed visits, and its days since it started (null:
-- not started) against the overall 85th percentile of cycle time (fct_cycle_time_sle).

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

open_work_items as (

    select * from {{ ref('fct_open_work_items') }}

),

overall_lines as (

    select * from {{ ref('fct_cycle_time_sle') }}
    where sle_scope = 'overall'

),

final as (

    select
        open_work_items.ticket_id,
        open_work_items.team,
        open_work_items.requested_by,
        open_work_items.current_stage,
        open_work_items.current_stage_kind,
        open_work_items.age_in_stage_seconds / 86400.0 as days_in_stage,
        open_work_items.stage_p85_seconds / 86400.0 as stage_p85_days,
        open_work_items.is_past_stage_p85,
        open_work_items.age_seconds / 86400.0 as days_since_started,
        overall_lines.p85_cycle_time_seconds / 86400.0 as sle_p85_days,
        open_work_items.age_seconds > overall_lines.p85_cycle_time_seconds as is_past_sle_p85
    from open_work_items
    cross join overall_lines

)

select * from final
order by current_stage asc, days_in_stage desc
