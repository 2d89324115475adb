{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github', 'dora')) }}

{#- One row per deploy per pull request it ships, by the rule of macros/sources/github.sql
    (github_deploy_pull_request_ctes): pull requests merged since the previous successful deploy. -#}

with

github_deploys as (

    select * from {{ ref('base_airbyte_github__deploys') }}

),

pull_requests as (

    {{ flowmetrics.airbyte_github_latest_rows('pull_requests', ['id']) }}

),

merged_pull_requests as (

    select
        id as pull_request_id,
        repository as repository_id,
        cast(merged_at as {{ dbt.type_timestamp() }}) as merged_at
    from pull_requests
    where merged_at is not null

),

{{ flowmetrics.github_deploy_pull_request_ctes() }},

final as (

    select * from deploy_pull_requests

)

select * from final
