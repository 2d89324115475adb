{#- Nightly incremental builds of the exposures aggregate recompute whole experiments.

    A unit's first variant, the variants it saw and its exposure count depend on all its exposures, and an
    experiment's units are what its SRM test counts, so an incremental run recomputes every unit of each experiment
    that changed and replaces that experiment's rows (strategy delete+insert on experiment_id). An experiment is
    recomputed when
      1. its exposures up to the as-of are not the ones built, whatever their exposed_at: the count and the sum of
         row_fingerprint(unit_id, variant, exposed_at) over its staged exposures differ from the sums of the
         aggregate's exposures and exposures_fingerprint columns (new exposures, late ones of any age, and
         exposures the moving as-of now includes);
      2. the planned variants changed so that a built unit's is_first_variant_planned no longer holds.
    Experiments whose exposures did not change (most of them, in a mature program) are left as built. The price is
    one grouped scan of the staged exposures per run. raw.experiment_exposures is append-only, so the count alone
    catches every late exposure; the fingerprint also catches rows edited in place. An experiment whose exposures
    were all deleted from raw keeps its rows until a `--full-refresh` (assert_no_late_exposures_missed fails on
    it). An as-of moved back stops the run with a message asking for `--full-refresh`
    (assert_as_of_not_moved_back). -#}


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
    select coalesce(staged.experiment_id, built.experiment_id) as experiment_id
    from (
        select
            exposed.experiment_id,
            count(*) as exposures,
            sum({{ flowmetrics.row_fingerprint(['exposed.unit_id', 'exposed.variant', 'exposed.exposed_at']) }})
                as exposures_fingerprint
        from {{ exposures }} as exposed
        where exposed.exposed_at <= {{ flowmetrics.as_of() }}
        group by exposed.experiment_id
    ) as staged
    full outer join (
        select
            units.experiment_id,
            sum(units.exposures) as exposures,
            sum(units.exposures_fingerprint) as exposures_fingerprint
        from {{ this }} as units
        group by units.experiment_id
    ) as built
        on staged.experiment_id = built.experiment_id
    where
        staged.exposures is distinct from built.exposures
        or staged.exposures_fingerprint is distinct from built.exposures_fingerprint
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
