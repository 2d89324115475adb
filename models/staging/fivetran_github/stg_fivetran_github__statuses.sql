{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per status the source's issues use, with GitHub's category of it (macros/sources/github.sql). -#}

with

github_status_changes as (

    select * from {{ ref('stg_fivetran_github__ticket_status_changes') }}

),

{{ flowmetrics.github_status_ctes() }},

final as (

    select * from github_statuses

)

select * from final
