-- Question: of the experiments launched, how many were measured cleanly, decided and finished? The report's
-- experiment funnel: one row per step, each step a subset of the one before.

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

with

experiments as (

    select * from {{ ref('fct_experiments') }}

),

launched as (

    select *
    from experiments
    where launched_at is not null

),

final as (

    select
        1 as step_order,
        'launched' as step,
        count(*) as experiments
    from launched
    union all
    select
        2 as step_order,
        'measured cleanly' as step,
        count(*) as experiments
    from launched
    where measured_cleanly
    union all
    select
        3 as step_order,
        'decided' as step,
        count(*) as experiments
    from launched
    where measured_cleanly and decided_at is not null
    union all
    select
        4 as step_order,
        'finished' as step,
        count(*) as experiments
    from launched
    where is_finished

)

select * from final
order by step_order
