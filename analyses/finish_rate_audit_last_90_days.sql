-- Question: of the work items and experiments that started (launched) in the 90 days before the as-of, what share
-- finished, per team, requesting function and AI assistance, and how much is still open and for how long?
-- Open items stay in the denominator; recent starts have had little time to finish, so read the rates together
-- with started_days_ago.

{{ config(enabled=(
    flowmetrics.flowmetrics_domain_enabled('flow')
    and flowmetrics.flowmetrics_domain_enabled('experiments')
)) }}

with

work_items as (

    select * from {{ ref('fct_work_items') }}

),

experiments as (

    select * from {{ ref('fct_experiments') }}

),

window_start as (

    select {{ dbt.dateadd('day', -90, as_of()) }} as window_start_at

),

work_items_in_window as (

    select
        'work_items' as subject,
        work_items.team,
        coalesce(work_items.requested_by, 'unknown') as requested_by,
        case
            when work_items.ai_assisted then 'ai_assisted'
            when not work_items.ai_assisted then 'not_ai_assisted'
            else 'unknown'
        end as ai_assistance,
        work_items.state = 'finished' as is_finished,
        work_items.state = 'open' as is_open,
        work_items.age_seconds as open_age_seconds,
        {{ seconds_between('work_items.started_at', as_of()) }} as started_seconds_ago
    from work_items
    cross join window_start
    where work_items.started_at > window_start.window_start_at

),

experiments_in_window as (

    select
        'experiments' as subject,
        experiments.team,
        'all' as requested_by,
        case
            when experiments.ai_assisted then 'ai_assisted'
            when not experiments.ai_assisted then 'not_ai_assisted'
            else 'unknown'
        end as ai_assistance,
        experiments.is_finished,
        experiments.state not in ('decided', 'shipped', 'abandoned') as is_open,
        case
            when experiments.state not in ('decided', 'shipped', 'abandoned')
                then {{ seconds_between('experiments.launched_at', as_of()) }}
        end as open_age_seconds,
        {{ seconds_between('experiments.launched_at', as_of()) }} as started_seconds_ago
    from experiments
    cross join window_start
    where experiments.launched_at > window_start.window_start_at

),

union_subjects as (

    select * from work_items_in_window
    union all
    select * from experiments_in_window

),

final as (

    select
        subject,
        team,
        requested_by,
        ai_assistance,
        count(*) as started,
        sum(case when is_finished then 1 else 0 end) as finished,
        sum(case when is_open then 1 else 0 end) as still_open,
        cast(sum(case when is_finished then 1 else 0 end) as {{ type_double() }}) / count(*) as finish_rate,
        max(open_age_seconds) / 86400.0 as oldest_open_days,
        avg(started_seconds_ago) / 86400.0 as avg_started_days_ago
    from union_subjects
    group by subject, team, requested_by, ai_assistance

)

select * from final
order by subject desc, finish_rate asc, started desc
