{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per status change of a Jira issue, native ids. The changelog's status items (field `status` of Jira's
    own fields; other fields' items ignored) are the moves, change_id `<history id>:<item position>`; a status is
    named by its id through workflow_statuses (its current name, so a renamed status stays one status), by the
    item's own text when the id is unknown. Jira writes no item for the status an issue is created in: that entry is
    a change `created:<issue id>` at the issue's creation into the first item's from-status (the current status when
    it never moved), by the issue's creator. -#}

with

issues as (

    select * from {{ ref('base_airbyte_jira__issues') }}

),

workflow_statuses as (

    select * from {{ ref('base_airbyte_jira__workflow_statuses') }}

),

unnest_histories as (

    select
        issues.issue_id,
        histories.element as history
    from issues
    {{ flowmetrics.json_array_elements('issues.changelog', 'histories', 'histories') }}

),

unnest_items as (

    select
        unnest_histories.issue_id,
        {{ flowmetrics.json_text('unnest_histories.history', 'id') }} as history_id,
        {{ flowmetrics.json_text('unnest_histories.history', 'created') }} as history_created,
        coalesce(
            {{ flowmetrics.json_text('unnest_histories.history', 'author.displayName') }},
            {{ flowmetrics.json_text('unnest_histories.history', 'author.accountId') }}
        ) as author,
        items.position as item_position,
        {{ flowmetrics.json_text('items.element', 'field') }} as field,
        {{ flowmetrics.json_text('items.element', 'fieldtype') }} as field_type,
        {{ flowmetrics.json_text('items.element', 'from') }} as from_id,
        {{ flowmetrics.json_text('items.element', 'fromString') }} as from_text,
        {{ flowmetrics.json_text('items.element', 'to') }} as to_id,
        {{ flowmetrics.json_text('items.element', 'toString') }} as to_text
    from unnest_histories
    {{ flowmetrics.json_array_elements('unnest_histories.history', 'items', 'items') }}

),

name_status_items as (

    select
        {{ dbt.concat([
            'unnest_items.history_id', "':'", 'cast(unnest_items.item_position as ' ~ dbt.type_string() ~ ')'
        ]) }} as change_id,
        unnest_items.issue_id,
        {{ flowmetrics.utc_timestamp('unnest_items.history_created') }} as changed_at,
        coalesce(from_statuses.status_name, unnest_items.from_text) as from_status,
        coalesce(to_statuses.status_name, unnest_items.to_text) as to_status,
        unnest_items.author as changed_by,
        row_number() over (
            partition by unnest_items.issue_id
            order by
                {{ flowmetrics.utc_timestamp('unnest_items.history_created') }},
                {{ dbt.length('unnest_items.history_id') }},
                unnest_items.history_id,
                unnest_items.item_position
        ) as move_number
    from unnest_items
    left join workflow_statuses as from_statuses
        on unnest_items.from_id = from_statuses.status_id
    left join workflow_statuses as to_statuses
        on unnest_items.to_id = to_statuses.status_id
    where
        unnest_items.field = 'status'
        and unnest_items.field_type = 'jira'

),

name_current_statuses as (

    select
        issues.issue_id,
        issues.created_at,
        coalesce(
            {{ flowmetrics.json_text('issues.fields', 'creator.displayName') }},
            {{ flowmetrics.json_text('issues.fields', 'creator.accountId') }}
        ) as creator,
        coalesce(current_statuses.status_name, {{ flowmetrics.json_text('issues.fields', 'status.name') }})
            as current_status
    from issues
    left join workflow_statuses as current_statuses
        on {{ flowmetrics.json_text('issues.fields', 'status.id') }} = current_statuses.status_id

),

create_entries as (

    select
        {{ dbt.concat(["'created:'", 'name_current_statuses.issue_id']) }} as change_id,
        name_current_statuses.issue_id,
        name_current_statuses.created_at as changed_at,
        cast(null as {{ dbt.type_string() }}) as from_status,
        coalesce(name_status_items.from_status, name_current_statuses.current_status) as to_status,
        name_current_statuses.creator as changed_by
    from name_current_statuses
    left join name_status_items
        on
            name_current_statuses.issue_id = name_status_items.issue_id
            and name_status_items.move_number = 1

),

combine_changes as (

    select
        change_id,
        issue_id,
        changed_at,
        from_status,
        to_status,
        changed_by
    from create_entries
    union all
    select
        change_id,
        issue_id,
        changed_at,
        from_status,
        to_status,
        changed_by
    from name_status_items

),

final as (

    select
        cast(change_id as {{ dbt.type_string() }}) as change_id,
        cast(issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(from_status as {{ dbt.type_string() }}) as from_status,
        cast(to_status as {{ dbt.type_string() }}) as to_status,
        cast(changed_by as {{ dbt.type_string() }}) as changed_by
    from combine_changes

)

select * from final
