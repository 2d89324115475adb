{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per status a connector source declares, with the source's own category of it, normalised to backlog,
    todo, in_progress, done or canceled (Jira's To Do / In Progress / Done, Linear's workflow state types). The
    contract source declares none: its statuses are the ones its changes use. -#}

with

sourced_statuses as (

    {{ flowmetrics.union_sources('statuses', ['raw_status', 'status_category']) }}

),

renamed as (

    select
        cast(source_name as {{ dbt.type_string() }}) as source_name,
        cast(raw_status as {{ dbt.type_string() }}) as raw_status,
        lower(cast(status_category as {{ dbt.type_string() }})) as status_category
    from sourced_statuses

)

select * from renamed
