{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per deploy per ticket key its pull requests name in their title, branch name or commit messages,
    by the rule of macros/sources/ticket_keys.sql (keys of any tracker's tickets: `WEB-12`). -#}

with

deploy_pull_requests as (

    select * from {{ ref('base_fivetran_github__deploy_pull_requests') }}

),

pull_request_texts as (

    select * from {{ ref('base_fivetran_github__pull_request_texts') }}

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
