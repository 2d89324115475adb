{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github', 'dora')) }}

{#- One row per deploy per issue it ships: see macros/sources/github_deploy_links.sql. -#}

{{ flowmetrics.github_deploy_tickets('fivetran_github') }}
