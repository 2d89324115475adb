-- Claim: the stage visits of a ticket tile its lifetime from creation to the as-of without gaps or overlaps:
-- the first visit starts at creation (or at an earlier first change), each visit starts where the previous one
-- exited, exactly the last visit is open-ended, and every ticket has visits.

with

stage_visits as (

    select * from {{ ref('fct_stage_visits') }}

),

work_items as (

    select * from {{ ref('fct_work_items') }}

),

attach_previous as (

    select
        ticket_id,
        visit_sequence,
        entered_at,
        exited_at,
        lag(exited_at) over (partition by ticket_id order by visit_sequence) as previous_exited_at,
        lead(visit_sequence) over (partition by ticket_id order by visit_sequence) as next_visit_sequence
    from stage_visits

),

gaps_or_overlaps as (

    select
        ticket_id,
        'visit does not start where the previous one exited' as problem
    from attach_previous
    where
        visit_sequence > 1
        and (previous_exited_at is null or previous_exited_at <> entered_at)

    union all

    select
        ticket_id,
        'a visit other than the last is open-ended, or the last is closed' as problem
    from attach_previous
    where
        (next_visit_sequence is null and exited_at is not null)
        or (next_visit_sequence is not null and exited_at is null)

    union all

    select
        attach_previous.ticket_id,
        'first visit starts after the ticket was created' as problem
    from attach_previous
    inner join work_items
        on attach_previous.ticket_id = work_items.ticket_id
    where
        attach_previous.visit_sequence = 1
        and attach_previous.entered_at > work_items.created_at

    union all

    select
        work_items.ticket_id,
        'ticket has no stage visit' as problem
    from work_items
    left join stage_visits
        on work_items.ticket_id = stage_visits.ticket_id
    where stage_visits.ticket_id is null

)

select * from gaps_or_overlaps
