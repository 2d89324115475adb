{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{%- set rebuild = {
    'watermark': 'entered_current_stage_at',
    'open_when': "built.state = 'open'",
    'attributes': ['ticket_key', 'title', 'ticket_type', 'team', 'requested_by', 'experiment_id', 'ai_assisted', 'created_at'],
} %}
{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy=flowmetrics.ticket_incremental_strategy(),
        on_schema_change='fail',
        meta={'rebuild': rebuild},
    )
}}

with

ticket_loads as (

    select * from {{ ref('stg_tickets__ticket_loads') }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

status_intervals as (

    select * from {{ ref('int_status_intervals_mapped') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

stage_visits as (

    select * from {{ ref('int_stage_visits_sessionised') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

status_changes as (

    select * from {{ ref('int_status_changes_sequenced') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

first_active as (

    select
        ticket_id,
        min(entered_at) as started_at
    from status_intervals
    where stage_kind = 'active'
    group by ticket_id

),

current_status as (

    select
        ticket_id,
        status as current_status,
        stage_kind as current_stage_kind
    from status_intervals
    where is_current

),

current_visit as (

    select
        ticket_id,
        stage as current_stage,
        entered_at as entered_current_stage_at
    from stage_visits
    where exited_at is null

),

backward_moves as (

    select
        ticket_id,
        count(*) as rework_count
    from stage_visits
    where is_entered_backward
    group by ticket_id

),

reassignments as (

    select
        ticket_id,
        sum(case when change_kind = 'reassignment' then 1 else 0 end) as reassignment_count
    from status_changes
    group by ticket_id

),

derive_state as (

    select
        tickets.ticket_id,
        tickets.ticket_key,
        tickets.title,
        tickets.ticket_type,
        tickets.team,
        tickets.requested_by,
        tickets.experiment_id,
        tickets.ai_assisted,
        tickets.created_at,
        first_active.started_at,
        current_status.current_status,
        current_status.current_stage_kind,
        current_visit.current_stage,
        current_visit.entered_current_stage_at,
        case current_status.current_stage_kind
            when 'done' then 'finished'
            when 'abandoned' then 'abandoned'
            else 'open'
        end as state,
        coalesce(backward_moves.rework_count, 0) as rework_count,
        coalesce(reassignments.reassignment_count, 0) as reassignment_count
    from tickets
    inner join current_status
        on tickets.ticket_id = current_status.ticket_id
    inner join current_visit
        on tickets.ticket_id = current_visit.ticket_id
    left join first_active
        on tickets.ticket_id = first_active.ticket_id
    left join backward_moves
        on tickets.ticket_id = backward_moves.ticket_id
    left join reassignments
        on tickets.ticket_id = reassignments.ticket_id

),

attach_end_times as (

    select
        *,
        case when state = 'finished' then entered_current_stage_at end as finished_at,
        case when state = 'abandoned' then entered_current_stage_at end as abandoned_at
    from derive_state

),

time_between_start_and_finish as (

    select
        attach_end_times.ticket_id,
        sum(case when status_intervals.stage_kind = 'active' then status_intervals.seconds_in_status else 0 end)
            as active_seconds,
        sum(
            case
                when status_intervals.stage_kind in ('queue', 'active', 'wait')
                    then status_intervals.seconds_in_status
                else 0
            end
        ) as flow_seconds
    from attach_end_times
    inner join status_intervals
        on
            attach_end_times.ticket_id = status_intervals.ticket_id
            and attach_end_times.started_at <= status_intervals.entered_at
            and attach_end_times.finished_at >= status_intervals.exited_at
    group by attach_end_times.ticket_id

),

choose_columns as (

    select
        attach_end_times.ticket_id,
        attach_end_times.ticket_key,
        attach_end_times.title,
        attach_end_times.ticket_type,
        attach_end_times.team,
        attach_end_times.requested_by,
        attach_end_times.experiment_id,
        attach_end_times.ai_assisted,
        attach_end_times.created_at,
        attach_end_times.started_at,
        attach_end_times.finished_at,
        attach_end_times.abandoned_at,
        attach_end_times.state,
        {{ seconds_between('attach_end_times.created_at', 'attach_end_times.finished_at') }} as lead_time_seconds,
        {{ seconds_between('attach_end_times.started_at', 'attach_end_times.finished_at') }} as cycle_time_seconds,
        case
            when time_between_start_and_finish.flow_seconds > 0
                then time_between_start_and_finish.active_seconds / time_between_start_and_finish.flow_seconds
        end as flow_efficiency,
        cast(attach_end_times.rework_count as {{ dbt.type_bigint() }}) as rework_count,
        cast(attach_end_times.reassignment_count as {{ dbt.type_bigint() }}) as reassignment_count,
        attach_end_times.current_status,
        attach_end_times.current_stage,
        attach_end_times.current_stage_kind,
        attach_end_times.entered_current_stage_at,
        case
            when attach_end_times.state = 'open'
                then {{ seconds_between('attach_end_times.started_at', as_of()) }}
        end as age_seconds,
        case
            when attach_end_times.state = 'open'
                then {{ seconds_between('attach_end_times.entered_current_stage_at', as_of()) }}
        end as age_in_stage_seconds
    from attach_end_times
    left join time_between_start_and_finish
        on attach_end_times.ticket_id = time_between_start_and_finish.ticket_id

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
