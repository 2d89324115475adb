{#- var entry_status, when set, names a queue, active or wait status of the status map in force: otherwise the
    tickets without a change would silently sit in the default entry status instead. -#}

select {{ flowmetrics.quoted_literal(var('entry_status')) }} as entry_status
where
    {{ flowmetrics.quoted_literal(var('entry_status')) }} <> ''
    and not exists (
        select 1 from {{ ref('int_status_mappings_resolved') }}
        where is_entry_status and raw_status = {{ flowmetrics.quoted_literal(var('entry_status')) }}
    )
