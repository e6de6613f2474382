"""A moto S3 server holding one generated export, for tests configured at import time.

The SDK's standard tap tests take their config when the test class is built (module import),
before any pytest fixture runs; this starts moto on loopback there and stops it at exit.
Credentials go in the tap config, so the process environment is left alone.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from testkit.marina.generator import ExportSummary, export_key, write_export


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_export(kind: str, when: Any, **kwargs: Any) -> tuple[dict[str, Any], ExportSummary]:
    """Generate an export, put it into a fresh moto server; returns (tap config, summary)."""
    import boto3
    from moto.server import ThreadedMotoServer

    folder = Path(tempfile.mkdtemp(prefix=f"{kind}-s3-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    summary = write_export(kind, folder / export_key(kind, when), **kwargs)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    atexit.register(server.stop)
    config: dict[str, Any] = {
        "bucket": f"{kind}-exports",
        "endpoint_url": f"http://127.0.0.1:{server._port}",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",  # moto accepts any credentials
        "aws_region": "us-east-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=config["endpoint_url"],
        aws_access_key_id=config["aws_access_key_id"],
        aws_secret_access_key=config["aws_secret_access_key"],
        region_name=config["aws_region"],
    )
    client.create_bucket(Bucket=config["bucket"])
    client.upload_file(str(summary.path), config["bucket"], summary.path.name)
    return config, summary
