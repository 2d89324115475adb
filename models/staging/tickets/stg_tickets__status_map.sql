{{ config(enabled=flowmetrics.flowmetrics_domain_enabled('flow')) }}

with

source as (

    select * from {{ raw_source('tickets', 'status_map') }}

),

renamed as (

    select
        cast(raw_status as {{ dbt.type_string() }}) as raw_status,
        cast(stage as {{ dbt.type_string() }}) as stage,
        lower(cast(stage_kind as {{ dbt.type_string() }})) as stage_kind,
        cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(_file_row as {{ dbt.type_bigint() }}) as map_order
    from source

)

select * from renamed
