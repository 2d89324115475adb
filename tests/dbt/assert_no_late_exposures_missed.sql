-- Claim: the exposures aggregate holds every exposure up to the as-of, whenever it arrived. Per experiment, its
-- distinct units and its exposures recounted from the staged exposures equal the aggregate's rows and the sum of
-- their exposures. An incremental build recomputes each experiment whose exposures changed, whatever their age,
-- so a row here means a stale aggregate (an experiment's exposures deleted from raw, a rebuild rule that missed a
-- change): its SRM check and verdict in fct_experiments are wrong until `dbt build --full-refresh`.
-- One row per affected experiment.

{{ config(severity='error') }}

with

exposures as (

    select * from {{ ref('stg_experiments__exposures') }}

),

units_first_exposed as (

    select * from {{ ref('int_experiment_units_first_exposed') }}

),

recount_staged as (

    select
        experiment_id,
        count(distinct unit_id) as units,
        count(*) as exposures
    from exposures
    where exposed_at <= {{ as_of() }}
    group by experiment_id

),

count_built as (

    select
        experiment_id,
        count(*) as units,
        sum(exposures) as exposures
    from units_first_exposed
    group by experiment_id

),

final as (

    select
        coalesce(recount_staged.experiment_id, count_built.experiment_id) as experiment_id,
        coalesce(recount_staged.units, 0) as units_in_raw,
        coalesce(count_built.units, 0) as units_built,
        coalesce(recount_staged.exposures, 0) as exposures_in_raw,
        coalesce(count_built.exposures, 0) as exposures_built
    from recount_staged
    full outer join count_built
        on recount_staged.experiment_id = count_built.experiment_id
    where
        coalesce(recount_staged.units, 0) <> coalesce(count_built.units, 0)
        or coalesce(recount_staged.exposures, 0) <> coalesce(count_built.exposures, 0)

)

select * from final
