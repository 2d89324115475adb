{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per issue (pull requests are not tickets): ticket_key `owner/repo#number`, team the repository name,
    ticket_type and ai_assisted from the issue's current labels (macros/sources/github.sql). -#}

with

issues as (

    select * from {{ ref('base_fivetran_github__issues') }}

),

labels as (

    select * from {{ ref('base_fivetran_github__labels') }}

),

summarise_labels as (

    select
        issue_id,
        min({{ flowmetrics.github_label_type('label_name') }}) as ticket_type,
        max(case when {{ flowmetrics.github_is_ai_label('label_name') }} then 1 else 0 end) as has_ai_label
    from labels
    group by issue_id

),

final as (

    select
        issues.issue_id as ticket_id,
        {{ dbt.concat(['issues.repository_full_name', "'#'", dbt.cast('issues.issue_number', dbt.type_string())]) }}
            as ticket_key,
        issues.title,
        summarise_labels.ticket_type,
        issues.repository_name as team,
        cast(null as {{ dbt.type_string() }}) as requested_by,
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        {{ flowmetrics.github_ai_assisted('coalesce(summarise_labels.has_ai_label, 0) = 1') }} as ai_assisted,
        issues.created_at
    from issues
    left join summarise_labels
        on issues.issue_id = summarise_labels.issue_id
    where not issues.is_pull_request

)

select * from final
