{#- Nightly incremental builds of the flow facts recompute whole tickets.

    A late status change reshuffles its ticket's whole history (the intervals after it, visit boundaries,
    visit_number, rework flags, the seconds of the previous status), so an incremental run never patches rows: it
    recomputes every row of each ticket that may have changed and replaces them (strategy replace_tickets: delete the
    ticket's rows, insert the new ones). A ticket is recomputed when
      1. any raw row about it was LOADED since the model built it: its loaded_at in stg_tickets__ticket_loads
         (ingest's _loaded_at stamp, a connector's _fivetran_synced / _airbyte_extracted_at, a declared column;
         soft-deleted rows count) is not the source_loaded_at the model built it with, or the model does not hold
         it yet (a new ticket, a newly configured source; a ticket with no rows in this model is recomputed each
         run, which costs nothing but the lookup). Compared per ticket, so no clock is compared with another
         source's. A late change of any age, a late ticket row, an updated ticket, a soft delete or a re-sent
         changed row is picked up the next night whatever its event time;
      2. it is built but no longer staged (deleted from raw, or soft-deleted by a connector): its rows go;
      3. the model measures it up to the as-of, which moves every night (config meta rebuild.open_when: an open
         visit, an open work item);
      4. a safety margin by event time, for sources without load times: it has a status change, or was created,
         at or after the cutoff (the latest `watermark` time already built minus var incremental_lookback_days),
         or the ticket attributes the model carries changed (config meta rebuild.attributes).
    The one thing load times cannot see is a row deleted from a contract table by hand while its ticket stays
    (no load, no soft delete): the error-level test assert_built_history_matches_raw names such tickets, and a
    `--full-refresh` rebuilds them. Anything that changes every ticket (an as-of moved back, a changed status map)
    stops the run with a message asking for `--full-refresh`.

    Each incremental model declares its settings once,
      {%- set rebuild = {'watermark': <the model's latest-time column>, 'open_when': <predicate on `built`, optional>,
                         'attributes': [<ticket columns it carries, optional>]} %}
    sets in its config materialized='incremental', unique_key='ticket_id',
    incremental_strategy=flowmetrics.ticket_incremental_strategy(), meta={'rebuild': rebuild}, filters its inputs
    with flowmetrics.ticket_rebuild_filter('ticket_id', is_incremental(), rebuild), and carries source_loaded_at
    (its ticket's loaded_at from stg_tickets__ticket_loads) on every row. -#}


{#- The cutoff of an incremental run, as a scalar subquery: the latest `watermark` already built into {{ this }} minus
    var incremental_lookback_days; null when {{ this }} is empty (callers then rebuild everything). -#}
{% macro rebuild_cutoff(watermark) -%}
    (select {{ dbt.dateadd('day', -1 * flowmetrics.incremental_lookback_days(), 'max(built.' ~ watermark ~ ')') }}
     from {{ this }} as built)
{%- endmacro %}


{#- The lookback window for late-arriving changes, in days (var incremental_lookback_days, default 3). -#}
{% macro incremental_lookback_days() -%}
    {%- set raw = var('incremental_lookback_days', 3) -%}
    {%- set days = raw | int(-1) -%}
    {%- if days < 0 or (raw | string | trim) != (days | string) -%}
        {{ exceptions.raise_compiler_error(
            "var incremental_lookback_days must be a whole number of days >= 0, got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#- The predicate that keeps the tickets to recompute: `column in (...)` in an incremental run, `true` otherwise
    (full refresh, first build, or an engine whose incremental strategy rewrites the whole table). The model passes
    its own is_incremental(), so that dbt unit tests see the model as incremental and can override it.
    In a `dbt build` or `dbt run` the set is computed once per model, when the first filter compiles, into
    <model>__rebuilt_tickets (record_tickets_to_rebuild): every filter of the model, the replace_tickets delete and
    the run's scoped data tests read that record. Elsewhere (a unit test, `dbt compile`, `dbt show`, the linter)
    nothing is written and the filter holds the set's query itself. -#}
{% macro ticket_rebuild_filter(column, incremental, settings) -%}
    {#- At parse time, resolve the refs the scope reads so dbt records them as dependencies (an incremental run
        reads them); at run time only an incremental run does, so unit tests need them only then. -#}
    {%- if not execute -%}
        {%- do ref('stg_tickets__status_changes') -%}
        {%- do ref('stg_tickets__tickets') -%}
        {%- do ref('stg_tickets__ticket_loads') -%}
        {%- do ref('int_as_of_resolved') -%}
    {%- endif -%}
    {%- if incremental and not flowmetrics.rebuilds_whole_table() -%}
        {%- do flowmetrics.assert_as_of_not_moved_back(settings) -%}
        {%- if execute and model.resource_type == 'model' and flags.WHICH in ('build', 'run') -%}
            {%- set rebuilt = flowmetrics.record_tickets_to_rebuild(settings) -%}
            {{ column }} in (select rebuilt.ticket_id from {{ rebuilt }} as rebuilt where rebuilt.ticket_id is not null)
        {%- else -%}
            {{ column }} in ({{ flowmetrics.tickets_to_rebuild(settings) }})
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- The rebuild settings of the model being built: the model passes them (dbt unit tests do not see the model's
    config), else config meta rebuild (the replace_tickets strategy). -#}
{% macro rebuild_settings(settings=none) -%}
    {%- if settings is not none -%}
        {{ return(flowmetrics.checked_rebuild_settings(settings)) }}
    {%- endif -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set settings = meta.get('rebuild') or {} -%}
    {{ return(flowmetrics.checked_rebuild_settings(settings)) }}
{%- endmacro %}

{% macro checked_rebuild_settings(settings) -%}
    {%- set unknown = settings.keys() | reject('in', ['watermark', 'open_when', 'attributes']) | list -%}
    {%- if not settings.get('watermark') or unknown -%}
        {{ exceptions.raise_compiler_error(
            "incremental model " ~ this ~ ": rebuild settings need a watermark (the model's latest-time column) "
            ~ "and may have open_when and attributes; got " ~ settings) }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}


{#- A subquery of the ticket_ids to recompute in this run (see the top of this file). It reads {{ this }}: the model
    as the previous run left it. The replace_tickets strategy deletes exactly this set before inserting. -#}
{% macro tickets_to_rebuild(settings=none) -%}
    {%- set settings = flowmetrics.rebuild_settings(settings) -%}
    {%- set changes = ref('stg_tickets__status_changes') -%}
    {%- set tickets = ref('stg_tickets__tickets') -%}
    {%- set loads = ref('stg_tickets__ticket_loads') -%}
    {%- set cutoff = flowmetrics.rebuild_cutoff(settings.watermark) -%}
    select loaded.ticket_id from {{ loads }} as loaded
    left join (
        select
            built.ticket_id,
            max(built.source_loaded_at) as source_loaded_at
        from {{ this }} as built
        group by built.ticket_id
    ) as built_loads
        on loaded.ticket_id = built_loads.ticket_id
    where
        built_loads.ticket_id is null
        or loaded.loaded_at is distinct from built_loads.source_loaded_at
    union
    select built.ticket_id from {{ this }} as built
    where not exists (
        select 1 from {{ tickets }} as current_ticket
        where current_ticket.ticket_id = built.ticket_id
    )
    union
    select changed.ticket_id from {{ changes }} as changed
    where coalesce(changed.changed_at >= {{ cutoff }}, true)
    union
    select created.ticket_id from {{ tickets }} as created
    where coalesce(created.created_at >= {{ cutoff }}, true)
    {%- if settings.get('open_when') %}
    union
    select built.ticket_id from {{ this }} as built
    where {{ settings.open_when }}
    {%- endif %}
    {%- if settings.get('attributes') %}
    union
    select built.ticket_id from {{ this }} as built
    inner join {{ tickets }} as current_ticket
        on built.ticket_id = current_ticket.ticket_id
    where
        {%- for attribute in settings.attributes %}
        built.{{ attribute }} is distinct from current_ticket.{{ attribute }}{{ ' or' if not loop.last }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}


{#- Records the tickets to rebuild in this run in <model>__rebuilt_tickets (rebuilt_tickets_relation), once per model
    and invocation: a marker row (ticket_id null) carries dbt's invocation_id, and a record that already has this
    invocation's marker is left as it is. Returns the record's relation. Runs its statements when called (the first
    filter of an incremental model as it compiles, else the replace_tickets strategy). -#}
{% macro record_tickets_to_rebuild(settings=none) -%}
    {%- set rebuilt = flowmetrics.rebuilt_tickets_relation(this) -%}
    {#- known to dbt's relation cache, so that this run's tests find it (rebuilt_rows_scope) -#}
    {%- do adapter.cache_added(rebuilt) -%}
    {%- set create -%}
        create table if not exists {{ rebuilt }} (
            ticket_id {{ dbt.type_string() }},
            invocation_id {{ dbt.type_string() }}
        )
    {%- endset -%}
    {%- do run_query(create) -%}
    {%- set this_run -%}
        select count(*) as markers from {{ rebuilt }}
        where ticket_id is null and invocation_id = '{{ invocation_id }}'
    {%- endset -%}
    {%- if run_query(this_run).columns[0].values()[0] == 0 -%}
        {%- do run_query('delete from ' ~ rebuilt) -%}
        {%- set record -%}
            insert into {{ rebuilt }} (ticket_id, invocation_id)
            select cast(null as {{ dbt.type_string() }}), '{{ invocation_id }}'
            union all
            select rebuild.ticket_id, '{{ invocation_id }}'
            from ({{ flowmetrics.tickets_to_rebuild(settings) }}) as rebuild
        {%- endset -%}
        {%- do run_query(record) -%}
    {%- endif -%}
    {{ return(rebuilt) }}
{%- endmacro %}


{#- The incremental strategy of the ticket-grained models: replace_tickets where rows can be deleted, else the
    engine's whole-table rewrite. -#}
{% macro ticket_incremental_strategy() -%}
    {{ return(adapter.dispatch('ticket_incremental_strategy', 'flowmetrics')()) }}
{%- endmacro %}

{% macro default__ticket_incremental_strategy() -%}
    {{ return('replace_tickets') }}
{%- endmacro %}

{#- Spark on Parquet tables cannot delete rows: insert_overwrite without partitions rewrites the whole table
    atomically, so an incremental run there recomputes everything (correct, not cheaper). -#}
{% macro spark__ticket_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro rebuilds_whole_table() -%}
    {{ return(flowmetrics.ticket_incremental_strategy() != 'replace_tickets') }}
{%- endmacro %}


{#- The replace_tickets incremental strategy: delete every row of the tickets to rebuild, insert their new rows.
    The delete uses the same scope as the model's filter, so a ticket that now has no rows (e.g. a late change
    turned its only transition into a reassignment) loses its old ones. The scope is recorded once per model and
    run, in <model>__rebuilt_tickets (record_tickets_to_rebuild; the model's filter recorded it as it compiled): the
    filters and the delete read it, and so do the data tests of this run, which test only the rows rebuilt
    (macros/incremental/scoped_tests.sql). -#}
{% macro get_incremental_replace_tickets_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- if key != 'ticket_id' -%}
        {{ exceptions.raise_compiler_error("replace_tickets needs unique_key='ticket_id' on " ~ target) }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set rebuilt = flowmetrics.record_tickets_to_rebuild() %}
    delete from {{ target }}
    where {{ key }} in (
        select rebuilt.ticket_id from {{ rebuilt }} as rebuilt
        where rebuilt.ticket_id is not null
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}


{#- An incremental run only recomputes tickets that changed; an as-of earlier than rows already built would leave
    rows from after it, so it needs a full refresh. (`flowmetrics build --as-of` adds --full-refresh itself.) -#}
{% macro assert_as_of_not_moved_back(settings) -%}
    {%- if not execute or model.resource_type != 'model' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark = flowmetrics.rebuild_settings(settings).watermark -%}
    {%- set check -%}
        select count(*) as rows_after_as_of
        from {{ this }} as built
        where built.{{ watermark }} > {{ flowmetrics.as_of() }}
    {%- endset -%}
    {%- set rows_after = run_query(check).columns[0].values()[0] -%}
    {%- if rows_after > 0 -%}
        {{ exceptions.raise_compiler_error(
            this ~ " holds " ~ rows_after ~ " row(s) after the as-of of this run: the as-of moved back. "
            ~ "An incremental run cannot remove them; rebuild with `dbt build --full-refresh` "
            ~ "(flowmetrics build --as-of does this itself).") }}
    {%- endif -%}
{%- endmacro %}


{#- The stage, kind and order of every status are stored in the built intervals; an incremental run recomputes only
    some tickets, so a changed status map (a new raw.status_map, or a new default seed) needs a full refresh.
    Checks the statuses already built against the map in force (`mappings`: int_status_mappings_resolved). -#}
{% macro assert_status_map_unchanged(mappings) -%}
    {%- if not execute or model.resource_type != 'model' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set check -%}
        select count(*) as remapped_statuses
        from (select distinct status, stage, stage_kind, stage_order from {{ this }}) as built
        left join {{ mappings }} as mapping
            on built.status = mapping.raw_status
        where
            built.stage is distinct from coalesce(mapping.stage, 'unmapped')
            or built.stage_kind is distinct from coalesce(mapping.stage_kind, 'unmapped')
            or built.stage_order is distinct from mapping.stage_order
    {%- endset -%}
    {%- set remapped = run_query(check).columns[0].values()[0] -%}
    {%- if remapped > 0 -%}
        {{ exceptions.raise_compiler_error(
            "the status map changed since " ~ this ~ " was built (" ~ remapped ~ " status(es) map to another "
            ~ "stage, kind or order): rebuild with `dbt build --full-refresh`.") }}
    {%- endif -%}
{%- endmacro %}
