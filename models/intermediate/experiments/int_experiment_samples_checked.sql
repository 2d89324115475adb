{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per experiment with a planned variant or an exposed unit: the sample-ratio-mismatch (SRM) check on
    distinct units. The chi-square goodness-of-fit statistic compares the units first exposed to each planned
    variant with the units its planned share expects (expected = units in planned variants x share), with
    planned variants - 1 degrees of freedom; the p-value is flowmetrics.chi_square_sf. -#}

with

variants_counted as (

    select * from {{ ref('int_experiment_variants_counted') }}

),

attach_expected_units as (

    select
        *,
        case
            when is_planned then sum(case when is_planned then units else 0 end) over (partition by experiment_id)
        end * planned_share as expected_units
    from variants_counted

),

summarise_variants as (

    select
        experiment_id,
        sum(case when is_planned then 1 else 0 end) as planned_variants,
        sum(units) as units_exposed,
        sum(case when is_planned then units else 0 end) as units_in_planned_variants,
        sum(case when is_planned then 0 else units end) as units_in_unplanned_variants,
        sum(units_seen_in_other_variants) as units_in_multiple_variants,
        min(case when is_planned then units end) as min_variant_units,
        sum(case when is_planned and units = 0 then 1 else 0 end) as planned_variants_without_units,
        sum(
            case
                when is_planned and expected_units > 0
                    then (units - expected_units) * (units - expected_units) / expected_units
            end
        ) as srm_chi_square
    from attach_expected_units
    group by experiment_id

),

attach_degrees_of_freedom as (

    select
        *,
        case
            when planned_variants >= 2 and units_in_planned_variants > 0 then planned_variants - 1
        end as srm_degrees_of_freedom
    from summarise_variants

),

final as (

    select
        experiment_id,
        cast(planned_variants as {{ dbt.type_bigint() }}) as planned_variants,
        cast(units_exposed as {{ dbt.type_bigint() }}) as units_exposed,
        cast(units_in_planned_variants as {{ dbt.type_bigint() }}) as units_in_planned_variants,
        cast(units_in_unplanned_variants as {{ dbt.type_bigint() }}) as units_in_unplanned_variants,
        cast(units_in_multiple_variants as {{ dbt.type_bigint() }}) as units_in_multiple_variants,
        cast(min_variant_units as {{ dbt.type_bigint() }}) as min_variant_units,
        planned_variants >= 1 and planned_variants_without_units = 0 as has_all_variants,
        case
            when srm_degrees_of_freedom is not null then cast(srm_chi_square as {{ type_double() }})
        end as srm_chi_square,
        cast(srm_degrees_of_freedom as {{ dbt.type_bigint() }}) as srm_degrees_of_freedom,
        cast({{ chi_square_sf('srm_chi_square', 'srm_degrees_of_freedom') }} as {{ type_double() }}) as srm_p_value
    from attach_degrees_of_freedom

)

select * from final
