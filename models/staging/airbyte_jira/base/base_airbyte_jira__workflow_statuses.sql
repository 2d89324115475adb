{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per Jira status id, from its latest extraction. -#}

with

workflow_statuses as (

    select * from {{ source('airbyte_jira', 'workflow_statuses') }}

),

rank_syncs as (

    select
        cast(id as {{ dbt.type_string() }}) as status_id,
        cast(name as {{ dbt.type_string() }}) as status_name,
        {{ flowmetrics.json_text('statusCategory', 'key') }} as category_key,
        row_number() over (
            partition by id
            order by _airbyte_extracted_at desc
        ) as sync_rank
    from workflow_statuses

),

final as (

    select
        status_id,
        status_name,
        category_key
    from rank_syncs
    where sync_rank = 1

)

select * from final
