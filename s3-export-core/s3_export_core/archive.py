"""Open an export by its content (not its name) and hand out its CSV members as byte streams.

- ZIP: random access through a seekable reader (ranged GETs on S3); members read one at a time.
- gzip holding a tar: one sequential pass; a member wanted later than the tar order puts it is
  spooled to a temporary file (bounded memory) while the pass moves on.
- gzip holding one CSV: the single member, named by the gzip header or the key.
- gzip holding an SQL dump: refused with a clear error.

Every zipfile/zlib/gzip/tarfile error is raised as an ExportError naming the object and member
(`damaged`). `finish()` reads what is left of a sequential archive, so a cut gzip trailer, a bad
CRC, a tar without its end marker or a duplicate member is an error before any snapshot is
activated.
"""

from __future__ import annotations

import gzip
import logging
import re
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol

from s3_export_core.errors import ExportError
from s3_export_core.progress import CountingReader, Progress
from s3_export_core.selection import Snapshot
from s3_export_core.storage import Storage

logger = logging.getLogger(__name__)

PEEK_BYTES = 64 * 1024
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
# SQL dumps: mysqldump / mariadb-dump / pg_dump (plain, incl. COPY ... FROM stdin) open with a
# comment, or with a statement line ending in ';' (a CSV header would hold commas instead).
SQL_COMMENT_START = ("--", "/*")
SQL_STATEMENT = re.compile(
    r"(set|create|insert|drop|lock|copy|begin|start|alter|select|use)\s[^\n]*;\s*$",
    re.IGNORECASE,
)
# Library errors that mean "the bytes are damaged"; wrapped once, here, with the location.
ARCHIVE_ERRORS: tuple[type[BaseException], ...] = (
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    OSError,
    NotImplementedError,  # zipfile: unsupported compression method
    RuntimeError,  # zipfile: encrypted member
)
ZERO_BLOCK = bytes(tarfile.BLOCKSIZE)


def damaged(where: str, exc: BaseException) -> ExportError:
    """The one wrapping of a library's archive/decompression error: where, what, and its text."""
    text = str(exc) or type(exc).__name__
    error = ExportError(
        f"{where}: the data is damaged or unreadable ({type(exc).__name__}: {text})"
    )
    error.__cause__ = exc
    return error


