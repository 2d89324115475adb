{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per stage per UTC day, from the first day a ticket entered a stage to the as-of day: the counts of a
    cumulative flow diagram and the age of the work in progress at the end of each day. It reads the stage visits
    from int_stage_visits_sessionised, the rows fct_stage_visits publishes with ticket attributes added, so it is
    built beside the visit and work-item marts instead of after them. -#}

with

stage_visits as (

    select * from {{ ref('int_stage_visits_sessionised') }}

),

status_intervals as (

    select * from {{ ref('int_status_intervals_mapped') }}

),

status_mappings as (

    select * from {{ ref('int_status_mappings_resolved') }}

),

as_of_resolved as (

    select
        {{ as_of() }} as as_of,
        {{ utc_date(as_of()) }} as as_of_date

),

stages_in_map as (

    select
        stage,
        min(stage_order) as stage_order,
        min(case when stage_kind in ('done', 'abandoned') then 1 else 0 end) as is_terminal_stage
    from status_mappings
    group by stage

),

stages_visited as (

    select
        stage,
        min(stage_order) as stage_order,
        min(case when is_terminal then 1 else 0 end) as is_terminal_stage
    from stage_visits
    group by stage

),

stages as (

    select
        stage,
        stage_order,
        is_terminal_stage
    from stages_in_map

    union all

    select
        stages_visited.stage,
        stages_visited.stage_order,
        stages_visited.is_terminal_stage
    from stages_visited
    where not exists (
        select 1 from stages_in_map
        where stages_in_map.stage = stages_visited.stage
    )

),

calendar_days as (

    {{ flowmetrics_date_spine(
        '(select min(' ~ utc_date('stage_visits.entered_at') ~ ') from stage_visits)',
        '(select as_of_resolved.as_of_date from as_of_resolved)'
    ) }}

),

visit_days as (

    select
        stage,
        entered_at,
        exited_at,
        {{ utc_date('entered_at') }} as entered_on,
        {{ utc_date('exited_at') }} as exited_on
    from stage_visits

),

arrivals_per_day as (

    select
        stage,
        entered_on as date_day,
        count(*) as arrivals
    from visit_days
    group by stage, entered_on

),

departures_per_day as (

    select
        stage,
        exited_on as date_day,
        count(*) as departures
    from visit_days
    where exited_on is not null
    group by stage, exited_on

),

queue_changes_per_day as (

    select
        stage,
        date_day,
        sum(queue_change) as queue_change
    from (
        select
            stage,
            {{ utc_date('entered_at') }} as date_day,
            1 as queue_change
        from status_intervals
        where stage_kind = 'queue'

        union all

        select
            stage,
            {{ utc_date('exited_at') }} as date_day,
            -1 as queue_change
        from status_intervals
        where stage_kind = 'queue' and exited_at is not null
    ) as queue_moves
    group by stage, date_day

),

-- the visits in progress at the end of each day (terminal stages only collect finished work: no ages there)
wip_at_end_of_day as (

    select
        visit_days.stage,
        calendar_days.date_day,
        {{ seconds_between(
            'visit_days.entered_at',
            'case when calendar_days.date_day = as_of_resolved.as_of_date then as_of_resolved.as_of else '
            ~ dbt.dateadd('day', 1, 'calendar_days.date_day') ~ ' end'
        ) }} as wip_age_seconds
    from visit_days
    inner join stages
        on visit_days.stage = stages.stage
    inner join calendar_days
        on
            visit_days.entered_on <= calendar_days.date_day
            and (visit_days.exited_on is null or visit_days.exited_on > calendar_days.date_day)
    cross join as_of_resolved
    where stages.is_terminal_stage = 0

),

wip_ages as (

    select
        stage,
        date_day,
        avg(wip_age_seconds) as avg_wip_age_seconds,
        {{ flowmetrics_percentile_cont('wip_age_seconds', 0.85) }} as p85_wip_age_seconds
    from wip_at_end_of_day
    group by stage, date_day

),

stage_days as (

    select
        calendar_days.date_day,
        stages.stage,
        stages.stage_order,
        stages.is_terminal_stage = 1 as is_terminal_stage,
        coalesce(arrivals_per_day.arrivals, 0) as arrivals,
        coalesce(departures_per_day.departures, 0) as departures,
        coalesce(queue_changes_per_day.queue_change, 0) as queue_change,
        wip_ages.avg_wip_age_seconds,
        wip_ages.p85_wip_age_seconds
    from calendar_days
    cross join stages
    left join arrivals_per_day
        on
            calendar_days.date_day = arrivals_per_day.date_day
            and stages.stage = arrivals_per_day.stage
    left join departures_per_day
        on
            calendar_days.date_day = departures_per_day.date_day
            and stages.stage = departures_per_day.stage
    left join queue_changes_per_day
        on
            calendar_days.date_day = queue_changes_per_day.date_day
            and stages.stage = queue_changes_per_day.stage
    left join wip_ages
        on
            calendar_days.date_day = wip_ages.date_day
            and stages.stage = wip_ages.stage

),

accumulate_days as (

    select
        *,
        sum(arrivals) over (
            partition by stage order by date_day rows between unbounded preceding and current row
        ) as cumulative_arrivals,
        sum(departures) over (
            partition by stage order by date_day rows between unbounded preceding and current row
        ) as cumulative_departures,
        sum(queue_change) over (
            partition by stage order by date_day rows between unbounded preceding and current row
        ) as queue_wip
    from stage_days

),

final as (

    select
        accumulate_days.date_day,
        accumulate_days.stage,
        accumulate_days.stage_order,
        accumulate_days.is_terminal_stage,
        cast(accumulate_days.arrivals as {{ dbt.type_bigint() }}) as arrivals,
        cast(accumulate_days.departures as {{ dbt.type_bigint() }}) as departures,
        cast(accumulate_days.cumulative_arrivals as {{ dbt.type_bigint() }}) as cumulative_arrivals,
        cast(accumulate_days.cumulative_departures as {{ dbt.type_bigint() }}) as cumulative_departures,
        cast(
            accumulate_days.cumulative_arrivals - accumulate_days.cumulative_departures as {{ dbt.type_bigint() }}
        ) as wip_end_of_day,
        cast(accumulate_days.queue_wip as {{ dbt.type_bigint() }}) as queue_wip,
        cast(accumulate_days.avg_wip_age_seconds as {{ type_double() }}) as avg_wip_age_seconds,
        cast(accumulate_days.p85_wip_age_seconds as {{ type_double() }}) as p85_wip_age_seconds,
        accumulate_days.date_day = as_of_resolved.as_of_date as is_partial_day
    from accumulate_days
    cross join as_of_resolved

)

select * from final
