{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- One row per ticket per backward move (fct_stage_transitions.is_backward: a transition to a stage of lower
    stage_order), with the rework loop it opens: from the move until the ticket is back in a stage at least as far
    along as the one it left. -#}

with

stage_transitions as (

    select * from {{ ref('fct_stage_transitions') }}

),

status_intervals as (

    select * from {{ ref('int_status_intervals_mapped') }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}

),

-- the backward transitions, placed in the ticket's intervals: the one they open and the one they leave
backward_moves as (

    select
        stage_transitions.change_id,
        stage_transitions.ticket_id,
        entered_interval.interval_number,
        stage_transitions.changed_at as moved_at,
        stage_transitions.from_status,
        stage_transitions.to_status,
        stage_transitions.from_stage,
        stage_transitions.to_stage,
        left_interval.stage_order as from_stage_order,
        entered_interval.stage_order as to_stage_order,
        row_number() over (
            partition by stage_transitions.ticket_id
            order by entered_interval.interval_number
        ) as rework_number
    from stage_transitions
    inner join status_intervals as entered_interval
        on
            stage_transitions.ticket_id = entered_interval.ticket_id
            and stage_transitions.change_id = entered_interval.entered_by_change_id
    inner join status_intervals as left_interval
        on
            entered_interval.ticket_id = left_interval.ticket_id
            and entered_interval.interval_number = left_interval.interval_number + 1
    where stage_transitions.is_backward

),

-- the loop ends at the first later interval back at (or beyond) the stage left, or at an abandonment
find_loop_ends as (

    select
        backward_moves.change_id,
        min(
            case
                when later.stage_order >= backward_moves.from_stage_order and later.stage_kind <> 'abandoned'
                    then later.interval_number
            end
        ) as return_interval_number,
        min(
            case
                when later.stage_order >= backward_moves.from_stage_order and later.stage_kind <> 'abandoned'
                    then later.entered_at
            end
        ) as returned_at,
        min(case when later.stage_kind = 'abandoned' then later.interval_number end) as abandon_interval_number,
        min(case when later.stage_kind = 'abandoned' then later.entered_at end) as abandoned_at
    from backward_moves
    left join status_intervals as later
        on
            backward_moves.ticket_id = later.ticket_id
            and backward_moves.interval_number < later.interval_number
    group by backward_moves.change_id

),

classify_loops as (

    select
        backward_moves.*,
        case
            when
                find_loop_ends.return_interval_number is not null
                and (
                    find_loop_ends.abandon_interval_number is null
                    or find_loop_ends.return_interval_number < find_loop_ends.abandon_interval_number
                )
                then 'returned'
            when find_loop_ends.abandon_interval_number is not null then 'abandoned'
            else 'open'
        end as loop_outcome,
        find_loop_ends.returned_at,
        find_loop_ends.abandoned_at,
        find_loop_ends.return_interval_number,
        find_loop_ends.abandon_interval_number
    from backward_moves
    inner join find_loop_ends
        on backward_moves.change_id = find_loop_ends.change_id

),

attach_loop_end as (

    select
        *,
        case loop_outcome
            when 'returned' then returned_at
            when 'abandoned' then abandoned_at
        end as loop_ended_at,
        case loop_outcome
            when 'returned' then return_interval_number
            when 'abandoned' then abandon_interval_number
        end as loop_end_interval_number
    from classify_loops

),

-- a move made while an earlier loop of the same ticket is still open is nested in it (its time overlaps)
count_enclosing_loops as (

    select
        inner_loop.change_id,
        count(outer_loop.change_id) as enclosing_loops
    from attach_loop_end as inner_loop
    left join attach_loop_end as outer_loop
        on
            inner_loop.ticket_id = outer_loop.ticket_id
            and inner_loop.interval_number > outer_loop.interval_number
            and (
                outer_loop.loop_end_interval_number is null
                or inner_loop.interval_number < outer_loop.loop_end_interval_number
            )
    group by inner_loop.change_id

),

final as (

    select
        attach_loop_end.change_id,
        attach_loop_end.ticket_id,
        cast(attach_loop_end.rework_number as {{ dbt.type_bigint() }}) as rework_number,
        attach_loop_end.moved_at,
        attach_loop_end.from_status,
        attach_loop_end.to_status,
        attach_loop_end.from_stage,
        attach_loop_end.to_stage,
        cast(attach_loop_end.from_stage_order as {{ dbt.type_bigint() }}) as from_stage_order,
        cast(attach_loop_end.to_stage_order as {{ dbt.type_bigint() }}) as to_stage_order,
        attach_loop_end.loop_outcome,
        attach_loop_end.loop_ended_at,
        {{ seconds_between('attach_loop_end.moved_at', 'coalesce(attach_loop_end.loop_ended_at, ' ~ as_of() ~ ')') }}
            as seconds_lost,
        cast(count_enclosing_loops.enclosing_loops as {{ dbt.type_bigint() }}) as enclosing_loops,
        count_enclosing_loops.enclosing_loops > 0 as is_nested,
        tickets.team,
        tickets.requested_by,
        tickets.ai_assisted
    from attach_loop_end
    inner join count_enclosing_loops
        on attach_loop_end.change_id = count_enclosing_loops.change_id
    inner join tickets
        on attach_loop_end.ticket_id = tickets.ticket_id

)

select * from final
