{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- The status map in force: the raw status_map shipped with the data when it has any row; else, when a configured
    source is a connector (var flowmetrics_sources: an adapter other than contract), the map suggested from the data
    (int_status_mappings_suggested); else the project's default seed. map_source says which. Marks the entry
    status: where a ticket sits before its first known change. The entry status is the map's status named by var
    entry_status when set (a data test fails when the map has no such queue, active or wait status); else the
    queue status of the lowest stage_order (active, then wait, when that stage has no queue status), and among
    several such statuses the first in the map's own order (map_order): the row order of the status_map file
    ingest loaded, the seed's map_order column, or for a suggested map the statuses' typical position in the
    tickets' histories. The status name decides only between statuses the map leaves unordered (a status_map
    landed by another tool, without ingest's row stamps). -#}

{%- set connector_configured = 'true' if connector_source_configured() else 'false' %}

with

raw_status_map as (

    select * from {{ ref('stg_tickets__status_map') }}

),

default_status_map as (

    select * from {{ ref('default_status_map') }}

),

suggested_status_map as (

    select * from {{ ref('int_status_mappings_suggested') }}

),

choose_map as (

    select
        raw_status,
        stage,
        stage_kind,
        stage_order,
        cast(map_order as {{ flowmetrics.type_double() }}) as map_order,
        'raw' as map_source
    from raw_status_map

    union all

    select
        raw_status,
        stage,
        stage_kind,
        stage_order,
        cast(typical_position as {{ flowmetrics.type_double() }}) as map_order,
        'suggested' as map_source
    from suggested_status_map
    where
        {{ connector_configured }}
        and not exists (select 1 from raw_status_map)

    union all

    select
        cast(raw_status as {{ dbt.type_string() }}) as raw_status,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_kind as {{ dbt.type_string() }}) as stage_kind,
        cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(map_order as {{ flowmetrics.type_double() }}) as map_order,
        'default' as map_source
    from default_status_map
    where
        not {{ connector_configured }}
        and not exists (select 1 from raw_status_map)

),

rank_entry_candidates as (

    select
        *,
        row_number() over (
            order by
                case when stage_kind in ('queue', 'active', 'wait') then 0 else 1 end,
                case when raw_status = {{ flowmetrics.quoted_literal(var('entry_status')) }} then 0 else 1 end,
                stage_order,
                case stage_kind when 'queue' then 0 when 'active' then 1 else 2 end,
                case when map_order is null then 1 else 0 end,
                map_order,
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
        map_order,
        map_source,
        (entry_rank = 1 and stage_kind in ('queue', 'active', 'wait')) as is_entry_status
    from rank_entry_candidates

)

select * from final
