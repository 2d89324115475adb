{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per issue per attribute the team map can match: its repository name (project) and each label it
    carries now (macros/sources/github.sql: github_ticket_attribute_ctes). -#}

with

issues as (

    select * from {{ ref('base_fivetran_github__issues') }}

),

labels as (

    select * from {{ ref('base_fivetran_github__labels') }}

),

{{ flowmetrics.github_ticket_attribute_ctes() }},

final as (

    select * from github_ticket_attributes

)

select * from final
