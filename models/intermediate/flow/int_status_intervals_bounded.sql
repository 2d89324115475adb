{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{%- set rebuild = {'watermark': 'entered_at'} %}
{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy=flowmetrics.ticket_incremental_strategy(),
        on_schema_change='fail',
        meta={'rebuild': rebuild},
    )
}}

{#- One row per ticket per status interval: the time a ticket spent in one status, from its entry (the ticket's
    creation for interval 0) to the next transition, or open (exited_at null). Nothing here depends on the as-of
    beyond which changes count, so it is stored incrementally; int_status_intervals_mapped measures the open
    intervals up to the as-of. Reassignments (repeats) are folded into the interval they repeat. Statuses missing
    from the map become stage 'unmapped' (kind 'unmapped'): kept and counted, never dropped. Each interval carries the
    one before it (previous_status, its stage, kind, order and entered_at; null for interval 0), read by the
    transitions and the visits, so the ticket's intervals are sorted once. -#}

{%- if is_incremental() %}
    {%- do flowmetrics.assert_status_map_unchanged(ref('int_status_mappings_resolved')) %}
{%- endif %}

with

ticket_loads as (

    select * from {{ ref('stg_tickets__ticket_loads') }}

),

status_changes as (

    select * from {{ ref('int_status_changes_sequenced') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

status_mappings as (

    select * from {{ ref('int_status_mappings_resolved') }}

),

first_changes as (

    select
        ticket_id,
        changed_at,
        previous_status
    from status_changes
    where change_number = 1

),

initial_intervals as (

    select
        tickets.ticket_id,
        0 as interval_number,
        coalesce(
            first_changes.previous_status,
            (
                select min(entry_status.raw_status) from status_mappings as entry_status
                where entry_status.is_entry_status
            )
        ) as status,
        case
            when first_changes.changed_at < tickets.created_at then first_changes.changed_at
            else tickets.created_at
        end as entered_at,
        cast(null as {{ dbt.type_string() }}) as entered_by_change_id,
        cast(null as {{ dbt.type_string() }}) as reported_from_status,
        cast(null as {{ dbt.type_string() }}) as changed_by,
        false as is_from_status_mismatch
    from tickets
    left join first_changes
        on tickets.ticket_id = first_changes.ticket_id
    where tickets.created_at <= {{ as_of() }}

),

transition_intervals as (

    select
        ticket_id,
        row_number() over (
            partition by ticket_id
            order by change_number
        ) as interval_number,
        to_status as status,
        changed_at as entered_at,
        change_id as entered_by_change_id,
        reported_from_status,
        changed_by,
        is_from_status_mismatch
    from status_changes
    where not is_repeat

),

union_intervals as (

    select * from initial_intervals
    union all
    select * from transition_intervals

),

map_statuses as (

    select
        union_intervals.*,
        coalesce(status_mappings.stage, 'unmapped') as stage,
        coalesce(status_mappings.stage_kind, 'unmapped') as stage_kind,
        status_mappings.stage_order
    from union_intervals
    left join status_mappings
        on union_intervals.status = status_mappings.raw_status

),

-- one pass over each ticket's intervals in order: the next interval bounds this one, the previous one is where
-- the transition into this one came from (fct_stage_transitions and the visits read it instead of re-sorting)
attach_neighbours as (

    select
        *,
        lead(entered_at) over (
            partition by ticket_id
            order by interval_number
        ) as exited_at,
        lead(entered_by_change_id) over (
            partition by ticket_id
            order by interval_number
        ) as exited_by_change_id,
        lag(status) over (
            partition by ticket_id
            order by interval_number
        ) as previous_status,
        lag(stage) over (
            partition by ticket_id
            order by interval_number
        ) as previous_stage,
        lag(stage_kind) over (
            partition by ticket_id
            order by interval_number
        ) as previous_stage_kind,
        lag(stage_order) over (
            partition by ticket_id
            order by interval_number
        ) as previous_stage_order,
        lag(entered_at) over (
            partition by ticket_id
            order by interval_number
        ) as previous_entered_at
    from map_statuses

),

choose_columns as (

    select
        ticket_id,
        interval_number,
        status,
        stage,
        stage_kind,
        stage_order,
        entered_at,
        exited_at,
        entered_by_change_id,
        exited_by_change_id,
        reported_from_status,
        changed_by,
        is_from_status_mismatch,
        previous_status,
        previous_stage,
        previous_stage_kind,
        previous_stage_order,
        previous_entered_at
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
