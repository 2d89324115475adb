{#- Which data tests an incremental night scopes to the rows it rebuilt. The one place this rule lives.

    A nightly run rebuilds whole tickets of the incremental flow models (macros/incremental/rebuild_tickets.sql);
    the rows of every other ticket are the rows an earlier run built and tested. A test about rows (each failing row
    fails on its own: not_null, unique, accepted_values, relationships from the model's rows, the expression and
    range tests) therefore only needs the rows rebuilt in this run: record_tickets_to_rebuild records its
    tickets in <model>__rebuilt_tickets, stamped with the run's invocation_id, and dbt wraps the tested model in
    get_where_subquery, which adds `ticket_id in (the recorded tickets)`.

    A test is scoped only when all of these hold, else it reads the whole model as before:
      - it is a generic test named in scoped_row_tests() (singular tests, e.g. assert_built_history_matches_raw,
        and whole-table checks always see everything);
      - the model was built by the replace_tickets strategy in THIS invocation (the record carries this run's
        invocation_id): a full refresh, a first build, Spark's whole-table rewrite or a plain `dbt test` test
        every row.
    Keys: `unique` on a rebuilt ticket's rows cannot collide with another ticket's rows, because every such key
    starts with the ticket_id (visit_id, status_interval_id) or is a change of that ticket, and a change moved to
    another ticket is a history that differs from raw, which assert_built_history_matches_raw (whole) names. -#}


{#- The generic tests that are about single rows (or keys of one ticket's rows). -#}
{% macro scoped_row_tests() -%}
    {{ return([
        'not_null', 'not_null_columns', 'unique', 'accepted_values', 'relationships', 'unique_combination',
        'flowmetrics_expression_is_true', 'between', 'non_negative', 'not_before',
    ]) }}
{%- endmacro %}


{#- Where record_tickets_to_rebuild records the tickets an incremental model rebuilds in this run. -#}
{% macro rebuilt_tickets_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__rebuilt_tickets'}, type='table')) }}
{%- endmacro %}


{#- The predicate restricting a test of `relation` to the tickets rebuilt in this run, or none (test every row). -#}
{% macro rebuilt_rows_scope(relation) -%}
    {%- if not execute or relation is string or relation.identifier is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set metadata = model.get('test_metadata') if model is mapping else none -%}
    {%- if not metadata or metadata.get('name') not in flowmetrics.scoped_row_tests() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set record = flowmetrics.rebuilt_tickets_relation(relation) -%}
    {%- if adapter.get_relation(record.database, record.schema, record.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set this_run -%}
        select count(*) as markers from {{ record }}
        where ticket_id is null and invocation_id = '{{ invocation_id }}'
    {%- endset -%}
    {%- if run_query(this_run).columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('ticket_id in (select rebuilt.ticket_id from ' ~ record ~ ' as rebuilt '
              ~ 'where rebuilt.ticket_id is not null)') }}
{%- endmacro %}


{#- dbt's get_where_subquery (it wraps the model a generic test reads), plus the rebuilt-rows scope above. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set scope = flowmetrics.rebuilt_rows_scope(relation) -%}
    {%- set conditions = [where, scope] | select | list -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
