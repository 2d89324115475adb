with

as_of_resolved as (

    select * from {{ ref('int_as_of_resolved') }}

),

final as (

    select
        as_of,
        latest_event_at,
        is_as_of_overridden
    from as_of_resolved

)

select * from final
