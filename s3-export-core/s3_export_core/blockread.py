"""A member read in blocks: clean blocks through the columnar path, any other through the row path.

The member's bytes are read through the same 1 MiB buffer as the row path's line reader, so a
damaged archive fails at the same line, gathered into blocks of whole lines and offered to
`ColumnarConverter`. A block it refuses goes through `RowPlan.records` line by line, with the
member's line counter, so errors, skips and kept problems are located exactly as before; when
its last record runs past the block (a quoted line break), the row path reads on from the member
until that record ends.

Converted blocks yield `ENCODED_RECORD` once per record: the SDK's loop counts and bookkeeps it
like any record, and `SnapshotSdkStream._write_record_message` takes the record's ready RECORD
line from the writer's block (`BufferedMsgSpecWriter.start_block`).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from s3_export_core.archive import ARCHIVE_ERRORS
from s3_export_core.columnar import ColumnarConverter, EncodedBlock, unsupported
from s3_export_core.csvread import LineCounter, archive_failure, iter_csv_lines
from s3_export_core.records import TICK_MASK, RowPlan

BLOCK_BYTES_ENV = "S3_EXPORT_CORE_BLOCK_BYTES"
BLOCK_BYTES = 2 * 1024 * 1024
# After a refused block, this many blocks go straight to the row path (doubling, up to 64):
# a member whose data never fits pays the columnar attempt rarely.
MAX_BACKOFF = 64


class EncodedRecord(dict[str, Any]):
    """The stand-in the SDK's loop carries for a record already encoded in the writer's block."""


ENCODED_RECORD = EncodedRecord()


def block_bytes() -> int:
    return int(os.environ.get(BLOCK_BYTES_ENV) or BLOCK_BYTES)


def columnar_converter(
    plan: RowPlan,
    metadata: dict[str, Any],
    frame: tuple[bytes, bytes] | None,
    logger: logging.Logger,
) -> ColumnarConverter | None:
    """The member's converter, or None (row path only) with the reason logged."""
    if frame is None:
        return None
    reason = unsupported(plan, metadata)
    if reason is None:
        try:
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.csv as pacsv
        except ImportError as exc:  # a dependency; the row path still works without it
            reason = f"pyarrow is not importable ({exc})"
        else:
            _release_memory_promptly(pa)
            return ColumnarConverter(plan, metadata, frame[0], frame[1], (pa, pc, pacsv))
    logger.info("%s: read by the row path only: %s", plan.where, reason)
    return None


def _release_memory_promptly(pa: Any) -> None:
    """Arrow's jemalloc pool with immediate decay: each block's buffers go back to the system
    instead of staying in the allocator's caches (peak RSS, measured: see the README)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return  # chosen by whoever runs the tap
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass  # a pyarrow build without jemalloc: its default pool


class _BlockLines:
    """The row path's lines for one refused block: its lines, then on from the member if its
    last record continues past it."""

    def __init__(self, block: bytes, reader: BlockReader) -> None:
        self._block = block
        self._reader = reader
        self.remaining = block.count(b"\n") + (not block.endswith(b"\n"))

    def __iter__(self) -> Iterator[bytes]:
        for line in io.BytesIO(self._block):
            self.remaining -= 1
            yield line
        yield from self._reader.lines_past_block()


class BlockReader:
    """One member after its header: `records()` yields the row path's records for refused
    blocks and `ENCODED_RECORD` for each record of a converted one, in the member's order."""

    def __init__(
        self,
        binary: BinaryIO,
        plan: RowPlan,
        converter: ColumnarConverter,
        metadata: dict[str, Any],
        lines: LineCounter,
        start_block: Callable[[EncodedBlock], None],
        tick: Callable[[int], None] | None = None,
    ) -> None:
        self._binary = binary
        self._plan = plan
        self._converter = converter
        self._metadata = metadata
        self._lines = lines
        self._start_block = start_block
        self._tick = tick
        # Read but not yet handed on: self._carry[self._pos:].
        self._carry = b""
        self._pos = 0
        self._eof = False
        self._error: BaseException | None = None
        self._block_bytes = block_bytes()
        self._skip_blocks = 0
        self._backoff = 1

    def _read(self) -> bytes:
        """The next bytes of the member (at most a block); b'' at its end or after a read
        error (kept). peek() refills the buffer with one read of its size, as readline() does
        for the row path, so the member is read in the same pieces either way."""
        if self._eof or self._error is not None:
            return b""
        try:
            buffered_bytes = len(self._binary.peek(1))  # type: ignore[attr-defined]
            chunk = self._binary.read(min(buffered_bytes, self._block_bytes))
        except ARCHIVE_ERRORS as exc:
            self._error = exc
            return b""
        if not chunk:
            self._eof = True
        return chunk

    def lines_past_block(self) -> Iterator[bytes]:
        """Lines after the current block, for a record that runs past it (the rest stays)."""
        while True:
            end = self._carry.find(b"\n", self._pos) + 1
            if end:
                line = self._carry[self._pos : end]
                self._pos = end
                yield line
                continue
            chunk = self._read()
            if not chunk:
                if self._error is not None:
                    raise self._error  # csvread wraps it with the line count
                line = self._carry[self._pos :]
                self._carry, self._pos = b"", 0
                if line:
                    yield line
                return
            self._carry = self._carry[self._pos :] + chunk
            self._pos = 0

    def _next_block(self) -> bytes:
        """Whole lines of about `block_bytes`; at the end the rest (not after a read error)."""
        first = self._carry[self._pos :]
        self._carry, self._pos = b"", 0
        parts = [first]
        size = len(first)
        has_line_end = b"\n" in first
        while size < self._block_bytes or not has_line_end:
            chunk = self._read()
            if not chunk:
                data = b"".join(parts)
                if self._error is None:
                    return data  # the member's last lines
                # The row path never sees a line the failed read would have completed.
                cut = data.rfind(b"\n") + 1
                self._carry = data[cut:]
                return data[:cut]
            parts.append(chunk)
            size += len(chunk)
            has_line_end = has_line_end or b"\n" in chunk
        data = b"".join(parts)
        cut = data.rfind(b"\n") + 1
        self._carry = data[cut:]
        return data[:cut]

    def records(self) -> Iterator[dict[str, Any]]:
        counts = self._plan.counts
        tick = self._tick
        while True:
            block = self._next_block()
            if not block:
                break
            encoded = None
            if self._skip_blocks:
                self._skip_blocks -= 1
            else:
                encoded = self._converter.convert(block, self._lines.lines + 1)
                if encoded is None:
                    self._skip_blocks = self._backoff
                    self._backoff = min(self._backoff * 2, MAX_BACKOFF)
                else:
                    self._backoff = 1
            if encoded is None:
                counts.row_blocks += 1
                yield from self._row_path(block)
                continue
            counts.columnar_blocks += 1
            self._lines.lines += encoded.lines
            self._start_block(encoded)
            rows = counts.rows
            for _ in range(encoded.rows):
                rows += 1
                if tick is not None and not rows & TICK_MASK:
                    counts.rows = rows
                    tick(rows)
                yield ENCODED_RECORD
            counts.rows = rows
        if self._error is not None:
            raise archive_failure(self._plan.where, self._lines, self._error) from self._error

    def _row_path(self, block: bytes) -> Iterator[dict[str, Any]]:
        source = _BlockLines(block, self)
        rows = iter_csv_lines(source, self._plan.where, self._lines)
        records = self._plan.records(rows, self._metadata, self._lines, tick=self._tick)
        try:
            for record in records:
                yield record
                if source.remaining <= 0:
                    return  # the block's last record is done: back to the columnar path
        finally:
            records.close()
