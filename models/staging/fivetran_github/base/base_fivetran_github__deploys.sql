{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github', 'dora')) }}

{#- One row per deployment that has ended (a success, failure or error status), with its outcome by the rule of
    macros/sources/github.sql (github_deploy_ctes). -#}

with

base_deployments as (

    {{ flowmetrics.fivetran_github_current_rows('deployment', ['id']) }}

),

base_deployment_statuses as (

    {{ flowmetrics.fivetran_github_current_rows('deployment_status', ['id']) }}

),

repositories as (

    {{ flowmetrics.fivetran_github_current_rows('repository', ['id']) }}

),

deployments as (

    select
        base_deployments.id as deploy_id,
        base_deployments.repository_id,
        repositories.name as service,
        base_deployments.environment,
        base_deployments.commit_sha,
        cast(base_deployments.created_at as {{ dbt.type_timestamp() }}) as created_at
    from base_deployments
    inner join repositories
        on base_deployments.repository_id = repositories.id

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
