{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

with

source as (

    select * from {{ raw_source('experiments', 'experiment_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        lower(cast(event_type as {{ dbt.type_string() }})) as event_type,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        lower(cast(decision as {{ dbt.type_string() }})) as decision,
        cast(variant as {{ dbt.type_string() }}) as variant
    from source

)

select * from renamed
