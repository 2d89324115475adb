{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github', 'dora')) }}

{#- One row per pull request per text it names tickets in: its title, its head branch and the message of each
    of its commits (text_kind title | branch | commit_message, reference_text). -#}

with

issues as (

    select * from {{ ref('base_fivetran_github__issues') }}

),

pull_requests as (

    {{ flowmetrics.fivetran_github_current_rows('pull_request', ['id']) }}

),

commit_pull_requests as (

    {{ flowmetrics.fivetran_github_current_rows('commit_pull_request', ['commit_sha', 'pull_request_id']) }}

),

commits as (

    {{ flowmetrics.fivetran_github_current_rows('commit', ['sha']) }}

),

pull_request_texts as (

    select
        issue_id as pull_request_id,
        repository_id,
        'title' as text_kind,
        title as reference_text
    from issues
    where is_pull_request

    union all

    select
        pull_requests.issue_id as pull_request_id,
        issues.repository_id,
        'branch' as text_kind,
        pull_requests.head_ref as reference_text
    from pull_requests
    inner join issues
        on pull_requests.issue_id = issues.issue_id

    union all

    select
        pull_requests.issue_id as pull_request_id,
        issues.repository_id,
        'commit_message' as text_kind,
        commits.message as reference_text
    from pull_requests
    inner join issues
        on pull_requests.issue_id = issues.issue_id
    inner join commit_pull_requests
        on pull_requests.id = commit_pull_requests.pull_request_id
    inner join commits
        on commit_pull_requests.commit_sha = commits.sha

),

final as (

    select * from pull_request_texts

)

select * from final
