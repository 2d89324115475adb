{#- Ticket keys a free text names (`WEB-12` in a pull request's title, branch or commit message), for deploys of a
    code host shipping tickets of a tracker (Jira, Linear, the contract) whose ticket_key is the key. The one rule:
    - a key is a project key of 2 to 10 upper-case letters and digits starting with a letter, `-`, digits (`WEB-12`,
      `A1-7`); case is kept (`web-15` names nothing);
    - not inside a longer word: not preceded by a letter, digit, `_`, `.` or `-` (not `abcWEB-12`, `v1.2-3`,
      `X-WEB-1`) and not continued by a letter or digit (not `WEB-12a`); a `/` may precede it and any other
      character follow it (`feature/WEB-13-login`, `[WEB-12]`, `WEB-12:`, `WEB-12_fix`);
    - not inside a URL: a word starting with `<scheme>://` is skipped whole (`https://x.atlassian.net/browse/WEB-12`
      links a page; it does not say the change ships the ticket);
    - not a standard's or algorithm's name: keys whose project is in var ticket_key_ignored_projects (default below:
      `UTF-8`, `ISO-8601`, `SHA-256`, `RFC-3339`…) are not keys. -#}

{#- The shape of a key (a regular expression; RE2, PostgreSQL and Java read it alike). -#}
{% macro ticket_key_pattern() -%}
    {{ return('[A-Z][A-Z0-9]{1,9}-[0-9]+') }}
{%- endmacro %}

{#- The project keys that are never ticket keys. -#}
{% macro ticket_key_ignored_projects(chosen=var('ticket_key_ignored_projects', none)) -%}
    {%- if chosen is none -%}
        {{ return(['AES', 'CVE', 'ISO', 'RFC', 'RSA', 'SHA', 'UTF']) }}
    {%- endif -%}
    {%- if chosen is string or chosen is mapping or chosen is not iterable -%}
        {{ exceptions.raise_compiler_error("var ticket_key_ignored_projects must be a list of project keys (e.g. [UTF, ISO]); got " ~ chosen) }}
    {%- endif -%}
    {{ return(chosen | map('string') | list) }}
{%- endmacro %}

{#- The CTEs finding the keys a deploy's texts name. Input CTE `texts` (deploy_id, reference_text); last CTE
    `found_ticket_keys` (deploy_id, ticket_key), one row per deploy per key. -#}
{% macro ticket_key_ctes(texts) -%}
    {%- set ignored = flowmetrics.ticket_key_ignored_projects() -%}
strip_urls as (

    select
        deploy_id,
        {{ flowmetrics.replace_pattern('reference_text', '[A-Za-z][A-Za-z0-9+.-]*://\\S*', ' ') }} as key_text
    from {{ texts }}
    where reference_text is not null

),

extract_key_candidates as (

    select
        deploy_id,
        {{ flowmetrics.regex_all_matches('key_text',
            '(?:^|[^A-Za-z0-9_.-])(' ~ flowmetrics.ticket_key_pattern() ~ '[A-Za-z0-9]*)') }} as candidate_key
    from strip_urls

),

found_ticket_keys as (

    select distinct
        deploy_id,
        candidate_key as ticket_key
    from extract_key_candidates
    where
        {{ flowmetrics.regex_contains('candidate_key',
            flowmetrics.quoted_literal('^' ~ flowmetrics.ticket_key_pattern() ~ '$')) }}
        {%- if ignored | length > 0 %}
            and {{ dbt.split_part('candidate_key', "'-'", 1) }} not in (
                {%- for project in ignored %}{{ flowmetrics.quoted_literal(project) }}{{ ", " if not loop.last }}{% endfor -%}
            )
        {%- endif %}

)
{%- endmacro %}
