{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_linear')) }}

{#- One row per workflow state name (every team has its own states; names repeat), with its category from Linear's
    state type: backlog and triage → backlog, unstarted → todo, started → in_progress, completed → done,
    canceled → canceled. A name whose states differ in type across teams takes the type most of its states have
    (ties: the earliest in that order). Deleted states are kept: they name past changes. -#}

with

workflow_states as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'workflow_state'), ['id'], keep_deleted=true
        ) }}
            as all_states

),

categorize as (

    select
        cast(name as {{ dbt.type_string() }}) as raw_status,
        case lower(type)
            when 'backlog' then 'backlog'
            when 'triage' then 'backlog'
            when 'unstarted' then 'todo'
            when 'started' then 'in_progress'
            when 'completed' then 'done'
            when 'canceled' then 'canceled'
        end as status_category
    from workflow_states

),

count_categories as (

    select
        raw_status,
        status_category,
        count(*) as state_count
    from categorize
    where status_category is not null
    group by raw_status, status_category

),

rank_categories as (

    select
        raw_status,
        status_category,
        row_number() over (
            partition by raw_status
            order by
                state_count desc,
                case status_category
                    when 'backlog' then 0 when 'todo' then 1 when 'in_progress' then 2 when 'done' then 3 else 4
                end
        ) as category_rank
    from count_categories

),

final as (

    select
        raw_status,
        status_category
    from rank_categories
    where category_rank = 1

)

select * from final
