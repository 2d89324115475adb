{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{%- set rebuild = {
    'watermark': 'entered_at',
    'open_when': 'built.is_open',
    'attributes': ['team', 'requested_by', 'ai_assisted'],
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

stage_visits as (

    select * from {{ ref('int_stage_visits_sessionised') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

choose_columns as (

    select
        {{ dbt.concat(['stage_visits.ticket_id', "'#'", dbt.cast('stage_visits.visit_sequence', dbt.type_string())]) }}
            as visit_id,
        stage_visits.ticket_id,
        stage_visits.stage,
        stage_visits.stage_order,
        cast(stage_visits.visit_number as {{ dbt.type_bigint() }}) as visit_number,
        cast(stage_visits.visit_sequence as {{ dbt.type_bigint() }}) as visit_sequence,
        stage_visits.entered_at,
        stage_visits.exited_at,
        stage_visits.first_active_at,
        cast(stage_visits.queue_seconds as {{ type_double() }}) as queue_seconds,
        cast(stage_visits.active_seconds as {{ type_double() }}) as active_seconds,
        cast(stage_visits.wait_seconds as {{ type_double() }}) as wait_seconds,
        cast(stage_visits.unmapped_seconds as {{ type_double() }}) as unmapped_seconds,
        stage_visits.entered_from_stage,
        stage_visits.exited_to_stage,
        stage_visits.is_rework,
        stage_visits.is_entered_backward,
        stage_visits.is_open,
        stage_visits.is_terminal,
        tickets.team,
        tickets.requested_by,
        tickets.ai_assisted
    from stage_visits
    inner join tickets
        on stage_visits.ticket_id = tickets.ticket_id

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
