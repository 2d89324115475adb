{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per label an issue carries now: the labels whose latest labeled/unlabeled event put them on. -#}

with

issue_events as (

    select * from {{ ref('base_airbyte_github__issue_events') }}
    where event_kind in ('labeled', 'unlabeled')

),

rank_label_events as (

    select
        issue_id,
        label_name,
        event_kind,
        row_number() over (
            partition by issue_id, lower(trim(label_name))
            order by event_at desc, event_id desc
        ) as recency
    from issue_events

),

final as (

    select
        issue_id,
        label_name
    from rank_label_events
    where recency = 1 and event_kind = 'labeled'

)

select * from final
