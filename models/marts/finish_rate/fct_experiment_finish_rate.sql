{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per launch cohort month x team: of the experiments launched, how many finished. -#}

with

experiments as (

    select * from {{ ref('fct_experiments') }}

),

assign_launch_cohorts as (

    select
        {{ month_start('launched_at') }} as cohort_month,
        team,
        measured_cleanly,
        decision,
        shipped_at,
        is_finished
    from experiments
    where launched_at is not null

),

aggregate_cohorts as (

    select
        cohort_month,
        team,
        count(*) as launched,
        sum(case when measured_cleanly then 1 else 0 end) as measured_cleanly,
        sum(case when decision is not null then 1 else 0 end) as decided,
        sum(case when shipped_at is not null then 1 else 0 end) as shipped,
        sum(case when is_finished then 1 else 0 end) as finished
    from assign_launch_cohorts
    group by cohort_month, team

),

final as (

    select
        cohort_month,
        team,
        cast(launched as {{ dbt.type_bigint() }}) as launched,
        cast(measured_cleanly as {{ dbt.type_bigint() }}) as measured_cleanly,
        cast(decided as {{ dbt.type_bigint() }}) as decided,
        cast(shipped as {{ dbt.type_bigint() }}) as shipped,
        cast(finished as {{ dbt.type_bigint() }}) as finished,
        cast(finished as {{ type_double() }}) / launched as finish_rate,
        cast(finished as {{ type_double() }}) / launched < {{ var('finish_rate_threshold', 0.60) }}
            as below_threshold,
        {{ cohort_matures_at('cohort_month') }} as matures_at,
        coalesce({{ cohort_matures_at('cohort_month') }} <= {{ as_of() }}, false) as is_mature
    from aggregate_cohorts

)

select * from final
