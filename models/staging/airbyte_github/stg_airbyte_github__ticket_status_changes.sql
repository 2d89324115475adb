{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per status change of an issue, derived from its creation and its closed, reopened, labeled and
    unlabeled events by the rule of macros/sources/github.sql (github_status_change_ctes); other events (assigned,
    renamed, project card moves...) change no status. -#}

with

base_issues as (

    select * from {{ ref('base_airbyte_github__issues') }}
    where not is_pull_request

),

issue_events as (

    select * from {{ ref('base_airbyte_github__issue_events') }}

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
        issue_events.issue_id,
        issue_events.event_at,
        issue_events.event_kind = 'closed' as is_closed,
        issue_events.actor,
        issue_events.event_id as event_rank
    from issue_events
    inner join issues
        on issue_events.issue_id = issues.issue_id
    where issue_events.event_kind in ('closed', 'reopened')

),

label_events as (

    select
        issue_events.issue_id,
        issue_events.event_at,
        issue_events.label_name,
        issue_events.event_kind = 'labeled' as is_labeled,
        issue_events.actor,
        issue_events.event_id as event_rank
    from issue_events
    inner join issues
        on issue_events.issue_id = issues.issue_id
    where issue_events.event_kind in ('labeled', 'unlabeled')

),

{{ flowmetrics.github_status_change_ctes() }},

final as (

    select * from github_status_changes

)

select * from final
