{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_linear')) }}

{#- One row per live Linear issue, contract-shaped. Linear has no issue type, requester, experiment or AI flag:
    those are null. The team is the Linear team key (the team map may override it from the project or a label). -#}

with

issues as (

    select * from {{ ref('base_fivetran_linear__issues') }}

),

final as (

    select
        issue_id as ticket_id,
        identifier as ticket_key,
        title,
        cast(null as {{ dbt.type_string() }}) as ticket_type,
        team_key as team,
        cast(null as {{ dbt.type_string() }}) as requested_by,
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        cast(null as {{ dbt.type_boolean() }}) as ai_assisted,
        created_at
    from issues

)

select * from final
