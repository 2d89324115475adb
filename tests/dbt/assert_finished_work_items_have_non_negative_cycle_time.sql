-- Claim: every finished ticket has a finish time and a non-negative lead time, and a non-negative cycle time
-- whenever it was ever started.

select
    ticket_id,
    started_at,
    finished_at,
    lead_time_seconds,
    cycle_time_seconds
from {{ ref('fct_work_items') }}
where
    state = 'finished'
    and (
        finished_at is null
        or lead_time_seconds < 0
        or (started_at is not null and (cycle_time_seconds is null or cycle_time_seconds < 0))
    )
