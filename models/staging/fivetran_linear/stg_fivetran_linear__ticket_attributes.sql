{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_linear')) }}

{#- One row per live Linear issue per attribute the team map can match: its project (name) and each label on it
    (name; a removed label is a soft-deleted issue_label row, dropped). -#}

with

issues as (

    select * from {{ ref('base_fivetran_linear__issues') }}

),

projects as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'project'), ['id'], keep_deleted=true
        ) }}
            as all_projects

),

issue_labels as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'issue_label'), ['issue_id', 'label_id']
        ) }}
            as live_issue_labels

),

labels as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_linear', 'label'), ['id']) }} as live_labels

),

name_projects as (

    select
        issues.issue_id as ticket_id,
        'project' as attribute,  -- noqa: RF04
        cast(projects.name as {{ dbt.type_string() }}) as value  -- noqa: RF04
    from issues
    inner join projects
        on issues.project_id = projects.id

),

name_labels as (

    select
        issues.issue_id as ticket_id,
        'label' as attribute,  -- noqa: RF04
        cast(labels.name as {{ dbt.type_string() }}) as value  -- noqa: RF04
    from issues
    inner join issue_labels
        on issues.issue_id = issue_labels.issue_id
    inner join labels
        on issue_labels.label_id = labels.id

),

final as (

    select
        ticket_id,
        attribute,
        value  -- noqa: RF04
    from name_projects
    union all
    select
        ticket_id,
        attribute,
        value  -- noqa: RF04
    from name_labels

)

select * from final
