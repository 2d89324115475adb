{#- A GitHub adapter's deploy tickets (adapter_name: fivetran_github or airbyte_github, whose base models give the
    deploys' pull requests, the issues and the pull requests' texts): one row per deploy per issue it ships, the issues
    of the same repository its pull requests reference in their title, branch name or commit messages, by the rule
    of github_deploy_ticket_ctes. -#}
{% macro github_deploy_tickets(adapter_name) -%}
with

deploy_pull_requests as (

    select * from {{ ref('base_' ~ adapter_name ~ '__deploy_pull_requests') }}

),

issues as (

    select * from {{ ref('base_' ~ adapter_name ~ '__issues') }}

),

pull_request_texts as (

    select * from {{ ref('base_' ~ adapter_name ~ '__pull_request_texts') }}

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
{%- endmacro %}

{#- A GitHub adapter's deploy ticket keys (adapter_name as for github_deploy_tickets): one row per deploy per ticket
    key its pull requests name in their title, branch name or commit messages, by the rule of
    macros/sources/ticket_keys.sql (keys of any tracker's tickets: `WEB-12`). -#}
{% macro github_deploy_ticket_keys(adapter_name) -%}
with

deploy_pull_requests as (

    select * from {{ ref('base_' ~ adapter_name ~ '__deploy_pull_requests') }}

),

pull_request_texts as (

    select * from {{ ref('base_' ~ adapter_name ~ '__pull_request_texts') }}

),

join_deploy_texts as (

    select
        deploy_pull_requests.deploy_id,
        pull_request_texts.reference_text
    from deploy_pull_requests
    inner join pull_request_texts
        on deploy_pull_requests.pull_request_id = pull_request_texts.pull_request_id

),

{{ flowmetrics.ticket_key_ctes('join_deploy_texts') }},

final as (

    select * from found_ticket_keys

)

select * from final
{%- endmacro %}
