{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- Every configured source's deploy → ticket links (var flowmetrics_sources), with ids as described in
    macros/sources/flowmetrics_sources.sql: the links a source states, and for every ticket key a deploy names
    (stg_deploys__deploy_ticket_keys) the tickets of ANY configured source whose ticket_key is that key, each
    one linked when several sources have it. A key no ticket has links nothing (the warn-level relationships
    test of stg_deploys__deploy_ticket_keys.ticket_key counts those references). -#}

with

sourced_links as (

    {{ flowmetrics.union_sources('deploy_tickets', ['deploy_id', 'ticket_id'], contract_source='deploys') }}

),

deploy_ticket_keys as (

    select * from {{ ref('stg_deploys__deploy_ticket_keys') }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}

),

renamed as (

    select
        cast(deploy_id as {{ dbt.type_string() }}) as deploy_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id
    from sourced_links

),

resolve_ticket_keys as (

    select
        deploy_ticket_keys.deploy_id,
        tickets.ticket_id
    from deploy_ticket_keys
    inner join tickets
        on deploy_ticket_keys.ticket_key = tickets.ticket_key

),

final as (

    select
        deploy_id,
        ticket_id
    from renamed

    union

    select
        deploy_id,
        ticket_id
    from resolve_ticket_keys

)

select * from final
