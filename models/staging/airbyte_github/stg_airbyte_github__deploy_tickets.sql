{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per deploy per issue it ships: the issues of the same repository its pull requests reference in
    their title, branch name or commit messages, by the rule of macros/sources/github.sql
    (github_deploy_ticket_ctes). -#}

with

deploy_pull_requests as (

    select * from {{ ref('base_airbyte_github__deploy_pull_requests') }}

),

issues as (

    select * from {{ ref('base_airbyte_github__issues') }}

),

pull_requests as (

    {{ flowmetrics.airbyte_github_latest_rows('pull_requests', ['id']) }}

),

pull_request_commits as (

    {{ flowmetrics.airbyte_github_latest_rows('pull_request_commits', ['sha', 'pull_number', 'repository']) }}

),

pull_request_texts as (

    select
        id as pull_request_id,
        repository as repository_id,
        'title' as text_kind,
        title as reference_text
    from pull_requests

    union all

    select
        id as pull_request_id,
        repository as repository_id,
        'branch' as text_kind,
        {{ flowmetrics.json_text('head', 'ref') }} as reference_text
    from pull_requests

    union all

    select
        pull_requests.id as pull_request_id,
        pull_requests.repository as repository_id,
        'commit_message' as text_kind,
        {{ flowmetrics.json_text('pull_request_commits.commit', 'message') }} as reference_text
    from pull_requests
    inner join pull_request_commits
        on
            pull_requests.repository = pull_request_commits.repository
            and pull_requests.number = pull_request_commits.pull_number

),

referable_issues as (

    select
        issue_id,
        repository_id,
        repository_full_name,
        issue_number
    from issues
    where not is_pull_request

),

{{ flowmetrics.github_deploy_ticket_ctes() }},

final as (

    select * from github_deploy_tickets

)

select * from final
