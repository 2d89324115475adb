{#- The status intervals of a ticket hold exactly the time of its stage visits, kind by kind: fct_status_intervals
    and fct_stage_visits are two grains of one history. -#}

with

intervals as (

    select
        ticket_id,
        sum(case when stage_kind = 'queue' then seconds_in_status else 0 end) as queue_seconds,
        sum(case when stage_kind = 'active' then seconds_in_status else 0 end) as active_seconds,
        sum(case when stage_kind = 'wait' then seconds_in_status else 0 end) as wait_seconds
    from {{ ref('fct_status_intervals') }}
    group by ticket_id

),

visits as (

    select
        ticket_id,
        sum(queue_seconds) as queue_seconds,
        sum(active_seconds) as active_seconds,
        sum(wait_seconds) as wait_seconds
    from {{ ref('fct_stage_visits') }}
    group by ticket_id

),

final as (

    select
        intervals.ticket_id,
        intervals.queue_seconds,
        visits.queue_seconds as visit_queue_seconds
    from intervals
    full outer join visits
        on intervals.ticket_id = visits.ticket_id
    where
        intervals.ticket_id is null
        or visits.ticket_id is null
        or abs(intervals.queue_seconds - visits.queue_seconds) > 0.001
        or abs(intervals.active_seconds - visits.active_seconds) > 0.001
        or abs(intervals.wait_seconds - visits.wait_seconds) > 0.001

)

select * from final
