{#- Nightly incremental builds of the exposures aggregate recompute whole experiments.

    A unit's first variant, the variants it saw and its exposure count depend on all its exposures, and an
    experiment's units are what its SRM test counts, so an incremental run recomputes every unit of each experiment
    that may have changed and replaces that experiment's rows (strategy delete+insert on experiment_id). An
    experiment is recomputed when
      1. it has an exposure at or after the cutoff: the latest first exposure already built minus
         var('incremental_lookback_days') (new exposures, and late ones that arrive within the lookback);
      2. the planned variants changed so that a built unit's is_first_variant_planned no longer holds.
    Experiments that stopped exposing units long ago (most of them, in a mature program) are left as built. A late
    exposure older than the cutoff is picked up by the next `--full-refresh`. An as-of moved back stops the run with
    a message asking for `--full-refresh` (assert_as_of_not_moved_back). -#}


{#- `column in (experiments to rebuild)` in an incremental run, `true` otherwise (full refresh, first build, or an
    engine whose incremental strategy rewrites the whole table). -#}
{% macro experiment_rebuild_filter(column, incremental) -%}
    {%- if not execute -%}
        {%- do ref('stg_experiments__exposures') -%}
        {%- do ref('stg_experiments__variants') -%}
        {%- do ref('int_as_of_resolved') -%}
    {%- endif -%}
    {%- if incremental and not flowmetrics.rebuilds_whole_table() -%}
        {%- do flowmetrics.assert_as_of_not_moved_back({'watermark': 'first_exposed_at'}) -%}
        {{ column }} in ({{ flowmetrics.experiments_to_rebuild() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- A subquery of the experiment_ids to recompute (see the top of this file); it reads {{ this }} as the previous
    run left it. -#}
{% macro experiments_to_rebuild() -%}
    {%- set exposures = ref('stg_experiments__exposures') -%}
    {%- set variants = ref('stg_experiments__variants') -%}
    {%- set cutoff = flowmetrics.rebuild_cutoff('first_exposed_at') -%}
    select exposed.experiment_id from {{ exposures }} as exposed
    where coalesce(exposed.exposed_at >= {{ cutoff }}, true)
    union
    select built.experiment_id from {{ this }} as built
    left join {{ variants }} as planned
        on
            built.experiment_id = planned.experiment_id
            and built.first_variant = planned.variant
            and planned.planned_weight > 0
    where built.is_first_variant_planned != (planned.variant is not null)
{%- endmacro %}


{#- The incremental strategy of the experiment-grained aggregate: delete+insert on experiment_id, or the engine's
    whole-table rewrite where rows cannot be deleted (Spark on Parquet). -#}
{% macro experiment_incremental_strategy() -%}
    {%- if flowmetrics.rebuilds_whole_table() -%}
        {{ return(flowmetrics.ticket_incremental_strategy()) }}
    {%- endif -%}
    {{ return('delete+insert') }}
{%- endmacro %}
