{#- The rows of a Fivetran table, one per `key` (a column list as SQL): the copy of the latest sync
    (_fivetran_synced), so a re-synced duplicate counts once. The result keeps every column plus sync_rank. -#}
{% macro fivetran_latest_rows(relation, key) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by _fivetran_synced desc) as sync_rank
        from {{ relation }}
    ) as ranked_syncs
    where sync_rank = 1
{%- endmacro %}
