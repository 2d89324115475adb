{#- A timestamp with a UTC offset (text such as Jira's '2024-01-05T10:00:00.000-0500', or a timestamp with time zone)
    as a timestamp without time zone in UTC, whatever the session's time zone. -#}
{% macro utc_timestamp(value) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'flowmetrics')(value)) }}
{%- endmacro %}

{% macro default__utc_timestamp(value) -%}
    cast(cast({{ value }} as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__utc_timestamp(value) -%}
    make_timestamp(epoch_us(cast({{ value }} as timestamptz)))
{%- endmacro %}

{% macro spark__utc_timestamp(value) -%}
    to_utc_timestamp(cast({{ value }} as timestamp), current_timezone())
{%- endmacro %}
