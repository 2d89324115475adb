{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

{#- One row per experiment: lifecycle, the sample-ratio check on distinct units, measured cleanly, finished. -#}

with

experiment_lifecycles as (

    select * from {{ ref('int_experiment_lifecycles_summarised') }}

),

experiment_samples as (

    select * from {{ ref('int_experiment_samples_checked') }}

),

join_samples as (

    select
        experiment_lifecycles.*,
        coalesce(experiment_samples.planned_variants, 0) as planned_variants,
        coalesce(experiment_samples.units_exposed, 0) as units_exposed,
        coalesce(experiment_samples.units_in_unplanned_variants, 0) as units_in_unplanned_variants,
        coalesce(experiment_samples.units_in_multiple_variants, 0) as units_in_multiple_variants,
        experiment_samples.min_variant_units,
        coalesce(experiment_samples.has_all_variants, false) as has_all_variants,
        experiment_samples.srm_chi_square,
        experiment_samples.srm_degrees_of_freedom,
        experiment_samples.srm_p_value
    from experiment_lifecycles
    left join experiment_samples
        on experiment_lifecycles.experiment_id = experiment_samples.experiment_id

),

check_measurement as (

    select
        *,
        min_sample_size is null or units_exposed >= min_sample_size as reached_min_sample,
        case
            when planned_variants < 2 then 'fewer_than_two_variants'
            when not has_all_variants then 'missing_variant'
            when min_variant_units < {{ var('srm_min_variant_units') }} then 'too_few_units'
            when srm_p_value is null or srm_p_value < {{ var('srm_min_p_value') }} then 'sample_ratio_mismatch'
            when min_sample_size is not null and units_exposed < min_sample_size then 'below_min_sample'
        end as measurement_issue
    from join_samples

),

final as (

    select
        experiment_id,
        experiment_name,
        team,
        ticket_id,
        ai_assisted,
        min_sample_size,
        created_at,
        launched_at,
        stopped_at,
        decided_at,
        decision,
        decided_variant,
        shipped_at,
        abandoned_at,
        pauses,
        state,
        cast(planned_variants as {{ dbt.type_bigint() }}) as planned_variants,
        cast(units_exposed as {{ dbt.type_bigint() }}) as units_exposed,
        cast(min_variant_units as {{ dbt.type_bigint() }}) as min_variant_units,
        cast(units_in_multiple_variants as {{ dbt.type_bigint() }}) as units_in_multiple_variants,
        cast(units_in_unplanned_variants as {{ dbt.type_bigint() }}) as units_in_unplanned_variants,
        srm_chi_square,
        srm_degrees_of_freedom,
        srm_p_value,
        has_all_variants,
        reached_min_sample,
        measurement_issue is null as measured_cleanly,
        measurement_issue,
        (
            launched_at is not null
            and measurement_issue is null
            and decision is not null
            and (decision <> 'ship' or shipped_at is not null)
        ) as is_finished
    from check_measurement

)

select * from final
