-- Claim: every visit after a ticket's first begins with exactly one transition that changes the stage,
-- so per ticket: stage-changing transitions = visits - 1.

with

stage_transitions as (

    select * from {{ ref('fct_stage_transitions') }}

),

stage_visits as (

    select * from {{ ref('fct_stage_visits') }}

),

transitions_per_ticket as (

    select
        ticket_id,
        count(*) as stage_changes
    from stage_transitions
    where from_stage <> to_stage
    group by ticket_id

),

visits_per_ticket as (

    select
        ticket_id,
        count(*) as visits
    from stage_visits
    group by ticket_id

),

final as (

    select
        visits_per_ticket.ticket_id,
        visits_per_ticket.visits,
        coalesce(transitions_per_ticket.stage_changes, 0) as stage_changes
    from visits_per_ticket
    left join transitions_per_ticket
        on visits_per_ticket.ticket_id = transitions_per_ticket.ticket_id
    where coalesce(transitions_per_ticket.stage_changes, 0) <> visits_per_ticket.visits - 1

)

select * from final
