{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_linear')) }}

{#- One row per workflow-state change of a live Linear issue, states resolved to their names.
    - A change is an issue_history row whose to_state_id is set and differs from from_state_id; history rows of
      other fields (assignee, priority, estimate, cycle...) are ignored. Soft-deleted rows and rows of deleted issues
      are dropped; a re-synced row counts once (the latest sync).
    - change_id is the history row's id (Linear's uuid, stable across syncs).
    - Linear's history does not record the state an issue was created in: the flow layer counts the time from
      created_at to the first change in that change's from-state. An issue without any state change gets one
      creation change `<issue id>:created` at its created_at, into its current state, by its creator (else the flow
      layer would put it in the entry status).
    - changed_by is the actor's display name (else name, else id). -#}

with

issues as (

    select * from {{ ref('base_fivetran_linear__issues') }}

),

issue_history as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'issue_history'), ['id']
        ) }}
            as live_history

),

workflow_states as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'workflow_state'), ['id'], keep_deleted=true
        ) }}
            as all_states

),

users as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'users'), ['id'], keep_deleted=true
        ) }}
            as all_users

),

keep_state_changes as (

    select
        cast(issue_history.id as {{ dbt.type_string() }}) as change_id,
        issues.issue_id,
        cast(issue_history.created_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(issue_history.from_state_id as {{ dbt.type_string() }}) as from_state_id,
        cast(issue_history.to_state_id as {{ dbt.type_string() }}) as to_state_id,
        cast(issue_history.actor_id as {{ dbt.type_string() }}) as actor_id
    from issue_history
    inner join issues
        on issue_history.issue_id = issues.issue_id
    where
        issue_history.to_state_id is not null
        and (issue_history.from_state_id is null or issue_history.from_state_id != issue_history.to_state_id)

),

add_creation_changes as (

    select
        {{ dbt.concat(['issues.issue_id', "':created'"]) }} as change_id,
        issues.issue_id,
        issues.created_at as changed_at,
        cast(null as {{ dbt.type_string() }}) as from_state_id,
        issues.state_id as to_state_id,
        issues.creator_id as actor_id
    from issues
    where not exists (
        select 1
        from keep_state_changes
        where keep_state_changes.issue_id = issues.issue_id
    )

),

combine_changes as (

    select
        change_id,
        issue_id,
        changed_at,
        from_state_id,
        to_state_id,
        actor_id
    from keep_state_changes
    union all
    select
        change_id,
        issue_id,
        changed_at,
        from_state_id,
        to_state_id,
        actor_id
    from add_creation_changes

),

name_states as (

    select
        combine_changes.change_id,
        combine_changes.issue_id as ticket_id,
        combine_changes.changed_at,
        cast(from_states.name as {{ dbt.type_string() }}) as from_status,
        cast(to_states.name as {{ dbt.type_string() }}) as to_status,
        cast(
            coalesce(users.display_name, users.name, combine_changes.actor_id) as {{ dbt.type_string() }}
        ) as changed_by
    from combine_changes
    left join workflow_states as from_states
        on combine_changes.from_state_id = from_states.id
    left join workflow_states as to_states
        on combine_changes.to_state_id = to_states.id
    left join users
        on combine_changes.actor_id = users.id

)

select * from name_states
