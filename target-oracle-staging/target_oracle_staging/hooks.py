"""The post-load hook: SQL scripts split the way SQL*Plus and SQLcl split them.

A statement ends at `;` outside string literals, quoted identifiers and comments; on Oracle a
PL/SQL block (BEGIN, DECLARE, CREATE [OR REPLACE] PROCEDURE/FUNCTION/PACKAGE/TRIGGER/TYPE) ends
at a line holding only `/`, and keeps its `END;`. SQL is sent without its trailing `;` (the
driver refuses it: ORA-00911). `EXEC proc(...)` becomes `BEGIN proc(...); END;`. Other SQL*Plus
commands (SET, PROMPT, SPOOL, WHENEVER, ...) are not SQL: they are refused when the target
starts, before any data is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLSQL_START = re.compile(
    r"(BEGIN|DECLARE|CREATE\s+(OR\s+REPLACE\s+)?((NON)?EDITIONABLE\s+)?"
    r"(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE|LIBRARY)\b)",
    re.IGNORECASE,
)
_EXEC = re.compile(r"^EXEC(UTE)?\s+(?P<call>.+?);?\s*$", re.IGNORECASE | re.DOTALL)
_SQLPLUS_COMMANDS = re.compile(
    r"^(SET|PROMPT|SPOOL|WHENEVER|DEFINE|UNDEFINE|COLUMN|TTITLE|BTITLE|BREAK|COMPUTE|"
    r"PAUSE|ACCEPT|CONNECT|DISCONNECT|EXIT|QUIT|SHOW|START|@)\b",
    re.IGNORECASE,
)
_TRANSACTION_WORDS = re.compile(r"^(SET\s+TRANSACTION|SET\s+ROLE)\b", re.IGNORECASE)
_DOLLAR_TAG = re.compile(r"\$[A-Za-z_]*\$")


class ScriptError(ValueError):
    """A post-load script that cannot be run as written."""


@dataclass(frozen=True)
class ScriptStatement:
    sql: str
    line: int  # where it starts in its script (1-based)
    plsql: bool = False


def _skip_space_and_comments(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            break
    return i


def _end_of_quoted(text: str, i: int, *, postgres: bool) -> int:  # noqa: PLR0911
    """The index after the literal, identifier or comment starting at `i` (or `i` if none)."""
    n = len(text)
    c = text[i]
    at_word_start = i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$#")
    if at_word_start and c in "nN" and text[i + 1 : i + 3].lower() == "q'":
        i, c = i + 1, text[i + 1]  # NQ'...' is a q-quote too
    if at_word_start and c in "qQ" and i + 2 < n and text[i + 1] == "'":
        close = {"[": "]", "{": "}", "(": ")", "<": ">"}.get(text[i + 2], text[i + 2])
        end = text.find(close + "'", i + 3)
        return n if end < 0 else end + 2
    if c == "'":
        j = i + 1
        while j < n:
            if text[j] == "'":
                if j + 1 < n and text[j + 1] == "'":
                    j += 2
                    continue
                return j + 1
            j += 1
        return n
    if c == '"':
        end = text.find('"', i + 1)
        return n if end < 0 else end + 1
    if text.startswith("--", i):
        end = text.find("\n", i)
        return n if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return n if end < 0 else end + 2
    if postgres and c == "$" and (tag := _DOLLAR_TAG.match(text, i)):
        end = text.find(tag.group(0), tag.end())
        return n if end < 0 else end + len(tag.group(0))
    return i


def _slash_line_at(text: str, i: int) -> int | None:
    """If a line holding only `/` starts at `i`, the index after it."""
    match = re.compile(r"[ \t]*/[ \t]*(\n|$)").match(text, i)
    return match.end() if match else None


def split_script(text: str, *, oracle: bool) -> list[ScriptStatement]:
    """Split a script into statements (see the module docstring for the rules)."""
    statements: list[ScriptStatement] = []
    n, i = len(text), 0
    while True:
        i = _skip_space_and_comments(text, i)
        if i >= n:
            return statements
        if (after := _slash_line_at(text, i)) is not None and (i == 0 or text[i - 1] == "\n"):
            i = after  # a `/` after a statement that already ended: nothing to run
            continue
        start, line = i, text.count("\n", 0, i) + 1
        plsql = oracle and bool(_PLSQL_START.match(text, start))
        j = start
        end = None
        while j < n:
            skipped = _end_of_quoted(text, j, postgres=not oracle)
            if skipped != j:
                j = skipped
                continue
            if text[j] == "\n" and (after := _slash_line_at(text, j + 1)) is not None:
                end, i = j, after
                break
            if text[j] == ";" and not plsql:
                end, i = j, j + 1
                break
            j += 1
        if end is None:
            end, i = n, n
        sql = text[start:end].strip()
        if sql:
            statements.append(_statement(sql, line, plsql=plsql, oracle=oracle))


def _statement(sql: str, line: int, *, plsql: bool, oracle: bool) -> ScriptStatement:
    if oracle and (match := _EXEC.match(sql)):
        call = match.group("call").strip().rstrip(";")
        return ScriptStatement(f"BEGIN {call}; END;", line, plsql=True)
    if oracle and not plsql and _SQLPLUS_COMMANDS.match(sql) and not _TRANSACTION_WORDS.match(sql):
        word = sql.split(None, 1)[0]
        msg = (
            f"line {line}: {word.upper()} is a SQL*Plus command, not SQL; python-oracledb "
            "cannot run it: remove it from post_load_sql"
        )
        raise ScriptError(msg)
    if plsql and not sql.rstrip().endswith(";"):
        sql += ";"  # a block closed by `/` whose END lacked its `;` would not compile
    return ScriptStatement(sql, line, plsql=plsql)


def post_load_statements(setting: str | list[str] | None, *, oracle: bool) -> list[str]:
    """Every statement of the post_load_sql setting, in order (a list holds several scripts)."""
    if not setting:
        return []
    scripts = setting if isinstance(setting, list) else [setting]
    statements: list[str] = []
    for number, script in enumerate(scripts, start=1):
        try:
            statements += [s.sql for s in split_script(script or "", oracle=oracle)]
        except ScriptError as exc:
            where = (
                f"post_load_sql item {number}, " if isinstance(setting, list) else "post_load_sql "
            )
            raise ScriptError(f"{where}{exc}") from exc
    return statements
