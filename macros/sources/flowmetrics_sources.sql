{#- Where the contract relations come from: var flowmetrics_sources, a list of {name, adapter, schema}; the contract
    source may add `loaded_at`: the load-time column of its tables when another tool lands them (default ingest's
    _loaded_at stamp).

    The `contract` adapter is the raw contract tables (schema var raw_schema, written by `flowmetrics ingest`); its ids
    are kept as they are. Every other adapter is a folder of staging models (models/staging/<adapter>/) that turn a
    connector's own tables into the contract's relations with the connector's native ids; the staged relations
    (stg_tickets__*, stg_deploys__*) union every source and prefix an adapter's ids with `<source name>:`, so adding
    a second source later changes no id. An adapter serves one source per project. -#}

{#- The adapters and the contract entities each produces (model stg_<adapter>__<entity> for every one but the
    contract, whose entities are the raw tables). The one list of adapters: models, unions and tests read it. -#}
{% macro source_adapters() -%}
    {{ return({
        'contract': ['tickets', 'ticket_status_changes', 'ticket_loads', 'deploys', 'deploy_tickets', 'incidents'],
        'fivetran_jira': ['tickets', 'ticket_status_changes', 'statuses', 'ticket_attributes', 'ticket_loads'],
        'airbyte_jira': ['tickets', 'ticket_status_changes', 'statuses', 'ticket_attributes', 'ticket_loads'],
        'fivetran_github': ['tickets', 'ticket_status_changes', 'statuses', 'ticket_attributes', 'deploys', 'deploy_tickets', 'deploy_ticket_keys', 'ticket_loads'],
        'airbyte_github': ['tickets', 'ticket_status_changes', 'statuses', 'ticket_attributes', 'deploys', 'deploy_tickets', 'deploy_ticket_keys', 'ticket_loads'],
        'fivetran_linear': ['tickets', 'ticket_status_changes', 'statuses', 'ticket_attributes', 'ticket_loads'],
        'fivetran_gitlab': ['tickets', 'ticket_status_changes', 'statuses', 'ticket_attributes', 'deploys', 'deploy_tickets', 'deploy_ticket_keys', 'ticket_loads'],
    }) }}
{%- endmacro %}

{#- The id columns of each entity that an adapter's source name prefixes. -#}
{% macro source_entity_ids() -%}
    {{ return({
        'tickets': ['ticket_id'],
        'ticket_status_changes': ['change_id', 'ticket_id'],
        'deploys': ['deploy_id'],
        'deploy_tickets': ['deploy_id', 'ticket_id'],
        'deploy_ticket_keys': ['deploy_id'],
        'incidents': ['incident_id', 'caused_by_deploy_id'],
        'ticket_attributes': ['ticket_id'],
        'ticket_loads': ['ticket_id'],
        'statuses': [],
    }) }}
{%- endmacro %}

{#- The configured sources, checked: known adapters, names fit for ids, each name and adapter once. -#}
{% macro configured_sources() -%}
    {%- set entries = var('flowmetrics_sources', [{'name': 'raw', 'adapter': 'contract'}]) -%}
    {%- if entries is string -%}
        {#- given as YAML text (a linter's context, an environment variable) -#}
        {%- set entries = fromyaml(entries) -%}
    {%- endif -%}
    {%- set adapters = flowmetrics.source_adapters() -%}
    {%- if entries is none or entries is string or entries is mapping or entries | length == 0 -%}
        {{ exceptions.raise_compiler_error("var flowmetrics_sources must be a non-empty list of {name, adapter, schema}; got " ~ entries) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set used = [] -%}
    {%- set sources = [] -%}
    {%- for entry in entries -%}
        {%- if entry is not mapping or 'name' not in entry or 'adapter' not in entry -%}
            {{ exceptions.raise_compiler_error("each entry of var flowmetrics_sources needs a name and an adapter; got " ~ entry) }}
        {%- endif -%}
        {%- if entry.adapter not in adapters -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: unknown adapter '" ~ entry.adapter ~ "' (source " ~ entry.name ~ "); known: " ~ adapters.keys() | list | sort | join(', ')) }}
        {%- endif -%}
        {%- if not modules.re.match('^[a-z][a-z0-9_]*$', entry.name | string) -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: source name '" ~ entry.name ~ "' must be lower-case letters, digits and underscores, starting with a letter (it prefixes ids)") }}
        {%- endif -%}
        {%- if entry.name in names -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: source name '" ~ entry.name ~ "' appears twice") }}
        {%- endif -%}
        {%- if entry.adapter in used -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: adapter '" ~ entry.adapter ~ "' appears twice; an adapter serves one source per project") }}
        {%- endif -%}
        {%- if entry.adapter == 'contract' and entry.get('schema') and entry.schema != var('raw_schema', 'raw') -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: the contract source reads schema var raw_schema ('" ~ var('raw_schema', 'raw') ~ "'), not '" ~ entry.schema ~ "'; set raw_schema instead") }}
        {%- endif -%}
        {%- set loaded_at = entry.get('loaded_at', '_loaded_at') | string -%}
        {%- if 'loaded_at' in entry and entry.adapter != 'contract' -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: `loaded_at` names the load-time column of the contract's tables; adapter '" ~ entry.adapter ~ "' (source " ~ entry.name ~ ") reads its connector's own") }}
        {%- endif -%}
        {%- if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', loaded_at) -%}
            {{ exceptions.raise_compiler_error("var flowmetrics_sources: loaded_at '" ~ loaded_at ~ "' (source " ~ entry.name ~ ") must be a column name: letters, digits and underscores") }}
        {%- endif -%}
        {%- do names.append(entry.name) -%}
        {%- do used.append(entry.adapter) -%}
        {%- do sources.append({'name': entry.name, 'adapter': entry.adapter, 'loaded_at': loaded_at}) -%}
    {%- endfor -%}
    {{ return(sources) }}
{%- endmacro %}

{#- Whether an adapter's models are built: their domain (flow for tickets, dora for deploys) is enabled, and the
    adapter is configured or var flowmetrics_every_adapter is true (every adapter's models compiled, e.g. to lint
    them all; the staged relations still read only the configured sources).
    The config(enabled=...) of every model in an adapter's folder. -#}
{% macro source_adapter_enabled(adapter, domain='flow') -%}
    {%- if not flowmetrics.flowmetrics_domain_enabled(domain) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if var('flowmetrics_every_adapter', false) | string | lower in ['true', '1'] -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for source in flowmetrics.configured_sources() -%}
        {%- if source.adapter == adapter -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- The configured sources whose adapter produces an entity. -#}
{% macro sources_of(entity) -%}
    {%- set adapters = flowmetrics.source_adapters() -%}
    {%- set found = [] -%}
    {%- for source in flowmetrics.configured_sources() -%}
        {%- if entity in adapters[source.adapter] -%}
            {%- do found.append(source) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- One select per configured source producing `entity`, unioned: the given columns in order, the source's name as
    source_name, and an adapter's id columns prefixed with `<source name>:`. For the contract source the relation is
    the raw table `contract_source`.`entity` (an empty typed relation when absent) and `renames` maps an output
    column to the raw column it comes from; an adapter's model has the output columns already. No configured source
    produces it: the contract table's empty typed relation when the entity is a contract table, else text nulls. -#}
{% macro union_sources(entity, columns, contract_source=none, renames={}) -%}
    {%- set ids = flowmetrics.source_entity_ids().get(entity, []) -%}
    {%- set selects = [] -%}
    {%- for source in flowmetrics.sources_of(entity) -%}
        {%- set items = [flowmetrics.quoted_literal(source.name) ~ " as source_name"] -%}
        {%- if source.adapter == 'contract' -%}
            {%- set relation = flowmetrics.raw_source(contract_source, entity) -%}
            {%- for column in columns -%}
                {%- do items.append(renames.get(column, column) ~ " as " ~ column) -%}
            {%- endfor -%}
        {%- else -%}
            {%- set relation = ref('stg_' ~ source.adapter ~ '__' ~ entity) -%}
            {%- for column in columns -%}
                {%- if column in ids -%}
                    {%- do items.append(flowmetrics.source_prefixed_id(source, column) ~ " as " ~ column) -%}
                {%- else -%}
                    {%- do items.append(column ~ " as " ~ column) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do selects.append("select " ~ items | join(", ") ~ " from " ~ relation) -%}
    {%- endfor -%}
    {%- if selects | length == 0 and execute -%}
        {%- set items = ["cast(null as " ~ dbt.type_string() ~ ") as source_name"] -%}
        {%- if contract_source is not none -%}
            {%- for column in columns -%}
                {%- do items.append(renames.get(column, column) ~ " as " ~ column) -%}
            {%- endfor -%}
            {%- set relation = flowmetrics.empty_raw_relation(contract_source, entity) -%}
        {%- else -%}
            {%- for column in columns -%}
                {%- do items.append("cast(null as " ~ dbt.type_string() ~ ") as " ~ column) -%}
            {%- endfor -%}
            {%- set relation = "(select 1 as none_configured) as none_configured" -%}
        {%- endif -%}
        {%- do selects.append("select " ~ items | join(", ") ~ " from " ~ relation ~ " where 1 = 0") -%}
    {%- endif -%}
    {{ return(selects | join("\n    union all\n    ")) }}
{%- endmacro %}

{#- One select per configured source of the load times of its raw rows about tickets (stg_tickets__ticket_loads):
    source_name, ticket_id, loaded_at; for the
    contract source its tickets and ticket_status_changes tables' load column (the source entry's `loaded_at`,
    default ingest's _loaded_at stamp), for an adapter its stg_<adapter>__ticket_loads with the ticket id prefixed.
    A source without load times (an adapter that gives none) adds no row: its tickets fall back to the event-time
    lookback of the incremental rule. -#}
{% macro union_ticket_loads() -%}
    {%- set selects = [] -%}
    {%- for source in flowmetrics.sources_of('ticket_loads') -%}
        {%- set name = flowmetrics.quoted_literal(source.name) -%}
        {%- if source.adapter == 'contract' -%}
            {%- for table in ['tickets', 'ticket_status_changes'] -%}
                {%- do selects.append("select " ~ name ~ " as source_name, ticket_id, " ~ source.loaded_at
                    ~ " as loaded_at from " ~ flowmetrics.raw_source('tickets', table)) -%}
            {%- endfor -%}
        {%- else -%}
            {%- set ids = flowmetrics.source_entity_ids()['ticket_loads'] -%}
            {%- set ticket_id = flowmetrics.source_prefixed_id(source, 'ticket_id') if 'ticket_id' in ids else 'ticket_id' -%}
            {%- do selects.append("select " ~ name ~ " as source_name, " ~ ticket_id
                ~ " as ticket_id, loaded_at from " ~ ref('stg_' ~ source.adapter ~ '__ticket_loads')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if selects | length == 0 -%}
        {%- do selects.append("select cast(null as " ~ dbt.type_string() ~ ") as source_name, cast(null as "
            ~ dbt.type_string() ~ ") as ticket_id, cast(null as " ~ dbt.type_timestamp() ~ ") as loaded_at "
            ~ "from (select 1 as none_configured) as none_configured where 1 = 0") -%}
    {%- endif -%}
    {{ return(selects | join("\n    union all\n    ")) }}
{%- endmacro %}

{#- An adapter's native id column as the staged relations hold it: `<source name>:<native id>`. -#}
{% macro source_prefixed_id(source, column) -%}
    {{ return(dbt.concat([flowmetrics.quoted_literal(source.name ~ ':'), "cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")"])) }}
{%- endmacro %}
