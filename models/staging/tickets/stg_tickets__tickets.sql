{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- Every configured source's tickets (var flowmetrics_sources), with ids as described in
    macros/sources/flowmetrics_sources.sql. A connector source's team is the first match of the team map (seed
    team_map, or the relation named by var team_map_relation) on the ticket's attributes: a label, then a
    component, then the project (among several matches of one kind, the first team by name); without a match, the
    team the adapter gives (the project). The contract source's tickets keep the team they were loaded with. -#}

with

sourced_tickets as (

    {{ flowmetrics.union_sources(
        'tickets',
        ['ticket_id', 'ticket_key', 'title', 'ticket_type', 'team', 'requested_by', 'experiment_id', 'ai_assisted',
         'created_at'],
        contract_source='tickets',
        renames={'ticket_key': 'ticket_id'},
    ) }}

),

ticket_attributes as (

    {{ flowmetrics.union_sources('ticket_attributes', ['ticket_id', 'attribute', 'value']) }}

),

team_map as (

    select * from {{ flowmetrics.team_map_relation() }}

),

match_teams as (

    select
        ticket_attributes.ticket_id,
        team_map.team,
        row_number() over (
            partition by ticket_attributes.ticket_id
            order by
                case ticket_attributes.attribute when 'label' then 0 when 'component' then 1 else 2 end,
                team_map.team
        ) as match_rank
    from ticket_attributes
    inner join team_map
        on
            ticket_attributes.attribute = team_map.attribute
            and ticket_attributes.value = team_map.value
            and (team_map.source_name is null or ticket_attributes.source_name = team_map.source_name)

),

renamed as (

    select
        cast(sourced_tickets.ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(sourced_tickets.ticket_key as {{ dbt.type_string() }}) as ticket_key,
        cast(sourced_tickets.source_name as {{ dbt.type_string() }}) as source_name,
        cast(sourced_tickets.title as {{ dbt.type_string() }}) as title,
        cast(sourced_tickets.ticket_type as {{ dbt.type_string() }}) as ticket_type,
        cast(coalesce(match_teams.team, sourced_tickets.team) as {{ dbt.type_string() }}) as team,
        cast(sourced_tickets.requested_by as {{ dbt.type_string() }}) as requested_by,
        cast(sourced_tickets.experiment_id as {{ dbt.type_string() }}) as experiment_id,
        cast(sourced_tickets.ai_assisted as {{ dbt.type_boolean() }}) as ai_assisted,
        cast(sourced_tickets.created_at as {{ dbt.type_timestamp() }}) as created_at
    from sourced_tickets
    left join match_teams
        on
            sourced_tickets.ticket_id = match_teams.ticket_id
            and match_teams.match_rank = 1

)

select * from renamed
