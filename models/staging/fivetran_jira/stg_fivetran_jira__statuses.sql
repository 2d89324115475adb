{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per status name with its Jira category (new → todo, indeterminate → in_progress, done → done). Jira
    may hold two statuses of one name (one per project workflow): the name counts once, with the category of its
    lowest status id. -#}

with

statuses as (

    select * from {{ ref('base_fivetran_jira__statuses') }}

),

rank_names as (

    select
        status_name,
        status_category,
        row_number() over (
            partition by status_name
            order by {{ dbt.cast('status_id', dbt.type_bigint()) }}
        ) as name_rank
    from statuses
    where status_name is not null

),

final as (

    select
        cast(status_name as {{ dbt.type_string() }}) as raw_status,
        cast(status_category as {{ dbt.type_string() }}) as status_category
    from rank_names
    where name_rank = 1

)

select * from final
