"""Test support: run the real target in-process and read back what landed.

Used by this package's tests and by end-to-end tests of the pipeline.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import msgspec
import sqlalchemy as sa

from target_oracle_staging.target import TargetOracleStaging


def schema_message(stream: str, properties: dict, keys: list[str] | None = None) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": keys or [],
    }


def record_message(stream: str, record: dict, version: int | None = None) -> dict:
    message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
    if version is not None:
        message["version"] = version
    return message


def state_message(value: dict) -> dict:
    return {"type": "STATE", "value": value}


_encoder = msgspec.json.Encoder(decimal_format="number")


def to_lines(messages: list[dict]) -> str:
    """Singer JSON lines; Decimals are written as JSON numbers with every digit."""
    return "".join(_encoder.encode(m).decode("utf-8") + "\n" for m in messages)


@dataclass
class TargetRun:
    run_id: str
    states: list[dict]
    error: BaseException | None = None


def run_target(config: dict, messages: list[dict], *, expect_error: bool = False) -> TargetRun:
    """Run the target in-process on the messages; STATE lines it prints are collected."""
    out = io.StringIO()
    error: BaseException | None = None
    target: TargetOracleStaging | None = None
    with contextlib.redirect_stdout(out):
        try:
            target = TargetOracleStaging(config=config)
            target.listen(io.StringIO(to_lines(messages)))
        except Exception as exc:
            error = exc
    if error is not None and not expect_error:
        raise error
    if expect_error and error is None:
        # An AssertionError, not pytest.fail: this module ships in the wheel, pytest does not.
        raise AssertionError("the target run was expected to fail but succeeded")
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    run_id = target.run.run_id if target is not None else ""
    return TargetRun(run_id=run_id, states=states, error=error)


@dataclass
class Database:
    """A database the target writes to, plus a way to read back what landed."""

    kind: str
    config: dict
    url: str
    prefix: str = "STG_TEST_"
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url)
        return self._engine

    def table(self, name: str) -> str:
        schema = self.config.get("default_target_schema")
        return f"{schema}.{name.lower()}" if schema else name.lower()

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def columns(self, table: str) -> list[str]:
        schema = self.config.get("default_target_schema")
        inspector = sa.inspect(self.engine)
        return [c["name"] for c in inspector.get_columns(table.lower(), schema=schema)]

    def table_names(self) -> list[str]:
        """The names of the tables in the database (its target schema)."""
        schema = self.config.get("default_target_schema")
        return sa.inspect(self.engine).get_table_names(schema=schema)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
