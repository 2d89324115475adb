{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github', 'dora')) }}

{#- One row per pull request per text it names tickets in: its title, its head branch and the message of each
    of its commits (text_kind title | branch | commit_message, reference_text). -#}

with

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

final as (

    select * from pull_request_texts

)

select * from final
