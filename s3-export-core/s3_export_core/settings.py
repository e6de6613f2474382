"""The settings every snapshot-export tap shares, declared once; each tap's spec file supplies its
archive's defaults and the words that differ (its `archive` section: name, format, layout,
bucket, key_example, key_pattern, timestamp_format, timezone, timezone_note).

`--about`, meltano.yml (scripts/sync_meltano_settings.py) and the README tables come from this
schema; the code reads settings through `with_defaults()`, never from literals of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk import typing as th

from s3_export_core.records import ON_BAD_ROW_CHOICES

# Meltano 4.4 cannot pass a `decimal` setting given by environment variable, so meltano.yml
# declares fractional numbers as strings; the tap reads "0.5" as 0.5.
NUMBER_OR_TEXT = th.CustomType({"type": ["number", "string"]})

# How each archive format is read from S3, for read_ahead_bytes (the content decides the format).
_READ_AHEAD = {
    "zip": "Size of each ranged GET when reading a ZIP export from S3: the ZIP is read by range "
    "(its directory is at the end), never downloaded whole, so this bounds the memory used.",
    "tar.gz": "Not used for {name} exports: a {layout} is read from S3 in one streaming GET. "
    "Only an export that turns out to be a ZIP (the content decides) is read by ranged GETs of "
    "this size, which bound the memory used.",
}


CSV_READERS = ("auto", "row")


def snapshot_settings(archive: Mapping[str, Any]) -> dict[str, Any]:
    """The config schema of one tap, from its spec file's `archive` section."""
    source = archive["name"]
    read_ahead = _READ_AHEAD[archive["format"]].format(**archive)
    properties = th.PropertiesList(
        th.Property(
            "bucket",
            th.StringType,
            title="S3 bucket",
            description=f"S3 bucket holding the {source} exports (production: "
            f"{archive['bucket']}). Set this or local_path; local_path wins when both are set.",
        ),
        th.Property(
            "prefix",
            th.StringType,
            title="Key prefix",
            default="",
            description="Key prefix under which the exports are listed (under local_path: the "
            "start of the file's path in the folder); empty lists everything.",
        ),
        th.Property(
            "key_pattern",
            th.StringType,
            title="Export key pattern",
            default=archive["key_pattern"],
            description="Regex matched against each key's file name (e.g. "
            f"{archive['key_example']}); its named group (?P<timestamp>...) orders the exports, "
            "the newest wins.",
        ),
        th.Property(
            "timestamp_format",
            th.StringType,
            title="Key timestamp format",
            default=archive["timestamp_format"],
            description="strptime format of key_pattern's timestamp group; a key whose "
            "timestamp does not fit it is skipped with a warning.",
        ),
        th.Property(
            "snapshot_key",
            th.StringType,
            title="Snapshot key",
            description="Load exactly this export (a key, or a file under local_path) instead "
            "of the newest.",
        ),
        th.Property(
            "local_path",
            th.StringType,
            title="Local folder",
            description=f"A local folder of downloaded {source} exports, read instead of S3 "
            "(set this or bucket).",
        ),
        th.Property(
            "aws_access_key_id",
            th.StringType,
            secret=True,
            title="AWS access key ID",
            description="AWS access key ID; unset, boto3's default credential chain "
            "(environment, aws_profile, instance or task role) is used.",
        ),
        th.Property(
            "aws_secret_access_key",
            th.StringType,
            secret=True,
            title="AWS secret access key",
            description="AWS secret access key of aws_access_key_id.",
        ),
        th.Property(
            "aws_session_token",
            th.StringType,
            secret=True,
            title="AWS session token",
            description="AWS session token, for temporary credentials given by the key pair.",
        ),
        th.Property(
            "aws_profile",
            th.StringType,
            title="AWS profile",
            description="Named AWS profile (~/.aws/config) to take the credentials from.",
        ),
        th.Property(
            "aws_region",
            th.StringType,
            title="AWS region",
            description="AWS region of the bucket (also used for the assumed role's session).",
        ),
        th.Property(
            "role_arn",
            th.StringType,
            title="IAM role ARN",
            description="IAM role to assume (STS AssumeRole) before reading; the credentials "
            "above, or the default chain, assume it.",
        ),
        th.Property(
            "role_session_name",
            th.StringType,
            title="Role session name",
            default="singer-snapshot-tap",
            description="RoleSessionName of the role assumption (shows in CloudTrail).",
        ),
        th.Property(
            "external_id",
            th.StringType,
            secret=True,
            title="External ID",
            description="ExternalId the role's trust policy asks for, sent with role_arn.",
        ),
        th.Property(
            "sts_endpoint_url",
            th.StringType,
            title="STS endpoint URL",
            description="STS endpoint for role_arn (default AWS's; for VPC endpoints and tests).",
        ),
        th.Property(
            "endpoint_url",
            th.StringType,
            title="S3 endpoint URL",
            description="S3-compatible endpoint (MinIO, moto, a VPC endpoint); default AWS's.",
        ),
        th.Property(
            "source_timezone",
            th.StringType,
            title="Source time zone",
            default=archive.get("timezone", "UTC"),
            description="IANA time zone of the export's naive date-times; records carry them "
            f"converted to UTC. {archive.get('timezone_note', '')}".rstrip(),
        ),
        th.Property(
            "force_reload",
            th.BooleanType,
            title="Force reload",
            default=False,
            description="Load the snapshot even if the state says it was already loaded.",
        ),
        th.Property(
            "on_bad_row",
            th.StringType,
            title="On a bad row",
            default="fail",
            allowed_values=list(ON_BAD_ROW_CHOICES),
            description="Rows with the wrong number of fields, NUL characters or values that do "
            "not fit their column type: fail (the run stops naming key, member and line), skip "
            "(counted and logged) or keep (the problem and extra values in _sdc_extra).",
        ),
        th.Property(
            "csv_reader",
            th.StringType,
            title="CSV reader",
            default="auto",
            allowed_values=list(CSV_READERS),
            description="auto: blocks of about 2 MiB whose every value the tap can vouch for "
            "are converted in C by pyarrow (about 1.6x less CPU; peak memory about 190 MiB "
            "instead of about 100 MiB), every other block row by row; row: every row by the row "
            "path. Both give the same records and the same errors.",
        ),
        th.Property(
            "strict_schema",
            th.BooleanType,
            title="Strict schema",
            default=False,
            description="CSV columns missing from the table spec are an error instead of "
            "loading as string columns (with a warning).",
        ),
        th.Property(
            "include_unlisted_members",
            th.BooleanType,
            title="Include unlisted members",
            default=False,
            description="Also expose the archive's CSV members that have no table spec, as "
            "all-string streams (discovery then reads the newest snapshot).",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            title="Emit ACTIVATE_VERSION",
            default=True,
            description="Emit ACTIVATE_VERSION once the whole archive was read and checked, so "
            "the target can remove rows deleted at the source.",
        ),
        th.Property(
            "progress_interval_seconds",
            NUMBER_OR_TEXT,
            title="Progress interval (seconds)",
            default=10,
            description="Seconds between progress lines (records, records/s, MiB read of the "
            "archive's size); 0 turns them off.",
        ),
        th.Property(
            "sdk_metrics",
            th.BooleanType,
            title="SDK metrics",
            default=False,
            description="Also log the SDK's METRIC JSON lines (off: the progress lines say it).",
        ),
        th.Property(
            "read_ahead_bytes",
            th.IntegerType(minimum=1),
            title="Read-ahead bytes",
            default=8 * 1024 * 1024,
            description=read_ahead,
        ),
    )
    return {
        **properties.to_dict(),
        # The plugin's label in meltano.yml, and its connection modes (settings_group_validation).
        "title": f"{source} exports (S3)",
        "settings_group_validation": [["bucket"], ["local_path"]],
    }


def with_defaults(schema: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with the schema's default of every setting that is unset, null or "" (an
    empty text has always meant the default: `source_timezone: ""` is UTC)."""
    resolved = dict(config)
    for name, spec in schema["properties"].items():
        if resolved.get(name) in (None, "") and spec.get("default") is not None:
            resolved[name] = spec["default"]
    return resolved
