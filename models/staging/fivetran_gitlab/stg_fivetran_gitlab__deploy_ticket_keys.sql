{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab', 'dora')) }}

{#- One row per deploy per ticket key its merge requests name in their title, description or source branch, by
    the rule of macros/sources/ticket_keys.sql (keys of any tracker's tickets: `WEB-12`). -#}

with

deploy_merge_requests as (

    select * from {{ ref('base_fivetran_gitlab__deploy_merge_requests') }}

),

collect_request_texts as (

    select
        deploy_id,
        title as reference_text
    from deploy_merge_requests
    union all
    select
        deploy_id,
        description as reference_text
    from deploy_merge_requests
    union all
    select
        deploy_id,
        source_branch as reference_text
    from deploy_merge_requests

),

{{ flowmetrics.ticket_key_ctes('collect_request_texts') }},

final as (

    select * from found_ticket_keys

)

select * from final
