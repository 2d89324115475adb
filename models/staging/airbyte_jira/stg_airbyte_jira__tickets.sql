{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per Jira issue in the contract's ticket shape, native ids; the team is the project key (the team map
    may map it, a component or a label to a team). Jira has no requester, experiment or AI-assistance field. -#}

with

issues as (

    select * from {{ ref('base_airbyte_jira__issues') }}

),

renamed as (

    select
        issue_id as ticket_id,
        issue_key as ticket_key,
        {{ flowmetrics.json_text('fields', 'summary') }} as title,
        lower({{ flowmetrics.json_text('fields', 'issuetype.name') }}) as ticket_type,
        {{ flowmetrics.json_text('fields', 'project.key') }} as team,
        cast(null as {{ dbt.type_string() }}) as requested_by,
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        cast(null as {{ dbt.type_boolean() }}) as ai_assisted,
        created_at
    from issues

)

select * from renamed
