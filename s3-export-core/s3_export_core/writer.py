"""The SDK's msgspec writer, flushing stdout only at non-RECORD messages.

MsgSpecWriter flushes after every message; one syscall per record costs more than encoding it.
STATE, SCHEMA and ACTIVATE_VERSION still flush, so a target sees them (and the records before
them) without delay.
"""

from __future__ import annotations

import sys
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib import RecordMessage
from singer_sdk.singerlib.encoding.simple import Message


class BufferedMsgSpecWriter(MsgSpecWriter):
    def write_message(self, message: Message) -> None:
        sys.stdout.buffer.write(self.format_message(message))
        if not isinstance(message, RecordMessage):
            sys.stdout.flush()

    def write_record(
        self, stream: str, record: dict[str, Any], version: int | None, time_extracted: str
    ) -> None:
        """A RECORD message without building a RecordMessage first (the same JSON)."""
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        sys.stdout.buffer.write(serialize_jsonl(message))
