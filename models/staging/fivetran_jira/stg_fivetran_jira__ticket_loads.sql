{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per Jira issue the connector has landed, deleted ones included: the latest `_fivetran_synced` over
    every row about it, each re-synced copy and soft-deleted version of its issue row, its field history (every
    field, not only status: a row of another field costs at most one extra recompute) and its multi-value history
    (components and labels, which pick its team). A deletion is a sync of the issue row, so it advances the issue's
    load time. Lookup tables (status, project, issue type, component) are about no one issue and are not read. -#}

with

issues as (

    select * from {{ source('fivetran_jira', 'issue') }}

),

field_history as (

    select * from {{ source('fivetran_jira', 'issue_field_history') }}

),

multiselect_history as (

    select * from {{ flowmetrics.raw_source('fivetran_jira', 'issue_multiselect_history') }}

),

list_issues as (

    select distinct id as issue_id
    from issues

),

collect_loads as (

    select
        id as issue_id,
        _fivetran_synced as synced_at
    from issues
    union all
    select
        issue_id,
        _fivetran_synced as synced_at
    from field_history
    union all
    select
        issue_id,
        _fivetran_synced as synced_at
    from multiselect_history

),

final as (

    select
        cast(list_issues.issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(max(collect_loads.synced_at) as {{ dbt.type_timestamp() }}) as loaded_at
    from list_issues
    inner join collect_loads
        on list_issues.issue_id = collect_loads.issue_id
    group by list_issues.issue_id

)

select * from final
