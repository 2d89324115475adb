{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per live Jira issue: its numeric id, its key, its summary, its issue type's name, its project's key as
    the team (the team map can override it), created_at. Jira has no requester function, experiment or AI flag. -#}

with

issues as (

    select * from {{ ref('base_fivetran_jira__issues') }}

),

projects as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_jira', 'project'), ['id'], keep_deleted=true) }}

),

issue_types as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_jira', 'issue_type'), ['id'], keep_deleted=true) }}

),

attach_names as (

    select
        cast(issues.issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(issues.issue_key as {{ dbt.type_string() }}) as ticket_key,
        cast(issues.summary as {{ dbt.type_string() }}) as title,
        cast(issue_types.name as {{ dbt.type_string() }}) as ticket_type,
        cast(projects.key as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as requested_by,
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        cast(null as {{ dbt.type_boolean() }}) as ai_assisted,
        cast(issues.created as {{ dbt.type_timestamp() }}) as created_at
    from issues
    left join projects
        on issues.project_id = projects.id
    left join issue_types
        on issues.issue_type_id = issue_types.id

)

select * from attach_names
