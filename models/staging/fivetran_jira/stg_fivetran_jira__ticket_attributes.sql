{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_jira')) }}

{#- One row per live issue and attribute value the team map can match: its project's key, its current components'
    names and its current labels. A multi-value field's current values are its rows at the issue's latest time of
    that field (a field emptied leaves one row without a value there). Without issue_multiselect_history (or
    component) the issue has only its project. -#}

with

issues as (

    select * from {{ ref('base_fivetran_jira__issues') }}

),

projects as (

    select * from {{ flowmetrics.fivetran_live_rows(source('fivetran_jira', 'project'), ['id'], keep_deleted=true) }}

),

multiselect_history as (

    select * from {{ flowmetrics.raw_source('fivetran_jira', 'issue_multiselect_history') }}

),

components as (

    select *
    from {{ flowmetrics.fivetran_live_rows(
        flowmetrics.raw_source('fivetran_jira', 'component'), ['id'], keep_deleted=true
    ) }}

),

keep_live_multiselect_rows as (

    select
        multiselect_history.issue_id,
        multiselect_history.field_id,
        multiselect_history.time as changed_at,
        multiselect_history.value,
        max(multiselect_history.time) over (
            partition by multiselect_history.issue_id, multiselect_history.field_id
        ) as latest_time
    from multiselect_history
    inner join issues
        on multiselect_history.issue_id = issues.issue_id
    where multiselect_history.field_id in ('components', 'labels')

),

current_values as (

    select distinct
        issue_id,
        field_id,
        value
    from keep_live_multiselect_rows
    where
        changed_at = latest_time
        and value is not null
        and value <> ''

),

project_attributes as (

    select
        issues.issue_id,
        'project' as attribute,
        projects.key as value
    from issues
    inner join projects
        on issues.project_id = projects.id

),

component_attributes as (

    select
        current_values.issue_id,
        'component' as attribute,
        components.name as value
    from current_values
    inner join components
        on current_values.value = {{ dbt.cast('components.id', dbt.type_string()) }}
    where current_values.field_id = 'components'

),

label_attributes as (

    select
        issue_id,
        'label' as attribute,
        value
    from current_values
    where field_id = 'labels'

),

final as (

    select
        cast(issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(attribute as {{ dbt.type_string() }}) as attribute,
        cast(value as {{ dbt.type_string() }}) as value
    from project_attributes
    union all
    select
        cast(issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(attribute as {{ dbt.type_string() }}) as attribute,
        cast(value as {{ dbt.type_string() }}) as value
    from component_attributes
    union all
    select
        cast(issue_id as {{ dbt.type_string() }}) as ticket_id,
        cast(attribute as {{ dbt.type_string() }}) as attribute,
        cast(value as {{ dbt.type_string() }}) as value
    from label_attributes

)

select * from final
