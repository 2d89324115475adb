{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per Jira status name with its category: new, indeterminate and done (Jira's To Do, In Progress and
    Done) are todo, in_progress and done. Several statuses of one name (team-managed projects each have their own)
    take the category of the lowest id. -#}

with

workflow_statuses as (

    select * from {{ ref('base_airbyte_jira__workflow_statuses') }}

),

rank_names as (

    select
        status_name,
        category_key,
        row_number() over (
            partition by status_name
            order by {{ dbt.length('status_id') }}, status_id
        ) as name_rank
    from workflow_statuses
    where status_name is not null

),

final as (

    select
        status_name as raw_status,
        case category_key
            when 'new' then 'todo'
            when 'indeterminate' then 'in_progress'
            when 'done' then 'done'
        end as status_category
    from rank_names
    where name_rank = 1

)

select * from final
