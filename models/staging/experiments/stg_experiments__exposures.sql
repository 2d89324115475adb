{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

with

source as (

    select * from {{ raw_source('experiments', 'experiment_exposures') }}

),

renamed as (

    select
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(unit_id as {{ dbt.type_string() }}) as unit_id,
        cast(variant as {{ dbt.type_string() }}) as variant,
        cast(exposed_at as {{ dbt.type_timestamp() }}) as exposed_at
    from source

)

select * from renamed
