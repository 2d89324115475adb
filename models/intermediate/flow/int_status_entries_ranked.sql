{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{%- set rebuild = {'watermark': 'first_entered_at'} %}
{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy=flowmetrics.ticket_incremental_strategy(),
        on_schema_change='fail',
        meta={'rebuild': rebuild},
    )
}}

{#- One row per ticket per raw status its status changes name (as from_status or to_status): where the status first
    appears in the ticket's history, ranked among the ticket's statuses (ordinal 1: the first it was in). Events are
    ordered by changed_at, a change's from_status before its to_status, then change_id. Every status change counts,
    whatever the as-of and whether its ticket is known: the suggested status map (int_status_mappings_suggested)
    takes each status's typical ordinal over every ticket. Incremental by ticket, as the flow facts are
    (macros/incremental/rebuild_tickets.sql), so a night ranks only the tickets it rebuilds. -#}

with

ticket_loads as (

    select * from {{ ref('stg_tickets__ticket_loads') }}

),

status_changes as (

    select * from {{ ref('stg_tickets__status_changes') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

list_status_events as (

    select
        ticket_id,
        change_id,
        changed_at,
        0 as event_side,
        from_status as raw_status
    from status_changes
    where from_status is not null

    union all

    select
        ticket_id,
        change_id,
        changed_at,
        1 as event_side,
        to_status as raw_status
    from status_changes
    where to_status is not null

),

number_events as (

    select
        ticket_id,
        raw_status,
        changed_at,
        row_number() over (
            partition by ticket_id
            order by changed_at, event_side, change_id
        ) as event_number
    from list_status_events

),

find_first_entries as (

    select
        ticket_id,
        raw_status,
        min(event_number) as first_event_number,
        min(changed_at) as first_entered_at
    from number_events
    group by ticket_id, raw_status

),

rank_ticket_statuses as (

    select
        ticket_id,
        raw_status,
        first_entered_at,
        row_number() over (
            partition by ticket_id
            order by first_event_number
        ) as ordinal
    from find_first_entries

),

attach_load_time as (

    select
        rank_ticket_statuses.ticket_id,
        rank_ticket_statuses.raw_status,
        rank_ticket_statuses.ordinal,
        rank_ticket_statuses.first_entered_at,
        ticket_loads.loaded_at as source_loaded_at
    from rank_ticket_statuses
    left join ticket_loads
        on rank_ticket_statuses.ticket_id = ticket_loads.ticket_id

)

select * from attach_load_time
