{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab', 'dora')) }}

{#- One row per deploy per merge request it shipped, with the request's texts (title, description, source_branch).
    A deploy shipped the merge requests of its project merged into its ref (target_branch = the deployment's ref)
    after the previous successful deploy of the same project and environment and at or before it (the first deploy
    of an environment: every earlier one); a failed deploy and the success that restores it both ship the requests
    merged since the last success. -#}

with

deployments as (

    select * from {{ ref('base_fivetran_gitlab__deployments') }}

),

merge_requests as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'merge_request'), ['id']
        ) }}
            as live_merge_requests

),

find_previous_success as (

    select
        deployments.deployment_id,
        deployments.project_id,
        deployments.deployed_ref,
        deployments.deployed_at,
        max(successes.deployed_at) as previous_success_at
    from deployments
    left join deployments as successes
        on
            deployments.project_id = successes.project_id
            and deployments.environment_id = successes.environment_id
            and successes.deployment_status = 'success'
            and deployments.deployed_at > successes.deployed_at
    group by deployments.deployment_id, deployments.project_id, deployments.deployed_ref, deployments.deployed_at

),

keep_merged_requests as (

    select
        cast(id as {{ dbt.type_string() }}) as merge_request_id,
        cast(project_id as {{ dbt.type_string() }}) as project_id,
        cast(target_branch as {{ dbt.type_string() }}) as target_branch,
        cast(merged_at as {{ dbt.type_timestamp() }}) as merged_at,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(source_branch as {{ dbt.type_string() }}) as source_branch
    from merge_requests
    where merged_at is not null

),

match_deploy_requests as (

    select
        find_previous_success.deployment_id as deploy_id,
        keep_merged_requests.project_id,
        keep_merged_requests.merge_request_id,
        keep_merged_requests.title,
        keep_merged_requests.description,
        keep_merged_requests.source_branch
    from find_previous_success
    inner join keep_merged_requests
        on
            find_previous_success.project_id = keep_merged_requests.project_id
            and find_previous_success.deployed_ref = keep_merged_requests.target_branch
            and find_previous_success.deployed_at >= keep_merged_requests.merged_at
            and (
                find_previous_success.previous_success_at is null
                or find_previous_success.previous_success_at < keep_merged_requests.merged_at
            )

),

final as (

    select * from match_deploy_requests

)

select * from final
