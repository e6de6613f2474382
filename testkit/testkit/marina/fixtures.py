"""pytest fixtures for generated MOLO and Stellar exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from testkit.marina.generator import ExportSummary, export_key, write_export


@pytest.fixture
def marina_export(tmp_path: Path) -> Callable[..., ExportSummary]:
    """Factory: marina_export("molo", rows=5, quirks=Quirks(...), when=datetime) -> summary.

    The file is written under tmp_path with its real key name (summary.path.name).
    """

    def make(kind: str, *, when: datetime | None = None, **kwargs: Any) -> ExportSummary:
        folder = tmp_path / f"exports-{kind}"
        folder.mkdir(exist_ok=True)
        path = folder / export_key(kind, when or datetime(2025, 12, 21, 5, 0, 3))
        return write_export(kind, path, **kwargs)

    return make


def upload_export(client: Any, bucket: str, key: str, path: Path, **extra: Any) -> None:
    """Put a generated export into (moto) S3 under `key`."""
    with path.open("rb") as handle:
        client.put_object(Bucket=bucket, Key=key, Body=handle, **extra)
