{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per experiment x variant that is planned (weight > 0) or was the first exposure of some unit: its
    planned share of the traffic and the distinct units whose first exposure was to it. Every unit exposed at or
    before the as-of counts in exactly one row of its experiment. -#}

with

experiment_variants as (

    select * from {{ ref('stg_experiments__variants') }}

),

units_first_exposed as (

    select * from {{ ref('int_experiment_units_first_exposed') }}

),

planned_variants as (

    select
        experiment_id,
        variant,
        planned_weight,
        planned_weight / sum(planned_weight) over (partition by experiment_id) as planned_share
    from experiment_variants
    where planned_weight > 0

),

count_units_per_first_variant as (

    select
        experiment_id,
        first_variant as variant,
        count(*) as units,
        sum(case when variants_seen > 1 then 1 else 0 end) as units_seen_in_other_variants
    from units_first_exposed
    group by experiment_id, first_variant

),

final as (

    select
        coalesce(planned_variants.experiment_id, count_units_per_first_variant.experiment_id) as experiment_id,
        coalesce(planned_variants.variant, count_units_per_first_variant.variant) as variant,
        planned_variants.variant is not null as is_planned,
        cast(planned_variants.planned_weight as {{ type_double() }}) as planned_weight,
        cast(planned_variants.planned_share as {{ type_double() }}) as planned_share,
        cast(coalesce(count_units_per_first_variant.units, 0) as {{ dbt.type_bigint() }}) as units,
        cast(coalesce(count_units_per_first_variant.units_seen_in_other_variants, 0) as {{ dbt.type_bigint() }})
            as units_seen_in_other_variants
    from planned_variants
    full outer join count_units_per_first_variant
        on
            planned_variants.experiment_id = count_units_per_first_variant.experiment_id
            and planned_variants.variant = count_units_per_first_variant.variant

)

select * from final
