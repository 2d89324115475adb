{#- Contracted models declare column data_type in one vocabulary on every engine: varchar, double, bigint,
    timestamp, boolean (DuckDB's names). dbt checks a contract by casting null to each declared type on the engine
    and comparing the result with the model's columns, and Postgres creates contracted tables from the declared
    types; Postgres has no `double` and Spark no `varchar` without a length. These overrides of dbt's
    get_empty_schema_sql (Postgres, Spark) and get_table_columns_and_constraints (Postgres) translate the declared
    names first, so the YAML stays the same everywhere. -#}

{% macro contract_data_type(data_type) -%}
    {{ return(adapter.dispatch('contract_data_type', 'flowmetrics')(data_type)) }}
{%- endmacro %}

{% macro default__contract_data_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro postgres__contract_data_type(data_type) -%}
    {#- dbt.type_string() is text on Postgres: a varchar column would differ from the incremental runs' text -#}
    {%- set names = {'double': 'double precision', 'varchar': 'text', 'string': 'text'} -%}
    {{ return(names.get(data_type | lower | trim, data_type)) }}
{%- endmacro %}

{% macro spark__contract_data_type(data_type) -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'double precision': 'double', 'float8': 'double'} -%}
    {{ return(names.get(data_type | lower | trim, data_type)) }}
{%- endmacro %}

{#- The model's YAML columns with each data_type translated for this engine (a copy: the model is untouched). -#}
{% macro columns_with_engine_types(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = dict(column) -%}
        {%- if copy.get('data_type') -%}
            {%- do copy.update({'data_type': flowmetrics.contract_data_type(copy['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(translated) }}
{%- endmacro %}

{% macro postgres__get_empty_schema_sql(columns) -%}
    {{ return(dbt.default__get_empty_schema_sql(flowmetrics.columns_with_engine_types(columns))) }}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {{ return(dbt.default__get_empty_schema_sql(flowmetrics.columns_with_engine_types(columns))) }}
{%- endmacro %}

{#- dbt's table_columns_and_constraints, with the translated types: the DDL of a contracted table on Postgres. -#}
{% macro postgres__get_table_columns_and_constraints() -%}
    {%- set columns = flowmetrics.columns_with_engine_types(model['columns']) -%}
    {%- set raw_column_constraints = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
    {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model['constraints']) -%}
    (
    {% for c in raw_column_constraints -%}
        {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{%- endmacro %}
