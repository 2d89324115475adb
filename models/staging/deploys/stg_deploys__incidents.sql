with

source as (

    select * from {{ raw_source('deploys', 'incidents') }}

),

renamed as (

    select
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        cast(service as {{ dbt.type_string() }}) as service,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(resolved_at as {{ dbt.type_timestamp() }}) as resolved_at,
        cast(severity as {{ dbt.type_string() }}) as severity,
        cast(caused_by_deploy_id as {{ dbt.type_string() }}) as caused_by_deploy_id
    from source

)

select * from renamed
