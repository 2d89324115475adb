{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_linear')) }}

{#- The issues Linear holds now: the latest synced version of each, without the soft-deleted ones. An archived
    issue (archived_at set; Linear archives closed issues after a while) is kept: archived is not deleted. -#}

with

issues as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_linear', 'issue'), ['id']) }} as live_issues

),

teams as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_linear', 'team'), ['id'], keep_deleted=true
        ) }}
            as all_teams

),

attach_team as (

    select
        cast(issues.id as {{ dbt.type_string() }}) as issue_id,
        cast(
            coalesce(
                issues.identifier,
                {{ dbt.concat(['teams.key', "'-'", 'cast(issues.number as ' ~ dbt.type_string() ~ ')']) }}
            ) as {{ dbt.type_string() }}
        ) as identifier,
        cast(issues.title as {{ dbt.type_string() }}) as title,
        cast(teams.key as {{ dbt.type_string() }}) as team_key,
        cast(issues.state_id as {{ dbt.type_string() }}) as state_id,
        cast(issues.project_id as {{ dbt.type_string() }}) as project_id,
        cast(issues.creator_id as {{ dbt.type_string() }}) as creator_id,
        cast(issues.created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(issues.archived_at as {{ dbt.type_timestamp() }}) as archived_at
    from issues
    left join teams
        on issues.team_id = teams.id

)

select * from attach_team