class Archive(Protocol):
    kind: str

    def member_names(self) -> list[str]: ...

    def open_member(self, name: str) -> BinaryIO | None: ...

    def finish(self) -> None:
        """Read what is left of the archive and check its end (called before any activation)."""
        ...

    def member_path(self, name: str) -> str:
        """The path in the archive that open_member(name) opened (it may sit in another folder)."""
        ...

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
    try:
        inner = zlib.decompressobj(wbits=31).decompress(head)
    except zlib.error as exc:
        raise damaged(f"{location} (gzip start)", exc) from exc
    if (len(inner) >= 262 and inner[257:262] == b"ustar") or inner[:512] == ZERO_BLOCK:
        return "tar.gz"  # a ustar header, or an empty tar's end-of-archive block
    # Only to recognise a dump; the member itself is decoded strictly later.
    text = inner[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    first_line = text.split("\n", 1)[0]
    if text.startswith(SQL_COMMENT_START) or SQL_STATEMENT.match(first_line):
        msg = (
            f"{location} is a gzip-compressed SQL dump, not CSV data (it starts "
            f"{text[:60]!r}): this tap reads exports holding CSV tables (a tar with "
            "data/<table>.csv, a ZIP, or one gzip CSV)"
        )
        raise ExportError(msg)
    return "csv.gz"


class ZipArchive:
    kind = "zip"

    def __init__(self, handle: BinaryIO, location: str) -> None:
        self._handle = handle
        self._location = location
        self._paths: dict[str, str] = {}
        try:
            self._zip = zipfile.ZipFile(handle)
        except zipfile.BadZipFile as exc:
            msg = f"{location} is not a readable ZIP: {exc}"
            raise ExportError(msg) from exc
        except ARCHIVE_ERRORS as exc:
            raise damaged(location, exc) from exc

    def member_names(self) -> list[str]:
        return [info.filename for info in self._zip.infolist() if not info.is_dir()]

    def open_member(self, name: str) -> BinaryIO | None:
        """Open `name`, or the one member with the same file name in another folder."""
        names = self.member_names()
        exact = [n for n in names if n == name]
        matches = exact or [n for n in names if member_basename(n) == member_basename(name)]
        if not matches:
            return None
        if len(matches) > 1:
            # zipfile would silently pick the last one: which copy is the table is unknown.
            msg = f"{self._location}: {name} is ambiguous, the ZIP holds {len(matches)}: {matches}"
            raise ExportError(msg)
        self._paths[member_basename(name)] = matches[0]
        try:
            return self._zip.open(matches[0])  # type: ignore[return-value]
        except ARCHIVE_ERRORS as exc:
            raise damaged(f"{self._location} member {matches[0]}", exc) from exc

    def member_path(self, name: str) -> str:
        return self._paths.get(member_basename(name), name)

    def finish(self) -> None:
        # Each member's CRC is checked by zipfile as it is read to its end.
        return None

    def close(self) -> None:
        self._zip.close()
        self._handle.close()


class _TarFeed:
    """The decompressed tar bytes as tarfile reads them, remembering the latest chunks.

    tarfile ends its iteration quietly on a cut or garbled header; the chunks let `finish()`
    look at the block where it stopped, which must be the end-of-archive marker.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.position = 0
        self._recent: deque[tuple[int, bytes]] = deque(maxlen=3)

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._recent.append((self.position, data))
        self.position += len(data)
        return data

    def bytes_from(self, offset: int) -> bytes | None:
        """Bytes already handed out from `offset` on, or None when they are no longer kept."""
        if not self._recent or offset < self._recent[0][0]:
            return None
        joined = b"".join(chunk for _, chunk in self._recent)
        return joined[offset - self._recent[0][0] :]


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
        self._gzip: gzip.GzipFile | None = None
        self._feed: _TarFeed | None = None
        self._tar: tarfile.TarFile | None = None
        self._iter: Iterator[tarfile.TarInfo] | None = None
        self._spooled: dict[str, tempfile.SpooledTemporaryFile] = {}
        self._seen: list[str] = []
        self._seen_basenames: dict[str, str] = {}
        self._done = False
        self._finished = False

    def _start(self) -> None:
        if self._tar is None:
            self._stream = self._open_stream()
            # gzip.GzipFile (not tarfile's own gz reader) checks the trailer's CRC and length.
            self._gzip = gzip.GzipFile(fileobj=self._stream, mode="rb")
            self._feed = _TarFeed(self._gzip)  # type: ignore[arg-type]
            try:
                # Kept open across open_member calls; close() ends it.
                # typeshed's tarfile.open wants a writable, seekable file for every mode; "r|"
                # (a stream) only reads.
                self._tar = tarfile.open(  # type: ignore[call-overload]  # noqa: SIM115
                    fileobj=self._feed,
                    mode="r|",
                    bufsize=256 * 1024,
                )
            except ARCHIVE_ERRORS as exc:
                raise damaged(f"{self._location} (gzip tar, first blocks)", exc) from exc
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
            except ARCHIVE_ERRORS as exc:
                after = f"after member {self._seen[-1]}" if self._seen else "at its start"
                raise damaged(f"{self._location} (tar stream {after})", exc) from exc
            if member.isfile():
                self._check_unique(member.name)
                self._seen.append(member.name)
                return member

    def _check_unique(self, name: str) -> None:
        basename = member_basename(name)
        if not self._is_wanted(name):
            return
        if basename in self._seen_basenames:
            first = self._seen_basenames[basename]
            msg = (
                f"{self._location}: the tar holds {basename} twice ({first} and {name}); "
                "which one is the table is unknown"
            )
            raise ExportError(msg)
        self._seen_basenames[basename] = name

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
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
        try:
            source = self._tar.extractfile(member)
            if source is not None:
                shutil.copyfileobj(source, spool, 1024 * 1024)
        except ARCHIVE_ERRORS as exc:
            spool.close()
            raise damaged(f"{self._location} member {member.name}", exc) from exc
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

    def member_path(self, name: str) -> str:
        return self._seen_basenames.get(member_basename(name), name)

    def finish(self) -> None:
        """Read to the end: duplicates, the end-of-archive marker, the gzip CRC and length."""
        if self._finished or self._tar is None:
            return
        self._finished = True
        while not self._done:
            self._next_member()
        assert self._feed is not None
        where = f"{self._location} (end of the tar, after member {self._seen[-1:]})"
        try:
            tail = self._feed.bytes_from(self._tar.offset) or b""
            trailing_data = bool(tail[tarfile.BLOCKSIZE :].strip(b"\0"))
            while chunk := self._feed.read(1024 * 1024):
                trailing_data = trailing_data or bool(chunk.strip(b"\0"))
                if len(tail) < tarfile.BLOCKSIZE:
                    tail += chunk
        except ARCHIVE_ERRORS as exc:
            raise damaged(where, exc) from exc
        if tail[: tarfile.BLOCKSIZE] != ZERO_BLOCK:
            msg = (
                f"{where}: no end-of-archive marker where the tar stops (cut or garbled, "
                f"{self._tar.offset} bytes into the tar); members after that point would be lost"
            )
            raise ExportError(msg)
        if trailing_data:
            msg = f"{where}: data follows the end-of-archive marker (a second tar appended?)"
            raise ExportError(msg)

    def close(self) -> None:
        for spool in self._spooled.values():
            spool.close()
        if self._tar is not None:
            self._tar.close()
        if self._gzip is not None:
            self._gzip.close()
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
        # Read to its end by the CSV reader, which is where GzipFile checks CRC and length.
        return gzip.GzipFile(fileobj=self._open_stream(), mode="rb")  # type: ignore[return-value]

    def finish(self) -> None:
        return None

    def member_path(self, name: str) -> str:
        return self._name

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


def open_archive(
    storage: Storage,
    snapshot: Snapshot,
    wanted: set[str] | None,
    progress: Progress | None = None,
) -> Archive:
    """Open the snapshot according to its content. `wanted` = member basenames worth spooling.

    With `progress`, the compressed bytes read through the archive's handle are counted.
    """
    head = storage.read_range(snapshot.info, 0, PEEK_BYTES)
    kind = detect_format(head, snapshot.location)
    logger.info("Snapshot %s holds a %s archive", snapshot.location, kind)

    def counted(handle: BinaryIO) -> BinaryIO:
        if progress is None:
            return handle
        progress.total_bytes = snapshot.info.size
        return CountingReader(handle, progress)  # type: ignore[return-value]

    if kind == "zip":
        return ZipArchive(counted(storage.open_seekable(snapshot.info)), snapshot.location)

    def open_stream() -> BinaryIO:
        return counted(storage.open_sequential(snapshot.info))

    if kind == "tar.gz":
        return TarGzArchive(open_stream, snapshot.location, wanted)
    name = _gzip_original_name(head) or member_basename(snapshot.key).removesuffix(".gz")
    return GzipCsvArchive(open_stream, member_basename(name))
