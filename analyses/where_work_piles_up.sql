-- Question: where does work pile up? For each stage, the work in progress at the as-of and 14 days earlier, how
-- much of it waits in the stage's queue, whether more arrived than left over those 14 days, how old it is, and
-- how many open items are older than the stage's historical 85th percentile.

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

stage_daily as (

    select * from {{ ref('fct_stage_daily') }}

),

open_work_items as (

    select * from {{ ref('fct_open_work_items') }}

),

latest_day as (

    select max(date_day) as date_day from stage_daily

),

latest_wip as (

    select
        stage_daily.stage,
        stage_daily.stage_order,
        stage_daily.wip_end_of_day as wip_now,
        stage_daily.queue_wip as queue_wip_now,
        stage_daily.avg_wip_age_seconds / 86400.0 as avg_wip_age_days,
        stage_daily.p85_wip_age_seconds / 86400.0 as p85_wip_age_days
    from stage_daily
    inner join latest_day
        on stage_daily.date_day = latest_day.date_day
    where not stage_daily.is_terminal_stage

),

wip_two_weeks_ago as (

    select
        stage_daily.stage,
        stage_daily.wip_end_of_day as wip_14_days_ago
    from stage_daily
    inner join latest_day
        on stage_daily.date_day = cast({{ dbt.dateadd('day', -14, 'latest_day.date_day') }} as date)

),

flow_last_14_days as (

    select
        stage_daily.stage,
        sum(stage_daily.arrivals) as arrivals_14_days,
        sum(stage_daily.departures) as departures_14_days
    from stage_daily
    inner join latest_day
        on stage_daily.date_day > cast({{ dbt.dateadd('day', -14, 'latest_day.date_day') }} as date)
    group by stage_daily.stage

),

aged_open_items as (

    select
        current_stage as stage,
        sum(case when is_past_stage_p85 then 1 else 0 end) as open_items_past_p85
    from open_work_items
    group by current_stage

),

final as (

    select
        latest_wip.stage,
        latest_wip.stage_order,
        latest_wip.wip_now,
        latest_wip.queue_wip_now,
        wip_two_weeks_ago.wip_14_days_ago,
        latest_wip.wip_now - coalesce(wip_two_weeks_ago.wip_14_days_ago, 0) as wip_change_14_days,
        flow_last_14_days.arrivals_14_days,
        flow_last_14_days.departures_14_days,
        latest_wip.avg_wip_age_days,
        latest_wip.p85_wip_age_days,
        coalesce(aged_open_items.open_items_past_p85, 0) as open_items_past_p85
    from latest_wip
    left join wip_two_weeks_ago
        on latest_wip.stage = wip_two_weeks_ago.stage
    left join flow_last_14_days
        on latest_wip.stage = flow_last_14_days.stage
    left join aged_open_items
        on latest_wip.stage = aged_open_items.stage

)

select * from final
order by wip_now desc, stage_order asc
