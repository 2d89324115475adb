{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per experiment created at or before the as-of: its lifecycle from the events at or before the as-of
    (launch, stop, decision, ship, abandonment) and its state after the latest event. -#}

with

experiments as (

    select * from {{ ref('stg_experiments__experiments') }}

),

experiment_events as (

    select * from {{ ref('stg_experiments__events') }}

),

keep_events_up_to_as_of as (

    select
        *,
        -- events at the same instant are applied in lifecycle order
        case event_type
            when 'created' then 1
            when 'launched' then 2
            when 'paused' then 3
            when 'resumed' then 4
            when 'stopped' then 5
            when 'decided' then 6
            when 'shipped' then 7
            when 'abandoned' then 8
            else 0
        end as lifecycle_step
    from experiment_events
    where occurred_at <= {{ as_of() }}

),

rank_events as (

    select
        *,
        row_number() over (
            partition by experiment_id
            order by occurred_at desc, lifecycle_step desc, event_id desc
        ) as recency_rank,
        row_number() over (
            partition by experiment_id, event_type
            order by occurred_at desc, event_id desc
        ) as recency_rank_within_type
    from keep_events_up_to_as_of

),

summarise_events as (

    select
        experiment_id,
        min(case when event_type = 'launched' then occurred_at end) as launched_at,
        max(case when event_type = 'stopped' then occurred_at end) as stopped_at,
        max(case when event_type = 'decided' then occurred_at end) as decided_at,
        max(case when event_type = 'decided' and recency_rank_within_type = 1 then decision end) as decision,
        max(case when event_type = 'decided' and recency_rank_within_type = 1 then variant end) as decided_variant,
        min(case when event_type = 'shipped' then occurred_at end) as shipped_at,
        max(case when event_type = 'abandoned' then occurred_at end) as abandoned_at,
        sum(case when event_type = 'paused' then 1 else 0 end) as pauses,
        max(case when recency_rank = 1 then event_type end) as latest_event_type
    from rank_events
    group by experiment_id

),

final as (

    select
        experiments.experiment_id,
        experiments.experiment_name,
        experiments.team,
        experiments.ticket_id,
        experiments.ai_assisted,
        experiments.min_sample_size,
        experiments.created_at,
        summarise_events.launched_at,
        summarise_events.stopped_at,
        summarise_events.decided_at,
        summarise_events.decision,
        summarise_events.decided_variant,
        summarise_events.shipped_at,
        summarise_events.abandoned_at,
        cast(coalesce(summarise_events.pauses, 0) as {{ dbt.type_bigint() }}) as pauses,
        case summarise_events.latest_event_type
            when 'launched' then 'running'
            when 'resumed' then 'running'
            when 'paused' then 'paused'
            when 'stopped' then 'stopped'
            when 'decided' then 'decided'
            when 'shipped' then 'shipped'
            when 'abandoned' then 'abandoned'
            else 'created'
        end as state
    from experiments
    left join summarise_events
        on experiments.experiment_id = summarise_events.experiment_id
    where experiments.created_at <= {{ as_of() }}

)

select * from final
