with

source as (

    select * from {{ raw_source('tickets', 'ticket_status_changes') }}

),

renamed as (

    select
        cast(change_id as {{ dbt.type_string() }}) as change_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(from_status as {{ dbt.type_string() }}) as from_status,
        cast(to_status as {{ dbt.type_string() }}) as to_status,
        cast(changed_by as {{ dbt.type_string() }}) as changed_by
    from source

)

select * from renamed
