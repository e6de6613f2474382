"""Shared core of the snapshot-export taps (tap-molo-s3, tap-stellar-s3).

S3 or local storage, snapshot selection, archive opening by content, streaming CSV decoding
and value coercion driven by table spec data files.
"""

from s3_export_core.errors import ExportError
from s3_export_core.specs import ColumnSpec, TableSpec, load_table_specs
from s3_export_core.stream import SnapshotStream
from s3_export_core.tap import SnapshotTap

__all__ = [
    "ColumnSpec",
    "ExportError",
    "SnapshotStream",
    "SnapshotTap",
    "TableSpec",
    "load_table_specs",
]
