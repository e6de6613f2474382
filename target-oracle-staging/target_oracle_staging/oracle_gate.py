"""The offline Oracle gate: every statement the target would send, checked against the model.

No Oracle server is reachable from development or CI, and a syntax check cannot see Oracle's
limits or semantics. The gate replays a transcript (statements, commits, rollbacks, as a
dry-run session records them) against a model of the tables it creates and refuses what
Oracle would refuse, with Oracle's error code:

- per statement: non-Oracle syntax and types, identifier length and reserved words, column
  count, index key width, LOBs in keys, comparisons, ordering and grouping, MERGE rules, bind
  names, literal and bound values against NOT NULL and lengths, the LOB bind order;
- across statements: DDL that would commit pending DML, and a global temporary table read
  after a commit (or DDL) emptied it.

The rules come from Oracle's documentation and error messages; none has met a live server.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from dataclasses import dataclass, field

from target_oracle_staging.oracle_model import (
    MAX_COLUMNS,
    NUMBER_MAX_PRECISION,
    KeyWidth,
    OracleModel,
    OracleType,
)

_LONG_BIND_BYTES = 4000
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_QUOTED_IDENT = re.compile(r'"[^"]*"')
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_IDENT = re.compile(r"\b[A-Za-z][A-Za-z0-9_$#]*\b")
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE|RENAME|COMMENT|GRANT|REVOKE)\b", re.I)
_DML = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE)\b", re.I)
_PLSQL = re.compile(r"^\s*(BEGIN|DECLARE)\b", re.I)
_NON_ORACLE_SYNTAX = [
    (re.compile(r"\bIF\s+(NOT\s+)?EXISTS\b", re.I), "ORA-00933", "IF [NOT] EXISTS"),
    (
        re.compile(r"^\s*CREATE\s+(LOCAL\s+)?TEMP(ORARY)?\s+TABLE\b", re.I),
        "ORA-00901",
        "CREATE TEMPORARY TABLE (Oracle has CREATE GLOBAL TEMPORARY TABLE)",
    ),
    (re.compile(r"\bON\s+CONFLICT\b", re.I), "ORA-00933", "ON CONFLICT"),
    (re.compile(r"\bIS\s+(NOT\s+)?DISTINCT\s+FROM\b", re.I), "ORA-00908", "IS [NOT] DISTINCT FROM"),
    (re.compile(r"\bLIMIT\s+\d", re.I), "ORA-00933", "LIMIT (Oracle: FETCH FIRST n ROWS ONLY)"),
    (re.compile(r"::"), "ORA-00911", "the :: cast"),
]
_TYPE = re.compile(
    r"^(?P<name>[A-Z][A-Z0-9_]*(?:\s+PRECISION)?)\s*(?:\((?P<args>[^)]*)\))?"
    r"(?P<tz>\s+WITH(?:\s+LOCAL)?\s+TIME\s+ZONE)?",
    re.I,
)
_ORACLE_TYPES = {
    "VARCHAR2", "NVARCHAR2", "CHAR", "NCHAR", "NUMBER", "FLOAT", "BINARY_FLOAT",
    "BINARY_DOUBLE", "DATE", "TIMESTAMP", "CLOB", "NCLOB", "BLOB", "RAW", "INTEGER", "INT",
    "SMALLINT", "DECIMAL", "DOUBLE PRECISION", "REAL", "ROWID", "XMLTYPE",
}  # fmt: skip
_LOB_TYPES = {"CLOB", "NCLOB", "BLOB"}


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    statement: int | None = None  # position in the transcript (1-based), None: standalone
    sql: str = ""

    def __str__(self) -> str:
        where = f"statement {self.statement}: " if self.statement else ""
        excerpt = " ".join(self.sql.split())[:160]
        return f"{where}{self.code}: {self.message}" + (f" [{excerpt}]" if excerpt else "")


class OracleGateError(AssertionError):
    """Statements Oracle would refuse (or run with a different meaning)."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{len(violations)} statement(s) Oracle would refuse:\n{lines}")


