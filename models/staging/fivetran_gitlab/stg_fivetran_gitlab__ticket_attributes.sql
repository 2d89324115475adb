{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- One row per live GitLab issue per attribute the team map can match: its project (path) and each label on it
    now (a label whose latest add or remove event on the issue is an add). -#}

with

issues as (

    select * from {{ ref('base_fivetran_gitlab__issues') }}

),

label_events as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'resource_label_event'), ['id']
        ) }}
            as live_label_events

),

labels as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'label'), ['id'], keep_deleted=true
        ) }}
            as all_labels

),

rank_label_events as (

    select
        cast(resource_id as {{ dbt.type_string() }}) as issue_id,
        label_id,
        lower(cast(action as {{ dbt.type_string() }})) as event_action,
        row_number() over (
            partition by resource_id, label_id
            order by created_at desc, id desc
        ) as event_rank
    from label_events
    where lower(resource_type) = 'issue'

),

name_projects as (

    select
        issue_id as ticket_id,
        'project' as attribute,  -- noqa: RF04
        project_path as value  -- noqa: RF04
    from issues
    where project_path is not null

),

name_labels as (

    select
        issues.issue_id as ticket_id,
        'label' as attribute,  -- noqa: RF04
        cast(labels.name as {{ dbt.type_string() }}) as value  -- noqa: RF04
    from issues
    inner join rank_label_events
        on issues.issue_id = rank_label_events.issue_id
    inner join labels
        on rank_label_events.label_id = labels.id
    where rank_label_events.event_rank = 1 and rank_label_events.event_action = 'add'

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
