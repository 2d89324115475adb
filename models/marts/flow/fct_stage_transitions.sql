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

attach_previous_interval as (

    select
        *,
        lag(status) over (partition by ticket_id order by interval_number) as from_status,
        lag(stage) over (partition by ticket_id order by interval_number) as from_stage,
        lag(stage_kind) over (partition by ticket_id order by interval_number) as from_stage_kind,
        lag(stage_order) over (partition by ticket_id order by interval_number) as from_stage_order,
        lag(seconds_in_status) over (partition by ticket_id order by interval_number) as seconds_in_from_status
    from status_intervals

),

choose_columns as (

    select
        attach_previous_interval.entered_by_change_id as change_id,
        attach_previous_interval.ticket_id,
        attach_previous_interval.entered_at as changed_at,
        attach_previous_interval.from_status,
        attach_previous_interval.status as to_status,
        attach_previous_interval.from_stage,
        attach_previous_interval.stage as to_stage,
        attach_previous_interval.from_stage_kind,
        attach_previous_interval.stage_kind as to_stage_kind,
        attach_previous_interval.seconds_in_from_status,
        coalesce(attach_previous_interval.stage_order < attach_previous_interval.from_stage_order, false)
            as is_backward,
        attach_previous_interval.reported_from_status,
        attach_previous_interval.is_from_status_mismatch,
        attach_previous_interval.changed_by
    from attach_previous_interval
    where attach_previous_interval.interval_number > 0

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
