{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per GitHub issue the connector has extracted (pull requests are not tickets): the latest
    `_airbyte_extracted_at` (in UTC) over every row of it in the issues stream and every event of it in the
    issue_events stream, each extraction of each (events that change no status, such as assigned or renamed, count
    too: at most one extra recompute). GitHub forgets a deleted issue and Airbyte's GitHub source reports no
    deletions: such an issue keeps the load time of its last extraction. -#}

with

issues as (

    select * from {{ flowmetrics.landed_github_table('airbyte_github', 'issues') }}

),

issue_events as (

    select * from {{ flowmetrics.landed_github_table('airbyte_github', 'issue_events') }}

),

list_issues as (

    select distinct cast(id as {{ dbt.type_bigint() }}) as issue_id
    from issues
    where {{ flowmetrics.json_text('pull_request', 'url') }} is null

),

collect_loads as (

    select
        cast(id as {{ dbt.type_bigint() }}) as issue_id,
        {{ flowmetrics.utc_timestamp('_airbyte_extracted_at') }} as extracted_at
    from issues
    union all
    select
        cast({{ flowmetrics.json_text('issue', 'id') }} as {{ dbt.type_bigint() }}) as issue_id,
        {{ flowmetrics.utc_timestamp('_airbyte_extracted_at') }} as extracted_at
    from issue_events

),

final as (

    select
        cast(list_issues.issue_id as {{ dbt.type_string() }}) as ticket_id,
        max(collect_loads.extracted_at) as loaded_at
    from list_issues
    inner join collect_loads
        on list_issues.issue_id = collect_loads.issue_id
    group by list_issues.issue_id

)

select * from final
