with

source as (

    select * from {{ raw_source('deploys', 'deploy_tickets') }}

),

renamed as (

    select
        cast(deploy_id as {{ dbt.type_string() }}) as deploy_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id
    from source

)

select * from renamed
