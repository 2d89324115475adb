{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- Every configured source's status changes (var flowmetrics_sources), with ids as described in
    macros/sources/flowmetrics_sources.sql. -#}

with

sourced_changes as (

    {{ flowmetrics.union_sources(
        'ticket_status_changes',
        ['change_id', 'ticket_id', 'changed_at', 'from_status', 'to_status', 'changed_by'],
        contract_source='tickets',
    ) }}

),

renamed as (

    select
        cast(change_id as {{ dbt.type_string() }}) as change_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(source_name as {{ dbt.type_string() }}) as source_name,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(from_status as {{ dbt.type_string() }}) as from_status,
        cast(to_status as {{ dbt.type_string() }}) as to_status,
        cast(changed_by as {{ dbt.type_string() }}) as changed_by
    from sourced_changes

)

select * from renamed
