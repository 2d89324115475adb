{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per start cohort month x team x requested_by x ai_assisted. Open items stay in the denominator. -#}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

assign_start_cohorts as (

    select
        {{ month_start('started_at') }} as cohort_month,
        team,
        coalesce(requested_by, 'unknown') as requested_by,
        ai_assisted,
        state,
        cycle_time_seconds
    from work_items
    where started_at is not null

),

aggregate_cohorts as (

    select
        cohort_month,
        team,
        requested_by,
        ai_assisted,
        count(*) as started,
        sum(case when state = 'finished' then 1 else 0 end) as finished,
        sum(case when state = 'abandoned' then 1 else 0 end) as abandoned,
        sum(case when state = 'open' then 1 else 0 end) as still_open,
        {{ flowmetrics_median("case when state = 'finished' then cycle_time_seconds end") }}
            as median_cycle_time_seconds
    from assign_start_cohorts
    group by cohort_month, team, requested_by, ai_assisted

),

final as (

    select
        cohort_month,
        team,
        requested_by,
        ai_assisted,
        cast(started as {{ dbt.type_bigint() }}) as started,
        cast(finished as {{ dbt.type_bigint() }}) as finished,
        cast(abandoned as {{ dbt.type_bigint() }}) as abandoned,
        cast(still_open as {{ dbt.type_bigint() }}) as still_open,
        cast(finished as {{ type_double() }}) / started as finish_rate,
        cast(median_cycle_time_seconds as {{ type_double() }}) as median_cycle_time_seconds,
        {{ cohort_matures_at('cohort_month') }} as matures_at,
        coalesce({{ cohort_matures_at('cohort_month') }} <= {{ as_of() }}, false) as is_mature
    from aggregate_cohorts

)

select * from final
