{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{{ config(materialized='table') }}

{#- One row per ticket any raw row of a configured source (var flowmetrics_sources) is about: loaded_at, the latest
    time one of its rows was loaded (UTC; NULL when none carries a load time). The contract source reads its tickets
    and ticket_status_changes tables' load column: ingest's _loaded_at stamp, or the column the source entry names
    with `loaded_at` (tables landed by another tool). A connector adapter gives stg_<adapter>__ticket_loads: its
    connector's load column (_fivetran_synced, _airbyte_extracted_at) over every raw row it reads for a ticket,
    soft-deleted rows included, so a deleted ticket or change is a load too. Ids as in
    macros/sources/flowmetrics_sources.sql. A table, built once per run before the incremental flow models: each
    recomputes the tickets whose loaded_at is not the source_loaded_at it built them with (macros/incremental/rebuild_tickets.sql). -#}

with

sourced_loads as (

    {{ flowmetrics.union_ticket_loads() }}

),

aggregate_loads as (

    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(max(loaded_at) as {{ dbt.type_timestamp() }}) as loaded_at
    from sourced_loads
    where ticket_id is not null
    group by ticket_id

)

select * from aggregate_loads
