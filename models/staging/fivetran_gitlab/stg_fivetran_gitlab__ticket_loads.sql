{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- One row per GitLab issue the connector has landed, deleted ones included: the latest `_fivetran_synced` over
    every row about it, each re-synced copy and soft-deleted version (`_fivetran_deleted`) of its issue row, of its
    state events and of its label events (events of every label, not only status labels: a label can pick its team,
    and another costs at most one extra recompute). Events of merge requests are not about an issue. A deletion is
    a sync of the deleted row, so it advances the issue's load time. Projects, labels and users are about no one
    issue and are not read. -#}

with

issues as (

    select * from {{ source('fivetran_gitlab', 'issue') }}

),

state_events as (

    select * from {{ source('fivetran_gitlab', 'resource_state_event') }}

),

label_events as (

    select * from {{ source('fivetran_gitlab', 'resource_label_event') }}

),

list_issues as (

    select distinct cast(id as {{ dbt.type_string() }}) as issue_id
    from issues

),

collect_loads as (

    select
        cast(id as {{ dbt.type_string() }}) as issue_id,
        _fivetran_synced as synced_at
    from issues
    union all
    select
        cast(resource_id as {{ dbt.type_string() }}) as issue_id,
        _fivetran_synced as synced_at
    from state_events
    where lower(resource_type) = 'issue'
    union all
    select
        cast(resource_id as {{ dbt.type_string() }}) as issue_id,
        _fivetran_synced as synced_at
    from label_events
    where lower(resource_type) = 'issue'

),

final as (

    select
        list_issues.issue_id as ticket_id,
        cast(max(collect_loads.synced_at) as {{ dbt.type_timestamp() }}) as loaded_at
    from list_issues
    inner join collect_loads
        on list_issues.issue_id = collect_loads.issue_id
    group by list_issues.issue_id

)

select * from final
