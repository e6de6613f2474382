"""Reading Singer input: line numbers, located errors, and the target's own message handlers.

The reader hands RECORD, STATE and ACTIVATE_VERSION messages to the target's handler (the
fast path: no per-record SDK machinery) and SCHEMA / BATCH messages to the SDK. Every input
error names the input line, the stream where there is one, and the start of the line.
"""

from __future__ import annotations

import typing as t

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecReader
from singer_sdk.contrib.msgspec import decoder as sdk_decoder
from singer_sdk.exceptions import RecordsWithoutSchemaException

LINE_PREVIEW = 200


class InputError(ValueError):
    """Singer input the target cannot take, located by input line."""


class BeforeSchemaError(InputError, RecordsWithoutSchemaException):
    """A RECORD or ACTIVATE_VERSION for a stream whose SCHEMA has not arrived."""

    def __init__(self, kind: str, stream: str, line: int) -> None:
        super().__init__(f"input line {line}: {kind} for stream {stream!r} before its SCHEMA")


class MessageHandler(t.Protocol):
    handles: frozenset[str]

    def handle(self, message: dict, line: int) -> None: ...

    def on_record(self, message: dict, line: int) -> None: ...


def preview(line: str | bytes) -> str:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\n")
    return text if len(text) <= LINE_PREVIEW else text[:LINE_PREVIEW] + "…"


class StagingReader(MsgSpecReader):
    """msgspec reader that knows the current input line and locates every input error."""

    def __init__(self) -> None:
        super().__init__()
        self.line_number = 0
        self.handler: MessageHandler | None = None
        self.on_failure: t.Callable[[BaseException], None] | None = None
        self.sdk_callbacks: dict[str, t.Callable[[dict], None]] = {}

    def deserialize_json(self, line: str) -> dict:
        try:
            message = sdk_decoder.decode(line)
        except msgspec.DecodeError as exc:
            msg = (
                f"input line {self.line_number}: not a JSON Singer message ({exc}); the line "
                f"begins: {preview(line)!r}"
            )
            raise InputError(msg) from None
        if not isinstance(message, dict):
            msg = (
                f"input line {self.line_number}: a Singer message is a JSON object, got "
                f"{type(message).__name__}; the line begins: {preview(line)!r}"
            )
            raise InputError(msg)
        return message

    def process_lines(self, file_input: t.Any, callbacks: dict) -> t.Counter[str]:
        # The SDK's own handlers, for the messages our handler passes on to them (SCHEMA).
        self.sdk_callbacks = callbacks
        counts: dict[str, int] = {}
        # The hot loop: one decode and one call per RECORD; everything else is dispatched.
        on_record = self.handler.on_record if self.handler is not None else None
        decode = sdk_decoder.decode
        records = 0
        try:
            for raw in file_input or self.default_input:
                self.line_number += 1
                try:
                    message = decode(raw)
                except msgspec.DecodeError:
                    if not raw.strip():
                        continue  # blank lines carry nothing (some taps end with one)
                    message = self.deserialize_json(raw)  # raises, saying where
                if message.__class__ is not dict:
                    message = self.deserialize_json(raw)  # raises, saying where
                kind = message.get("type")
                if kind == "RECORD" and on_record is not None:
                    on_record(message, self.line_number)
                    records += 1
                    continue
                if not isinstance(kind, str):
                    msg = (
                        f'input line {self.line_number}: message without a "type"; the line '
                        f"begins: {preview(raw)!r}"
                    )
                    raise InputError(msg)
                self._dispatch(kind, message, raw, callbacks)
                counts[kind] = counts.get(kind, 0) + 1
            if records:
                counts["RECORD"] = counts.get("RECORD", 0) + records
        except BaseException as exc:
            if self.on_failure is not None:
                self.on_failure(exc)
            raise
        return t.Counter(counts)

    def _dispatch(self, kind: str, message: dict, raw: str, callbacks: dict) -> None:
        if self.handler is not None and kind in self.handler.handles:
            self.handler.handle(message, self.line_number)
            return
        callback = callbacks.get(kind)
        if callback is None:
            msg = (
                f"input line {self.line_number}: unknown message type {kind!r} (expected "
                f"SCHEMA, RECORD, STATE, ACTIVATE_VERSION or BATCH); the line begins: "
                f"{preview(raw)!r}"
            )
            raise InputError(msg)
        try:
            callback(message)
        except InputError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            stream = message.get("stream")
            where = f", stream {stream!r}" if stream else ""
            msg = (
                f"input line {self.line_number}{where}: {kind} message refused: "
                f"{type(exc).__name__}: {exc}; the line begins: {preview(raw)!r}"
            )
            raise InputError(msg) from exc
