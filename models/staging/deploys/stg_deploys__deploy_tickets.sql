{#- Every configured source's deploy → ticket links (var flowmetrics_sources), with ids as described in
    macros/sources/flowmetrics_sources.sql. -#}

with

sourced_links as (

    {{ flowmetrics.union_sources('deploy_tickets', ['deploy_id', 'ticket_id'], contract_source='deploys') }}

),

renamed as (

    select
        cast(deploy_id as {{ dbt.type_string() }}) as deploy_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id
    from sourced_links

)

select * from renamed
