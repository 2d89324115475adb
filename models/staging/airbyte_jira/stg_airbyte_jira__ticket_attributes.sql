{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_jira')) }}

{#- One row per Jira issue per attribute value the team map can match: its project key, each component's name,
    each label. -#}

with

issues as (

    select * from {{ ref('base_airbyte_jira__issues') }}

),

list_projects as (

    select
        issue_id as ticket_id,
        'project' as attribute_kind,
        {{ flowmetrics.json_text('fields', 'project.key') }} as attribute_value
    from issues

),

unnest_components as (

    select
        issues.issue_id as ticket_id,
        'component' as attribute_kind,
        {{ flowmetrics.json_text('components.element', 'name') }} as attribute_value
    from issues
    {{ flowmetrics.json_array_elements('issues.fields', 'components', 'components') }}

),

unnest_labels as (

    select
        issues.issue_id as ticket_id,
        'label' as attribute_kind,
        {{ flowmetrics.json_text('labels.element') }} as attribute_value
    from issues
    {{ flowmetrics.json_array_elements('issues.fields', 'labels', 'labels') }}

),

combine_attributes as (

    select * from list_projects
    union all
    select * from unnest_components
    union all
    select * from unnest_labels

),

final as (

    select distinct
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(attribute_kind as {{ dbt.type_string() }}) as attribute,  -- noqa: RF04
        cast(attribute_value as {{ dbt.type_string() }}) as value  -- noqa: RF04
    from combine_attributes
    where attribute_value is not null

)

select * from final
