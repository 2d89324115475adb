{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- One row per status change of a live GitLab issue. An issue's status at an instant is `Closed` while it is closed
    (its latest state event is `closed`), else the name after the prefix of its status label (var
    gitlab_status_label_prefix, default `workflow::`: label `workflow::in dev` gives `in dev`) while one is on, else
    `Open`. Among several status labels on at once, the one added last wins (ties: the larger event id). A label is
    on from its add event until the next remove event of the same label on the same issue.
    - Every instant with an event (state event, status-label add or remove) or the issue's creation is evaluated
      once, after all its events; a change is an instant whose status differs from the previous instant's, plus
      the creation (from no status, at created_at, by the author).
    - change_id: `<issue id>:created` for the creation, else `state:<event id>` / `label:<event id>` of the instant's
      last event (GitLab's event ids, stable across syncs); changed_by that event's user name.
    - Events of merge requests (resource_type other than Issue) and of other labels are ignored; soft-deleted rows
      dropped; a re-synced row counts once (the latest sync). -#}

{%- set prefix = flowmetrics.gitlab_status_label_prefix() -%}

with

issues as (

    select * from {{ ref('base_fivetran_gitlab__issues') }}

),

state_events as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'resource_state_event'), ['id']
        ) }}
            as live_state_events

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

users as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'user'), ['id'], keep_deleted=true
        ) }}
            as all_users

),

keep_issue_state_events as (

    select
        cast(state_events.id as {{ dbt.type_bigint() }}) as event_id,
        issues.issue_id,
        cast(state_events.created_at as {{ dbt.type_timestamp() }}) as event_at,
        lower(cast(state_events.state as {{ dbt.type_string() }})) = 'closed' as is_closed,
        cast(state_events.user_id as {{ dbt.type_string() }}) as user_id
    from state_events
    inner join issues
        on cast(state_events.resource_id as {{ dbt.type_string() }}) = issues.issue_id
    where lower(state_events.resource_type) = 'issue'

),

keep_status_label_events as (

    select
        cast(label_events.id as {{ dbt.type_bigint() }}) as event_id,
        issues.issue_id,
        cast(label_events.label_id as {{ dbt.type_string() }}) as label_id,
        substring(
            cast(labels.name as {{ dbt.type_string() }}), {{ prefix | length + 1 }}
        ) as status_name,
        lower(cast(label_events.action as {{ dbt.type_string() }})) as event_action,
        cast(label_events.created_at as {{ dbt.type_timestamp() }}) as event_at,
        cast(label_events.user_id as {{ dbt.type_string() }}) as user_id
    from label_events
    inner join issues
        on cast(label_events.resource_id as {{ dbt.type_string() }}) = issues.issue_id
    inner join labels
        on label_events.label_id = labels.id
    where
        lower(label_events.resource_type) = 'issue'
        and substring(cast(labels.name as {{ dbt.type_string() }}), 1, {{ prefix | length }})
        = {{ flowmetrics.quoted_literal(prefix) }}

),

