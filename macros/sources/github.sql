{#- The rules GitHub adapters (fivetran_github, airbyte_github) share: how an issue's status, type and AI flag come
    from its state and labels, which deployment status ends a deploy, and which tickets a deploy ships. Each adapter
    shapes the connector's tables into the CTE columns named below and pastes these CTEs into its models. -#}

{#- The status names of an issue's state: open (no status label on), closed, closed as not planned. Var
    github_state_statuses overrides any of them, e.g. {open: Backlog, closed: Done, not_planned: "Won't Do"}. -#}
{% macro github_state_statuses(chosen=var('github_state_statuses', {})) -%}
    {%- if chosen is not mapping -%}
        {{ exceptions.raise_compiler_error("var github_state_statuses must be a mapping of open, closed, not_planned to status names; got " ~ chosen) }}
    {%- endif -%}
    {%- set statuses = {'open': 'Open', 'closed': 'Closed', 'not_planned': 'Not planned'} -%}
    {%- for state, status in chosen.items() -%}
        {%- if state not in statuses -%}
            {{ exceptions.raise_compiler_error("var github_state_statuses: unknown state '" ~ state ~ "'; known: closed, not_planned, open") }}
        {%- endif -%}
        {%- do statuses.update({state: status | string}) -%}
    {%- endfor -%}
    {{ return(statuses) }}
{%- endmacro %}

{#- The status a label puts an open issue in, or null. Var github_status_labels maps label names (any case) to
    status names, e.g. {"status: in progress": "In Progress"}; unset, a label named `status: <name>` puts the issue
    in status <name>. -#}
{% macro github_label_status(label_name, scheme=var('github_status_labels', none)) -%}
    {%- if scheme is none or scheme == '' -%}
        case when lower(trim({{ label_name }})) like 'status:%' then trim(substr(trim({{ label_name }}), 8)) end
    {%- elif scheme is mapping and scheme | length > 0 -%}
        case lower(trim({{ label_name }}))
        {%- for label, status in scheme.items() %}
            when {{ flowmetrics.quoted_literal(label | string | trim | lower) }} then {{ flowmetrics.quoted_literal(status) }}
        {%- endfor %}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("var github_status_labels must be a non-empty mapping of label name to status name; got " ~ scheme) }}
    {%- endif -%}
{%- endmacro %}

{#- The ticket type a label gives: a label named `<prefix><type>` (var github_type_label_prefix, default `type:`). -#}
{% macro github_label_type(label_name) -%}
    {%- set prefix = var('github_type_label_prefix', 'type:') | string | lower -%}
    case
        when lower(trim({{ label_name }})) like {{ flowmetrics.quoted_literal(prefix ~ '%') }}
            then trim(substr(trim({{ label_name }}), {{ prefix | length + 1 }}))
    end
{%- endmacro %}

{#- Whether a ticket is AI-assisted from its labels: var github_ai_assisted_label names the label (any case); a
    ticket carrying it is AI-assisted, one without it is not. Unset: unknown (null) for every ticket. -#}
{% macro github_ai_assisted(has_label) -%}
    {%- if var('github_ai_assisted_label', '') -%}
        {{ has_label }}
    {%- else -%}
        cast(null as {{ dbt.type_boolean() }})
    {%- endif -%}
{%- endmacro %}

{% macro github_is_ai_label(label_name) -%}
    {%- if var('github_ai_assisted_label', '') -%}
        lower(trim({{ label_name }})) = {{ flowmetrics.quoted_literal(var('github_ai_assisted_label') | string | trim | lower) }}
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{#- A stable id of an event time: `<issue id>:<seconds since 1970>`. -#}
{% macro github_time_key(issue_id, event_at) -%}
    {{ dbt.concat([
        dbt.cast(issue_id, dbt.type_string()), "':'",
        dbt.cast(dbt.cast(flowmetrics.seconds_between(
            dbt.cast("'1970-01-01 00:00:00'", dbt.type_timestamp()), event_at), dbt.type_bigint()), dbt.type_string()),
    ]) }}
{%- endmacro %}

{#- The CTEs turning an issue's state and label events into status changes. Input CTEs:
    `issues` (issue_id, created_at, opened_by, is_closed_as_not_planned: the current closure's reason),
    `state_events` (issue_id, event_at, is_closed, actor, event_rank: order among events of one second),
    `label_events` (issue_id, event_at, label_name, is_labeled, actor, event_rank).
    The status at a time: the closed status (not_planned's for the issue's last closure when its reason says so)
    while closed; else the status of the status label put on last among those still on; else the open status.
    All events of one second count together, so swapping one status label for another is one change. The last
    CTE, `github_status_changes`, has the contract columns. -#}
{% macro github_status_change_ctes() -%}
    {%- set statuses = flowmetrics.github_state_statuses() -%}
status_label_events as (

    select
        issue_id,
        event_at,
        {{ flowmetrics.github_label_status('label_name') }} as label_status,
        lower(trim(label_name)) as label_key,
        is_labeled,
        actor,
        event_rank
    from label_events

),

status_labels_on as (

    select
        put_on.issue_id,
        put_on.label_status,
        put_on.event_at as on_at,
        put_on.event_rank as on_rank,
        min(taken_off.event_at) as off_at
    from status_label_events as put_on
    left join status_label_events as taken_off
        on
            put_on.issue_id = taken_off.issue_id
            and put_on.label_key = taken_off.label_key
            and not taken_off.is_labeled
            and (
                taken_off.event_at > put_on.event_at
                or (taken_off.event_at = put_on.event_at and taken_off.event_rank > put_on.event_rank)
            )
    where put_on.is_labeled and put_on.label_status is not null
    group by put_on.issue_id, put_on.label_status, put_on.event_at, put_on.event_rank

),

collect_event_times as (

    select issue_id, created_at as event_at, opened_by as actor, 0 as actor_priority from issues
    union all
    select issue_id, event_at, actor, 1 as actor_priority from state_events
    union all
    select issue_id, event_at, actor, case when is_labeled then 2 else 3 end as actor_priority
    from status_label_events
    where label_status is not null

),

rank_event_actors as (

    select
        collect_event_times.*,
        row_number() over (
            partition by collect_event_times.issue_id, collect_event_times.event_at
            order by collect_event_times.actor_priority, collect_event_times.actor
        ) as actor_rank
    from collect_event_times
    inner join issues
        on
            collect_event_times.issue_id = issues.issue_id
            and collect_event_times.event_at >= issues.created_at

),

event_times as (

    select
        issue_id,
        event_at,
        actor
    from rank_event_actors
    where actor_rank = 1

),

rank_state_at_times as (

    select
        event_times.issue_id,
        event_times.event_at,
        state_events.is_closed,
        row_number() over (
            partition by event_times.issue_id, event_times.event_at
            order by state_events.event_at desc, state_events.event_rank desc
        ) as recency,
        state_events.event_at as state_at,
        state_events.event_rank as state_rank
    from event_times
    inner join state_events
        on
            event_times.issue_id = state_events.issue_id
            and state_events.event_at <= event_times.event_at

),

last_state_events as (

    select
        issue_id,
        event_at,
        event_rank,
        row_number() over (partition by issue_id order by event_at desc, event_rank desc) as recency
    from state_events

),

state_at_times as (

    select
        rank_state_at_times.issue_id,
        rank_state_at_times.event_at,
        rank_state_at_times.is_closed,
        coalesce(
            last_state_events.recency = 1 and issues.is_closed_as_not_planned, false
        ) as is_closed_as_not_planned
    from rank_state_at_times
    inner join issues
        on rank_state_at_times.issue_id = issues.issue_id
    left join last_state_events
        on
            rank_state_at_times.issue_id = last_state_events.issue_id
            and rank_state_at_times.state_at = last_state_events.event_at
            and rank_state_at_times.state_rank = last_state_events.event_rank
    where rank_state_at_times.recency = 1

),

rank_labels_at_times as (

    select
        event_times.issue_id,
        event_times.event_at,
        status_labels_on.label_status,
        row_number() over (
            partition by event_times.issue_id, event_times.event_at
            order by status_labels_on.on_at desc, status_labels_on.on_rank desc, status_labels_on.label_status
        ) as recency
    from event_times
    inner join status_labels_on
        on
            event_times.issue_id = status_labels_on.issue_id
            and status_labels_on.on_at <= event_times.event_at
            and (status_labels_on.off_at is null or status_labels_on.off_at > event_times.event_at)

),

derive_statuses as (

    select
        event_times.issue_id,
        event_times.event_at,
        event_times.actor,
        case
            when state_at_times.is_closed_as_not_planned then {{ flowmetrics.quoted_literal(statuses.not_planned) }}
            when state_at_times.is_closed then {{ flowmetrics.quoted_literal(statuses.closed) }}
            else coalesce(rank_labels_at_times.label_status, {{ flowmetrics.quoted_literal(statuses.open) }})
        end as status
    from event_times
    left join state_at_times
        on
            event_times.issue_id = state_at_times.issue_id
            and event_times.event_at = state_at_times.event_at
    left join rank_labels_at_times
        on
            event_times.issue_id = rank_labels_at_times.issue_id
            and event_times.event_at = rank_labels_at_times.event_at
            and rank_labels_at_times.recency = 1

),

attach_previous_statuses as (

    select
        *,
        lag(status) over (partition by issue_id order by event_at) as previous_status
    from derive_statuses

),

github_status_changes as (

    select
        {{ flowmetrics.github_time_key('issue_id', 'event_at') }} as change_id,
        issue_id as ticket_id,
        event_at as changed_at,
        previous_status as from_status,
        status as to_status,
        actor as changed_by
    from attach_previous_statuses
    where previous_status is null or previous_status <> status

)
{%- endmacro %}

{#- The statuses an adapter declares, with GitHub's category: the open status todo, a status label's in_progress,
    closed done, closed as not planned canceled. Input CTE `github_status_changes`; last CTE `github_statuses`. -#}
{% macro github_status_ctes() -%}
    {%- set statuses = flowmetrics.github_state_statuses() -%}
collect_statuses as (

    select
        {{ flowmetrics.quoted_literal(statuses.not_planned) }} as raw_status,
        'canceled' as status_category,
        0 as precedence
    union all
    select {{ flowmetrics.quoted_literal(statuses.closed) }}, 'done', 1
    union all
    select {{ flowmetrics.quoted_literal(statuses.open) }}, 'todo', 2
    union all
    select distinct to_status, 'in_progress', 3 from github_status_changes

),

rank_statuses as (

    select
        *,
        row_number() over (partition by raw_status order by precedence) as status_rank
    from collect_statuses

),

github_statuses as (

    select
        raw_status,
        status_category
    from rank_statuses
    where status_rank = 1

)
{%- endmacro %}

{#- The CTEs turning deployments and their statuses into deploys. Input CTEs: `deployments` (deploy_id,
    repository_id, service, environment, commit_sha, created_at), `deployment_statuses` (deploy_id, state,
    status_at, status_rank: order among statuses of one second). A deploy's outcome is its latest success, failure
    or error status (success → success; failure, error → failed), deployed_at that status's time: a failure
    reported after a success makes the deploy failed, a success after a failure (a retry) makes it a success.
    inactive (a later deployment superseded it) keeps the outcome before it; a deployment with only queued, pending
    or in_progress statuses has not ended and is left out until it does. Last CTE `github_deploys`. -#}
{% macro github_deploy_ctes() -%}
rank_outcomes as (

    select
        deploy_id,
        case when lower(state) = 'success' then 'success' else 'failed' end as deploy_status,
        status_at,
        row_number() over (partition by deploy_id order by status_at desc, status_rank desc) as recency
    from deployment_statuses
    where lower(state) in ('success', 'failure', 'error')

),

github_deploys as (

    select
        deployments.deploy_id,
        deployments.repository_id,
        deployments.service,
        deployments.environment,
        deployments.commit_sha,
        deployments.created_at,
        rank_outcomes.status_at as deployed_at,
        rank_outcomes.deploy_status
    from deployments
    inner join rank_outcomes
        on
            deployments.deploy_id = rank_outcomes.deploy_id
            and rank_outcomes.recency = 1

)
{%- endmacro %}

{#- The pull requests a deploy ships: those of its repository merged after the previous successful deploy of the
    same repository and environment was created, up to its own creation (a failed deploy's pull requests ship
    again with the next one). Input CTEs `github_deploys` and `merged_pull_requests` (pull_request_id,
    repository_id, merged_at); last CTE `deploy_pull_requests` (deploy_id, pull_request_id). -#}
{% macro github_deploy_pull_request_ctes() -%}
rank_previous_successes as (

    select
        shipping.deploy_id,
        earlier.created_at as previous_success_at,
        row_number() over (
            partition by shipping.deploy_id
            order by earlier.created_at desc
        ) as recency
    from github_deploys as shipping
    inner join github_deploys as earlier
        on
            shipping.repository_id = earlier.repository_id
            and shipping.environment = earlier.environment
            and earlier.deploy_status = 'success'
            and earlier.created_at < shipping.created_at

),

deploy_windows as (

    select
        github_deploys.deploy_id,
        github_deploys.repository_id,
        rank_previous_successes.previous_success_at,
        github_deploys.created_at
    from github_deploys
    left join rank_previous_successes
        on
            github_deploys.deploy_id = rank_previous_successes.deploy_id
            and rank_previous_successes.recency = 1

),

deploy_pull_requests as (

    select distinct
        deploy_windows.deploy_id,
        merged_pull_requests.pull_request_id
    from deploy_windows
    inner join merged_pull_requests
        on
            deploy_windows.repository_id = merged_pull_requests.repository_id
            and merged_pull_requests.merged_at <= deploy_windows.created_at
            and (
                deploy_windows.previous_success_at is null
                or merged_pull_requests.merged_at > deploy_windows.previous_success_at
            )

)
{%- endmacro %}

{#- The tickets a deploy ships: the issues its pull requests reference. Input CTEs `deploy_pull_requests`,
    `pull_request_texts` (pull_request_id, repository_id, text_kind: title | commit_message | branch, reference_text) and
    `referable_issues` (issue_id, repository_id, repository_full_name, issue_number: issues, not pull requests).
    A title or commit message references issue N of the same repository by `#N` standing alone: at the start or
    after a character that is not a letter, digit, `_`, `/`, `&` or `#` (so not `page#12` in a URL, not `&#12;`),
    and not followed by a letter, digit or `_`; or by `owner/repo#N` naming that repository, not preceded by a
    letter, digit, `_`, `.`, `-` or `/`. A branch references it when one of its path segments is `N` or starts with `N-` (the branch
    GitHub creates for an issue), `issue-N` or `gh-N`. Last CTE `github_deploy_tickets`. -#}
{% macro github_deploy_ticket_ctes() -%}
candidate_references as (

    select
        deploy_pull_requests.deploy_id,
        pull_request_texts.text_kind,
        pull_request_texts.reference_text,
        referable_issues.issue_id,
        {{ dbt.cast('referable_issues.issue_number', dbt.type_string()) }} as issue_number,
        replace(lower(referable_issues.repository_full_name), '.', '[.]') as repository_pattern
    from deploy_pull_requests
    inner join pull_request_texts
        on deploy_pull_requests.pull_request_id = pull_request_texts.pull_request_id
    inner join referable_issues
        on
            pull_request_texts.repository_id = referable_issues.repository_id
            and pull_request_texts.reference_text like {{ dbt.concat(["'%'", dbt.cast('referable_issues.issue_number', dbt.type_string()), "'%'"]) }}

),

github_deploy_tickets as (

    select distinct
        deploy_id,
        issue_id as ticket_id
    from candidate_references
    where
        (
            text_kind <> 'branch'
            and (
                {{ flowmetrics.regex_contains('reference_text', dbt.concat([
                    "'(^|[^A-Za-z0-9_/&#])#'", 'issue_number', "'([^A-Za-z0-9_]|$)'"])) }}
                or {{ flowmetrics.regex_contains('lower(reference_text)', dbt.concat([
                    "'(^|[^a-z0-9_./-])'", 'repository_pattern', "'#'", 'issue_number', "'([^a-z0-9_]|$)'"])) }}
            )
        )
        or (
            text_kind = 'branch'
            and {{ flowmetrics.regex_contains('reference_text', dbt.concat([
                "'(^|/)((issue|gh)-)?'", 'issue_number', "'(-|$)'"])) }}
        )

)
{%- endmacro %}

{#- Whether a landed table has a column (false while parsing): for columns a connector lands only in newer
    versions (issue state_reason, _fivetran_deleted). -#}
{% macro relation_has_column(relation, column) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for existing in adapter.get_columns_in_relation(relation) -%}
        {%- if existing.name | lower == column | lower -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- A Fivetran GitHub table's current rows: per key the row of the latest sync (a re-synced duplicate counts
    once), without rows the connector marks deleted (`_fivetran_deleted`, when the table has it). -#}
{% macro fivetran_github_current_rows(table, keys) -%}
    {%- set relation = flowmetrics.landed_github_table('fivetran_github', table) -%}
    select * from (
        select
            *,
            row_number() over (partition by {{ keys | join(', ') }} order by _fivetran_synced desc) as sync_rank
        from {{ relation }}
    ) as ranked_{{ table }}
    where
        sync_rank = 1
        {%- if flowmetrics.relation_has_column(relation, '_fivetran_deleted') %}
            and not coalesce(_fivetran_deleted, false)
        {%- endif %}
{%- endmacro %}

{#- An Airbyte GitHub stream's rows, one per key: the latest extraction (append syncs land a record again on
    every sync that sees it change). -#}
{% macro airbyte_github_latest_rows(table, keys) -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by _airbyte_extracted_at desc, _airbyte_raw_id desc
            ) as extraction_rank
        from {{ flowmetrics.landed_github_table('airbyte_github', table) }}
    ) as ranked_{{ table }}
    where extraction_rank = 1
{%- endmacro %}

{#- The tickets of a GitHub adapter: its issues (pull requests are not tickets), ticket_key `owner/repo#number`,
    team the repository name, ticket_type and ai_assisted from the current labels. Input CTEs `issues`
    (issue_id, issue_number, repository_name, repository_full_name, title, is_pull_request, created_at) and `labels`
    (issue_id, label_name); last CTE `github_tickets`. -#}
{% macro github_ticket_ctes() -%}
summarise_labels as (

    select
        issue_id,
        min({{ flowmetrics.github_label_type('label_name') }}) as ticket_type,
        max(case when {{ flowmetrics.github_is_ai_label('label_name') }} then 1 else 0 end) as has_ai_label
    from labels
    group by issue_id

),

github_tickets as (

    select
        issues.issue_id as ticket_id,
        {{ dbt.concat(['issues.repository_full_name', "'#'", dbt.cast('issues.issue_number', dbt.type_string())]) }}
            as ticket_key,
        issues.title,
        summarise_labels.ticket_type,
        issues.repository_name as team,
        cast(null as {{ dbt.type_string() }}) as requested_by,
        cast(null as {{ dbt.type_string() }}) as experiment_id,
        {{ flowmetrics.github_ai_assisted('coalesce(summarise_labels.has_ai_label, 0) = 1') }} as ai_assisted,
        issues.created_at
    from issues
    left join summarise_labels
        on issues.issue_id = summarise_labels.issue_id
    where not issues.is_pull_request

)
{%- endmacro %}

{#- The attributes the team map matches on a GitHub issue: its repository name (project) and each current label.
    Input CTEs `issues` and `labels` as for github_ticket_ctes; last CTE `github_ticket_attributes`. -#}
{% macro github_ticket_attribute_ctes() -%}
github_ticket_attributes as (

    select
        issue_id as ticket_id,
        'project' as attribute,  -- noqa: RF04
        repository_name as value  -- noqa: RF04
    from issues
    where not is_pull_request

    union all

    select
        labels.issue_id as ticket_id,
        'label' as attribute,  -- noqa: RF04
        labels.label_name as value  -- noqa: RF04
    from labels
    inner join issues
        on labels.issue_id = issues.issue_id
    where not issues.is_pull_request

)
{%- endmacro %}

{#- A connector table a GitHub adapter reads, refused by name when the connector has not landed it (a table or
    stream left out of the sync, or a schema other than the one var flowmetrics_sources names). -#}
{% macro landed_github_table(adapter_name, table) -%}
    {%- set relation = source(adapter_name, table) -%}
    {%- set configured = flowmetrics.configured_sources() | selectattr('adapter', 'equalto', adapter_name) | list -%}
    {#- only a configured adapter needs its tables: var flowmetrics_every_adapter compiles the others without -#}
    {%- if execute and configured and load_relation(relation) is none -%}
        {{ exceptions.raise_compiler_error(adapter_name ~ ": table " ~ relation.schema ~ "." ~ relation.identifier ~ " is not in the warehouse; sync it with the connector, or set the source's schema in var flowmetrics_sources") }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
