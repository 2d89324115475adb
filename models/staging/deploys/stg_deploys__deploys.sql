with

source as (

    select * from {{ raw_source('deploys', 'deploys') }}

),

renamed as (

    select
        cast(deploy_id as {{ dbt.type_string() }}) as deploy_id,
        cast(service as {{ dbt.type_string() }}) as service,
        cast(environment as {{ dbt.type_string() }}) as environment,
        cast(deployed_at as {{ dbt.type_timestamp() }}) as deployed_at,
        lower(cast(status as {{ dbt.type_string() }})) as deploy_status,
        cast(commit_sha as {{ dbt.type_string() }}) as commit_sha,
        cast(first_commit_at as {{ dbt.type_timestamp() }}) as first_commit_at
    from source

)

select * from renamed
