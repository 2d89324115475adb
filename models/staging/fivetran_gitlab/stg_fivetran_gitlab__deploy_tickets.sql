{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- One row per deploy per issue it shipped.
    - A deploy shipped the merge requests of its project merged into its ref (target_branch = the deployment's ref)
      after the previous successful deploy of the same project and environment and at or before it (the first
      deploy of an environment: every earlier one); a failed deploy and the success that restores it both ship the
      requests merged since the last success.
    - A merge request ships the issues of its own project that its title or description references as `#<iid>`
      (`Closes #12`, `(#12)`, `#12, #13`): a `#` not preceded by a letter, digit, `_`, `/`, `#`, `&` or `!` (so not
      a URL anchor, `group/project#12` of another project, `issue#12`), followed by digits that no letter, digit or
      `_` continues (not `#12ab`, a colour). Merge requests' `!12` and epics' `&12` are not issues. -#}

with

deployments as (

    select * from {{ ref('base_fivetran_gitlab__deployments') }}

),

issues as (

    select * from {{ ref('base_fivetran_gitlab__issues') }}

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
        {{ dbt.concat([
            "coalesce(cast(title as " ~ dbt.type_string() ~ "), '')", "' '",
            "coalesce(cast(description as " ~ dbt.type_string() ~ "), '')",
        ]) }} as request_text
    from merge_requests
    where merged_at is not null

),

extract_issue_references as (

    select
        merge_request_id,
        project_id,
        target_branch,
        merged_at,
        {{ flowmetrics.regex_all_matches('request_text', flowmetrics.gitlab_issue_reference_pattern()) }}
            as referenced_iid
    from keep_merged_requests

),

match_deploy_requests as (

    select
        find_previous_success.deployment_id,
        extract_issue_references.project_id,
        extract_issue_references.referenced_iid
    from find_previous_success
    inner join extract_issue_references
        on
            find_previous_success.project_id = extract_issue_references.project_id
            and find_previous_success.deployed_ref = extract_issue_references.target_branch
            and find_previous_success.deployed_at >= extract_issue_references.merged_at
            and (
                find_previous_success.previous_success_at is null
                or find_previous_success.previous_success_at < extract_issue_references.merged_at
            )

),

final as (

    select distinct
        match_deploy_requests.deployment_id as deploy_id,
        issues.issue_id as ticket_id
    from match_deploy_requests
    inner join issues
        on
            match_deploy_requests.project_id = issues.project_id
            and cast(match_deploy_requests.referenced_iid as {{ dbt.type_bigint() }}) = issues.iid

)

select * from final
