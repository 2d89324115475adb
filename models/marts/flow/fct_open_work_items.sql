{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per open ticket at the as-of, across every team and requesting function: where it waits and for how
    long, against the stage's historical 85th percentile of completed visits. -#}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

stage_visits as (

    select * from {{ ref('fct_stage_visits') }}

),

completed_visit_percentiles as (

    select
        stage,
        count(*) as completed_visits,
        {{ flowmetrics_percentile_cont(seconds_between('entered_at', 'exited_at'), 0.85) }} as p85_seconds_in_stage
    from stage_visits
    where exited_at is not null
    group by stage

),

current_visits as (

    select
        ticket_id,
        visit_number as current_visit_number
    from stage_visits
    where is_open

),

final as (

    select
        work_items.ticket_id,
        work_items.title,
        work_items.ticket_type,
        work_items.team,
        work_items.requested_by,
        work_items.ai_assisted,
        work_items.experiment_id,
        work_items.created_at,
        work_items.started_at,
        work_items.current_status,
        work_items.current_stage,
        work_items.current_stage_kind,
        work_items.entered_current_stage_at,
        cast(current_visits.current_visit_number as {{ dbt.type_bigint() }}) as current_visit_number,
        work_items.rework_count,
        work_items.age_in_stage_seconds,
        work_items.age_seconds,
        {{ seconds_between('work_items.created_at', as_of()) }} as age_since_created_seconds,
        cast(coalesce(completed_visit_percentiles.completed_visits, 0) as {{ dbt.type_bigint() }})
            as stage_completed_visits,
        cast(completed_visit_percentiles.p85_seconds_in_stage as {{ type_double() }}) as stage_p85_seconds,
        case
            when completed_visit_percentiles.p85_seconds_in_stage is not null
                then work_items.age_in_stage_seconds > completed_visit_percentiles.p85_seconds_in_stage
        end as is_past_stage_p85
    from work_items
    left join current_visits
        on work_items.ticket_id = current_visits.ticket_id
    left join completed_visit_percentiles
        on work_items.current_stage = completed_visit_percentiles.stage
    where work_items.state = 'open'

)

select * from final
