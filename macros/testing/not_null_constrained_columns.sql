{#- The columns of the model a not_null_columns test reads whose YAML declares a not_null or primary_key
    constraint (called from the test, so `model` here is the test's node). -#}
{% macro not_null_constrained_columns() -%}
    {%- if not execute -%}
        {{ return(['_']) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set columns = [] -%}
    {%- for column in (tested.columns.values() if tested else []) -%}
        {%- if column.constraints | selectattr('type', 'in', ['not_null', 'primary_key']) | list -%}
            {%- do columns.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error(
            'not_null_columns on ' ~ (tested.name if tested else model.attached_node)
            ~ ': the model declares no not_null constraint on any column') }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}
