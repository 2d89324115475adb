{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per status a live issue entered: the field history's rows of field 'status' (the value is the status
    id, resolved to its name), ordered per issue by time; from_status is the status of the issue's previous row
    (null for its first: Jira records the creation status at creation, kept as the connector gives it).
    A re-synced copy of a row (same issue, time and status) counts once. The connector keeps no order between rows
    of one instant (automation moving an issue twice at once): they follow the order the connector first wrote them
    (_fivetran_synced), then the status id, and from_status chains them in that order.
    change_id is `<issue id>:<time>:<status id>`: the connector's own identity of the row plus the status entered,
    so two changes at one instant never collide and a re-sync or a later row never renames a change. Fivetran's
    field history carries no author: changed_by is null. -#}

with

field_history as (

    select * from {{ source('fivetran_jira', 'issue_field_history') }}

),

issues as (

    select * from {{ ref('base_fivetran_jira__issues') }}

),

statuses as (

    select * from {{ ref('base_fivetran_jira__statuses') }}

),

collapse_resyncs as (

    select
        field_history.issue_id,
        field_history.time as changed_at,
        cast(field_history.value as {{ dbt.type_string() }}) as status_id,
        min(field_history._fivetran_synced) as first_synced_at
    from field_history
    inner join issues
        on field_history.issue_id = issues.issue_id
    where
        field_history.field_id = 'status'
        and field_history.value is not null
    group by
        field_history.issue_id,
        field_history.time,
        cast(field_history.value as {{ dbt.type_string() }})

),

resolve_names as (

    select
        collapse_resyncs.issue_id,
        collapse_resyncs.changed_at,
        collapse_resyncs.status_id,
        collapse_resyncs.first_synced_at,
        coalesce(statuses.status_name, collapse_resyncs.status_id) as status_name
    from collapse_resyncs
    left join statuses
        on collapse_resyncs.status_id = statuses.status_id

),

attach_previous_status as (

    select
        *,
        lag(status_name) over (
            partition by issue_id
            order by changed_at, first_synced_at, status_id
        ) as previous_status_name
    from resolve_names

),

final as (

    select
        {{ dbt.concat([
            dbt.cast('issue_id', dbt.type_string()), "':'",
            dbt.cast('changed_at', dbt.type_string()), "':'",
            'status_id',
        ]) }} as change_id,
        cast(issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(previous_status_name as {{ dbt.type_string() }}) as from_status,
        cast(status_name as {{ dbt.type_string() }}) as to_status,
        cast(null as {{ dbt.type_string() }}) as changed_by
    from attach_previous_status

)

select * from final
