{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per GitHub issue the connector has landed (pull requests are not tickets), deleted ones included: the
    latest `_fivetran_synced` over every row about it, each re-synced copy and deleted version (`_fivetran_deleted`)
    of its issue row, its close/reopen history, its label history and its current labels (which give its type, team
    and AI flag). A label event of a label that names no status counts too: at most one extra recompute. The
    repository, user and label tables are about no one issue and are not read. -#}

with

issues as (

    select * from {{ flowmetrics.landed_github_table('fivetran_github', 'issue') }}

),

closed_history as (

    select * from {{ flowmetrics.landed_github_table('fivetran_github', 'issue_closed_history') }}

),

label_history as (

    select * from {{ flowmetrics.landed_github_table('fivetran_github', 'issue_label_history') }}

),

issue_labels as (

    select * from {{ flowmetrics.landed_github_table('fivetran_github', 'issue_label') }}

),

list_issues as (

    select distinct id as issue_id
    from issues
    where not coalesce(pull_request, false)

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
    from closed_history
    union all
    select
        issue_id,
        _fivetran_synced as synced_at
    from label_history
    union all
    select
        issue_id,
        _fivetran_synced as synced_at
    from issue_labels

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
