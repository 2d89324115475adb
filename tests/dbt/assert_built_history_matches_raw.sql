-- Claim: per ticket, the raw history as built equals the raw history now. The status changes built into
-- int_status_changes_sequenced are exactly the staged changes up to the as-of (their count and an
-- order-independent fingerprint of change_id, changed_at, from_status and to_status agree), and fct_work_items
-- holds exactly the staged tickets created up to the as-of, with the attributes they have now (those the model
-- declares in its rebuild settings). An incremental build that missed a change, a late or updated ticket, or a
-- deletion fails here with one row per ticket and the problem. A row deleted from a contract table by hand while
-- its ticket stays is the one change load times cannot see: `dbt build --full-refresh` rebuilds it.
-- Error-level by default (var built_history_severity: warn to only report).

{{ config(severity=var('built_history_severity', 'error')) }}

{%- set attributes_differ = ['false'] %}
{%- if execute %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == 'fct_work_items' %}
        {%- for attribute in node.config.meta.rebuild.attributes %}
            {%- do attributes_differ.append(
                'keep_tickets_up_to_as_of.' ~ attribute ~ ' is distinct from work_items.' ~ attribute) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}

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

keep_known_changes as (

    {#- the changes int_status_changes_sequenced keeps: of a known ticket, up to the as-of, one per change_id -#}
    select status_changes.*
    from status_changes
    inner join tickets
        on status_changes.ticket_id = tickets.ticket_id
    where
        status_changes.changed_at <= {{ as_of() }}
        and tickets.created_at <= {{ as_of() }}

),

keep_first_copies as (

    {{ flowmetrics.first_copy_of_each_change(
        'keep_known_changes', ['change_id', 'ticket_id', 'changed_at', 'from_status', 'to_status'],
    ) }}

),

fingerprint_raw_changes as (

    select
        ticket_id,
        count(*) as changes,
        sum({{ flowmetrics.row_fingerprint(['change_id', 'changed_at', 'from_status', 'to_status']) }}) as fingerprint
    from keep_first_copies
    group by ticket_id

),

fingerprint_built_changes as (

    select
        ticket_id,
        count(*) as changes,
        sum({{ flowmetrics.row_fingerprint(['change_id', 'changed_at', 'reported_from_status', 'to_status']) }})
            as fingerprint
    from sequenced_changes
    group by ticket_id

),

compare_changes as (

    select
        coalesce(fingerprint_raw_changes.ticket_id, fingerprint_built_changes.ticket_id) as ticket_id,
        coalesce(fingerprint_raw_changes.changes, 0) as changes_in_raw,
        coalesce(fingerprint_built_changes.changes, 0) as changes_built,
        'status changes as built differ from the raw ones' as problem
    from fingerprint_raw_changes
    full outer join fingerprint_built_changes
        on fingerprint_raw_changes.ticket_id = fingerprint_built_changes.ticket_id
    where
        fingerprint_raw_changes.changes is distinct from fingerprint_built_changes.changes
        or fingerprint_raw_changes.fingerprint is distinct from fingerprint_built_changes.fingerprint

),

keep_tickets_up_to_as_of as (

    select * from tickets
    where created_at <= {{ as_of() }}

),

compare_tickets as (

    select
        coalesce(keep_tickets_up_to_as_of.ticket_id, work_items.ticket_id) as ticket_id,
        cast(null as {{ dbt.type_bigint() }}) as changes_in_raw,
        cast(null as {{ dbt.type_bigint() }}) as changes_built,
        case
            when work_items.ticket_id is null then 'ticket missing from fct_work_items'
            when keep_tickets_up_to_as_of.ticket_id is null then 'fct_work_items holds a ticket raw no longer has'
            else 'work item attributes differ from the raw ticket'
        end as problem
    from keep_tickets_up_to_as_of
    full outer join work_items
        on keep_tickets_up_to_as_of.ticket_id = work_items.ticket_id
    where
        work_items.ticket_id is null
        or keep_tickets_up_to_as_of.ticket_id is null
        or {{ attributes_differ | join(' or ') }}

),

final as (

    select * from compare_changes
    union all
    select * from compare_tickets

)

select * from final
