{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_linear')) }}

{#- One row per Linear issue the connector has landed, deleted ones included: the latest `_fivetran_synced` over
    every row about it, each re-synced copy and soft-deleted version (`_fivetran_deleted`) of its issue row, of its
    history rows (every change event, not only state changes: another field's change costs at most one extra
    recompute) and of its issue_label rows (a removed label is a soft-deleted row; labels can pick its team). A
    deletion is a sync of the deleted row, so it advances the issue's load time. Teams, workflow states, projects,
    labels and users are about no one issue and are not read. -#}

with

issues as (

    select * from {{ source('fivetran_linear', 'issue') }}

),

issue_history as (

    select * from {{ source('fivetran_linear', 'issue_history') }}

),

issue_labels as (

    select * from {{ source('fivetran_linear', 'issue_label') }}

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
        cast(issue_id as {{ dbt.type_string() }}) as issue_id,
        _fivetran_synced as synced_at
    from issue_history
    union all
    select
        cast(issue_id as {{ dbt.type_string() }}) as issue_id,
        _fivetran_synced as synced_at
    from issue_labels

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
