{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per experiment x unit exposed at or before the as-of: the variant of the unit's first exposure (ties:
    the variant name), how many distinct variants it was exposed to, and whether its first variant is planned.
    A unit seen in several variants counts once, in its first variant, and is flagged (variants_seen > 1).
    Incremental: a nightly run recomputes whole experiments, those whose exposures up to the as-of are not the ones
    built (a count and a fingerprint per experiment; see macros/incremental/rebuild_experiments.sql), and replaces
    their rows. exposures and exposures_fingerprint hold what the comparison needs. -#}
{{
    config(
        materialized='incremental',
        unique_key='experiment_id',
        incremental_strategy=flowmetrics.experiment_incremental_strategy(),
        on_schema_change='fail',
    )
}}

with

exposures as (

    select * from {{ ref('stg_experiments__exposures') }}
    where {{ flowmetrics.experiment_rebuild_filter('experiment_id', is_incremental()) }}

),

experiment_variants as (

    select * from {{ ref('stg_experiments__variants') }}

),

keep_exposures_up_to_as_of as (

    select
        experiment_id,
        unit_id,
        variant,
        exposed_at,
        {{ flowmetrics.row_fingerprint(['unit_id', 'variant', 'exposed_at']) }} as exposure_fingerprint
    from exposures
    where exposed_at <= {{ as_of() }}

),

rank_exposures as (

    select
        *,
        row_number() over (
            partition by experiment_id, unit_id
            order by exposed_at, variant
        ) as exposure_rank
    from keep_exposures_up_to_as_of

),

count_variants_seen as (

    select
        experiment_id,
        unit_id,
        count(distinct variant) as variants_seen,
        count(*) as exposures,
        sum(exposure_fingerprint) as exposures_fingerprint
    from keep_exposures_up_to_as_of
    group by experiment_id, unit_id

),

final as (

    select
        rank_exposures.experiment_id,
        rank_exposures.unit_id,
        rank_exposures.variant as first_variant,
        rank_exposures.exposed_at as first_exposed_at,
        cast(count_variants_seen.variants_seen as {{ dbt.type_bigint() }}) as variants_seen,
        cast(count_variants_seen.exposures as {{ dbt.type_bigint() }}) as exposures,
        cast(count_variants_seen.exposures_fingerprint as {{ dbt.type_bigint() }}) as exposures_fingerprint,
        experiment_variants.variant is not null as is_first_variant_planned
    from rank_exposures
    inner join count_variants_seen
        on
            rank_exposures.experiment_id = count_variants_seen.experiment_id
            and rank_exposures.unit_id = count_variants_seen.unit_id
    left join experiment_variants
        on
            rank_exposures.experiment_id = experiment_variants.experiment_id
            and rank_exposures.variant = experiment_variants.variant
            and experiment_variants.planned_weight > 0
    where rank_exposures.exposure_rank = 1

)

select * from final
