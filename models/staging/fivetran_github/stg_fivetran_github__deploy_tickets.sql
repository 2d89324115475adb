{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per deploy per issue it ships: the issues of the same repository its pull requests reference in
    their title, branch name or commit messages, by the rule of macros/sources/github.sql
    (github_deploy_ticket_ctes). -#}

with

deploy_pull_requests as (

    select * from {{ ref('base_fivetran_github__deploy_pull_requests') }}

),

issues as (

    select * from {{ ref('base_fivetran_github__issues') }}

),

pull_request_texts as (

    select * from {{ ref('base_fivetran_github__pull_request_texts') }}

),

referable_issues as (

    select
        issue_id,
        repository_id,
        repository_full_name,
        issue_number
    from issues
    where not is_pull_request

),

{{ flowmetrics.github_deploy_ticket_ctes() }},

final as (

    select * from github_deploy_tickets

)

select * from final
