{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per status change of an issue, derived from its creation, its close/reopen history and its status
    labels' history by the rule of macros/sources/github.sql (github_status_change_ctes). -#}

with

base_issues as (

    select * from {{ ref('base_fivetran_github__issues') }}
    where not is_pull_request

),

closed_history as (

    {{ flowmetrics.fivetran_github_current_rows('issue_closed_history', ['issue_id', 'updated_at', 'closed']) }}

),

label_history as (

    {{ flowmetrics.fivetran_github_current_rows('issue_label_history', ['issue_id', 'label_id', 'updated_at']) }}

),

labels as (

    {{ flowmetrics.fivetran_github_current_rows('label', ['id']) }}

),

users as (

    {{ flowmetrics.fivetran_github_current_rows('user', ['id']) }}

),

issues as (

    select
        issue_id,
        created_at,
        opened_by,
        coalesce(state = 'closed' and state_reason = 'not_planned', false) as is_closed_as_not_planned
    from base_issues

),

state_events as (

    select
        closed_history.issue_id,
        cast(closed_history.updated_at as {{ dbt.type_timestamp() }}) as event_at,
        closed_history.closed as is_closed,
        users.login as actor,
        case when closed_history.closed then 1 else 0 end as event_rank
    from closed_history
    inner join issues
        on closed_history.issue_id = issues.issue_id
    left join users
        on closed_history.actor_id = users.id

),

label_events as (

    select
        label_history.issue_id,
        cast(label_history.updated_at as {{ dbt.type_timestamp() }}) as event_at,
        labels.name as label_name,
        label_history.labeled as is_labeled,
        users.login as actor,
        case when label_history.labeled then 1 else 0 end as event_rank
    from label_history
    inner join issues
        on label_history.issue_id = issues.issue_id
    inner join labels
        on label_history.label_id = labels.id
    left join users
        on label_history.actor_id = users.id

),

{{ flowmetrics.github_status_change_ctes() }},

final as (

    select * from github_status_changes

)

select * from final
