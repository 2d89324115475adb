{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('experiments')) }}

with

source as (

    select * from {{ raw_source('experiments', 'experiments') }}

),

renamed as (

    select
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(name as {{ dbt.type_string() }}) as experiment_name,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(ai_assisted as {{ dbt.type_boolean() }}) as ai_assisted,
        cast(min_sample_size as {{ dbt.type_bigint() }}) as min_sample_size,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at
    from source

)

select * from renamed
