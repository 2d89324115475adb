-- Question: what share of the work items that started, and of the experiments that launched, in each month has
-- finished? The report's finish-rate chart: one row per subject and cohort month over every team; a cohort is
-- mature once all of it had var finish_rate_maturity_days to finish (read young cohorts as still running).

{{ config(enabled=(
    flowmetrics.flowmetrics_domain_enabled('flow')
    and flowmetrics.flowmetrics_domain_enabled('experiments')
)) }}

with

work_item_finish_rate as (

    select * from {{ ref('fct_work_item_finish_rate') }}

),

experiment_finish_rate as (

    select * from {{ ref('fct_experiment_finish_rate') }}

),

work_item_cohorts as (

    select
        'work_items' as subject,
        cohort_month,
        sum(started) as started,
        sum(finished) as finished,
        bool_and(is_mature) as is_mature
    from work_item_finish_rate
    group by cohort_month

),

experiment_cohorts as (

    select
        'experiments' as subject,
        cohort_month,
        sum(launched) as started,
        sum(finished) as finished,
        bool_and(is_mature) as is_mature
    from experiment_finish_rate
    group by cohort_month

),

final as (

    select
        subject,
        cohort_month,
        started,
        finished,
        cast(finished as {{ type_double() }}) / started as finish_rate,
        is_mature
    from work_item_cohorts
    union all
    select
        subject,
        cohort_month,
        started,
        finished,
        cast(finished as {{ type_double() }}) / started as finish_rate,
        is_mature
    from experiment_cohorts

)

select * from final
order by subject, cohort_month
