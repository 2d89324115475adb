{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per issue or pull request of Airbyte's GitHub issues stream, from its latest extraction. -#}

with

issues as (

    {{ flowmetrics.airbyte_github_latest_rows('issues', ['id']) }}

),

final as (

    select
        id as issue_id,
        number as issue_number,
        repository as repository_id,
        repository as repository_full_name,
        {{ dbt.split_part('repository', "'/'", 2) }} as repository_name,
        title,
        lower(state) as state,
        lower(state_reason) as state_reason,
        {{ flowmetrics.json_text('pull_request', 'url') }} is not null as is_pull_request,
        {{ flowmetrics.json_text(adapter.quote('user'), 'login') }} as opened_by,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at
    from issues

)

select * from final
