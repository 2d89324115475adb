{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per live issue: the copy of the latest sync, soft-deleted issues (_fivetran_deleted) dropped. -#}

with

latest_issues as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_jira', 'issue'), ['id'], keep_deleted=true) }}

),

drop_deleted as (

    select
        id as issue_id,
        key as issue_key,
        summary,
        issue_type as issue_type_id,
        project as project_id,
        created
    from latest_issues
    where not coalesce(_fivetran_deleted, false)

)

select * from drop_deleted
