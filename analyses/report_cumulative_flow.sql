-- Question: where does work pile up over time? The report's cumulative flow diagram: one row per stage per day,
-- the band's height (work in progress at the end of the day for a stage of the flow; everything that ever arrived
-- for done and abandoned, the bottom bands).

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

stage_daily as (

    select * from {{ ref('fct_stage_daily') }}

),

final as (

    select
        date_day,
        stage,
        stage_order,
        is_terminal_stage,
        wip_end_of_day,
        cumulative_arrivals,
        case when is_terminal_stage then cumulative_arrivals else wip_end_of_day end as band_height,
        is_partial_day
    from stage_daily

)

select * from final
order by date_day, stage_order
