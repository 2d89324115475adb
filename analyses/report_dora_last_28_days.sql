-- Question: how often do we deploy, how long do changes take to reach production, how often do deploys fail and
-- how fast is service restored? The report's DORA tiles: one row, the deploys of the 28 days before the as-of
-- (production's only, when there is a production environment).

{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

with

deployments as (

    select * from {{ ref('fct_deployments') }}

),

as_of as (

    select as_of from {{ ref('dim_as_of') }}

),

has_production as (

    select count(*) > 0 as has_production
    from deployments
    where environment = 'production'

),

recent_deployments as (

    select deployments.*
    from deployments
    cross join has_production
    cross join as_of
    where
        deployments.deployed_at > {{ dbt.dateadd('day', -28, 'as_of.as_of') }}
        and (not has_production.has_production or deployments.environment = 'production')

),

final as (

    select
        count(*) / 4.0 as deploys_per_week,
        {{ flowmetrics.flowmetrics_median("case when deploy_status = 'success' then lead_time_seconds end") }} / 86400.0
            as median_lead_time_days,
        cast(sum(case when is_failure then 1 else 0 end) as {{ type_double() }}) / nullif(count(*), 0)
            as change_failure_rate,
        {{ flowmetrics.flowmetrics_median('time_to_restore_seconds') }} / 3600.0 as median_time_to_restore_hours
    from recent_deployments

)

select * from final
