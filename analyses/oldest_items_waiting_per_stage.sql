-- Question: which open items have waited longest at each stage, and how far past the stage's usual time are they?
-- The five oldest open items per current stage, by time in the stage, next to the stage's historical 85th
-- percentile of completed visits.

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

open_work_items as (

    select * from {{ ref('fct_open_work_items') }}

),

rank_by_age_in_stage as (

    select
        current_stage,
        ticket_id,
        title,
        team,
        requested_by,
        current_status,
        current_stage_kind,
        entered_current_stage_at,
        age_in_stage_seconds,
        stage_p85_seconds,
        is_past_stage_p85,
        rework_count,
        row_number() over (
            partition by current_stage
            order by age_in_stage_seconds desc, ticket_id asc
        ) as age_rank
    from open_work_items

),

final as (

    select
        current_stage,
        age_rank,
        ticket_id,
        title,
        team,
        requested_by,
        current_status,
        current_stage_kind,
        entered_current_stage_at,
        age_in_stage_seconds / 86400.0 as days_in_stage,
        stage_p85_seconds / 86400.0 as stage_p85_days,
        age_in_stage_seconds / nullif(stage_p85_seconds, 0) as times_stage_p85,
        is_past_stage_p85,
        rework_count
    from rank_by_age_in_stage
    where age_rank <= 5

)

select * from final
order by current_stage, age_rank
