{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

with

source as (

    select * from {{ raw_source('experiments', 'experiment_variants') }}

),

renamed as (

    select
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(variant as {{ dbt.type_string() }}) as variant,
        cast(weight as {{ type_double() }}) as planned_weight
    from source

)

select * from renamed
