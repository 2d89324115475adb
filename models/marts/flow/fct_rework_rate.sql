{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per team x ai_assisted: how much started work was sent back at least once, and the time it lost. -#}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

rework as (

    select * from {{ ref('fct_rework') }}

),

rework_per_ticket as (

    select
        ticket_id,
        sum(case when is_nested then 0 else seconds_lost end) as seconds_lost,
        sum(case when loop_outcome = 'open' then 1 else 0 end) as open_loops
    from rework
    group by ticket_id

),

started_work_items as (

    select
        work_items.team,
        work_items.ai_assisted,
        work_items.state,
        work_items.rework_count,
        coalesce(rework_per_ticket.seconds_lost, 0) as seconds_lost,
        coalesce(rework_per_ticket.open_loops, 0) as open_loops
    from work_items
    left join rework_per_ticket
        on work_items.ticket_id = rework_per_ticket.ticket_id
    where work_items.started_at is not null

),

aggregate_groups as (

    select
        team,
        ai_assisted,
        count(*) as started_work_items,
        sum(case when rework_count > 0 then 1 else 0 end) as reworked_work_items,
        sum(rework_count) as backward_moves,
        sum(case when state = 'finished' then 1 else 0 end) as finished_work_items,
        sum(case when state = 'finished' and rework_count > 0 then 1 else 0 end) as finished_reworked_work_items,
        sum(seconds_lost) as seconds_lost_in_rework,
        sum(open_loops) as open_rework_loops
    from started_work_items
    group by team, ai_assisted

),

final as (

    select
        team,
        ai_assisted,
        cast(started_work_items as {{ dbt.type_bigint() }}) as started_work_items,
        cast(reworked_work_items as {{ dbt.type_bigint() }}) as reworked_work_items,
        cast(reworked_work_items as {{ type_double() }}) / started_work_items as rework_rate,
        cast(backward_moves as {{ dbt.type_bigint() }}) as backward_moves,
        cast(backward_moves as {{ type_double() }}) / started_work_items as backward_moves_per_item,
        cast(finished_work_items as {{ dbt.type_bigint() }}) as finished_work_items,
        cast(finished_reworked_work_items as {{ dbt.type_bigint() }}) as finished_reworked_work_items,
        case
            when finished_work_items > 0
                then cast(finished_reworked_work_items as {{ type_double() }}) / finished_work_items
        end as finished_rework_rate,
        cast(seconds_lost_in_rework as {{ type_double() }}) as seconds_lost_in_rework,
        cast(open_rework_loops as {{ dbt.type_bigint() }}) as open_rework_loops
    from aggregate_groups

)

select * from final
