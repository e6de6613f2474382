-- V_ETL_DASHBOARD: one row per target run with its status, volumes, rejects and duration.
with streams as (
    select
        run_id,
        count(*) as streams,
        sum(case when status in ('FAILED', 'INCOMPLETE', 'INTERRUPTED') then 1 else 0 end)
            as streams_failed,
        sum(coalesce(records_inserted, 0)) as records_inserted,
        sum(coalesce(records_updated, 0)) as records_updated,
        sum(coalesce(records_deleted, 0)) as records_deleted
    from {{ source('etl', 'etl_stream_log') }}
    group by run_id
)
select
    ctl.run_id,
    ctl.source_name,
    ctl.meltano_run_id,
    {{ ledger_optional_columns(source('etl', 'etl_control'), [
        ('state_id', dbt.type_string()),
        ('source_complete', dbt.type_string()),
        ('host_name', dbt.type_string()),
        ('process_id', dbt.type_bigint()),
        ('heartbeat_at', dbt.type_timestamp()),
    ], prefix='ctl.') }},
    ctl.status,
    ctl.started_at,
    ctl.ended_at,
    {{ seconds_between('ctl.started_at', 'ctl.ended_at') }} as duration_seconds,
    coalesce(streams.streams, 0) as streams,
    coalesce(streams.streams_failed, 0) as streams_failed,
    ctl.records_received,
    ctl.records_loaded,
    ctl.records_rejected,
    streams.records_inserted,
    streams.records_updated,
    streams.records_deleted,
    ctl.error_text
from {{ source('etl', 'etl_control') }} ctl
left join streams on streams.run_id = ctl.run_id
