{{ config(enabled=flowmetrics.source_adapter_enabled('airbyte_github')) }}

{#- One row per event of an issue (of issue_events, latest extraction): its kind, label and actor. -#}

with

issue_events as (

    {{ flowmetrics.airbyte_github_latest_rows('issue_events', ['id']) }}

),

final as (

    select
        id as event_id,
        cast({{ flowmetrics.json_text('issue', 'id') }} as {{ dbt.type_bigint() }}) as issue_id,
        lower(event) as event_kind,
        {{ flowmetrics.json_text('label', 'name') }} as label_name,
        {{ flowmetrics.json_text('actor', 'login') }} as actor,
        cast(created_at as {{ dbt.type_timestamp() }}) as event_at
    from issue_events

)

select * from final
