-- Question: how many experiments ended in a decision each week, next to how many launched? The report's shipped
-- decisions chart: one row per ISO week over every team (the as-of week is partial).

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

with

shipped_decisions as (

    select * from {{ ref('fct_shipped_decisions') }}

),

final as (

    select
        week_start,
        sum(experiments_launched) as experiments_launched,
        sum(shipped_decisions) as shipped_decisions,
        sum(cleanly_stopped_decisions) as cleanly_stopped_decisions,
        sum(finished_decisions) as finished_decisions,
        bool_and(is_complete_week) as is_complete_week
    from shipped_decisions
    group by week_start

)

select * from final
order by week_start
