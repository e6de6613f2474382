"""Open an export by its content (not its name) and hand out its CSV members as byte streams.

- ZIP: random access through a seekable reader (ranged GETs on S3); members read one at a time.
- gzip holding a tar: one sequential pass; a member wanted later than the tar order puts it is
  spooled to a temporary file (bounded memory) while the pass moves on.
- gzip holding one CSV: the single member, named by the gzip header or the key.
- gzip holding an SQL dump: refused with a clear error.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol

from s3_export_core.errors import ExportError
from s3_export_core.selection import Snapshot
from s3_export_core.storage import Storage

logger = logging.getLogger(__name__)

PEEK_BYTES = 64 * 1024
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
SQL_DUMP_MARKERS = (
    "-- mysql dump",
    "-- mariadb dump",
    "-- postgresql database dump",
    "/*!",
    "set ",
    "create table",
    "insert into",
    "drop table",
    "lock tables",
)


class Archive(Protocol):
    kind: str

    def member_names(self) -> list[str]: ...

    def open_member(self, name: str) -> BinaryIO | None: ...

    def close(self) -> None: ...


def member_basename(name: str) -> str:
    return PurePosixPath(name).name


def detect_format(head: bytes, location: str) -> str:
    """Return 'zip', 'tar.gz', 'csv.gz' or raise for what we cannot read."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if not head.startswith(b"\x1f\x8b"):
        msg = f"{location} is neither a ZIP nor a gzip file (first bytes {head[:8]!r})"
        raise ExportError(msg)
    inner = zlib.decompressobj(wbits=31).decompress(head)
    if len(inner) >= 262 and inner[257:262] == b"ustar":
        return "tar.gz"
    text = inner[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t").lower()
    if text.startswith(SQL_DUMP_MARKERS):
        msg = (
            f"{location} is a gzip-compressed SQL dump, not CSV data: this tap reads exports "
            "holding CSV tables (a tar with data/<table>.csv, a ZIP, or one gzip CSV)"
        )
        raise ExportError(msg)
    return "csv.gz"


class ZipArchive:
    kind = "zip"

    def __init__(self, handle: BinaryIO, location: str) -> None:
        self._handle = handle
        self._location = location
        try:
            self._zip = zipfile.ZipFile(handle)
        except zipfile.BadZipFile as exc:
            msg = f"{location} is not a readable ZIP: {exc}"
            raise ExportError(msg) from exc

    def member_names(self) -> list[str]:
        return [info.filename for info in self._zip.infolist() if not info.is_dir()]

    def open_member(self, name: str) -> BinaryIO | None:
        """Open `name`, or the one member with the same file name in another folder."""
        names = self.member_names()
        if name not in names:
            matches = [n for n in names if member_basename(n) == member_basename(name)]
            if not matches:
                return None
            if len(matches) > 1:
                msg = f"{self._location}: {name} is ambiguous, the ZIP holds {matches}"
                raise ExportError(msg)
            name = matches[0]
        return self._zip.open(name)  # type: ignore[return-value]

    def close(self) -> None:
        self._zip.close()
        self._handle.close()


class TarGzArchive:
    """Sequential tar reader: one pass over the compressed stream, never the whole tar in memory."""

    kind = "tar.gz"

    def __init__(
        self, open_stream: Callable[[], BinaryIO], location: str, wanted: set[str] | None
    ) -> None:
        self._open_stream = open_stream
        self._location = location
        self._wanted = wanted
        self._stream: BinaryIO | None = None
        self._tar: tarfile.TarFile | None = None
        self._iter: Iterator[tarfile.TarInfo] | None = None
        self._spooled: dict[str, tempfile.SpooledTemporaryFile] = {}
        self._seen: list[str] = []
        self._done = False

    def _start(self) -> None:
        if self._tar is None:
            self._stream = self._open_stream()
            try:
                # Kept open across open_member calls; close() ends it.
                self._tar = tarfile.open(fileobj=self._stream, mode="r|gz")  # noqa: SIM115
            except (tarfile.TarError, OSError) as exc:
                msg = f"{self._location} is not a readable gzip tar: {exc}"
                raise ExportError(msg) from exc
            self._iter = iter(self._tar)

    def _next_member(self) -> tarfile.TarInfo | None:
        self._start()
        assert self._iter is not None
        while True:
            try:
                member = next(self._iter)
            except StopIteration:
                self._done = True
                return None
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                msg = f"{self._location}: the tar stream is damaged after {self._seen[-1:]}: {exc}"
                raise ExportError(msg) from exc
            if member.isfile():
                self._seen.append(member.name)
                return member

    def member_names(self) -> list[str]:
        # Listing a tar means reading all of it; keep (spool) what may be wanted later.
        while not self._done:
            member = self._next_member()
            if member is not None and self._is_wanted(member.name):
                self._spool(member)
        return list(self._seen)

    def _is_wanted(self, name: str) -> bool:
        return self._wanted is None or member_basename(name) in self._wanted

    def _spool(self, member: tarfile.TarInfo) -> None:
        assert self._tar is not None
        source = self._tar.extractfile(member)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
        if source is not None:
            shutil.copyfileobj(source, spool, 1024 * 1024)
        spool.seek(0)
        self._spooled[member_basename(member.name)] = spool

    def open_member(self, name: str) -> BinaryIO | None:
        """Open the member whose file name (without folders) is `name`'s."""
        wanted_name = member_basename(name)
        if wanted_name in self._spooled:
            return self._spooled.pop(wanted_name)  # type: ignore[return-value]
        while not self._done:
            member = self._next_member()
            if member is None:
                break
            if member_basename(member.name) == wanted_name:
                assert self._tar is not None
                return self._tar.extractfile(member)  # type: ignore[return-value]
            if self._is_wanted(member.name):
                logger.debug("Spooling %s: wanted after %s", member.name, name)
                self._spool(member)
        return None

    def close(self) -> None:
        for spool in self._spooled.values():
            spool.close()
        if self._tar is not None:
            self._tar.close()
        if self._stream is not None:
            self._stream.close()


class GzipCsvArchive:
    kind = "csv.gz"

    def __init__(self, open_stream: Callable[[], BinaryIO], member_name: str) -> None:
        self._open_stream = open_stream
        self._name = member_name

    def member_names(self) -> list[str]:
        return [self._name]

    def open_member(self, name: str) -> BinaryIO | None:
        if member_basename(name) != self._name:
            return None
        return gzip.GzipFile(fileobj=self._open_stream(), mode="rb")  # type: ignore[return-value]

    def close(self) -> None:
        return None


def _gzip_original_name(head: bytes) -> str | None:
    """The FNAME field of a gzip header (RFC 1952), when the writer stored it."""
    fname_flag = 0x08
    if len(head) < 10 or not head[3] & fname_flag:
        return None
    start = 10
    if head[3] & 0x04:  # FEXTRA
        start += 2 + int.from_bytes(head[10:12], "little")
    end = head.find(b"\x00", start)
    if end < 0:
        return None
    return head[start:end].decode("latin-1") or None


def open_archive(storage: Storage, snapshot: Snapshot, wanted: set[str] | None) -> Archive:
    """Open the snapshot according to its content. `wanted` = member basenames worth spooling."""
    head = storage.read_range(snapshot.info, 0, PEEK_BYTES)
    kind = detect_format(head, snapshot.location)
    logger.info("Snapshot %s holds a %s archive", snapshot.location, kind)
    if kind == "zip":
        return ZipArchive(storage.open_seekable(snapshot.info), snapshot.location)

    def open_stream() -> BinaryIO:
        return storage.open_sequential(snapshot.info)

    if kind == "tar.gz":
        return TarGzArchive(open_stream, snapshot.location, wanted)
    name = _gzip_original_name(head) or member_basename(snapshot.key).removesuffix(".gz")
    return GzipCsvArchive(open_stream, member_basename(name))