{# Each add, with the first remove of the same label on the same issue after it (by time, then event id). -#}
pair_label_removals as (

    select
        adds.event_id,
        adds.issue_id,
        adds.status_name,
        adds.event_at as on_from,
        min(removes.event_at) as on_until
    from keep_status_label_events as adds
    left join keep_status_label_events as removes
        on
            adds.issue_id = removes.issue_id
            and adds.label_id = removes.label_id
            and removes.event_action = 'remove'
            and (
                adds.event_at < removes.event_at
                or (adds.event_at = removes.event_at and adds.event_id < removes.event_id)
            )
    where adds.event_action = 'add'
    group by adds.event_id, adds.issue_id, adds.status_name, adds.event_at

),

list_events as (

    select
        issue_id,
        event_at,
        event_id,
        'state' as event_kind,
        user_id
    from keep_issue_state_events
    union all
    select
        issue_id,
        event_at,
        event_id,
        'label' as event_kind,
        user_id
    from keep_status_label_events

),

rank_events_per_instant as (

    select
        list_events.*,
        row_number() over (
            partition by list_events.issue_id, list_events.event_at
            order by list_events.event_id desc, list_events.event_kind desc
        ) as instant_rank
    from list_events

),

list_instants as (

    select
        issues.issue_id,
        issues.created_at as instant_at,
        {{ dbt.concat(['issues.issue_id', "':created'"]) }} as change_id,
        issues.author_id as user_id,
        true as is_creation
    from issues
    union all
    select
        rank_events_per_instant.issue_id,
        rank_events_per_instant.event_at as instant_at,
        {{ dbt.concat([
            'rank_events_per_instant.event_kind', "':'",
            'cast(rank_events_per_instant.event_id as ' ~ dbt.type_string() ~ ')',
        ]) }} as change_id,
        rank_events_per_instant.user_id,
        false as is_creation
    from rank_events_per_instant
    inner join issues
        on rank_events_per_instant.issue_id = issues.issue_id
    where
        rank_events_per_instant.instant_rank = 1
        and rank_events_per_instant.event_at > issues.created_at

),

find_closed_state as (

    select
        list_instants.issue_id,
        list_instants.instant_at,
        keep_issue_state_events.is_closed,
        row_number() over (
            partition by list_instants.issue_id, list_instants.instant_at
            order by keep_issue_state_events.event_at desc, keep_issue_state_events.event_id desc
        ) as state_rank
    from list_instants
    inner join keep_issue_state_events
        on
            list_instants.issue_id = keep_issue_state_events.issue_id
            and list_instants.instant_at >= keep_issue_state_events.event_at

),

find_status_label as (

    select
        list_instants.issue_id,
        list_instants.instant_at,
        pair_label_removals.status_name,
        row_number() over (
            partition by list_instants.issue_id, list_instants.instant_at
            order by pair_label_removals.on_from desc, pair_label_removals.event_id desc
        ) as label_rank
    from list_instants
    inner join pair_label_removals
        on
            list_instants.issue_id = pair_label_removals.issue_id
            and list_instants.instant_at >= pair_label_removals.on_from
            and (pair_label_removals.on_until is null or list_instants.instant_at < pair_label_removals.on_until)

),

derive_statuses as (

    select
        list_instants.issue_id,
        list_instants.instant_at,
        list_instants.change_id,
        list_instants.user_id,
        list_instants.is_creation,
        case
            when find_closed_state.is_closed then 'Closed'
            when find_status_label.status_name is not null then find_status_label.status_name
            else 'Open'
        end as status
    from list_instants
    left join find_closed_state
        on
            list_instants.issue_id = find_closed_state.issue_id
            and list_instants.instant_at = find_closed_state.instant_at
            and find_closed_state.state_rank = 1
    left join find_status_label
        on
            list_instants.issue_id = find_status_label.issue_id
            and list_instants.instant_at = find_status_label.instant_at
            and find_status_label.label_rank = 1

),

attach_previous_status as (

    select
        derive_statuses.*,
        lag(derive_statuses.status) over (
            partition by derive_statuses.issue_id order by derive_statuses.instant_at
        ) as previous_status
    from derive_statuses

),

final as (

    select
        attach_previous_status.change_id,
        attach_previous_status.issue_id as ticket_id,
        attach_previous_status.instant_at as changed_at,
        cast(attach_previous_status.previous_status as {{ dbt.type_string() }}) as from_status,
        cast(attach_previous_status.status as {{ dbt.type_string() }}) as to_status,
        cast(
            coalesce(users.username, users.name, attach_previous_status.user_id) as {{ dbt.type_string() }}
        ) as changed_by
    from attach_previous_status
    left join users
        on attach_previous_status.user_id = cast(users.id as {{ dbt.type_string() }})
    where attach_previous_status.is_creation or attach_previous_status.status != attach_previous_status.previous_status

)

select * from final
