{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per Jira issue the connector has extracted: the latest `_airbyte_extracted_at` (in UTC) over every row
    of it in the issues stream. An issue's status changes are its expanded changelog, inside the issue's own record,
    so a moved, edited or re-synced issue is a new extraction of that record (every field counts, not only status:
    a change of another field costs at most one extra recompute). Airbyte's Jira source reports no deletions: an
    issue deleted in Jira keeps the rows and the load time of its last extraction. The workflow statuses are about
    no one issue and are not read. -#}

with

issues as (

    select * from {{ source('airbyte_jira', 'issues') }}

),

final as (

    select
        cast(id as {{ dbt.type_string() }}) as ticket_id,
        max({{ flowmetrics.utc_timestamp('_airbyte_extracted_at') }}) as loaded_at
    from issues
    group by cast(id as {{ dbt.type_string() }})

)

select * from final
