{#- One row per UTC day from 2000-01-01 to 2099-12-31: MetricFlow's day time spine. The semantic layer joins to it
    for metric_time and for periods without rows; a fixed range keeps it independent of the data (36,525 rows). -#}
{{ config(materialized='table') }}

with

spine_days as (

    {{ flowmetrics.flowmetrics_date_spine("cast('2000-01-01' as date)", "cast('2099-12-31' as date)") }}

),

final as (

    select cast(date_day as date) as date_day
    from spine_days

)

select * from final
