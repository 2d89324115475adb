{#- The one rule for a change_id loaded more than once (possible when raw is landed by a tool other than
    `flowmetrics ingest`): its first copy by changed_at, to_status, from_status, changed_by counts, the others not.
    A select of `columns` from relation or CTE `changes`, one row per change_id. Only the duplicated ids are
    ranked (a group-by finds them), so the common case of unique ids costs no sort. -#}
{% macro first_copy_of_each_change(changes, columns) -%}
    select
        {%- for column in columns %}
        unique_copies.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ changes }} as unique_copies
    left join (
        select repeated.change_id from {{ changes }} as repeated
        group by repeated.change_id
        having count(*) > 1
    ) as duplicated
        on unique_copies.change_id = duplicated.change_id
    where duplicated.change_id is null

    union all

    select
        {%- for column in columns %}
        ranked_copies.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            copies.*,
            row_number() over (
                partition by copies.change_id
                order by
                    copies.changed_at, copies.to_status,
                    coalesce(copies.from_status, ''), coalesce(copies.changed_by, '')
            ) as copy_number
        from {{ changes }} as copies
        inner join (
            select repeated.change_id from {{ changes }} as repeated
            group by repeated.change_id
            having count(*) > 1
        ) as duplicated
            on copies.change_id = duplicated.change_id
    ) as ranked_copies
    where ranked_copies.copy_number = 1
{%- endmacro %}
