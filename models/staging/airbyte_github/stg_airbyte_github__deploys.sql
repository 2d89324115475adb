{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github', 'dora')) }}

{#- One row per ended deployment: service its repository's name, environment its environment, deployed_at the
    time of its final status, commit_sha the deployed sha, first_commit_at the earliest authored commit of the pull
    requests it ships (pull_request_commits; null when none is landed). -#}

with

deploys as (

    select * from {{ ref('base_airbyte_github__deploys') }}

),

deploy_pull_requests as (

    select * from {{ ref('base_airbyte_github__deploy_pull_requests') }}

),

pull_requests as (

    {{ flowmetrics.airbyte_github_latest_rows('pull_requests', ['id']) }}

),

pull_request_commits as (

    {{ flowmetrics.airbyte_github_latest_rows('pull_request_commits', ['sha', 'pull_number', 'repository']) }}

),

find_first_commits as (

    select
        deploy_pull_requests.deploy_id,
        min(
            cast(
                {{ flowmetrics.json_text('pull_request_commits.commit', 'author.date') }}
                as {{ dbt.type_timestamp() }}
            )
        ) as first_commit_at
    from deploy_pull_requests
    inner join pull_requests
        on deploy_pull_requests.pull_request_id = pull_requests.id
    inner join pull_request_commits
        on
            pull_requests.repository = pull_request_commits.repository
            and pull_requests.number = pull_request_commits.pull_number
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
