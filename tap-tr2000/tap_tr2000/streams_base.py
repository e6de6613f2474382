"""The base stream: fetch an envelope, copy header scalars and context onto rows, conform types."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import SchemaDirectory, Stream, StreamSchema
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_tr2000 import schemas
from tap_tr2000.client import Envelope, Tr2000Client
from tap_tr2000.conform import Tr2000ValueError, conform_row, plain_string_properties
from tap_tr2000.sdk_compat import SchemaOnceStream

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_tr2000.crawl import Crawler, PlantCrawl
    from tap_tr2000.tap import TapTr2000


def _without_per_context_sync_lines(record: logging.LogRecord) -> bool:
    """Drop the SDK's "Beginning sync of … with context keys" line (one per child context:
    thousands per run, and a tenth of the tap's CPU on unbuffered stderr); progress lines say
    how far the run is."""
    text = record.msg if isinstance(record.msg, str) else ""
    return not (text.startswith("Beginning sync of") and "with context keys" in text)


class Tr2000Stream(SchemaOnceStream):
    """A stream whose records are the rows of one `get…` array per call.

    Its SCHEMA goes out once per run (the tap announces every selected stream up front), not at
    every child context's sync: thousands of identical messages otherwise.
    """

    array_key: ClassVar[str] = ""
    array_key_is_prefix: ClassVar[bool] = False
    # Position of the row in its response, for streams without a unique natural key.
    sequence_field: ClassVar[str | None] = None
    # Fields the crawl builds URLs from: a row without them is an error, not a row to skip.
    required_fields: ClassVar[tuple[str, ...]] = ()
    # Children keep no per-context state (thousands of partitions otherwise).
    state_partitioning_keys: ClassVar[list[str] | None] = []
    schema = StreamSchema(SchemaDirectory(schemas))  # schemas/<stream name>.json
    # conform_row already gives every value its schema type; the SDK's second pass cost ~10 % of
    # the tap's CPU.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapTr2000) -> None:
        super().__init__(tap)
        self._tap_tr2000 = tap
        if self.parent_stream_type is not None:
            self.logger.addFilter(_without_per_context_sync_lines)

    @property
    def emit_activate_version_messages(self) -> bool:
        # Unchanged plants are skipped; a table-version switch would delete their rows.
        return False

    @property
    def client(self) -> Tr2000Client:
        return self._tap_tr2000.client

    @property
    def crawler(self) -> Crawler:
        return self._tap_tr2000.crawler

    def changed_plant(self, context: Context | None) -> PlantCrawl | None:
        """The plant's crawl when its issues changed since the bookmark, else None (skip it)."""
        assert context is not None
        crawl = self.crawler.plant(context["PlantID"])
        return crawl if crawl.changed else None

    @cached_property
    def _plain_strings(self) -> frozenset[str]:
        return plain_string_properties(self.schema["properties"])

    @cached_property
    def _string_keys(self) -> frozenset[str]:
        properties = self.schema["properties"]
        return frozenset(k for k in self.primary_keys if "string" in properties[k]["type"])

    def fetch(self, url: str) -> Envelope:
        return self.client.fetch(
            url, self.array_key, stream=self.name, prefix=self.array_key_is_prefix
        )

    def records_from(self, envelope: Envelope, extra: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Rows with the envelope's header scalars and the context filled in, types conformed.

        A row's own field always wins over a copied header scalar of the same name.
        """
        properties = self.schema["properties"]
        header = {k: v for k, v in envelope.header.items() if k in properties}
        seen: set[tuple[Any, ...]] = set()
        progress = self._tap_tr2000.progress
        for position, row in enumerate(envelope.rows, start=1):
            if not isinstance(row, dict):
                msg = f"stream {self.name}: row {position} at {envelope.url} is not an object"
                raise TypeError(msg)
            merged = {**header, **row, **extra}
            if self.sequence_field:
                merged[self.sequence_field] = position
            record, unknown = conform_row(
                merged,
                properties,
                url=envelope.url,
                stream=self.name,
                source_tz=self._tap_tr2000.source_timezone,
                keep_empty=self._string_keys,
                plain_strings=self._plain_strings,
            )
            self._note_unknown(unknown, envelope.url)
            missing = [f for f in self.required_fields if record.get(f) in (None, "")]
            if missing:
                msg = f"stream {self.name}: row {position} at {envelope.url} has no {missing}"
                raise Tr2000ValueError(msg)
            self._check_duplicate(record, seen, envelope.url)
            progress.record()
            yield record

    def _note_unknown(self, unknown: list[str], url: str) -> None:
        known = self.crawler.counters.unknown_fields.setdefault(self.name, set())
        new = sorted(set(unknown) - known)
        if new:
            known.update(new)
            self.logger.warning(
                "Stream %s: fields %s at %s are not in the schema and are not extracted",
                self.name,
                new,
                url,
            )

    def _check_duplicate(
        self, record: dict[str, Any], seen: set[tuple[Any, ...]], url: str
    ) -> None:
        if not self.primary_keys:
            return
        # "" and null are the same key part once stored (Oracle makes '' NULL).
        key = tuple(None if record.get(k) == "" else record.get(k) for k in self.primary_keys)
        if key in seen:
            self.crawler.counters.duplicate_keys += 1
            self.logger.warning(
                "Stream %s: key %s repeats at %s; a keyed load keeps the last row",
                self.name,
                dict(zip(self.primary_keys, key, strict=True)),
                url,
            )
        seen.add(key)

    def selected_children(self) -> list[Stream]:
        return [c for c in self.child_streams if c.selected or c.has_selected_descendents]