@dataclass
class _Column:
    type: OracleType | None  # None: a type the gate does not size (still valid Oracle)
    nullable: bool


@dataclass
class _Table:
    columns: dict[str, _Column]
    temporary: bool = False  # a global temporary table, ON COMMIT DELETE ROWS
    has_rows: bool = False  # rows inserted in the open transaction (temporary tables)
    keys: list[tuple[str, list[str]]] = field(default_factory=list)  # (PRIMARY KEY|UNIQUE, cols)


@dataclass
class _State:
    tables: dict[str, _Table] = field(default_factory=dict)
    pending_dml: list[int] = field(default_factory=list)  # statements since the last commit


def _mask(sql: str) -> str:
    """`sql` with string literals blanked, so rules never match inside data."""
    return _STRING_LITERAL.sub(lambda m: "'" + " " * (len(m.group()) - 2) + "'", sql)


def _split_top(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return [p.strip() for p in parts if p.strip()]


def _paren_body(sql: str, start: int) -> tuple[str, int]:
    """The text inside the parenthesis opening at or after `start`, and the index after it."""
    open_at = sql.index("(", start)
    depth = 0
    for i in range(open_at, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return sql[open_at + 1 : i], i + 1
    msg = "unbalanced parentheses"
    raise ValueError(msg)


def _name(text: str) -> str:
    text = text.strip()
    return text[1:-1] if text.startswith('"') else text.upper()


def _table_name(ref: str) -> str:
    return ".".join(_name(p) for p in ref.split("."))


class OracleGate:
    """Checks statements and transcripts against an Oracle model (limits and semantics)."""

    def __init__(self, model: OracleModel | None = None) -> None:
        self.model = model or OracleModel()

    # -- public -----------------------------------------------------------------------------
    def check_statement(self, sql: str, params: t.Any = None) -> list[Violation]:
        """What Oracle would refuse in this one statement (tables it creates are checked too)."""
        return self._statement(_State(), 0, sql, params, None)

    def run(self, transcript: t.Iterable[t.Any], tables: dict | None = None) -> list[Violation]:
        """Every violation in a dry-run transcript (Statement / Commit / Rollback entries)."""
        state = _State(tables=dict(tables or {}))
        violations: list[Violation] = []
        for number, entry in enumerate(transcript, start=1):
            kind = type(entry).__name__
            if kind == "Commit":
                self._commit(state)
            elif kind == "Rollback":
                state.pending_dml.clear()
                for table in state.tables.values():
                    table.has_rows = False
            else:
                violations += self._statement(
                    state, number, entry.sql, entry.params, getattr(entry, "bind_types", None)
                )
        return violations

    def key_widths(self, create_table_sql: str) -> list[tuple[str, KeyWidth]]:
        """Each key constraint of a CREATE TABLE with its byte width against the limit."""
        state = _State()
        self._statement(state, 0, create_table_sql, None, None)
        widths = []
        for table in state.tables.values():
            for kind, cols in table.keys:
                typed = [
                    (c, column_type)
                    for c in cols
                    if c in table.columns and (column_type := table.columns[c].type) is not None
                ]
                widths.append((f"{kind} ({', '.join(cols)})", self.model.key_width(typed)))
        return widths

    def require(self, transcript: t.Iterable[t.Any]) -> None:
        if violations := self.run(transcript):
            raise OracleGateError(violations)

    # -- transcript state ---------------------------------------------------------------------
    @staticmethod
    def _commit(state: _State) -> None:
        state.pending_dml.clear()
        for table in state.tables.values():
            if table.temporary:
                table.has_rows = False

    def _statement(
        self, state: _State, number: int, sql: str, params: t.Any, bind_types: t.Any
    ) -> list[Violation]:
        masked = _mask(sql)
        found: list[tuple[str, str]] = []
        plsql = bool(_PLSQL.match(masked))
        if masked.rstrip().endswith(";") and not plsql:
            found.append(("ORA-00933", "a statement sent through a driver ends without ';'"))
        for pattern, code, what in _NON_ORACLE_SYNTAX:
            if pattern.search(masked):
                found.append((code, f"{what} is not Oracle SQL"))
        found += self._identifiers(masked)
        found += self._binds(masked)
        if _DDL.match(masked):
            if state.pending_dml:
                first = state.pending_dml[0]
                found.append(
                    (
                        "IMPLICIT-COMMIT",
                        "DDL commits the open transaction on Oracle: the DML of statement "
                        f"{first} onwards would be committed here, before the target commits "
                        "or rolls it back",
                    )
                )
            self._commit(state)
            found += self._ddl(state, masked)
        elif _DML.match(masked) or plsql:
            state.pending_dml.append(number)
            found += self._dml(state, masked, params, bind_types)
        else:
            found += self._query(state, masked)
        found += self._untyped_datetimes(params, bind_types)
        return [Violation(code, message, number or None, sql) for code, message in found]

    # -- names and binds ----------------------------------------------------------------------
    def _identifiers(self, masked: str) -> list[tuple[str, str]]:
        found = []
        limit = self.model.identifier_max_bytes
        for quoted in _QUOTED_IDENT.findall(masked):
            if len(quoted[1:-1].encode()) > limit:
                found.append(("ORA-00972", f"identifier {quoted} is over {limit} bytes"))
        unquoted = _QUOTED_IDENT.sub('""', masked)
        for word in set(_IDENT.findall(unquoted)):
            if len(word.encode()) > limit:
                found.append(("ORA-00972", f"identifier {word} is over {limit} bytes"))
        return found

    def _binds(self, masked: str) -> list[tuple[str, str]]:
        found = []
        for name in set(_BIND.findall(_QUOTED_IDENT.sub('""', masked))):
            if self.model.is_reserved(name):
                found.append(("ORA-01745", f"bind variable :{name} is a reserved word"))
        return found

    # -- DDL ------------------------------------------------------------------------------------
    def _ddl(self, state: _State, masked: str) -> list[tuple[str, str]]:
        create = re.match(
            r"^\s*CREATE\s+(?P<gtt>GLOBAL\s+TEMPORARY\s+)?TABLE\s+(?P<ref>[\w.$#\"]+)\s*\(",
            masked,
            re.I,
        )
        if create:
            return self._create_table(state, masked, create)
        index = re.match(
            r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+\S+\s+ON\s+(?P<ref>[\w.$#\"]+)\s*\(", masked, re.I
        )
        if index:
            table = state.tables.get(_table_name(index.group("ref")))
            body, _ = _paren_body(masked, index.end() - 1)
            return self._key(table, [_name(c) for c in _split_top(body)], "index")
        alter = re.match(
            r"^\s*ALTER\s+TABLE\s+(?P<ref>[\w.$#\"]+)\s+(?P<rest>.*)$", masked, re.I | re.S
        )
        if alter:
            return self._alter(state, _table_name(alter.group("ref")), alter.group("rest"))
        drop = re.match(r"^\s*DROP\s+TABLE\s+(?P<ref>[\w.$#\"]+)", masked, re.I)
        if drop:
            state.tables.pop(_table_name(drop.group("ref")), None)
        return []

    def _create_table(self, state: _State, masked: str, match: re.Match) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        body, end = _paren_body(masked, match.end() - 1)
        temporary = bool(match.group("gtt"))
        if temporary and not re.search(
            r"ON\s+COMMIT\s+(DELETE|PRESERVE)\s+ROWS", masked[end:], re.I
        ):
            found.append(("ORA-00905", "a global temporary table says ON COMMIT … ROWS"))
        columns: dict[str, _Column] = {}
        keys: list[tuple[str, list[str]]] = []
        for item in _split_top(body):
            constraint = re.match(
                r"^(CONSTRAINT\s+\S+\s+)?(?P<kind>PRIMARY\s+KEY|UNIQUE)\s*\((?P<cols>[^)]*)\)",
                item,
                re.I,
            )
            if constraint:
                kind = " ".join(constraint.group("kind").upper().split())
                keys.append((kind, [_name(c) for c in constraint.group("cols").split(",")]))
                continue
            column = re.match(r'^(?P<name>"[^"]+"|[\w$#]+)\s+(?P<rest>.+)$', item, re.S)
            if column is None:
                found.append(("ORA-00904", f"cannot read the column definition {item!r}"))
                continue
            name = _name(column.group("name"))
            if self.model.is_reserved(name) and not column.group("name").startswith('"'):
                found.append(("ORA-00904", f"column name {name} is a reserved word"))
            oracle_type, problems = self._parse_type(column.group("rest"))
            found += problems
            nullable = not re.search(r"\bNOT\s+NULL\b", column.group("rest"), re.I)
            columns[name] = _Column(oracle_type, nullable)
        if len(columns) > MAX_COLUMNS:
            found.append(
                ("ORA-01792", f"{len(columns)} columns: a table has at most {MAX_COLUMNS}")
            )
        table = _Table(columns, temporary=temporary, keys=keys)
        for kind, cols in keys:
            found += self._key(table, cols, kind)
        name = _table_name(match.group("ref"))
        if self.model.is_reserved(name.split(".")[-1]):
            found.append(("ORA-00903", f"table name {name} is a reserved word"))
        state.tables[name] = table
        return found

    def _parse_type(  # noqa: PLR0911 - one return per type family
        self, text: str
    ) -> tuple[OracleType | None, list[tuple[str, str]]]:
        match = _TYPE.match(text.strip())
        if match is None:
            return None, [("ORA-00902", f"invalid datatype in {text.strip()!r}")]
        name = " ".join(match.group("name").upper().split())
        args = [a.strip() for a in (match.group("args") or "").split(",") if a.strip()]
        if name not in _ORACLE_TYPES:
            return None, [("ORA-00902", f"invalid datatype {name}")]
        if name in {"VARCHAR2", "NVARCHAR2", "RAW"}:
            if not args:
                return None, [("ORA-00906", f"{name} needs a length")]
            length_text = args[0].split()
            length = int(length_text[0])
            in_bytes = len(length_text) == 1 or length_text[1].upper() == "BYTE"
            limit = self.model.varchar_max_bytes
            if length > limit:
                return None, [("ORA-00910", f"{name}({args[0]}) is longer than {limit}")]
            chars = length if not in_bytes else max(1, length // 4)
            return OracleType("VARCHAR2", length=chars), []
        if name == "NUMBER":
            precision = None if not args or args[0] == "*" else int(args[0])
            scale = int(args[1]) if len(args) > 1 else None
            if precision is not None and not 1 <= precision <= NUMBER_MAX_PRECISION:
                return None, [("ORA-01727", f"NUMBER precision {precision} is not 1..38")]
            if scale is not None and not -84 <= scale <= 127:
                return None, [("ORA-01728", f"NUMBER scale {scale} is not -84..127")]
            return OracleType("NUMBER", precision=precision, scale=scale), []
        if name in {"INTEGER", "INT", "SMALLINT"}:
            return OracleType("NUMBER", precision=38, scale=0), []
        if name in {"TIMESTAMP", "DATE"} or name in _LOB_TYPES:
            return OracleType(name), []
        return None, []

    def _key(self, table: _Table | None, cols: list[str], what: str) -> list[tuple[str, str]]:
        if table is None:
            return []
        found: list[tuple[str, str]] = []
        typed: list[tuple[str, OracleType]] = []
        for col in cols:
            column = table.columns.get(col)
            if column is None:
                found.append(("ORA-00904", f"{what} column {col} is not a column of the table"))
            elif column.type is not None and column.type.is_lob:
                code = "ORA-02329" if what != "index" else "ORA-02327"
                found.append((code, f"{what} column {col} is a {column.type.name}"))
            elif column.type is not None:
                typed.append((col, column.type))
        width = self.model.key_width(typed)
        if not width.fits:
            found.append(("ORA-01450", f"{what} key too wide: {width.describe()}"))
        return found

    def _alter(self, state: _State, name: str, rest: str) -> list[tuple[str, str]]:
        table = state.tables.get(name)
        found: list[tuple[str, str]] = []
        action = re.match(r"^(ADD|MODIFY)\s*\((?P<body>.*)\)\s*$", rest.strip(), re.I | re.S)
        if action is None:
            bare = re.match(r"^(ADD|ALTER)\s+(COLUMN\s+)?\w+\s+(\w+|TYPE|DROP)", rest.strip(), re.I)
            if bare and not re.match(r"^ADD\s+CONSTRAINT\b", rest.strip(), re.I):
                found.append(
                    (
                        "ORA-00933",
                        f"ALTER TABLE {rest.split()[0]} without parentheses is not Oracle's syntax",
                    )
                )
            return found
        verb = action.group(1).upper()
        for item in _split_top(action.group("body")):
            column = re.match(r'^(?P<name>"[^"]+"|[\w$#]+)\s*(?P<rest>.*)$', item, re.S)
            if column is None:
                continue
            col, definition = _name(column.group("name")), column.group("rest")
            if re.fullmatch(r"(NOT\s+)?NULL", definition.strip(), re.I):
                if table and col in table.columns:
                    table.columns[col].nullable = definition.strip().upper() == "NULL"
                continue
            oracle_type, problems = self._parse_type(definition)
            found += problems
            not_null = bool(re.search(r"\bNOT\s+NULL\b", definition, re.I))
            if verb == "ADD" and not_null and not re.search(r"\bDEFAULT\b", definition, re.I):
                found.append(("ORA-01758", f"column {col} added NOT NULL without a default"))
            current = table.columns.get(col) if table else None
            current_type = current.type if current else None
            widened_to_lob = (
                current_type and oracle_type and oracle_type.is_lob and not current_type.is_lob
            )
            if verb == "MODIFY" and widened_to_lob and current_type and oracle_type:
                found.append(
                    ("ORA-22858", f"{col} {current_type.sql} cannot become {oracle_type.sql}")
                )
            if table is not None:
                nullable = current.nullable if (current and verb == "MODIFY") else not not_null
                table.columns[col] = _Column(oracle_type, nullable)
        return found

    # -- DML and queries ------------------------------------------------------------------------
    def _lob_columns(self, state: _State, masked: str) -> set[str]:
        lobs: set[str] = set()
        for name, table in state.tables.items():
            short = name.split(".")[-1]
            if re.search(rf"\b{re.escape(short)}\b", masked, re.I):
                lobs |= {c for c, col in table.columns.items() if col.type and col.type.is_lob}
        return lobs

    def _query(self, state: _State, masked: str) -> list[tuple[str, str]]:
        found = self._emptied_reads(state, masked)
        lobs = self._lob_columns(state, masked)
        if not lobs:
            return found
        lob = "|".join(re.escape(c) for c in sorted(lobs))
        ref = rf"(?:\b\w+\.)?\b(?:{lob})\b"
        checks = [
            (rf"{ref}\s*(=|<>|!=|<|>)|(=|<>|!=|<|>)\s*{ref}", "compared with an operator"),
            (rf"\bPARTITION\s+BY\b[^)]*{ref}", "in PARTITION BY"),
            (rf"\bORDER\s+BY\b[^)]*{ref}", "in ORDER BY"),
            (rf"\bGROUP\s+BY\b[^)]*{ref}", "in GROUP BY"),
            (rf"\bSELECT\s+DISTINCT\b[^;]*?{ref}[^;]*?\bFROM\b", "in SELECT DISTINCT"),
            (rf"\bUNION\s+(?!ALL)[^;]*{ref}", "in a UNION (which compares rows)"),
        ]
        flags = re.I | re.S
        # Assignments (SET c = s.c) are not comparisons.
        compared = re.sub(r"\bSET\b.*?(?=\bWHEN\b|\bWHERE\b|$)", " ", masked, flags=flags)
        for pattern, where in checks:
            if m := re.search(pattern, compared, flags):
                found.append(("ORA-00932", f"a LOB column is {where}: …{m.group()[-80:]}"))
        return found

    def _dml(
        self, state: _State, masked: str, params: t.Any, bind_types: t.Any
    ) -> list[tuple[str, str]]:
        found = self._query(state, masked)
        upper = masked.upper()
        if upper.lstrip().startswith("MERGE"):
            found += self._merge(masked)
        insert = re.match(r"^\s*INSERT\s+INTO\s+(?P<ref>[\w.$#\"]+)\s*\(", masked, re.I)
        if insert:
            name = _table_name(insert.group("ref"))
            table = state.tables.get(name)
            body, end = _paren_body(masked, insert.end() - 1)
            columns = [_name(c) for c in _split_top(body)]
            if table is not None:
                found += self._insert(table, name, columns, masked[end:], params)
                if table.temporary:
                    table.has_rows = True
        found += self._bind_plan(params, bind_types)
        return found

    @staticmethod
    def _emptied_reads(state: _State, masked: str) -> list[tuple[str, str]]:
        """Reads of a global temporary table that a commit (or DDL) emptied since its insert."""
        found: list[tuple[str, str]] = []
        target = re.match(r"^\s*INSERT\s+INTO\s+(?P<ref>[\w.$#\"]+)", masked, re.I)
        written = _table_name(target.group("ref")) if target else None
        for name, table in state.tables.items():
            if not table.temporary or table.has_rows or name == written:
                continue
            short = re.escape(name.split(".")[-1])
            if re.search(rf"\b(FROM|JOIN|USING)\s+([\w$#\"]+\.)?{short}\b", masked, re.I):
                found.append(
                    (
                        "GTT-EMPTIED",
                        f"reads global temporary table {name} after a commit (or DDL) emptied "
                        "it (ON COMMIT DELETE ROWS): it would see no rows",
                    )
                )
        return found

    def _merge(self, masked: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        on = re.search(r"\bON\s*\(", masked, re.I)
        using = re.search(r"\bUSING\s+(?P<src>\(|[\w.$#\"]+)", masked, re.I)
        if on is None or using is None:
            return [("ORA-00969", "MERGE needs USING … ON (…)")]
        on_body, _ = _paren_body(masked, on.end() - 1)
        on_columns = {m.group(1).upper() for m in re.finditer(r"\bt\.(\w+)", on_body, re.I)}
        update = re.search(r"\bUPDATE\s+SET\s+(?P<sets>.*?)(\bWHEN\b|$)", masked, re.I | re.S)
        if update:
            for item in _split_top(update.group("sets")):
                target = _name(item.split("=")[0].split(".")[-1])
                if target in on_columns:
                    found.append(
                        ("ORA-38104", f"MERGE updates {target}, a column of its ON clause")
                    )
        if using.group("src") != "(":
            found.append(
                (
                    "ORA-30926",
                    "MERGE reads a table directly: duplicate keys in it would make the "
                    "MERGE fail (unable to get a stable set of rows); dedup in a subquery",
                )
            )
        else:
            source, _ = _paren_body(masked, using.start("src"))
            partition = re.search(r"PARTITION\s+BY\s+(?P<cols>[^)]*?)\s+ORDER\s+BY", source, re.I)
            grouped = re.search(r"\bGROUP\s+BY\b|\bSELECT\s+DISTINCT\b", source, re.I)
            if partition:
                keys = {_name(c) for c in partition.group("cols").split(",")}
                if not keys >= on_columns or not re.search(r"RN\s*=\s*1\b", source.upper()):
                    found.append(("ORA-30926", "MERGE source is not one row per ON key"))
            elif not grouped:
                found.append(("ORA-30926", "MERGE source is not deduplicated on its ON key"))
        return found

    def _insert(
        self,
        table: _Table,
        name: str,
        columns: list[str],
        rest: str,
        params: t.Any,
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for col, declared in table.columns.items():
            if not declared.nullable and col not in columns:
                found.append(("ORA-01400", f"cannot insert NULL into {name}.{col} (omitted)"))
        values = re.match(r"^\s*VALUES\s*\(", rest, re.I)
        if values is None:
            return found
        body, _ = _paren_body(rest, values.end() - 1)
        items = _split_top(body)
        rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
        for col, item in zip(columns, items, strict=False):
            column = table.columns.get(col)
            if column is None:
                found.append(("ORA-00904", f"{col} is not a column of {name}"))
                continue
            bind = re.fullmatch(r":(\w+)", item.strip())
            candidates: list[t.Any] = []
            if bind:
                candidates = [r.get(bind.group(1)) for r in rows if isinstance(r, dict)]
            elif item.strip() == "''" or item.strip().upper() == "NULL":
                candidates = [None]
            for value in candidates:
                found += self._value(name, col, column, value)
        return found

    def _value(
        self,
        name: str,
        col: str,
        column: _Column,
        value: t.Any,
    ) -> list[tuple[str, str]]:
        if value is None or value == "":
            if not column.nullable:
                return [("ORA-01400", f"cannot insert NULL into {name}.{col} ('' is NULL)")]
            return []
        oracle_type = column.type
        if oracle_type is None:
            return []
        if (
            isinstance(value, str)
            and oracle_type.name == "VARCHAR2"
            and len(value) > (oracle_type.length or 0)
        ):
            return [
                (
                    "ORA-12899",
                    f"value too large for {name}.{col} "
                    f"(actual: {len(value)}, maximum: {oracle_type.length})",
                )
            ]
        if (
            isinstance(value, str)
            and not oracle_type.is_lob
            and len(value.encode()) > _LONG_BIND_BYTES
        ):
            return [("ORA-01461", f"a {len(value.encode())}-byte bind into {col}, not a LOB")]
        return []

    @staticmethod
    def _untyped_datetimes(params: t.Any, bind_types: t.Any) -> list[tuple[str, str]]:
        """python-oracledb binds an untyped datetime as DATE: fractional seconds are lost."""
        rows = params if isinstance(params, list) else [params]
        typed = bind_types if isinstance(bind_types, dict) else {}
        names = {
            name
            for row in rows
            if isinstance(row, dict)
            for name, value in row.items()
            if isinstance(value, dt.datetime) and "TIMESTAMP" not in str(typed.get(name))
        }
        return [
            ("UNTYPED-TIMESTAMP", f"datetime bind :{name} without DB_TYPE_TIMESTAMP binds as DATE")
            for name in sorted(names)
        ]

    def _bind_plan(self, params: t.Any, bind_types: t.Any) -> list[tuple[str, str]]:
        """Array DML: binds over 4,000 bytes (LONG, LOB) after every other bind (ORA-24816)."""
        if not isinstance(bind_types, list) or not bind_types:
            return []
        long_seen = False
        for position, size in enumerate(bind_types, start=1):
            if isinstance(size, int):  # a VARCHAR2(n CHAR) bind: bytes as the model sizes it
                is_long = self.model.bind_is_long(OracleType("VARCHAR2", length=size))
            else:
                is_long = "LONG" in str(size) or "LOB" in str(size)
            if is_long:
                long_seen = True
            elif long_seen:
                return [("ORA-24816", f"bind {position} is short but follows a long or LOB bind")]
        return []
