{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{%- set rebuild = {'watermark': 'entered_at', 'open_when': 'built.is_open'} %}
{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy=flowmetrics.ticket_incremental_strategy(),
        on_schema_change='fail',
        meta={'rebuild': rebuild},
    )
}}

{#- One row per ticket per stage visit: consecutive status intervals of the same stage are one visit
    (e.g. Ready for Review then In Review is one code_review visit). The visit's time is split by the kind of
    each status in it: queue, active, wait (and unmapped). -#}

with

ticket_loads as (

    select * from {{ ref('stg_tickets__ticket_loads') }}

),

status_intervals as (

    select * from {{ ref('int_status_intervals_mapped') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

mark_visit_starts as (

    select
        *,
        case
            when previous_stage = stage then 0
            else 1
        end as is_visit_start
    from status_intervals

),

number_visits as (

    select
        *,
        sum(is_visit_start) over (
            partition by ticket_id
            order by interval_number
            rows between unbounded preceding and current row
        ) as visit_sequence
    from mark_visit_starts

),

aggregate_visits as (

    select
        ticket_id,
        visit_sequence,
        min(stage) as stage,
        min(stage_order) as stage_order,
        min(entered_at) as entered_at,
        case when count(exited_at) < count(*) then null else max(exited_at) end as exited_at,
        sum(case when stage_kind = 'queue' then seconds_in_status else 0 end) as queue_seconds,
        sum(case when stage_kind = 'active' then seconds_in_status else 0 end) as active_seconds,
        sum(case when stage_kind = 'wait' then seconds_in_status else 0 end) as wait_seconds,
        sum(case when stage_kind = 'unmapped' then seconds_in_status else 0 end) as unmapped_seconds,
        min(case when stage_kind = 'active' then entered_at end) as first_active_at,
        max(case when stage_kind in ('done', 'abandoned') then 1 else 0 end) as has_terminal_status,
        count(*) as status_intervals
    from number_visits
    group by ticket_id, visit_sequence

),

attach_neighbours as (

    select
        *,
        row_number() over (
            partition by ticket_id, stage
            order by visit_sequence
        ) as visit_number,
        lag(stage) over (partition by ticket_id order by visit_sequence) as entered_from_stage,
        lead(stage) over (partition by ticket_id order by visit_sequence) as exited_to_stage,
        lag(stage_order) over (partition by ticket_id order by visit_sequence) as entered_from_stage_order
    from aggregate_visits

),

choose_columns as (

    select
        ticket_id,
        visit_sequence,
        visit_number,
        stage,
        stage_order,
        entered_at,
        exited_at,
        queue_seconds,
        active_seconds,
        wait_seconds,
        unmapped_seconds,
        first_active_at,
        entered_from_stage,
        exited_to_stage,
        coalesce(entered_from_stage_order > stage_order, false) as is_entered_backward,
        visit_number > 1 as is_rework,
        has_terminal_status = 1 as is_terminal,
        exited_at is null and has_terminal_status = 0 as is_open,
        status_intervals
    from attach_neighbours

),

attach_load_time as (

    select
        choose_columns.*,
        ticket_loads.loaded_at as source_loaded_at
    from choose_columns
    left join ticket_loads
        on choose_columns.ticket_id = ticket_loads.ticket_id

)

select * from attach_load_time
