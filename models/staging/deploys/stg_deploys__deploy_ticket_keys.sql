{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- Every configured source's deploy → ticket key references (var flowmetrics_sources): the keys of tickets
    (`WEB-12`) a code host's deploy names in its pull requests (macros/sources/ticket_keys.sql). deploy_id as
    described in macros/sources/flowmetrics_sources.sql; ticket_key as written, matched against the ticket_key of
    every source's tickets by stg_deploys__deploy_tickets. -#}

with

sourced_keys as (

    {{ flowmetrics.union_sources('deploy_ticket_keys', ['deploy_id', 'ticket_key']) }}

),

renamed as (

    select
        cast(deploy_id as {{ dbt.type_string() }}) as deploy_id,
        cast(ticket_key as {{ dbt.type_string() }}) as ticket_key
    from sourced_keys

)

select * from renamed
