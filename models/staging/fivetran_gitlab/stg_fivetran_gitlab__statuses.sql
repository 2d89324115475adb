{{ config(enabled=flowmetrics.source_adapter_enabled('fivetran_gitlab')) }}

{#- One row per status the GitLab scheme gives: `Open` (todo), `Closed` (done; GitLab does not say why an issue
    was closed) and the name of every status label (in_progress), the label prefix (var
    gitlab_status_label_prefix) cut off. -#}

{%- set prefix = flowmetrics.gitlab_status_label_prefix() -%}

with

labels as (

    select *
    from
        {{ flowmetrics.fivetran_live_rows(
            source('fivetran_gitlab', 'label'), ['id'], keep_deleted=true
        ) }}
            as all_labels

),

name_label_statuses as (

    select distinct
        substring(cast(name as {{ dbt.type_string() }}), {{ prefix | length + 1 }}) as raw_status,
        'in_progress' as status_category
    from labels
    where
        substring(cast(name as {{ dbt.type_string() }}), 1, {{ prefix | length }})
        = {{ flowmetrics.quoted_literal(prefix) }}
        and length(cast(name as {{ dbt.type_string() }})) > {{ prefix | length }}

),

final as (

    select
        'Open' as raw_status,
        'todo' as status_category
    union all
    select
        'Closed' as raw_status,
        'done' as status_category
    union all
    select
        raw_status,
        status_category
    from name_label_statuses
    where raw_status not in ('Open', 'Closed')

)

select * from final
