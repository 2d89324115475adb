-- Question: how long does a completed visit to each stage take, split into waiting in the queue, being worked and
-- parked outside the flow? The report's "stage time" chart: average seconds per completed visit, one row per stage
-- (stages of the flow only: not done, not abandoned, not unmapped), in flow order.

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

stage_visits as (

    select * from {{ ref('fct_stage_visits') }}

),

final as (

    select
        stage,
        min(stage_order) as stage_order,
        count(*) as visits,
        avg(queue_seconds) as queue_seconds,
        avg(active_seconds) as active_seconds,
        avg(wait_seconds) as wait_seconds
    from stage_visits
    where not is_terminal and not is_open and stage <> 'unmapped'
    group by stage

)

select * from final
order by stage_order
