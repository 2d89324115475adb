-- Question: how old is the open work in each stage, and which items are older than the stage's usual time? The
-- report's aging work-in-progress chart: one row per open item with its days in the current stage and the stage's
-- 85th percentile of completed visits.

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

open_work_items as (

    select * from {{ ref('fct_open_work_items') }}

),

final as (

    select
        ticket_id,
        team,
        requested_by,
        current_stage,
        current_stage_kind,
        age_in_stage_seconds / 86400.0 as days_in_stage,
        stage_p85_seconds / 86400.0 as stage_p85_days,
        is_past_stage_p85
    from open_work_items

)

select * from final
order by current_stage asc, days_in_stage desc
