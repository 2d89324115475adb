{#- A Fivetran table as its source now stands: one row per key, the version of the latest sync
    (`_fivetran_synced`; at one sync, a deleted version wins), and without soft-deleted rows
    (`_fivetran_deleted = true`) unless keep_deleted (then the table need not have that column). Lookup tables that name past events (a workflow state, a user)
    keep their deleted rows: a state deleted today still names the changes made into it. The subquery carries a
    column fivetran_sync_rank (always 1). -#}
{% macro fivetran_live_rows(relation, keys, keep_deleted=false) -%}
    (
        select *
        from (
            select
                *,
                row_number() over (
                    partition by {{ keys | join(', ') }}
                    order by
                        _fivetran_synced desc
                        {%- if not keep_deleted %},
                            case when _fivetran_deleted then 0 else 1 end
                        {%- endif %}
                ) as fivetran_sync_rank
            from {{ relation }}
        ) as synced_versions
        where
            fivetran_sync_rank = 1
            {%- if not keep_deleted %}
                and not coalesce(_fivetran_deleted, false)
            {%- endif %}
    )
{%- endmacro %}
