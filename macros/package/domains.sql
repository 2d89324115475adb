{#- Whether a domain's models, tests and seeds are built: var flowmetrics_<domain>_enabled (flow, experiments,
    dora; see dbt_project.yml). The config(enabled=...) of every model of the domain, read when dbt parses, so a
    host project's `vars:` and `--vars` both reach it (a package's dbt_project.yml is rendered without them).
    DORA joins deploys to the flow marts' work items: DORA enabled with flow disabled is refused. -#}
{% macro flowmetrics_domain_enabled(domain) -%}
    {%- set domains = flowmetrics.flowmetrics_domains() -%}
    {%- if domain not in domains -%}
        {{ exceptions.raise_compiler_error("flowmetrics_domain_enabled: unknown domain '" ~ domain ~ "'; known: " ~ domains | join(', ')) }}
    {%- endif -%}
    {%- set enabled = flowmetrics.flowmetrics_flag('flowmetrics_' ~ domain ~ '_enabled') -%}
    {%- if domain == 'dora' and enabled and not flowmetrics.flowmetrics_flag('flowmetrics_flow_enabled') -%}
        {{ exceptions.raise_compiler_error("var flowmetrics_dora_enabled is true but flowmetrics_flow_enabled is false: DORA's lead times and incidents read the flow marts (fct_work_items); set flowmetrics_dora_enabled: false too") }}
    {%- endif -%}
    {{ return(enabled) }}
{%- endmacro %}

{#- A boolean var, also when given as text (`--vars` from a shell, an environment variable): true/false, 1/0. -#}
{% macro flowmetrics_flag(name) -%}
    {%- set value = var(name) -%}
    {%- set text = value | string | lower | trim -%}
    {%- if text in ['true', '1', 'yes'] -%}
        {{ return(true) }}
    {%- elif text in ['false', '0', 'no'] -%}
        {{ return(false) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("var " ~ name ~ " must be true or false; got '" ~ value ~ "'") }}
{%- endmacro %}

{#- The domains, in the order the build depends on them (dora reads flow). -#}
{% macro flowmetrics_domains() -%}
    {{ return(['flow', 'experiments', 'dora']) }}
{%- endmacro %}
