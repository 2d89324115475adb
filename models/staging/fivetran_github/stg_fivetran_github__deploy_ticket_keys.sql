{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github', 'dora')) }}

{#- One row per deploy per ticket key its pull requests name: see macros/sources/github_deploy_links.sql. -#}

{{ flowmetrics.github_deploy_ticket_keys('fivetran_github') }}
