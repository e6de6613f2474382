"""The SDK's msgspec writer, with RECORD messages gathered into large writes.

MsgSpecWriter flushes after every message; one syscall per record costs more than encoding it.
RECORD lines are encoded (with the SDK's encoder, so the bytes are the same) into one buffer
that goes out in 1 MiB writes; every other message (STATE, SCHEMA, ACTIVATE_VERSION) first
writes the buffer and then flushes, so a target sees it and the records before it at once.
"""

from __future__ import annotations

import sys
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib.encoding.simple import Message

BUFFER_BYTES = 1 << 20


class BufferedMsgSpecWriter(MsgSpecWriter):
    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        # (stream, version, time_extracted) -> the message's bytes before and after the record
        self._frames: dict[tuple[str, int | None, str], tuple[bytes, bytes]] = {}

    def write_message(self, message: Message) -> None:
        self.flush_records()
        sys.stdout.buffer.write(self.format_message(message))
        sys.stdout.flush()

    def flush_records(self) -> None:
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()

    def write_record(
        self, stream: str, record: dict[str, Any], version: int | None, time_extracted: str
    ) -> None:
        """A RECORD line, byte for byte what the SDK writes for the same RecordMessage."""
        frame = self._frames.get((stream, version, time_extracted))
        if frame is None:
            frame = self._frame(stream, version, time_extracted)
        pending = self._pending
        pending += frame[0]
        encoder.encode_into(record, pending, -1)
        pending += frame[1]
        if len(pending) >= BUFFER_BYTES:
            self.flush_records()

    def _frame(self, stream: str, version: int | None, time_extracted: str) -> tuple[bytes, bytes]:
        marker = "\x00record\x00"
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": marker}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        before, after = encoder.encode(message).split(encoder.encode(marker))
        frame = (before, after + b"\n")
        self._frames[(stream, version, time_extracted)] = frame
        return frame
