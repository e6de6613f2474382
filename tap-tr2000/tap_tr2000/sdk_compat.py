"""The one place tap-tr2000 relies on singer-sdk internals (written against singer-sdk 0.54).

Everything else in the package uses the SDK's public API; tests/test_sdk_boundary.py checks that,
and tests/test_sdk_compat.py checks that what is relied on here still exists and behaves so.

Relied on, and why:

- `Stream._write_schema_message()`: the SDK's SCHEMA writer. The `@final` `Stream.sync()` calls
  it at every child context's sync: thousands of identical, large messages per run (a fifth of
  the tap's CPU). `SchemaOnceStream` overrides it to write each stream's SCHEMA once per run, and
  `announce_schema()` calls it so the tap can announce every selected stream up front (a child
  stream otherwise announces itself only when a parent record reaches it). The SDK has no
  public SCHEMA hook.
- `Tap.invoke()`'s way of building the tap from the command line (`_ConfigInput`, `load_json`,
  the constructor's arguments). `Tap.sync_all()` is `@final` and has no hook before or after the
  run, so `RunningTap.invoke()` builds the tap as `Tap.invoke()` does and calls `run()`:
  `sync_all()` plus what the run does around it (the up-front SCHEMAs, the completion marker,
  the summary, the drain of the writer also on a failure).
"""

from __future__ import annotations

import typing as t

from singer_sdk import Stream, Tap
from singer_sdk.helpers._util import load_json
from singer_sdk.plugin_base import _ConfigInput


class SchemaOnceStream(Stream):
    """A stream whose SCHEMA message is written once per run, however many contexts it syncs."""

    _schema_announced: bool = False

    def announce_schema(self) -> None:
        """Write the stream's SCHEMA now unless it was written already (then do nothing)."""
        if self._schema_announced:
            return
        self._schema_announced = True
        super()._write_schema_message()

    def _write_schema_message(self) -> None:
        self.announce_schema()


class RunningTap(Tap):
    """A tap whose command line calls `run()`: `sync_all()` with what the run does around it."""

    @classmethod
    def invoke(
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
        **unknown: t.Any,
    ) -> None:
        """Build the tap as `Tap.invoke()` does (`--about` prints and exits), then `run()` it."""
        if unknown:  # an option a newer SDK added: it must not be dropped without a word
            msg = f"{cls.name}: command line options not handled: {sorted(unknown)}"
            raise TypeError(msg)
        super(Tap, cls).invoke(about=about, about_format=about_format)
        cls.print_version(print_fn=cls.logger.info)
        config = config or _ConfigInput()
        tap = cls(
            config=config.config,
            state=None if state is None else load_json(state.read()),
            catalog=None if catalog is None else load_json(catalog.read()),
            parse_env_config=config.parse_env,
            validate_config=True,
        )
        tap.run()

    def run(self) -> None:
        """The whole run; a tap extends it around `self.sync_all()`."""
        self.sync_all()
