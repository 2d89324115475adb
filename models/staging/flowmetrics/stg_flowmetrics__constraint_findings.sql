{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

{#- A table, not a view like the other staging models: DuckDB cannot bind a view over schema "flowmetrics" of a
    file named flowmetrics.duckdb (catalog and schema share the name: "ambiguous reference"), a table it can. -#}
{{ config(materialized='table') }}

with

source as (

    select * from {{ raw_source('flowmetrics', 'constraint_findings') }}

),

renamed as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(detected_at as {{ dbt.type_timestamp() }}) as detected_at,
        cast(as_of as {{ dbt.type_timestamp() }}) as as_of,
        cast(scope as {{ dbt.type_string() }}) as scope,
        cast(window_start as {{ dbt.type_timestamp() }}) as window_start,
        cast(window_end as {{ dbt.type_timestamp() }}) as window_end,
        cast(window_days as {{ dbt.type_bigint() }}) as window_days,
        cast(constraint_stage as {{ dbt.type_string() }}) as constraint_stage,
        cast(constraint_team as {{ dbt.type_string() }}) as constraint_team,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(confidence as {{ type_double() }}) as confidence,
        cast(shifted_from_stage as {{ dbt.type_string() }}) as shifted_from_stage
    from source

)

select * from renamed
