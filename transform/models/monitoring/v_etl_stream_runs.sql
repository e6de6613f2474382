-- V_ETL_STREAM_RUNS: one row per stream load, with its run's source and day, for trends over time
-- (rows and durations per stream and run; rows per second where the load took time).
select
    ctl.source_name,
    slog.stream_name,
    slog.table_name,
    slog.run_id,
    ctl.meltano_run_id,
    {{ dw_day('slog.started_at') }} as load_date,
    slog.started_at,
    slog.ended_at,
    slog.load_method,
    slog.status,
    slog.records_received,
    slog.records_inserted,
    slog.records_updated,
    slog.records_deleted,
    slog.records_rejected,
    {{ seconds_between('slog.started_at', 'slog.ended_at') }} as duration_seconds,
    case
        when {{ seconds_between('slog.started_at', 'slog.ended_at') }} > 0
        then round(cast(coalesce(slog.records_received, 0)
            / {{ seconds_between('slog.started_at', 'slog.ended_at') }} as numeric), 1)
    end as records_per_second,
    slog.error_text
from {{ source('etl', 'etl_stream_log') }} slog
join {{ source('etl', 'etl_control') }} ctl on ctl.run_id = slog.run_id
