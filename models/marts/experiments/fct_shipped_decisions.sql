{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per ISO week (Monday, UTC) x team: finished decisions (shipped, or cleanly stopped) next to
    experiments launched. -#}

with

experiments as (

    select * from {{ ref('fct_experiments') }}

),

launches as (

    select
        {{ flowmetrics_iso_week_start('launched_at') }} as week_start,
        team,
        1 as is_launch,
        0 as is_shipped_decision,
        0 as is_cleanly_stopped_decision
    from experiments
    where launched_at is not null

),

finished_decisions as (

    select
        {{ flowmetrics_iso_week_start("case when decision = 'ship' then shipped_at else decided_at end") }}
            as week_start,
        team,
        0 as is_launch,
        case when decision = 'ship' then 1 else 0 end as is_shipped_decision,
        case when decision = 'ship' then 0 else 1 end as is_cleanly_stopped_decision
    from experiments
    where is_finished

),

union_events as (

    select * from launches
    union all
    select * from finished_decisions

),

calendar_days as (

    {{ flowmetrics_date_spine(
        '(select min(union_events.week_start) from union_events)',
        utc_date(as_of())
    ) }}

),

calendar_weeks as (

    select distinct {{ flowmetrics_iso_week_start('date_day') }} as week_start
    from calendar_days

),

teams as (

    select distinct team
    from union_events

),

aggregate_weeks as (

    select
        week_start,
        team,
        sum(is_launch) as experiments_launched,
        sum(is_shipped_decision) as shipped_decisions,
        sum(is_cleanly_stopped_decision) as cleanly_stopped_decisions
    from union_events
    group by week_start, team

),

final as (

    select
        calendar_weeks.week_start,
        teams.team,
        cast(coalesce(aggregate_weeks.experiments_launched, 0) as {{ dbt.type_bigint() }}) as experiments_launched,
        cast(coalesce(aggregate_weeks.shipped_decisions, 0) as {{ dbt.type_bigint() }}) as shipped_decisions,
        cast(coalesce(aggregate_weeks.cleanly_stopped_decisions, 0) as {{ dbt.type_bigint() }})
            as cleanly_stopped_decisions,
        cast(
            coalesce(aggregate_weeks.shipped_decisions, 0) + coalesce(aggregate_weeks.cleanly_stopped_decisions, 0)
            as {{ dbt.type_bigint() }}
        ) as finished_decisions,
        {{ dbt.dateadd('day', 7, 'calendar_weeks.week_start') }} <= {{ as_of() }} as is_complete_week
    from calendar_weeks
    cross join teams
    left join aggregate_weeks
        on
            calendar_weeks.week_start = aggregate_weeks.week_start
            and teams.team = aggregate_weeks.team

)

select * from final
