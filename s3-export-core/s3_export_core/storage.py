"""Where exports live: an S3 bucket (boto3) or a local folder of downloaded exports."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from s3_export_core.errors import ExportError
from s3_export_core.s3errors import explain

logger = logging.getLogger(__name__)

ARCHIVED_STORAGE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object (or file) that may be an export."""

    key: str
    size: int
    etag: str
    last_modified: datetime
    storage_class: str = "STANDARD"


class Storage(Protocol):
    location: str

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]: ...

    def head(self, key: str) -> ObjectInfo: ...

    def read_range(self, info: ObjectInfo, start: int, length: int) -> bytes: ...

    def open_seekable(self, info: ObjectInfo) -> BinaryIO: ...

    def open_sequential(self, info: ObjectInfo) -> BinaryIO: ...

    def describe(self, key: str) -> str: ...


class S3Storage:
    """S3 through boto3; credentials from settings or the default chain.

    `config` has the schema's defaults filled in (`settings.with_defaults`).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.bucket: str = config["bucket"]
        self.location = f"s3://{self.bucket}"
        self._config = config
        try:
            self._client = _make_s3_client(config)
        except Exception as exc:
            raise explain(exc, config, f"open an S3 client for s3://{self.bucket}") from exc
        self.read_ahead = int(config["read_ahead_bytes"])

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=prefix or ""))
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except Exception as exc:
                raise explain(exc, self._config, f"list {self.describe(prefix)}") from exc
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=item["Key"],
                    size=int(item["Size"]),
                    etag=item["ETag"].strip('"'),
                    # S3's resolution is the second (HEAD's HTTP date has no more); some
                    # S3-compatible servers list milliseconds, which would make ties rarer.
                    last_modified=item["LastModified"].replace(microsecond=0),
                    storage_class=item.get("StorageClass") or "STANDARD",
                )

    def head(self, key: str) -> ObjectInfo:
        from botocore.exceptions import ClientError

        try:
            meta = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchKey", "NotFound"}:
                msg = f"snapshot_key {key!r}: {self.describe(key)} does not exist"
                raise ExportError(msg) from exc
            raise explain(exc, self._config, f"read {self.describe(key)}") from exc
        except Exception as exc:
            raise explain(exc, self._config, f"read {self.describe(key)}") from exc
        return ObjectInfo(
            key=key,
            size=int(meta["ContentLength"]),
            etag=meta["ETag"].strip('"'),
            last_modified=meta["LastModified"],
            storage_class=meta.get("StorageClass") or "STANDARD",
        )

    def read_range(self, info: ObjectInfo, start: int, length: int) -> bytes:
        if length <= 0 or start >= info.size:
            return b""
        end = min(start + length, info.size) - 1
        # IfMatch: a snapshot replaced while we read it must fail, not mix two versions.
        response = self._get(info, Range=f"bytes={start}-{end}")
        try:
            return response["Body"].read()
        except Exception as exc:
            msg = f"reading {self.describe(info.key)} (bytes {start}-{end}) broke off: {exc}"
            raise ExportError(msg) from exc

    def _get(self, info: ObjectInfo, **extra: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            return self._client.get_object(
                Bucket=self.bucket, Key=info.key, IfMatch=info.etag, **extra
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "412"}:
                msg = (
                    f"{self.describe(info.key)} changed while it was being read (ETag "
                    f"{info.etag} when listed); run again to load the new version"
                )
                raise ExportError(msg) from exc
            raise explain(exc, self._config, f"read {self.describe(info.key)}") from exc
        except Exception as exc:
            raise explain(exc, self._config, f"read {self.describe(info.key)}") from exc

    def open_seekable(self, info: ObjectInfo) -> BinaryIO:
        from s3_export_core.ranged import RangedReader

        raw = RangedReader(self, info, chunk_size=self.read_ahead)
        return io.BufferedReader(raw, buffer_size=64 * 1024)

    def open_sequential(self, info: ObjectInfo) -> BinaryIO:
        response = self._get(info)
        raw = _StreamingBodyRaw(response["Body"], self.describe(info.key))
        return io.BufferedReader(raw, buffer_size=1024 * 1024)


class _StreamingBodyRaw(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so BufferedReader/gzip can sit on top."""

    def __init__(self, body: Any, location: str) -> None:
        self._body = body
        self._location = location
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except Exception as exc:
            # The connection broke mid-object (timeout, reset, incomplete read).
            msg = f"reading {self._location} broke off after {self._read} bytes: {exc}"
            raise ExportError(msg) from exc
        self._read += len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


def _make_s3_client(config: dict[str, Any]) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.Session(
        aws_access_key_id=config.get("aws_access_key_id"),
        aws_secret_access_key=config.get("aws_secret_access_key"),
        aws_session_token=config.get("aws_session_token"),
        profile_name=config.get("aws_profile"),
        region_name=config.get("aws_region"),
    )
    client_config = Config(retries={"max_attempts": 5, "mode": "standard"})
    endpoint_url = config.get("endpoint_url")
    if role_arn := config.get("role_arn"):
        sts = session.client("sts", endpoint_url=config.get("sts_endpoint_url"))
        assume_args: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": config["role_session_name"],
        }
        if external_id := config.get("external_id"):
            assume_args["ExternalId"] = external_id
        credentials = sts.assume_role(**assume_args)["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=config.get("aws_region"),
        )
    return session.client("s3", endpoint_url=endpoint_url, config=client_config)


class LocalStorage:
    """A folder of downloaded exports; keys are paths relative to it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            msg = f"local_path {self.root} is not a folder"
            raise ExportError(msg)
        self.location = str(self.root)

    def describe(self, key: str) -> str:
        return str(self.root / key)

    def _info(self, path: Path) -> ObjectInfo:
        stat = path.stat()
        # Size + mtime identify a local file without hashing gigabytes on every run.
        identity = hashlib.sha1(  # noqa: S324 - identity, not security
            f"{stat.st_size}:{stat.st_mtime_ns}".encode()
        ).hexdigest()
        return ObjectInfo(
            key=path.relative_to(self.root).as_posix(),
            size=stat.st_size,
            etag=identity,
            last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
        )

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.relative_to(self.root).as_posix().startswith(prefix or ""):
                yield self._info(path)

    def head(self, key: str) -> ObjectInfo:
        path = self.root / key
        if not path.is_file():
            msg = f"Snapshot {path} does not exist"
            raise ExportError(msg)
        return self._info(path)

    def read_range(self, info: ObjectInfo, start: int, length: int) -> bytes:
        with (self.root / info.key).open("rb") as handle:
            handle.seek(start)
            return handle.read(length)

    def open_seekable(self, info: ObjectInfo) -> BinaryIO:
        return (self.root / info.key).open("rb")

    def open_sequential(self, info: ObjectInfo) -> BinaryIO:
        return (self.root / info.key).open("rb", buffering=1024 * 1024)


def make_storage(config: dict[str, Any]) -> Storage:
    if config.get("local_path"):
        return LocalStorage(config["local_path"])
    if not config.get("bucket"):
        msg = "Set either `bucket` (S3) or `local_path` (a folder of downloaded exports)"
        raise ExportError(msg)
    return S3Storage(config)
