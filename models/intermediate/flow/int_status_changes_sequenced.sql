{%- set rebuild = {'watermark': 'changed_at'} %}
{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy=flowmetrics.ticket_incremental_strategy(),
        on_schema_change='fail',
        meta={'rebuild': rebuild},
    )
}}

{#- One row per distinct change_id of a known ticket, at or before the as-of: ordered per ticket by changed_at,
    then change_id (whatever the load order), with the status the ticket was in before it. A change into the status
    the ticket is already in (a reassignment) is kept here but flagged is_repeat; it is not a transition. -#}

with

status_changes as (

    select * from {{ ref('stg_tickets__status_changes') }}

),

tickets as (

    select * from {{ ref('stg_tickets__tickets') }}

),

status_mappings as (

    select * from {{ ref('int_status_mappings_resolved') }}

),

keep_known_tickets_up_to_as_of as (

    select status_changes.*
    from status_changes
    inner join tickets
        on status_changes.ticket_id = tickets.ticket_id
    where
        status_changes.changed_at <= {{ as_of() }}
        and tickets.created_at <= {{ as_of() }}
        and {{ flowmetrics.ticket_rebuild_filter('status_changes.ticket_id', is_incremental(), rebuild) }}

),

deduplicate_change_ids as (

    select
        *,
        row_number() over (
            partition by change_id
            order by changed_at, to_status, coalesce(from_status, ''), coalesce(changed_by, '')
        ) as copy_number
    from keep_known_tickets_up_to_as_of

),

order_changes as (

    select
        change_id,
        ticket_id,
        changed_at,
        from_status as reported_from_status,
        to_status,
        changed_by,
        row_number() over (
            partition by ticket_id
            order by changed_at, change_id
        ) as change_number,
        lag(to_status) over (
            partition by ticket_id
            order by changed_at, change_id
        ) as previous_to_status
    from deduplicate_change_ids
    where copy_number = 1

),

attach_previous_status as (

    select
        order_changes.change_id,
        order_changes.ticket_id,
        order_changes.changed_at,
        order_changes.reported_from_status,
        order_changes.to_status,
        order_changes.changed_by,
        order_changes.change_number,
        case
            when order_changes.change_number > 1 then order_changes.previous_to_status
            when order_changes.reported_from_status is not null then order_changes.reported_from_status
            -- created directly in the status of its first change
            when order_changes.changed_at <= tickets.created_at then order_changes.to_status
            else (
                select min(entry_status.raw_status) from status_mappings as entry_status
                where entry_status.is_entry_status
            )
        end as previous_status,
        (
            order_changes.change_number = 1
            and order_changes.reported_from_status is null
            and order_changes.changed_at <= tickets.created_at
        ) as is_creation_record
    from order_changes
    inner join tickets
        on order_changes.ticket_id = tickets.ticket_id

),

final as (

    select
        change_id,
        ticket_id,
        changed_at,
        change_number,
        previous_status,
        reported_from_status,
        to_status,
        changed_by,
        coalesce(to_status = previous_status, false) as is_repeat,
        case
            when is_creation_record then 'creation'
            when to_status = previous_status then 'reassignment'
            else 'transition'
        end as change_kind,
        coalesce(reported_from_status <> previous_status, false) as is_from_status_mismatch
    from attach_previous_status

)

select * from final
