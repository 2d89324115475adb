{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_github')) }}

{#- One row per label an issue carries now (current rows of issue_label, named from label). -#}

with

issue_labels as (

    {{ flowmetrics.fivetran_github_current_rows('issue_label', ['issue_id', 'label_id']) }}

),

labels as (

    {{ flowmetrics.fivetran_github_current_rows('label', ['id']) }}

),

final as (

    select
        issue_labels.issue_id,
        labels.name as label_name
    from issue_labels
    inner join labels
        on issue_labels.label_id = labels.id

)

select * from final
