{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

status_intervals as (

    select * from {{ ref('int_status_intervals_mapped') }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}

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
        tickets.team
    from status_intervals
    inner join tickets
        on status_intervals.ticket_id = tickets.ticket_id

)

select * from final
