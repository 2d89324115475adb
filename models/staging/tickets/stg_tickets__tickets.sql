with

source as (

    select * from {{ raw_source('tickets', 'tickets') }}

),

renamed as (

    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(ticket_type as {{ dbt.type_string() }}) as ticket_type,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(requested_by as {{ dbt.type_string() }}) as requested_by,
        cast(experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(ai_assisted as {{ dbt.type_boolean() }}) as ai_assisted,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at
    from source

)

select * from renamed
