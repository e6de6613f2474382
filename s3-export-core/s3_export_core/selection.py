"""Choose the snapshot to load: newest by the key's timestamp, then LastModified, then key."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from s3_export_core.errors import ExportError
from s3_export_core.storage import ARCHIVED_STORAGE_CLASSES, ObjectInfo, Storage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The export chosen for this run, and its identity for state."""

    info: ObjectInfo
    taken_at: datetime
    location: str

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def identity(self) -> dict[str, str]:
        return {"key": self.info.key, "etag": self.info.etag}


class KeyPattern:
    """A regex with a named `timestamp` group plus the strptime format of that group."""

    def __init__(self, pattern: str, timestamp_format: str) -> None:
        try:
            self.regex = re.compile(pattern)
        except re.error as exc:
            msg = f"key_pattern {pattern!r} is not a valid regular expression: {exc}"
            raise ExportError(msg) from exc
        if "timestamp" not in self.regex.groupindex:
            msg = f"key_pattern {pattern!r} needs a named group (?P<timestamp>...)"
            raise ExportError(msg)
        self.timestamp_format = timestamp_format

    def timestamp(self, key: str) -> datetime | None:
        """The key's timestamp, or None when the key is not an export of this kind."""
        basename = key.rsplit("/", 1)[-1]
        match = self.regex.search(basename)
        if match is None:
            return None
        try:
            parsed = datetime.strptime(match.group("timestamp"), self.timestamp_format)
        except ValueError:
            logger.warning(
                "Key %s matches key_pattern but its timestamp %r does not fit %r; ignored",
                key,
                match.group("timestamp"),
                self.timestamp_format,
            )
            return None
        return parsed.replace(tzinfo=UTC)


def _sort_key(candidate: tuple[datetime, ObjectInfo]) -> tuple[datetime, datetime, str]:
    taken_at, info = candidate
    return (taken_at, info.last_modified, info.key)


def select_snapshot(storage: Storage, prefix: str, pattern: KeyPattern) -> Snapshot:
    """List every key under the prefix (all pages) and return the newest readable export."""
    candidates: list[tuple[datetime, ObjectInfo]] = []
    archived: list[ObjectInfo] = []
    listed = 0
    for info in storage.list_objects(prefix):
        listed += 1
        taken_at = pattern.timestamp(info.key)
        if taken_at is None:
            continue
        if info.storage_class in ARCHIVED_STORAGE_CLASSES:
            archived.append(info)
            continue
        candidates.append((taken_at, info))
    for info in archived:
        logger.warning(
            "Skipping %s: storage class %s needs a restore before it can be read",
            storage.describe(info.key),
            info.storage_class,
        )
    if not candidates:
        msg = (
            f"No export matching key_pattern {pattern.regex.pattern!r} under "
            f"{storage.describe(prefix)} ({listed} objects listed, {len(archived)} archived)"
        )
        raise ExportError(msg)
    candidates.sort(key=_sort_key, reverse=True)
    taken_at, chosen = candidates[0]
    runner_up = candidates[1][1].key if len(candidates) > 1 else None
    logger.info(
        "Chose snapshot %s (timestamp %s, LastModified %s, ETag %s) out of %d exports in %d "
        "objects; runner-up: %s",
        storage.describe(chosen.key),
        taken_at.isoformat(),
        chosen.last_modified.isoformat(),
        chosen.etag,
        len(candidates),
        listed,
        runner_up,
    )
    return Snapshot(info=chosen, taken_at=taken_at, location=storage.describe(chosen.key))


def named_snapshot(storage: Storage, key: str, pattern: KeyPattern) -> Snapshot:
    """Load exactly the export the user named (`snapshot_key`)."""
    info = storage.head(key)
    if info.storage_class in ARCHIVED_STORAGE_CLASSES:
        msg = (
            f"Snapshot {storage.describe(key)} is in storage class {info.storage_class}; "
            "restore it before loading"
        )
        raise ExportError(msg)
    taken_at = pattern.timestamp(key) or info.last_modified
    logger.info("Using the named snapshot %s (ETag %s)", storage.describe(key), info.etag)
    return Snapshot(info=info, taken_at=taken_at, location=storage.describe(key))
