{#- The status map in force: the raw status_map shipped with the data when it has any row, else the project's
    default seed. Marks the entry status: where a ticket sits before its first known change. -#}

with

raw_status_map as (

    select * from {{ ref('stg_tickets__status_map') }}

),

default_status_map as (

    select * from {{ ref('default_status_map') }}

),

choose_map as (

    select
        raw_status,
        stage,
        stage_kind,
        stage_order,
        'raw' as map_source
    from raw_status_map

    union all

    select
        cast(raw_status as {{ dbt.type_string() }}) as raw_status,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_kind as {{ dbt.type_string() }}) as stage_kind,
        cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
        'default' as map_source
    from default_status_map
    where not exists (select 1 from raw_status_map)

),

rank_entry_candidates as (

    select
        *,
        row_number() over (
            order by
                case when stage_kind in ('queue', 'active', 'wait') then 0 else 1 end,
                stage_order,
                case stage_kind when 'queue' then 0 when 'active' then 1 else 2 end,
                raw_status
        ) as entry_rank
    from choose_map

),

final as (

    select
        raw_status,
        stage,
        stage_kind,
        stage_order,
        map_source,
        (entry_rank = 1 and stage_kind in ('queue', 'active', 'wait')) as is_entry_status
    from rank_entry_candidates

)

select * from final
