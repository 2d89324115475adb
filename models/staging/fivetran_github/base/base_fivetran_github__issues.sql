{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per current (not deleted) issue or pull request, from its latest sync. -#}

with

issues as (

    {{ flowmetrics.fivetran_github_current_rows('issue', ['id']) }}

),

repositories as (

    {{ flowmetrics.fivetran_github_current_rows('repository', ['id']) }}

),

users as (

    {{ flowmetrics.fivetran_github_current_rows('user', ['id']) }}

),

final as (

    select
        issues.id as issue_id,
        issues.number as issue_number,
        issues.repository_id,
        repositories.name as repository_name,
        repositories.full_name as repository_full_name,
        issues.title,
        lower(issues.state) as state,
        {%- if flowmetrics.relation_has_column(source('fivetran_github', 'issue'), 'state_reason') %}
            lower(issues.state_reason) as state_reason,
        {%- else %}
            cast(null as {{ dbt.type_string() }}) as state_reason,
        {%- endif %}
        coalesce(issues.pull_request, false) as is_pull_request,
        users.login as opened_by,
        cast(issues.created_at as {{ dbt.type_timestamp() }}) as created_at
    from issues
    inner join repositories
        on issues.repository_id = repositories.id
    left join users
        on issues.user_id = users.id

)

select * from final
