"""The SDK's msgspec writer, with RECORD messages gathered into large writes.

MsgSpecWriter flushes after every message; one syscall per record costs more than encoding it.
RECORD lines are encoded (with the SDK's encoder, so the bytes are the same) into one buffer
that goes out in 1 MiB writes; every other message (STATE, SCHEMA, ACTIVATE_VERSION) first
writes the buffer and then flushes, so a target sees it and the records before it at once.

A block of RECORD lines encoded by the columnar path (`start_block`) is written the same way:
`write_encoded()` stands for its next record, and what the SDK's loop has passed so far goes out
before any other message or record, so the order of the output is the row path's.
"""

from __future__ import annotations

import sys
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib.encoding.simple import Message

from s3_export_core.columnar import EncodedBlock

BUFFER_BYTES = 1 << 20


class BufferedMsgSpecWriter(MsgSpecWriter):
    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        # (stream, version, time_extracted) -> the message's bytes before and after the record
        self._frames: dict[tuple[str, int | None, str], tuple[bytes, bytes]] = {}
        self._block: EncodedBlock | None = None
        self._block_written = 0  # records of the block already written out
        self._block_passed = 0  # records of the block the SDK's loop has passed

    def write_message(self, message: Message) -> None:
        self.flush_records()
        sys.stdout.buffer.write(self.format_message(message))
        sys.stdout.flush()

    def flush_records(self) -> None:
        if self._block is not None:
            self._write_block_part()
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()

    def write_record(
        self, stream: str, record: dict[str, Any], version: int | None, time_extracted: str
    ) -> None:
        """A RECORD line, byte for byte what the SDK writes for the same RecordMessage."""
        if self._block is not None:
            self._write_block_part()
        frame = self._frames.get((stream, version, time_extracted))
        if frame is None:
            frame = self.frame(stream, version, time_extracted)
        pending = self._pending
        pending += frame[0]
        encoder.encode_into(record, pending, -1)
        pending += frame[1]
        if len(pending) >= BUFFER_BYTES:
            self.flush_records()

    def frame(self, stream: str, version: int | None, time_extracted: str) -> tuple[bytes, bytes]:
        """The bytes of a RECORD message before and after its record's JSON."""
        frame = self._frames.get((stream, version, time_extracted))
        if frame is not None:
            return frame
        marker = "\x00record\x00"
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": marker}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        before, after = encoder.encode(message).split(encoder.encode(marker))
        frame = (before, after + b"\n")
        self._frames[(stream, version, time_extracted)] = frame
        return frame

    def start_block(self, block: EncodedBlock) -> None:
        """RECORD lines (framed with `frame()`) to be written as the SDK's loop passes them."""
        self.flush_records()
        self._block = block
        self._block_written = self._block_passed = 0

    def write_encoded(self) -> None:
        """The SDK's loop passed the block's next record."""
        self._block_passed += 1

    def _write_block_part(self) -> None:
        block = self._block
        assert block is not None
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()
        start, end = self._block_written, self._block_passed
        if end > start:
            sys.stdout.buffer.write(block.data[block.offsets[start] : block.offsets[end]])
            self._block_written = end
        if end >= block.rows:
            self._block = None  # every record written: the block's memory can go
