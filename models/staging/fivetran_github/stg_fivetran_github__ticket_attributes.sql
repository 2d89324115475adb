{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per issue per attribute the team map can match: its repository name (project) and each label it
    carries now. -#}

with

issues as (

    select * from {{ ref('base_fivetran_github__issues') }}
    where not is_pull_request

),

labels as (

    select * from {{ ref('base_fivetran_github__labels') }}

),

final as (

    select
        issue_id as ticket_id,
        'project' as attribute,  -- noqa: RF04
        repository_name as value  -- noqa: RF04
    from issues

    union all

    select
        labels.issue_id as ticket_id,
        'label' as attribute,  -- noqa: RF04
        labels.label_name as value  -- noqa: RF04
    from labels
    inner join issues
        on labels.issue_id = issues.issue_id

)

select * from final
