{#- A raw contract table, or an empty typed relation when the (optional) table does not exist in the warehouse,
    so that absent optional tables give empty marts instead of a failed build. A table landed by another tool
    without ingest's load stamps (source columns with meta load_stamp) reads them as NULL.
    The column types come from the source's YAML (data_type holds the contract's logical type). -#}
{% macro raw_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute -%}
        {%- set existing = load_relation(relation) -%}
        {%- if existing is none -%}
            {{ return(flowmetrics.empty_raw_relation(source_name, table_name)) }}
        {%- endif -%}
        {%- set present = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = [] -%}
        {%- for column in flowmetrics.raw_source_columns(source_name, table_name) -%}
            {%- if (column.meta or {}).get('load_stamp') and column.name | lower not in present -%}
                {%- do missing.append("cast(null as " ~ flowmetrics.logical_type(column.data_type) ~ ") as " ~ column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ return("(select *, " ~ missing | join(", ") ~ " from " ~ relation ~ ") as unstamped_" ~ table_name) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#- The columns the sources YAML declares for one table. -#}
{% macro raw_source_columns(source_name, table_name) -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {{ return(node.columns.values() | list) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return([]) }}
{%- endmacro %}

{% macro empty_raw_relation(source_name, table_name) -%}
    {%- set columns = [] -%}
    {%- for column in flowmetrics.raw_source_columns(source_name, table_name) -%}
        {%- do columns.append("cast(null as " ~ flowmetrics.logical_type(column.data_type) ~ ") as " ~ column.name) -%}
    {%- endfor -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("source " ~ source_name ~ "." ~ table_name ~ " declares no columns") }}
    {%- endif -%}
    {{ return("(select " ~ columns | join(", ") ~ " where 1 = 0) as absent_" ~ table_name) }}
{%- endmacro %}

{#- The engine's type for a logical contract type (string, timestamp, boolean, integer, double). -#}
{% macro logical_type(name) -%}
    {%- set types = {
        'string': dbt.type_string(),
        'timestamp': dbt.type_timestamp(),
        'boolean': dbt.type_boolean(),
        'integer': dbt.type_bigint(),
        'double': flowmetrics.type_double(),
    } -%}
    {%- if name not in types -%}
        {{ exceptions.raise_compiler_error("unknown logical type " ~ name ~ "; expected one of " ~ types.keys() | list | join(', ')) }}
    {%- endif -%}
    {{ return(types[name]) }}
{%- endmacro %}
