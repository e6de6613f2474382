"""tap-tr2000: Singer tap for Equinor's TR2000 piping-specification API."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from functools import cached_property
from types import TracebackType
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from singer_sdk import Stream
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from singer_sdk.plugin_base import SingerCommand
from singer_sdk.singerlib import Message, SchemaMessage, StateMessage

from tap_tr2000.client import Tr2000Client, Tr2000Error
from tap_tr2000.conform import Tr2000ValueError
from tap_tr2000.crawl import Crawler
from tap_tr2000.progress import Progress
from tap_tr2000.sdk_compat import RunningTap, SchemaOnceStream
from tap_tr2000.settings import CONFIG_JSONSCHEMA, number, setting
from tap_tr2000.streams import (
    ISSUE_REFERENCE_STREAMS,
    IssuesStream,
    OperatorsStream,
    PlantDetailsStream,
    PlantsStream,
)
from tap_tr2000.streams_pcs import PCS_DETAIL_STREAMS, PcsStream
from tap_tr2000.streams_vds import VdsDetailsStream, VdsStream

# Contract C2: the last STATE of a run that read everything carries this key; not a bookmark.
SYNC_COMPLETED_KEY = "sync_completed"


class StateFlushingWriter(MsgSpecWriter):
    """Writes stdout at each SCHEMA and STATE or every 64 KiB, not per record (a syscall each).

    Its own buffer, because Meltano and the tests run with PYTHONUNBUFFERED. Everything before a
    STATE reaches the target with it; the run drains the rest when it ends, also on a failure.
    SCHEMA goes out at once so the target can prepare its tables while the first calls run.
    """

    FLUSH_BYTES = 64 * 1024

    def write_message(self, message: Message) -> None:
        pending = self.__dict__.setdefault("_pending", bytearray())
        pending += self.format_message(message)
        if len(pending) >= self.FLUSH_BYTES or isinstance(message, StateMessage | SchemaMessage):
            self.drain()

    def drain(self) -> None:
        pending = self.__dict__.get("_pending")
        if pending:
            sys.stdout.buffer.write(pending)
            pending.clear()
        sys.stdout.flush()


class OneLineErrorCommand(SingerCommand):
    """The run's last line is the error in one line; its traceback only at debug level."""

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc_value: BaseException,
        exc_traceback: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            super().excepthook(exc_type, exc_value, exc_traceback)
            return
        self.logger.debug("Traceback:", exc_info=(exc_type, exc_value, exc_traceback))
        self.logger.error("%s", one_line_error(exc_value))


def one_line_error(exc: BaseException) -> str:
    """Our errors already say where; anything else gets its type so it is not a bare text."""
    text = " ".join(str(exc).split())
    if isinstance(exc, Tr2000Error | Tr2000ValueError | ValueError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class TapTr2000(RunningTap):
    """Equinor's TR2000 piping-specification API: operators, plants, issues, PCS and VDS."""

    name = "tap-tr2000"
    message_writer_class = StateFlushingWriter
    # No activate-version: unchanged plants are skipped, and a new table version would then
    # delete their rows downstream. No batch: records stream through the prefetch pipeline.
    capabilities = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    config_jsonschema = CONFIG_JSONSCHEMA

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.config.get("sdk_metrics"):
            # The SDK logs two METRIC lines per child context: thousands per run.
            self.metrics_logger.setLevel(logging.WARNING)

    @cached_property
    def client(self) -> Tr2000Client:
        config = self.config
        return Tr2000Client(
            setting(config, "base_url"),
            timeout=number(config, "request_timeout"),
            user_agent=setting(config, "user_agent"),
            max_concurrency=int(setting(config, "max_concurrency")),
            requests_per_second=number(config, "requests_per_second"),
            max_retries=int(setting(config, "max_retries")),
            backoff_seconds=number(config, "retry_backoff_seconds"),
            logger=self.logger,
        )

    @cached_property
    def progress(self) -> Progress:
        return Progress(
            self.logger,
            number(self.config, "progress_interval_seconds"),
            requests=lambda: self.client.request_count,
            retries=lambda: self.client.retry_count,
        )

    @cached_property
    def source_timezone(self) -> ZoneInfo:
        name = setting(self.config, "source_timezone")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"setting source_timezone={name!r} is not a known IANA time zone"
            raise ValueError(msg) from exc

    @cached_property
    def crawler(self) -> Crawler:
        return Crawler(
            self.client,
            self.streams["issues"],
            self.logger,
            self.progress,
            write_state=lambda: self.state_writer.write_state(self.state),
        )

    @classmethod
    def get_singer_command(cls) -> click.Command:
        command = super().get_singer_command()
        return OneLineErrorCommand(
            name=command.name,
            callback=command.callback,
            context_settings=command.context_settings,
            params=command.params,
            logger=cls.logger,
        )

    def discover_streams(self) -> list[Stream]:
        # Order matters: children sync in this order, and the prefetch queue follows it.
        classes: list[type[Stream]] = [
            OperatorsStream,
            PlantsStream,
            IssuesStream,
            *ISSUE_REFERENCE_STREAMS,
            PlantDetailsStream,
            PcsStream,
            *PCS_DETAIL_STREAMS,
        ]
        if self.config.get("include_vds") or self.config.get("include_vds_details"):
            classes.append(VdsStream)
        if self.config.get("include_vds_details"):
            classes.append(VdsDetailsStream)
        return [cls(self) for cls in classes]

    def run(self) -> None:
        """Sync every selected stream (the SDK's `sync_all()`) with the run's bookkeeping.

        Every selected stream's SCHEMA goes out first: a child stream announces itself only when
        a parent record reaches it, and a run that skips every unchanged plant would then leave
        a new database without those tables. The last STATE carries the completion marker, only
        when every selected stream was read to its end.
        """
        for stream in self.streams.values():
            if stream.selected and isinstance(stream, SchemaOnceStream):
                stream.announce_schema()
        self.progress.tick()  # starts the clock the rates are measured from
        try:
            self.sync_all()
        finally:
            if isinstance(self.message_writer, StateFlushingWriter):
                self.message_writer.drain()
            if "client" in self.__dict__:
                self.client.close()
                self._log_summary()
        # Reached only when every selected stream was read to its end (any failure raised above).
        # Contract C2's marker: a top-level key the SDK's TapState type does not name.
        cast("dict[str, Any]", self.state)[SYNC_COMPLETED_KEY] = {
            "tap": self.name,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.state_writer.write_state(self.state)

    def load_state(self, state: dict) -> None:
        # A previous run's completion marker says nothing about this run.
        super().load_state({k: v for k, v in state.items() if k != SYNC_COMPLETED_KEY})

    def _log_summary(self) -> None:
        counters = self.crawler.counters
        self.logger.info(
            "TR2000 run: %s; plants extracted %d, unchanged and skipped %d; "
            "PCS revision details answering 404: %d; issue-referenced revisions missing from "
            "the PCS list: %d; repeated keys: %d",
            self.progress.status(),
            counters.plants_crawled,
            counters.plants_unchanged,
            counters.missing_pcs_details,
            counters.unlisted_referenced_revisions,
            counters.duplicate_keys,
        )
        unknown = {
            name: sorted(fields) for name, fields in counters.unknown_fields.items() if fields
        }
        if unknown:
            self.logger.warning("TR2000 fields not in the schemas, not extracted: %s", unknown)


if __name__ == "__main__":
    TapTr2000.cli()
