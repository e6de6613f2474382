"""tap-stellar-s3: Stellar export snapshots; everything but the specs lives in s3-export-core."""

from __future__ import annotations

from pathlib import Path

from s3_export_core import SnapshotTap
from s3_export_core.settings import snapshot_settings
from s3_export_core.specs import load_archive_defaults

SPEC_FILE = Path(__file__).with_name("tables.json")
_ARCHIVE = load_archive_defaults(SPEC_FILE)


class TapStellarS3(SnapshotTap):
    """Reads the newest Stellar export: a gzip tar of data/<table>.csv members."""

    name = "tap-stellar-s3"
    spec_file = SPEC_FILE
    config_jsonschema = snapshot_settings(
        key_pattern=_ARCHIVE["key_pattern"],
        timestamp_format=_ARCHIVE["timestamp_format"],
        timezone=_ARCHIVE.get("timezone", "UTC"),
    )


if __name__ == "__main__":
    TapStellarS3.cli()
