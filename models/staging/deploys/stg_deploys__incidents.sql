{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- Every configured source's incidents (var flowmetrics_sources), with ids as described in
    macros/sources/flowmetrics_sources.sql. -#}

with

sourced_incidents as (

    {{ flowmetrics.union_sources(
        'incidents',
        ['incident_id', 'service', 'opened_at', 'resolved_at', 'severity', 'caused_by_deploy_id'],
        contract_source='deploys',
    ) }}

),

renamed as (

    select
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        cast(source_name as {{ dbt.type_string() }}) as source_name,
        cast(service as {{ dbt.type_string() }}) as service,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(resolved_at as {{ dbt.type_timestamp() }}) as resolved_at,
        cast(severity as {{ dbt.type_string() }}) as severity,
        cast(caused_by_deploy_id as {{ dbt.type_string() }}) as caused_by_deploy_id
    from sourced_incidents

)

select * from renamed
