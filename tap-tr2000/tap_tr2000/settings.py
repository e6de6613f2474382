"""The tap's settings, declared once: `--about`, meltano.yml and the README table come from here.

scripts/sync_meltano_settings.py writes meltano.yml's settings (title -> label) and the README
table from `--about`; the code takes defaults from `default()`, never from literals of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from singer_sdk import typing as th

try:
    __version__ = version("tap-tr2000")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

PCS_REVISION_SCOPES = ("issue_referenced", "latest", "all")
# Meltano 4.4 cannot pass a `decimal` setting given by environment variable (it fails to JSON-encode
# the Decimal), so meltano.yml declares these as strings and the tap accepts "0.5" as well as 0.5.
NUMBER_OR_TEXT = th.CustomType({"type": ["number", "string"]})

_PROPERTIES = th.PropertiesList(
    th.Property(
        "base_url",
        th.StringType,
        title="API base URL",
        default="https://tr2000api.equinor.com",
        description="TR2000 API base URL (https://equinor.pipespec-api.presight.com serves the "
        "same API). `https://user:password@host` is sent as HTTP basic auth and stripped from "
        "every URL the tap logs.",
    ),
    th.Property(
        "plant_ids",
        th.ArrayType(th.CustomType({"type": ["string", "integer"]})),
        title="Plant IDs",
        description="PlantIDs to extract (numbers or strings); unset or empty means every "
        "plant. A PlantID the plant list does not have is an error.",
    ),
    th.Property(
        "pcs_revisions",
        th.StringType,
        title="PCS revisions",
        default="issue_referenced",
        allowed_values=list(PCS_REVISION_SCOPES),
        description="Which PCS revisions get their six detail streams: issue_referenced (the "
        "revisions the plant's issues reference), latest (the newest revision of each PCS) or "
        "all (every revision).",
    ),
    th.Property(
        "include_vds",
        th.BooleanType,
        title="Include the VDS list",
        default=False,
        description="Extract the global VDS list (one ~30 MB response taking 20-40 s).",
    ),
    th.Property(
        "include_vds_details",
        th.BooleanType,
        title="Include VDS details",
        default=False,
        description="Also extract the detail of every VDS revision (one call each, ~50k "
        "calls); implies the VDS list.",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        title="Maximum concurrent requests",
        default=16,
        description="Requests in flight at most.",
    ),
    th.Property(
        "requests_per_second",
        NUMBER_OR_TEXT,
        title="Requests per second",
        default=50,
        description="Ceiling on request starts per second, to stay polite to the public API "
        "(0 = no ceiling, for a local server).",
    ),
    th.Property(
        "request_timeout",
        NUMBER_OR_TEXT,
        title="Request timeout (seconds)",
        default=120,
        description="Seconds per attempt before a request times out and is retried (the VDS "
        "list takes 20-40 s).",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        title="Maximum retries",
        default=5,
        description="Retries of a call after HTTP 429/5xx, timeouts and dropped connections; "
        "then the run fails naming the URL.",
    ),
    th.Property(
        "retry_backoff_seconds",
        NUMBER_OR_TEXT,
        title="Retry backoff (seconds)",
        default=1.0,
        description="First retry delay, doubled on every retry (capped at 60 s; the server's "
        "Retry-After wins when sent).",
    ),
    th.Property(
        "source_timezone",
        th.StringType,
        title="Source time zone",
        default="UTC",
        description="IANA time zone the API's zone-less date-times (LastUpdate, "
        "UserEntryTime) are read in; records carry them in UTC.",
    ),
    th.Property(
        "progress_interval_seconds",
        NUMBER_OR_TEXT,
        title="Progress interval (seconds)",
        default=10,
        description="Seconds between progress lines (plants done of total, requests/s, "
        "retries, records/s); 0 = none.",
    ),
    th.Property(
        "sdk_metrics",
        th.BooleanType,
        title="SDK metrics",
        default=False,
        description="Also log the SDK's METRIC lines (two per child context; off: the "
        "progress lines say the same in one line).",
    ),
    th.Property(
        "user_agent",
        th.StringType,
        title="User-Agent",
        default=f"tap-tr2000/{__version__}",
        description="User-Agent header sent with every request (tap-tr2000/<version>).",
    ),
)
# The schema's title is the plugin's label in meltano.yml. No settings group: every setting has
# a default or is optional (the API is public).
CONFIG_JSONSCHEMA: dict[str, Any] = {**_PROPERTIES.to_dict(), "title": "TR2000 API"}


def default(name: str) -> Any:
    """The schema's default of setting `name` (None when it has none)."""
    return CONFIG_JSONSCHEMA["properties"][name].get("default")


def setting(config: Mapping[str, Any], name: str) -> Any:
    """The configured value, or the schema's default when unset or null."""
    value = config.get(name)
    return default(name) if value is None else value


def number(config: Mapping[str, Any], name: str) -> float:
    """A number setting, given as a number or as its text (see NUMBER_OR_TEXT)."""
    value = setting(config, name)
    try:
        return float(value)
    except (TypeError, ValueError):
        msg = f"setting {name}={value!r} is not a number"
        raise ValueError(msg) from None
