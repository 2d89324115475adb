{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github', 'dora')) }}

{#- One row per deployment that has ended (a success, failure or error status), with its outcome by the rule of
    macros/sources/github.sql (github_deploy_ctes). -#}

with

base_deployments as (

    {{ flowmetrics.airbyte_github_latest_rows('deployments', ['id']) }}

),

base_deployment_statuses as (

    {{ flowmetrics.airbyte_github_latest_rows('deployment_statuses', ['id']) }}

),

deployments as (

    select
        id as deploy_id,
        repository as repository_id,
        {{ dbt.split_part('repository', "'/'", 2) }} as service,
        environment,
        sha as commit_sha,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at
    from base_deployments

),

deployment_statuses as (

    select
        deployment_id as deploy_id,
        state,
        cast(created_at as {{ dbt.type_timestamp() }}) as status_at,
        id as status_rank
    from base_deployment_statuses

),

{{ flowmetrics.github_deploy_ctes() }},

final as (

    select * from github_deploys

)

select * from final
