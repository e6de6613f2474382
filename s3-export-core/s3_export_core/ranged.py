"""A seekable, read-only view of an S3 object built on ranged GETs.

zipfile needs to seek to the central directory and then to each member; reading through ranged
GETs with a read-ahead chunk keeps memory bounded by the chunk size, whatever the archive size.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from s3_export_core.storage import ObjectInfo, S3Storage


class RangedReader(io.RawIOBase):
    def __init__(self, storage: S3Storage, info: ObjectInfo, chunk_size: int) -> None:
        self._storage = storage
        self._info = info
        self._chunk_size = chunk_size
        self._pos = 0
        self._chunk_start = 0
        self._chunk = b""
        self.requests = 0
        self.fetched_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        elif whence == io.SEEK_END:
            self._pos = self._info.size + offset
        else:  # pragma: no cover - io contract
            raise ValueError(whence)
        self._pos = max(self._pos, 0)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        wanted = len(buffer)
        if wanted == 0 or self._pos >= self._info.size:
            return 0
        offset = self._pos - self._chunk_start
        if not 0 <= offset < len(self._chunk):
            # Small reads (zip headers) still fetch a whole chunk: fewer round trips.
            self._chunk_start = self._pos
            self._chunk = self._storage.read_range(
                self._info, self._pos, max(wanted, self._chunk_size)
            )
            self.requests += 1
            self.fetched_bytes += len(self._chunk)
            offset = 0
        data = self._chunk[offset : offset + wanted]
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)
