"""For the compat modules' tests: what RunningTap copies from Tap.invoke(), and Singer output."""

from __future__ import annotations

import inspect
import io
import json
from collections.abc import Callable
from contextlib import redirect_stdout
from typing import Any

from singer_sdk import Tap
from singer_sdk.helpers._util import load_json
from singer_sdk.plugin_base import _ConfigInput

# RunningTap.invoke builds the tap with these, as Tap.invoke does before it calls sync_all().
TAP_INVOKE_PARTS = (
    "config=config.config",
    "state=None if state is None else load_json(state.read())",
    "catalog=None if catalog is None else load_json(catalog.read())",
    "parse_env_config=config.parse_env",
    "validate_config=True",
    "tap.sync_all()",
)


def check_tap_invoke_is_what_running_tap_copies() -> None:
    """Tap.invoke still takes the same options and builds the tap the same way."""
    assert list(inspect.signature(Tap.invoke).parameters) == [
        "about",
        "about_format",
        "config",
        "state",
        "catalog",
    ]
    source = inspect.getsource(Tap.invoke)
    missing = [part for part in TAP_INVOKE_PARTS if part not in source]
    assert not missing, f"Tap.invoke no longer has {missing}: update RunningTap.invoke"
    assert set(_ConfigInput.__dataclass_fields__) == {"config", "parse_env"}
    assert load_json('{"a": 1}') == {"a": 1}


def messages_written_by(action: Callable[[], object]) -> list[dict[str, Any]]:
    """The Singer messages `action()` writes to stdout (text or its binary buffer), parsed."""
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    with redirect_stdout(buffer):
        action()
        buffer.flush()
    raw = buffer.buffer.getvalue().decode()
    return [json.loads(line) for line in raw.splitlines() if line]
