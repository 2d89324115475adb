{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per Jira issue: a destination that appends keeps every sync's row of an issue, the latest extraction
    is the issue as it is now. created_at in UTC from the typed created column, from the created entry of the
    fields JSON when the destination could not type it. -#}

with

issues as (

    select * from {{ source('airbyte_jira', 'issues') }}

),

rank_syncs as (

    select
        cast(id as {{ dbt.type_string() }}) as issue_id,
        cast(key as {{ dbt.type_string() }}) as issue_key,
        fields,
        changelog,
        coalesce(
            {{ flowmetrics.utc_timestamp('created') }},
            {{ flowmetrics.utc_timestamp(flowmetrics.json_text('fields', 'created')) }}
        ) as created_at,
        cast({{ flowmetrics.json_text('changelog', 'total') }} as {{ dbt.type_bigint() }}) as changelog_total,
        cast({{ flowmetrics.json_text('changelog', 'maxResults') }} as {{ dbt.type_bigint() }})
            as changelog_max_results,
        _airbyte_extracted_at as extracted_at,
        row_number() over (
            partition by id
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as sync_rank
    from issues

),

final as (

    select
        issue_id,
        issue_key,
        fields,
        changelog,
        created_at,
        changelog_total,
        changelog_max_results,
        extracted_at
    from rank_syncs
    where sync_rank = 1

)

select * from final
