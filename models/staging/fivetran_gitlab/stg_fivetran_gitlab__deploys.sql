{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab', 'dora')) }}

{#- One row per finished GitLab deployment: status success → success, failed → failed; canceled deployments are
    left out (nothing was deployed, nothing failed in production), and so are the unfinished ones (created,
    running, blocked) and skipped ones. service is the project's path, environment the environment's name,
    deployed_at when the deployment finished (else its last update), commit_sha the deployed sha. GitLab gives no
    first commit time (null: lead time falls back to the shipped tickets' start). -#}

with

deployments as (

    select * from {{ ref('base_fivetran_gitlab__deployments') }}

),

final as (

    select
        deployment_id as deploy_id,
        project_path as service,
        environment_name as environment,
        deployed_at,
        deployment_status as status,
        commit_sha,
        cast(null as {{ dbt.type_timestamp() }}) as first_commit_at
    from deployments

)

select * from final
