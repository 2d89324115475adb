{#- The UTC calendar day (a date) of a timestamp. Timestamps in this project are UTC without a zone, so this is a
    cast; on Spark the session time zone must be UTC (spark.sql.session.timeZone). -#}
{% macro utc_date(timestamp_expression) -%}
    {{ return(adapter.dispatch('utc_date', 'flowmetrics')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp_expression) -%}
    cast({{ timestamp_expression }} as date)
{%- endmacro %}

{% macro bigquery__utc_date(timestamp_expression) -%}
    date({{ timestamp_expression }})
{%- endmacro %}

{#- The first day of the calendar month (a date) of a timestamp or date. -#}
{% macro month_start(timestamp_expression) -%}
    {{ return(flowmetrics.utc_date(dbt.date_trunc('month', timestamp_expression))) }}
{%- endmacro %}

{#- The Monday (a date) that starts the ISO week of a timestamp or date: weeks run Monday 00:00:00 to Sunday
    23:59:59.999999 UTC. date_trunc('week') is ISO (Monday) on DuckDB, Postgres, Spark and Snowflake (with
    the default WEEK_START = 0); BigQuery's 'week' starts on Sunday, hence the dispatch. -#}
{% macro flowmetrics_iso_week_start(timestamp_expression) -%}
    {{ return(adapter.dispatch('flowmetrics_iso_week_start', 'flowmetrics')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__flowmetrics_iso_week_start(timestamp_expression) -%}
    cast({{ dbt.date_trunc('week', timestamp_expression) }} as date)
{%- endmacro %}

{% macro bigquery__flowmetrics_iso_week_start(timestamp_expression) -%}
    date_trunc(date({{ timestamp_expression }}), isoweek)
{%- endmacro %}

{#- A query (usable as a subquery or CTE body) with one row per calendar day, column date_day (a date), from
    start_date to end_date inclusive. Both are scalar SQL expressions (a subquery is fine) of type date.
    The default cross-joins 16 two-row tables (at most 65,536 days, about 179 years) and adds days with
    dbt.dateadd, so it runs on any engine; DuckDB uses generate_series. -#}
{% macro flowmetrics_date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('flowmetrics_date_spine', 'flowmetrics')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__flowmetrics_date_spine(start_date, end_date) -%}
    select
        cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'spine_bounds.start_date') }} as date) as date_day
    from (
        select
            {{ start_date }} as start_date,
            {{ end_date }} as end_date
    ) as spine_bounds
    cross join (
        select
            {%- for bit in range(16) %}
            bit_{{ bit }}.b * {{ 2 ** bit }}{{ ' +' if not loop.last }}
            {%- endfor %}
            as day_number
        from
            {%- for bit in range(16) %}
            (select 0 as b union all select 1 as b) as bit_{{ bit }}{{ ',' if not loop.last }}
            {%- endfor %}
    ) as day_numbers
    where day_numbers.day_number <= {{ dbt.datediff('spine_bounds.start_date', 'spine_bounds.end_date', 'day') }}
{%- endmacro %}

{% macro duckdb__flowmetrics_date_spine(start_date, end_date) -%}
    select cast(spine_days.generate_series as date) as date_day
    from (
        select
            cast({{ start_date }} as timestamp) as start_at,
            cast({{ end_date }} as timestamp) as end_at
    ) as spine_bounds,
        generate_series(spine_bounds.start_at, spine_bounds.end_at, interval 1 day) as spine_days
{%- endmacro %}
