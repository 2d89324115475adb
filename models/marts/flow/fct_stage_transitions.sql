{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{%- set rebuild = {'watermark': 'changed_at'} %}
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

status_intervals as (

    select * from {{ ref('int_status_intervals_mapped') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

choose_columns as (

    select
        status_intervals.entered_by_change_id as change_id,
        status_intervals.ticket_id,
        status_intervals.entered_at as changed_at,
        status_intervals.previous_status as from_status,
        status_intervals.status as to_status,
        status_intervals.previous_stage as from_stage,
        status_intervals.stage as to_stage,
        status_intervals.previous_stage_kind as from_stage_kind,
        status_intervals.stage_kind as to_stage_kind,
        {{ seconds_between('status_intervals.previous_entered_at', 'status_intervals.entered_at') }}
            as seconds_in_from_status,
        coalesce(status_intervals.stage_order < status_intervals.previous_stage_order, false)
            as is_backward,
        status_intervals.reported_from_status,
        status_intervals.is_from_status_mismatch,
        status_intervals.changed_by
    from status_intervals
    where status_intervals.interval_number > 0

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
