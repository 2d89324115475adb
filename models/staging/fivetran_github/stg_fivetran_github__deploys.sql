{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github', 'dora')) }}

{#- One row per ended deployment: service its repository, environment its environment, deployed_at the time of
    its final status, commit_sha the deployed sha, first_commit_at the earliest authored commit of the pull
    requests it ships (null when none is landed). -#}

with

deploys as (

    select * from {{ ref('base_fivetran_github__deploys') }}

),

deploy_pull_requests as (

    select * from {{ ref('base_fivetran_github__deploy_pull_requests') }}

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

find_first_commits as (

    select
        deploy_pull_requests.deploy_id,
        min(cast(commits.author_date as {{ dbt.type_timestamp() }})) as first_commit_at
    from deploy_pull_requests
    inner join pull_requests
        on deploy_pull_requests.pull_request_id = pull_requests.issue_id
    inner join commit_pull_requests
        on pull_requests.id = commit_pull_requests.pull_request_id
    inner join commits
        on commit_pull_requests.commit_sha = commits.sha
    group by deploy_pull_requests.deploy_id

),

final as (

    select
        deploys.deploy_id,
        deploys.service,
        deploys.environment,
        deploys.deployed_at,
        deploys.deploy_status as status,
        deploys.commit_sha,
        find_first_commits.first_commit_at
    from deploys
    left join find_first_commits
        on deploys.deploy_id = find_first_commits.deploy_id

)

select * from final
