{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per ticket per status interval (see int_status_intervals_bounded), with its seconds: an open interval
    (exited_at null) is measured up to the as-of. A view, so the as-of-dependent measure is never stored and the
    stored intervals stay valid from one nightly run to the next. An interval in a done or abandoned status is
    terminal: the ticket has left the flow, so its seconds are a fact of that status but never time in flow. -#}

{{ config(materialized='view') }}

with

status_intervals as (

    select * from {{ ref('int_status_intervals_bounded') }}

),

final as (

    select
        ticket_id,
        interval_number,
        status,
        stage,
        stage_kind,
        stage_order,
        entered_at,
        exited_at,
        {{ seconds_between('entered_at', 'coalesce(exited_at, ' ~ as_of() ~ ')') }} as seconds_in_status,
        exited_at is null as is_current,
        stage_kind in ('done', 'abandoned') as is_terminal,
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
    from status_intervals

)

select * from final
