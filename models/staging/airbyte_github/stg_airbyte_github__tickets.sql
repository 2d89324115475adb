{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per issue (pull requests are not tickets), by macros/sources/github.sql (github_ticket_ctes). -#}

with

issues as (

    select * from {{ ref('base_airbyte_github__issues') }}

),

labels as (

    select * from {{ ref('base_airbyte_github__labels') }}

),

{{ flowmetrics.github_ticket_ctes() }},

final as (

    select * from github_tickets

)

select * from final
