{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- Incremental like the flow facts it reads (macros/incremental/rebuild_tickets.sql): a ticket's intervals are
    replaced whole when it changed, and a current interval is measured up to the as-of, so it is rebuilt nightly. -#}
{%- set rebuild = {'watermark': 'entered_at', 'open_when': 'built.is_current', 'attributes': ['team']} %}
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

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}
    where {{ flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild) }}

),

final as (

    select
        {{ dbt.concat([
            'status_intervals.ticket_id',
            "'#'",
            dbt.cast('status_intervals.interval_number', dbt.type_string()),
        ]) }} as status_interval_id,
        status_intervals.ticket_id,
        cast(status_intervals.interval_number as {{ dbt.type_bigint() }}) as interval_number,
        status_intervals.status,
        status_intervals.stage,
        status_intervals.stage_kind,
        status_intervals.stage_order,
        status_intervals.entered_at,
        status_intervals.exited_at,
        cast(status_intervals.seconds_in_status as {{ type_double() }}) as seconds_in_status,
        status_intervals.is_current,
        status_intervals.is_terminal,
        status_intervals.changed_by as entered_by,
        tickets.team,
        ticket_loads.loaded_at as source_loaded_at
    from status_intervals
    inner join tickets
        on status_intervals.ticket_id = tickets.ticket_id
    left join ticket_loads
        on status_intervals.ticket_id = ticket_loads.ticket_id

)

select * from final
