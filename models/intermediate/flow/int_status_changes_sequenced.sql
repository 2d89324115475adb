{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

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

{#- One row per distinct change_id of a known ticket, at or before the as-of: ordered per ticket by changed_at
    (whatever the load order), with the status the ticket was in before it. A change into the status the ticket is
    already in (a reassignment) is kept here but flagged is_repeat; it is not a transition.
    Changes of one ticket at the same changed_at (a tie group: automation, bulk moves) are ordered by the chain their
    from_status values describe: first the change whose from_status is the status before the group (the to_status
    of the ticket's previous change, when that one is alone at its time), else a change whose from_status is no
    other change's to_status in the group (the head of the chain); then, repeatedly, the change whose from_status is
    the last one's to_status. Where the chain does not decide (no from_status, a broken chain, a cycle), change ids
    decide in natural order: text prefix, then the trailing digits as a number (ch99 before ch100, 99 before 100),
    then the whole id as text; changes the walk never reaches come after it in that order. Only tie groups pay for
    the walk; a lone change keeps its place by changed_at. A pair (the usual tie) is ordered without the walk: its
    start goes first, and the walk could only add the other change after it. -#}

with recursive

ticket_loads as (

    select * from {{ ref('stg_tickets__ticket_loads') }}

),

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

first_copies as (

    {{ flowmetrics.first_copy_of_each_change(
        'keep_known_tickets_up_to_as_of',
        ['change_id', 'ticket_id', 'changed_at', 'from_status', 'to_status', 'changed_by'],
    ) }}

),

-- one row per ticket and time with its number of changes (more than one: a tie group), and the group before it
summarise_change_times as (

    select
        ticket_id,
        changed_at,
        count(*) as tie_size,
        min(to_status) as to_status
    from first_copies
    group by ticket_id, changed_at

),

attach_time_before as (

    select
        ticket_id,
        changed_at,
        tie_size,
        lag(to_status) over (partition by ticket_id order by changed_at) as to_status_before,
        lag(tie_size) over (partition by ticket_id order by changed_at) as tie_size_before
    from summarise_change_times

),

tie_groups as (

    select
        ticket_id,
        changed_at,
        tie_size
    from attach_time_before
    where tie_size > 1

),

-- the status before a tie group: the to_status of the ticket's previous change, when that one is alone at its time
status_before_ties as (

    select
        ticket_id,
        changed_at,
        to_status_before as status_before
    from attach_time_before
    where tie_size > 1 and tie_size_before = 1

),

tie_changes as (

    select
        first_copies.change_id,
        first_copies.ticket_id,
        first_copies.changed_at,
        first_copies.from_status,
        first_copies.to_status,
        tie_groups.tie_size
    from first_copies
    inner join tie_groups
        on
            first_copies.ticket_id = tie_groups.ticket_id
            and first_copies.changed_at = tie_groups.changed_at

),

-- the parts of a change id's natural order: its text prefix, then its trailing digits as a number (without leading
-- zeros: shorter is smaller, then as text), then the whole id
split_tie_ids as (

    select
        *,
        regexp_replace(
            substring(change_id, length(id_prefix) + 1), '^0+', ''
        ) as id_number
    from (
        select
            *,
            regexp_replace(change_id, '[0-9]+$', '') as id_prefix
        from tie_changes
    ) as prefixed

),

-- a pair: its change whose from_status is the status before the group goes first; else the one whose
-- from_status is not the other's to_status (the head of the chain); else the first id in natural order
pair_ids as (

    select
        change_id,
        ticket_id,
        changed_at,
        from_status,
        to_status,
        id_prefix,
        id_number
    from split_tie_ids
    where tie_size = 2

),

rank_pair_starts as (

    select
        own_change.change_id,
        case
            when own_change.from_status = status_before_ties.status_before then 0
            when own_change.from_status = other_change.to_status then 2
            else 1
        end as own_start_rank,
        case
            when other_change.from_status = status_before_ties.status_before then 0
            when other_change.from_status = own_change.to_status then 2
            else 1
        end as other_start_rank,
        (
            own_change.id_prefix < other_change.id_prefix
            or (
                own_change.id_prefix = other_change.id_prefix
                and (
                    length(own_change.id_number) < length(other_change.id_number)
                    or (
                        length(own_change.id_number) = length(other_change.id_number)
                        and (
                            own_change.id_number < other_change.id_number
                            or (
                                own_change.id_number = other_change.id_number
                                and own_change.change_id < other_change.change_id
                            )
                        )
                    )
                )
            )
        ) as is_first_id  -- the natural order of rank_tie_ids, for two ids
    from pair_ids as own_change
    inner join pair_ids as other_change
        on
            own_change.ticket_id = other_change.ticket_id
            and own_change.changed_at = other_change.changed_at
            and own_change.change_id <> other_change.change_id
    left join status_before_ties
        on
            own_change.ticket_id = status_before_ties.ticket_id
            and own_change.changed_at = status_before_ties.changed_at

),

place_pairs as (

    select
        change_id,
        case
            when own_start_rank < other_start_rank then 1
            when own_start_rank > other_start_rank then 2
            when is_first_id then 1
            else 2
        end as tie_position
    from rank_pair_starts

),

-- larger tie groups: the walk along the chain
rank_tie_ids as (

    select
        *,
        row_number() over (
            partition by ticket_id, changed_at
            order by
                id_prefix,
                length(id_number),
                id_number,
                change_id
        ) as id_rank
    from split_tie_ids
    where tie_size > 2

),

rank_chain_starts as (

    select
        rank_tie_ids.*,
        row_number() over (
            partition by rank_tie_ids.ticket_id, rank_tie_ids.changed_at
            order by
                case
                    when rank_tie_ids.from_status = status_before_ties.status_before then 0
                    when not exists (
                        select 1 from rank_tie_ids as other
                        where
                            other.ticket_id = rank_tie_ids.ticket_id
                            and other.changed_at = rank_tie_ids.changed_at
                            and other.change_id <> rank_tie_ids.change_id
                            and other.to_status = rank_tie_ids.from_status
                    ) then 1
                    else 2
                end,
                rank_tie_ids.id_rank
        ) as start_rank
    from rank_tie_ids
    left join status_before_ties
        on
            rank_tie_ids.ticket_id = status_before_ties.ticket_id
            and rank_tie_ids.changed_at = status_before_ties.changed_at

),

-- each tie change's successor: the change leaving the status it entered, the next id (cyclically) first
rank_successors as (

    select
        current_change.ticket_id,
        current_change.changed_at,
        current_change.change_id,
        next_change.change_id as next_change_id,
        next_change.id_rank as next_id_rank,
        row_number() over (
            partition by current_change.change_id
            order by
                case when next_change.id_rank > current_change.id_rank then 0 else 1 end,
                next_change.id_rank
        ) as successor_rank
    from rank_tie_ids as current_change
    inner join rank_tie_ids as next_change
        on
            current_change.ticket_id = next_change.ticket_id
            and current_change.changed_at = next_change.changed_at
            and current_change.change_id <> next_change.change_id
            and current_change.to_status = next_change.from_status

),

successors as (

    select * from rank_successors
    where successor_rank = 1

),

walk_chains as (

    select
        ticket_id,
        changed_at,
        change_id,
        cast(1 as {{ dbt.type_bigint() }}) as walk_position,
        cast(
            {{ dbt.concat(["','", dbt.cast('id_rank', dbt.type_string()), "','"]) }} as {{ dbt.type_string() }}
        ) as visited_ranks
    from rank_chain_starts
    where start_rank = 1

    union all

    select
        walk_chains.ticket_id,
        walk_chains.changed_at,
        successors.next_change_id as change_id,
        cast(walk_chains.walk_position + 1 as {{ dbt.type_bigint() }}) as walk_position,
        cast(
            {{ dbt.concat([
                'walk_chains.visited_ranks', dbt.cast('successors.next_id_rank', dbt.type_string()), "','",
            ]) }}
            as {{ dbt.type_string() }}
        ) as visited_ranks
    from walk_chains
    inner join successors
        on walk_chains.change_id = successors.change_id
    where
        {{ dbt.position(
            dbt.concat(["','", dbt.cast('successors.next_id_rank', dbt.type_string()), "','"]),
            'walk_chains.visited_ranks',
        ) }} = 0

),

place_walked_changes as (

    select
        rank_tie_ids.change_id,
        row_number() over (
            partition by rank_tie_ids.ticket_id, rank_tie_ids.changed_at
            order by
                case when walk_chains.walk_position is null then 1 else 0 end,
                walk_chains.walk_position,
                rank_tie_ids.id_rank
        ) as tie_position
    from rank_tie_ids
    left join walk_chains
        on rank_tie_ids.change_id = walk_chains.change_id

),

place_tie_changes as (

    select
        change_id,
        tie_position
    from place_pairs

    union all

    select
        change_id,
        tie_position
    from place_walked_changes

),

order_changes as (

    select
        first_copies.change_id,
        first_copies.ticket_id,
        first_copies.changed_at,
        first_copies.from_status as reported_from_status,
        first_copies.to_status,
        first_copies.changed_by,
        row_number() over (
            partition by first_copies.ticket_id
            order by first_copies.changed_at, coalesce(place_tie_changes.tie_position, 0)
        ) as change_number,
        lag(first_copies.to_status) over (
            partition by first_copies.ticket_id
            order by first_copies.changed_at, coalesce(place_tie_changes.tie_position, 0)
        ) as previous_to_status
    from first_copies
    left join place_tie_changes
        on first_copies.change_id = place_tie_changes.change_id

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

choose_columns as (

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

),

attach_load_time as (

    select
        choose_columns.*,
        ticket_loads.loaded_at as source_loaded_at
    from choose_columns
    left join ticket_loads
        on choose_columns.ticket_id = ticket_loads.ticket_id

)

select * from attach_load_time
