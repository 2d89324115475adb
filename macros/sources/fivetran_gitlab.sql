{#- The label prefix whose labels are an issue's status in the fivetran_gitlab adapter (var
    gitlab_status_label_prefix, default GitLab's scoped-label scope `workflow::`): while an open issue carries
    `workflow::in dev`, its status is `in dev`. -#}
{% macro gitlab_status_label_prefix() -%}
    {%- set prefix = var('gitlab_status_label_prefix', 'workflow::') | string -%}
    {%- if prefix | length == 0 -%}
        {{ exceptions.raise_compiler_error("var gitlab_status_label_prefix must not be empty (every label would be a status); default 'workflow::'") }}
    {%- endif -%}
    {{ return(prefix) }}
{%- endmacro %}

{#- A reference to an issue of the same project in a merge request's text, `#<iid>` (capture: the iid): a `#` not
    preceded by a letter, digit, `_`, `/`, `#`, `&` or `!`, then digits no letter, digit or `_` continues. -#}
{% macro gitlab_issue_reference_pattern() -%}
    {{ return('(?:^|[^A-Za-z0-9_/#&!])#([0-9]+)\\b') }}
{%- endmacro %}
