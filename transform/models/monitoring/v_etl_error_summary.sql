-- V_ETL_ERROR_SUMMARY: failed stream loads and rejected rows, by source, stream and error code.
with failed_loads as (
    select
        ctl.source_name,
        slog.stream_name,
        slog.table_name,
        'LOAD_FAILED' as error_kind,
        'LOAD_FAILED' as error_code,
        count(*) as occurrences,
        count(distinct slog.run_id) as runs,
        min(slog.started_at) as first_seen_at,
        max(slog.started_at) as last_seen_at,
        max(slog.run_id) as example_run_id,
        max(slog.error_text) as example_message
    from {{ source('etl', 'etl_stream_log') }} slog
    join {{ source('etl', 'etl_control') }} ctl on ctl.run_id = slog.run_id
    where slog.status = 'FAILED'
    group by ctl.source_name, slog.stream_name, slog.table_name
),
rejected_rows as (
    select
        ctl.source_name,
        rej.stream_name,
        rej.table_name,
        'REJECT' as error_kind,
        coalesce(rej.error_code, 'UNKNOWN') as error_code,
        count(*) as occurrences,
        count(distinct rej.run_id) as runs,
        min(rej.rejected_at) as first_seen_at,
        max(rej.rejected_at) as last_seen_at,
        max(rej.run_id) as example_run_id,
        max(rej.error_message) as example_message
    from {{ source('etl', 'etl_rejects') }} rej
    left join {{ source('etl', 'etl_control') }} ctl on ctl.run_id = rej.run_id
    group by ctl.source_name, rej.stream_name, rej.table_name, coalesce(rej.error_code, 'UNKNOWN')
)
select * from failed_loads
union all
select * from rejected_rows
