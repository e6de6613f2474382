"""tap-stellar-s3: Stellar export snapshots; everything but the specs lives in s3-export-core."""

from __future__ import annotations

from pathlib import Path

from s3_export_core import SnapshotTap

SPEC_FILE = Path(__file__).with_name("tables.json")


class TapStellarS3(SnapshotTap):
    """Reads the newest Stellar export: a gzip tar of data/<table>.csv members."""

    name = "tap-stellar-s3"
    spec_file = SPEC_FILE


if __name__ == "__main__":
    TapStellarS3.cli()
