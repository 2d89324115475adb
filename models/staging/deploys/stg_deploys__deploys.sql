{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('dora')) }}

{#- Every configured source's deploys (var flowmetrics_sources), with ids as described in
    macros/sources/flowmetrics_sources.sql; status renamed deploy_status and lower-cased. -#}

with

sourced_deploys as (

    {{ flowmetrics.union_sources(
        'deploys',
        ['deploy_id', 'service', 'environment', 'deployed_at', 'status', 'commit_sha', 'first_commit_at'],
        contract_source='deploys',
    ) }}

),

renamed as (

    select
        cast(deploy_id as {{ dbt.type_string() }}) as deploy_id,
        cast(source_name as {{ dbt.type_string() }}) as source_name,
        cast(service as {{ dbt.type_string() }}) as service,
        cast(environment as {{ dbt.type_string() }}) as environment,
        cast(deployed_at as {{ dbt.type_timestamp() }}) as deployed_at,
        lower(cast(status as {{ dbt.type_string() }})) as deploy_status,
        cast(commit_sha as {{ dbt.type_string() }}) as commit_sha,
        cast(first_commit_at as {{ dbt.type_timestamp() }}) as first_commit_at
    from sourced_deploys

)

select * from renamed
