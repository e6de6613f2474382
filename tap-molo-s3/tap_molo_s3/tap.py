"""tap-molo-s3: MOLO export snapshots; everything but the specs lives in s3-export-core."""

from __future__ import annotations

from pathlib import Path

from s3_export_core import SnapshotTap

SPEC_FILE = Path(__file__).with_name("tables.json")


class TapMoloS3(SnapshotTap):
    """Reads the newest MOLO export: a ZIP of <Table>.csv members."""

    name = "tap-molo-s3"
    spec_file = SPEC_FILE


if __name__ == "__main__":
    TapMoloS3.cli()
