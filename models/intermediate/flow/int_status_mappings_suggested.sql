{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- A status map suggested from the data: one row per status seen in a status change (to or from) or declared by a
    source, with its change count, its typical position in the flow and a suggested stage, kind and order. The rules
    are stated in _flow__models.yml; the name rules are the rows of seed status_name_rules. -#}

with

status_changes as (

    select * from {{ ref('stg_tickets__status_changes') }}

),

status_entries as (

    select * from {{ ref('int_status_entries_ranked') }}

),

declared_statuses as (

    select * from {{ ref('stg_tickets__statuses') }}

),

status_name_rules as (

    select * from {{ ref('status_name_rules') }}

),

summarise_positions as (

    select
        raw_status,
        count(*) as ticket_count,
        cast({{ flowmetrics.flowmetrics_median('ordinal') }} as {{ flowmetrics.type_double() }}) as typical_position
    from status_entries
    group by raw_status

),

count_predecessors as (

    select
        to_status as raw_status,
        from_status as predecessor,
        count(*) as change_count
    from status_changes
    where
        from_status is not null
        and to_status is not null
        and from_status <> to_status
    group by to_status, from_status

),

count_changes as (

    select
        to_status as raw_status,
        count(*) as change_count
    from status_changes
    where to_status is not null
    group by to_status

),

pick_categories as (

    select
        raw_status,
        case max(
            case status_category
                when 'done' then 5
                when 'canceled' then 4
                when 'in_progress' then 3
                when 'todo' then 2
                when 'backlog' then 1
            end
        )
            when 5 then 'done'
            when 4 then 'canceled'
            when 3 then 'in_progress'
            when 2 then 'todo'
            when 1 then 'backlog'
        end as status_category
    from declared_statuses
    where raw_status is not null
    group by raw_status

),

list_statuses as (

    select raw_status from summarise_positions

    union

    select raw_status from pick_categories

),

attach_facts as (

    select
        statuses.raw_status,
        coalesce(changes.change_count, 0) as change_count,
        coalesce(positions.ticket_count, 0) as ticket_count,
        positions.typical_position,
        categories.status_category,
        {{ flowmetrics.status_words('statuses.raw_status') }} as status_words
    from list_statuses as statuses
    left join count_changes as changes
        on statuses.raw_status = changes.raw_status
    left join summarise_positions as positions
        on statuses.raw_status = positions.raw_status
    left join pick_categories as categories
        on statuses.raw_status = categories.raw_status

),

match_name_rules as (

    select
        facts.raw_status,
        rules.rule_order,
        rules.match_type,
        rules.words,
        rules.stage_kind,
        rules.stage,
        row_number() over (
            partition by facts.raw_status
            order by rules.rule_order
        ) as rule_rank
    from attach_facts as facts
    inner join status_name_rules as rules
        on (
            (rules.match_type = 'exact' and facts.status_words = rules.words)
            or (
                rules.match_type = 'prefix'
                and (
                    facts.status_words = rules.words
                    or facts.status_words like {{ dbt.concat(['rules.words', "' %'"]) }}
                )
            )
            or (
                rules.match_type = 'contains'
                and {{ dbt.concat(["' '", 'facts.status_words', "' '"]) }}
                like {{ dbt.concat(["'% '", 'rules.words', "' %'"]) }}
            )
        )
    where
        (facts.status_category = 'done' and rules.stage_kind = 'abandoned')
        or (
            coalesce(facts.status_category, '') not in ('done', 'canceled')
            and (
                rules.stage_kind in ('queue', 'wait')
                or (rules.stage_kind = 'active' and coalesce(facts.status_category, 'in_progress') = 'in_progress')
                or (rules.stage_kind in ('done', 'abandoned') and facts.status_category is null)
            )
        )

),

suggest_kinds as (

    select
        facts.raw_status,
        facts.status_category,
        facts.change_count,
        facts.ticket_count,
        facts.typical_position,
        rules.rule_order as name_rule,
        case
            when rules.stage_kind = 'abandoned' then 'abandoned'
            when facts.status_category = 'done' then 'done'
            when facts.status_category = 'canceled' then 'abandoned'
            when rules.stage_kind is not null then rules.stage_kind
            when facts.status_category = 'in_progress' then 'active'
            when facts.status_category in ('todo', 'backlog') then 'queue'
            else 'active'
        end as stage_kind,
        case
            when rules.stage_kind = 'abandoned' then 'abandoned'
            when facts.status_category = 'done' then 'done'
            when facts.status_category = 'canceled' then 'abandoned'
            when rules.stage is not null then rules.stage
            when
                rules.match_type = 'prefix' and length(facts.status_words) > length(rules.words)
                then substr(facts.status_words, length(rules.words) + 2)
            when rules.stage_kind is null and facts.status_category in ('todo', 'backlog') then 'backlog'
            else facts.status_words
        end as stage_words,
        (
            facts.status_category is null or facts.status_category not in ('done', 'canceled')
        ) and rules.stage is null and (
            rules.match_type is null or rules.match_type <> 'prefix'
            or length(facts.status_words) <= length(rules.words)
        ) as is_named_by_itself
    from attach_facts as facts
    left join match_name_rules as rules
        on
            facts.raw_status = rules.raw_status
            and rules.rule_rank = 1

),

name_stages as (

    select
        raw_status,
        status_category,
        change_count,
        ticket_count,
        typical_position,
        name_rule,
        stage_kind,
        is_named_by_itself,
        case
            when stage_kind in ('done', 'abandoned') then stage_kind
            when replace(coalesce(stage_words, ''), ' ', '_') in ('', 'done', 'abandoned')
                then {{ dbt.concat(["replace(coalesce(stage_words, ''), ' ', '_')", "'_stage'"]) }}
            else replace(stage_words, ' ', '_')
        end as stage
    from suggest_kinds

),

rank_wait_homes as (

    select
        predecessors.raw_status,
        actives.stage,
        row_number() over (
            partition by predecessors.raw_status
            order by predecessors.change_count desc, actives.stage asc
        ) as home_rank
    from count_predecessors as predecessors
    inner join name_stages as actives
        on
            predecessors.predecessor = actives.raw_status
            and actives.stage_kind = 'active'

),

home_waits as (

    select
        named.raw_status,
        named.status_category,
        named.change_count,
        named.ticket_count,
        named.typical_position,
        named.name_rule,
        named.stage_kind,
        case
            when named.stage_kind = 'wait' and named.is_named_by_itself and homes.stage is not null
                then homes.stage
            else named.stage
        end as stage
    from name_stages as named
    left join rank_wait_homes as homes
        on
            named.raw_status = homes.raw_status
            and homes.home_rank = 1

),

place_flow_stages as (

    select
        stage,
        min(typical_position) as stage_position
    from home_waits
    where stage_kind in ('queue', 'active', 'wait')
    group by stage

),

order_flow_stages as (

    select
        stage,
        10 * row_number() over (
            order by
                case when stage_position is null then 1 else 0 end,
                stage_position,
                stage
        ) as stage_order
    from place_flow_stages

),

count_flow_stages as (

    select count(*) as flow_stages from place_flow_stages

),

final as (

    select
        named.raw_status,
        named.status_category,
        named.change_count,
        named.ticket_count,
        named.typical_position,
        named.name_rule,
        named.stage,
        named.stage_kind,
        cast(
            case named.stage_kind
                when 'done' then 10 * (counted.flow_stages + 1)
                when 'abandoned' then 10 * (counted.flow_stages + 2)
                else ordered.stage_order
            end as {{ dbt.type_bigint() }}
        ) as stage_order
    from home_waits as named
    cross join count_flow_stages as counted
    left join order_flow_stages as ordered
        on named.stage = ordered.stage

)

select * from final
