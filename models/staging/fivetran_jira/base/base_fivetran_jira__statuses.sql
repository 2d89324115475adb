{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per status id: its name and its category's key, from the copy of the latest sync. Jira's status
    categories have fixed ids on every site (1 undefined, 2 new "To Do", 3 done "Done", 4 indeterminate
    "In Progress"), the connector lands only id and (translatable) name, so the id decides. -#}

with

latest_statuses as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_jira', 'status'), ['id'], keep_deleted=true) }}

),

latest_categories as (

    select *
    from {{ flowmetrics.fivetran_live_rows(
        source('fivetran_jira', 'status_category'), ['id'], keep_deleted=true
    ) }}

),

attach_categories as (

    select
        cast(latest_statuses.id as {{ dbt.type_string() }}) as status_id,
        latest_statuses.name as status_name,
        case latest_categories.id
            when 2 then 'todo'
            when 4 then 'in_progress'
            when 3 then 'done'
        end as status_category
    from latest_statuses
    left join latest_categories
        on latest_statuses.status_category_id = latest_categories.id

)

select * from attach_categories
