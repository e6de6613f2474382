"""The settings every snapshot-export tap shares; each tap supplies its archive defaults."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from s3_export_core.records import ON_BAD_ROW_CHOICES


def snapshot_settings(
    *, key_pattern: str, timestamp_format: str, timezone: str = "UTC"
) -> dict[str, Any]:
    return th.PropertiesList(
        th.Property(
            "bucket",
            th.StringType,
            description="S3 bucket holding the exports (ignored when local_path is set)",
        ),
        th.Property("prefix", th.StringType, default="", description="Key prefix to list"),
        th.Property(
            "key_pattern",
            th.StringType,
            default=key_pattern,
            description="Regex matched against each key's file name; needs a named group "
            "(?P<timestamp>...) that orders the exports",
        ),
        th.Property(
            "timestamp_format",
            th.StringType,
            default=timestamp_format,
            description="strptime format of the timestamp group",
        ),
        th.Property(
            "snapshot_key",
            th.StringType,
            description="Load exactly this export (key, or file under local_path) instead of "
            "the newest",
        ),
        th.Property(
            "local_path",
            th.StringType,
            description="A local folder of downloaded exports, used instead of S3",
        ),
        th.Property("aws_access_key_id", th.StringType, secret=True),
        th.Property("aws_secret_access_key", th.StringType, secret=True),
        th.Property("aws_session_token", th.StringType, secret=True),
        th.Property("aws_profile", th.StringType, description="Named AWS profile"),
        th.Property("aws_region", th.StringType, description="AWS region of the bucket"),
        th.Property("role_arn", th.StringType, description="IAM role to assume for reading"),
        th.Property(
            "external_id", th.StringType, secret=True, description="ExternalId for the role"
        ),
        th.Property(
            "endpoint_url",
            th.StringType,
            description="S3-compatible endpoint (MinIO, moto, VPC endpoint)",
        ),
        th.Property(
            "source_timezone",
            th.StringType,
            default=timezone,
            description="Time zone of the export's naive date-times (IANA name); records carry "
            "them converted to UTC",
        ),
        th.Property(
            "sts_endpoint_url",
            th.StringType,
            description="STS endpoint for role_arn (default: AWS's; VPC endpoints, tests)",
        ),
        th.Property(
            "force_reload",
            th.BooleanType,
            default=False,
            description="Load the snapshot even if the state says it was already loaded",
        ),
        th.Property(
            "on_bad_row",
            th.StringType(allowed_values=list(ON_BAD_ROW_CHOICES)),
            default="fail",
            description="Rows with the wrong number of fields, NUL characters or values that do "
            "not fit their column type: fail (with location), skip (counted) or keep (problem "
            "and extra values in _sdc_extra)",
        ),
        th.Property(
            "strict_schema",
            th.BooleanType,
            default=False,
            description="Fail on CSV columns missing from the table spec instead of keeping them "
            "as strings",
        ),
        th.Property(
            "include_unlisted_members",
            th.BooleanType,
            default=False,
            description="Also expose the archive's CSV members that have no table spec, as "
            "all-string streams (discovery then reads the snapshot)",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            description="Emit ACTIVATE_VERSION so the target can remove rows deleted at source",
        ),
        th.Property(
            "progress_interval_seconds",
            th.NumberType,
            default=10,
            description="At most one progress line (records, records/s, bytes read of the "
            "archive's size) every this many seconds; 0 turns them off",
        ),
        th.Property(
            "sdk_metrics",
            th.BooleanType,
            default=False,
            description="Also log the SDK's METRIC JSON lines (off: the progress lines say it)",
        ),
        th.Property(
            "read_ahead_bytes",
            th.IntegerType,
            default=8 * 1024 * 1024,
            description="Size of each ranged GET when reading a ZIP from S3 (bounds memory)",
        ),
    ).to_dict()
