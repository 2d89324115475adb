{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- One row per live GitLab issue, contract-shaped: ticket_key `<project path>#<iid>`, team the project's path
    (the team map may override it from the project or a label). GitLab has no requester, experiment or AI flag: null;
    its issue type is not read (null). -#}

with

issues as (

    select * from {{ ref('base_fivetran_gitlab__issues') }}

),

final as (

    select
        issue_id as ticket_id,
        {{ dbt.concat(['project_path', "'#'", 'cast(iid as ' ~ dbt.type_string() ~ ')']) }} as ticket_key,
        title,
        cast(null as {{ dbt.type_string() }}) as ticket_type,
        project_path as team,
        cast(null as {{ dbt.type_string() }}) as requested_by,
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        cast(null as {{ dbt.type_boolean() }}) as ai_assisted,
        created_at
    from issues

)

select * from final
