"""Schema evolution: what a new SCHEMA means for an existing column.

A change the table can absorb is applied (a new column, integer -> number, a longer string,
any value into a text column); one it cannot is an error naming stream, table, column, the
old and the new type, raised before any row of the new schema is converted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from target_oracle_staging.dialects import Dialect, ReflectedColumn
from target_oracle_staging.tables import Column
from target_oracle_staging.types import UNBOUNDED_LENGTH, ColumnType, Kind


class SchemaEvolutionError(RuntimeError):
    """An existing column cannot hold the new type without losing data."""


class Action(enum.Enum):
    KEEP = "keep"  # the column holds the new values as it is
    ALTER = "alter"  # change the column's type in place (widen)


@dataclass(frozen=True)
class Decision:
    action: Action
    type: ColumnType  # the column's type after the decision: what values are converted to


def _describe(dialect: Dialect, column_type: ColumnType) -> str:
    return dialect.model.type_for(column_type).sql


def decide(  # noqa: PLR0911 - one return per decision
    dialect: Dialect, existing: ReflectedColumn, wanted: Column, *, where: str
) -> Decision:
    """Keep, widen, or refuse one existing column for the wanted definition."""
    current = existing.type
    new = wanted.type
    if current is None:
        return Decision(Action.KEEP, new)  # a type we do not know: trust the database
    if current.kind is Kind.STRING:
        return _string_decision(dialect, current, new, where=where, column=wanted.name)
    if current.kind == new.kind:
        if current.kind is Kind.NUMBER and (new.scale or 0) > (current.scale or 0):
            return (
                Decision(Action.ALTER, new)
                if current.scale is not None
                else Decision(Action.KEEP, current)
            )
        return Decision(Action.KEEP, current)
    if current.kind is Kind.JSON:
        return Decision(Action.KEEP, current)  # JSON holds any value
    if current.kind is Kind.NUMBER and new.kind is Kind.INTEGER:
        return Decision(Action.KEEP, current)
    if current.kind is Kind.INTEGER and new.kind is Kind.NUMBER:
        return Decision(Action.ALTER, new)
    if current.kind is Kind.DATETIME and new.kind is Kind.DATE:
        return Decision(Action.KEEP, current)
    msg = (
        f"{where}: column {wanted.name} holds {current.kind.value} ({existing.sql}), the new "
        f"schema sends {new.kind.value} ({_describe(dialect, new)}); the table cannot hold "
        "both: change the column by hand, or load into a new table_prefix"
    )
    raise SchemaEvolutionError(msg)


def _string_decision(
    dialect: Dialect, current: ColumnType, new: ColumnType, *, where: str, column: str
) -> Decision:
    """Text holds any value (converters render it as text, JSON included, checked against the
    column's length); a longer string widens the column."""
    if new.kind is not Kind.STRING:
        return Decision(Action.KEEP, current if current.length is not None else new_text(new))
    if current.length is None:  # the database enforces no length (DuckDB VARCHAR)
        return Decision(Action.KEEP, new)
    model = dialect.model
    current_oracle = model.type_for(current)
    new_oracle = model.type_for(new)
    if current_oracle.is_lob:
        return Decision(Action.KEEP, current)
    if not new_oracle.is_lob and (new_oracle.length or 0) <= (current_oracle.length or 0):
        return Decision(Action.KEEP, current)
    if new_oracle.is_lob and (dialect.name == "oracle" or dialect.parity):
        msg = (
            f"{where}: column {column} is {current_oracle.sql} and would have to become CLOB, "
            "which Oracle cannot do in place (ORA-22858); widen it by hand (add a CLOB "
            "column, copy, drop, rename) or declare a maxLength of at most "
            f"{model.varchar_max_chars}"
        )
        raise SchemaEvolutionError(msg)
    return Decision(Action.ALTER, new)


def new_text(new: ColumnType) -> ColumnType:
    """A non-string kind kept in a text column of unknown length: as long as Oracle's type."""
    return ColumnType(Kind.STRING, length=UNBOUNDED_LENGTH if new.kind is Kind.JSON else None)
