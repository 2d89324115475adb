{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github', 'dora')) }}

{#- One row per deploy per pull request it ships, by the rule of macros/sources/github.sql
    (github_deploy_pull_request_ctes): pull requests merged since the previous successful deploy. -#}

with

github_deploys as (

    select * from {{ ref('base_fivetran_github__deploys') }}

),

issues as (

    select * from {{ ref('base_fivetran_github__issues') }}
    where is_pull_request

),

pull_request_merges as (

    {{ flowmetrics.fivetran_github_current_rows('issue_merged', ['issue_id', 'merged_at']) }}

),

merged_pull_requests as (

    select
        issues.issue_id as pull_request_id,
        issues.repository_id,
        min(cast(pull_request_merges.merged_at as {{ dbt.type_timestamp() }})) as merged_at
    from issues
    inner join pull_request_merges
        on issues.issue_id = pull_request_merges.issue_id
    group by issues.issue_id, issues.repository_id

),

{{ flowmetrics.github_deploy_pull_request_ctes() }},

final as (

    select * from deploy_pull_requests

)

select * from final
