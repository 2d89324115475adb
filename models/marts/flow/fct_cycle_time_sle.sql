{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One overall row plus one row per ticket type: the 50th/85th/95th percentiles of cycle time (started to
    finished) of the work items finished in the trailing sle_window_weeks before the as-of, rounded to the second
    (half up, floor(x + 0.5): round() breaks ties to even on Postgres and away from zero on DuckDB).
    Only finished items count: open items are still running (censored), so they are compared with these lines,
    never part of them. -#}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

as_of_resolved as (

    select * from {{ ref('int_as_of_resolved') }}

),

define_window as (

    select
        {{ dbt.dateadd('day', -7 * var('sle_window_weeks'), 'as_of_resolved.as_of') }} as window_start,
        as_of_resolved.as_of as window_end
    from as_of_resolved

),

finished_in_window as (

    select
        work_items.ticket_type,
        work_items.cycle_time_seconds
    from work_items
    inner join define_window
        on
            work_items.finished_at > define_window.window_start
            and work_items.finished_at <= define_window.window_end
    where
        work_items.state = 'finished'
        and work_items.cycle_time_seconds is not null

),

overall as (

    select
        'overall' as sle_scope,
        cast(null as {{ dbt.type_string() }}) as ticket_type,
        count(*) as finished_items,
        {{ flowmetrics_percentile_cont('cycle_time_seconds', 0.5) }} as p50_cycle_time_seconds,
        {{ flowmetrics_percentile_cont('cycle_time_seconds', 0.85) }} as p85_cycle_time_seconds,
        {{ flowmetrics_percentile_cont('cycle_time_seconds', 0.95) }} as p95_cycle_time_seconds
    from finished_in_window

),

per_ticket_type as (

    select
        'ticket_type' as sle_scope,
        ticket_type,
        count(*) as finished_items,
        {{ flowmetrics_percentile_cont('cycle_time_seconds', 0.5) }} as p50_cycle_time_seconds,
        {{ flowmetrics_percentile_cont('cycle_time_seconds', 0.85) }} as p85_cycle_time_seconds,
        {{ flowmetrics_percentile_cont('cycle_time_seconds', 0.95) }} as p95_cycle_time_seconds
    from finished_in_window
    group by ticket_type

),

stack_scopes as (

    select * from overall
    union all
    select * from per_ticket_type

),

final as (

    select
        stack_scopes.sle_scope,
        stack_scopes.ticket_type,
        define_window.window_start,
        define_window.window_end,
        cast(stack_scopes.finished_items as {{ dbt.type_bigint() }}) as finished_items,
        cast(floor(stack_scopes.p50_cycle_time_seconds + 0.5) as {{ type_double() }}) as p50_cycle_time_seconds,
        cast(floor(stack_scopes.p85_cycle_time_seconds + 0.5) as {{ type_double() }}) as p85_cycle_time_seconds,
        cast(floor(stack_scopes.p95_cycle_time_seconds + 0.5) as {{ type_double() }}) as p95_cycle_time_seconds
    from stack_scopes
    cross join define_window

)

select * from final
