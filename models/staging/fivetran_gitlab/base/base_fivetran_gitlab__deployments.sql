{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab', 'dora')) }}

{#- The finished deployments (status success or failed; latest sync, soft-deleted ones dropped) with their project,
    environment and ref, read by the deploys and by their links to tickets. -#}

with

deployments as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'deployment'), ['id']
        ) }}
            as live_deployments

),

projects as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'project'), ['id'], keep_deleted=true
        ) }}
            as all_projects

),

environments as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'environment'), ['id'], keep_deleted=true
        ) }}
            as all_environments

),

keep_finished as (

    select
        cast(deployments.id as {{ dbt.type_string() }}) as deployment_id,
        cast(deployments.project_id as {{ dbt.type_string() }}) as project_id,
        cast(projects.path as {{ dbt.type_string() }}) as project_path,
        cast(deployments.environment_id as {{ dbt.type_string() }}) as environment_id,
        cast(environments.name as {{ dbt.type_string() }}) as environment_name,
        cast(deployments.ref as {{ dbt.type_string() }}) as deployed_ref,
        cast(
            coalesce(deployments.finished_at, deployments.updated_at) as {{ dbt.type_timestamp() }}
        ) as deployed_at,
        lower(cast(deployments.status as {{ dbt.type_string() }})) as deployment_status,
        cast(deployments.sha as {{ dbt.type_string() }}) as commit_sha
    from deployments
    left join projects
        on deployments.project_id = projects.id
    left join environments
        on deployments.environment_id = environments.id
    where lower(cast(deployments.status as {{ dbt.type_string() }})) in ('success', 'failed')

)

select * from keep_finished
