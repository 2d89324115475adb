{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- The GitLab issues that exist now (latest sync, soft-deleted ones dropped), with their project's path. -#}

with

issues as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'issue'), ['id']
        ) }}
            as live_issues

),

projects as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'project'), ['id'], keep_deleted=true
        ) }}
            as all_projects

),

attach_project as (

    select
        cast(issues.id as {{ dbt.type_string() }}) as issue_id,
        cast(issues.iid as {{ dbt.type_bigint() }}) as iid,
        cast(issues.project_id as {{ dbt.type_string() }}) as project_id,
        cast(projects.path as {{ dbt.type_string() }}) as project_path,
        cast(issues.title as {{ dbt.type_string() }}) as title,
        cast(issues.author_id as {{ dbt.type_string() }}) as author_id,
        cast(issues.created_at as {{ dbt.type_timestamp() }}) as created_at
    from issues
    left join projects
        on issues.project_id = projects.id

)

select * from attach_project
