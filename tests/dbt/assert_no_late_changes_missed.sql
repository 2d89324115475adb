-- Claim: every status change of a ticket up to the as-of made it into the built facts, and every ticket into
-- fct_work_items. An incremental build recomputes a ticket only when something about it is recent, so a change
-- that arrives later than var incremental_lookback_days (or a ticket whose row arrives that late) is missed until
-- `dbt build --full-refresh`. One row per affected ticket; warn-level by default
-- (var missed_late_changes_severity: error to fail the build).

{{ config(severity=var('missed_late_changes_severity', 'warn')) }}

with

status_changes as (

    select * from {{ ref('stg_tickets__status_changes') }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}

),

sequenced_changes as (

    select * from {{ ref('int_status_changes_sequenced') }}

),

work_items as (

    select * from {{ ref('fct_work_items') }}

),

changes_in_raw as (

    select
        status_changes.ticket_id,
        count(distinct status_changes.change_id) as changes
    from status_changes
    inner join tickets
        on status_changes.ticket_id = tickets.ticket_id
    where
        status_changes.changed_at <= {{ as_of() }}
        and tickets.created_at <= {{ as_of() }}
    group by status_changes.ticket_id

),

changes_built as (

    select
        ticket_id,
        count(*) as changes
    from sequenced_changes
    group by ticket_id

),

missed_changes as (

    select
        changes_in_raw.ticket_id,
        changes_in_raw.changes as changes_in_raw,
        coalesce(changes_built.changes, 0) as changes_built,
        'status changes missing from the built facts' as problem
    from changes_in_raw
    left join changes_built
        on changes_in_raw.ticket_id = changes_built.ticket_id
    where coalesce(changes_built.changes, 0) <> changes_in_raw.changes

),

missed_tickets as (

    select
        tickets.ticket_id,
        cast(null as {{ dbt.type_bigint() }}) as changes_in_raw,
        cast(null as {{ dbt.type_bigint() }}) as changes_built,
        'ticket missing from fct_work_items' as problem
    from tickets
    left join work_items
        on tickets.ticket_id = work_items.ticket_id
    where
        tickets.created_at <= {{ as_of() }}
        and work_items.ticket_id is null

),

final as (

    select * from missed_changes
    union all
    select * from missed_tickets

)

select * from final
