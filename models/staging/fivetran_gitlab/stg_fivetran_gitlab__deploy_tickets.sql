{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab', 'dora')) }}

{#- One row per deploy per issue it shipped.
    - A deploy shipped the merge requests of base_fivetran_gitlab__deploy_merge_requests (merged into its ref since
      the previous successful deploy of its project and environment).
    - A merge request ships the issues of its own project that its title or description references as `#<iid>`
      (`Closes #12`, `(#12)`, `#12, #13`): a `#` not preceded by a letter, digit, `_`, `/`, `#`, `&` or `!` (so not
      a URL anchor, `group/project#12` of another project, `issue#12`), followed by digits that no letter, digit or
      `_` continues (not `#12ab`, a colour). Merge requests' `!12` and epics' `&12` are not issues. -#}

with

deploy_merge_requests as (

    select * from {{ ref('base_fivetran_gitlab__deploy_merge_requests') }}

),

issues as (

    select * from {{ ref('base_fivetran_gitlab__issues') }}

),

join_request_texts as (

    select
        deploy_id,
        project_id,
        {{ dbt.concat(["coalesce(title, '')", "' '", "coalesce(description, '')"]) }} as request_text
    from deploy_merge_requests

),

extract_issue_references as (

    select
        deploy_id,
        project_id,
        {{ flowmetrics.regex_all_matches('request_text', flowmetrics.gitlab_issue_reference_pattern()) }}
            as referenced_iid
    from join_request_texts

),

final as (

    select distinct
        extract_issue_references.deploy_id,
        issues.issue_id as ticket_id
    from extract_issue_references
    inner join issues
        on
            extract_issue_references.project_id = issues.project_id
            and cast(extract_issue_references.referenced_iid as {{ dbt.type_bigint() }}) = issues.iid

)

select * from final
