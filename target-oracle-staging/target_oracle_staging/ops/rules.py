"""Alert rules as data: a YAML file of rules, checked with errors that name file, rule and line."""

from __future__ import annotations

import fnmatch
import typing as t
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

KINDS: dict[str, dict[str, tuple[type, t.Any]]] = {
    # kind -> parameter -> (type, default; REQUIRED when it has none)
    "rejects": {"threshold": (int, 0), "scope": (str, "stream")},
    "duration": {"max_seconds": (float, None), "scope": (str, "run")},
    "empty_extraction": {"history_runs": (int, 5)},
    "incomplete_run": {
        "statuses": (list, ["FAILED", "INCOMPLETE", "INTERRUPTED"]),
        "stale_minutes": (float, 120.0),
    },
    "staleness": {"max_age_hours": (float, None)},
}
COMMON = {
    "name": (str, None),
    "kind": (str, None),
    "description": (str, ""),
    "severity": (str, "warning"),
    "source": (list, ["*"]),
    "stream": (list, ["*"]),
    "notify": (list, []),
    "enabled": (bool, True),
}
SEVERITIES = ("warning", "error")
SCOPES = ("run", "stream")


class RulesError(ValueError):
    """The rules file is not valid; the text names the file, the rule, the key and the line."""


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    severity: str = "warning"
    source: tuple[str, ...] = ("*",)
    stream: tuple[str, ...] = ("*",)
    notify: tuple[str, ...] = ()
    description: str = ""
    params: dict[str, t.Any] = field(default_factory=dict)

    def param(self, name: str) -> t.Any:
        return self.params[name]

    def matches(self, source: str | None, stream: str | None = None) -> bool:
        """Source and stream names match the rule's glob patterns (case-insensitive)."""
        ok = any(fnmatch.fnmatchcase((source or "").upper(), p.upper()) for p in self.source)
        if stream is None:
            return ok
        return ok and any(fnmatch.fnmatchcase(stream.lower(), p.lower()) for p in self.stream)


def default_rules_path() -> Path:
    return Path(str(resources.files("target_oracle_staging.ops") / "default_rules.yml"))


def _line_of(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _coerce(where: str, key: str, value: t.Any, kind: type) -> t.Any:
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is list and isinstance(value, str):
        return [value]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        msg = f"{where}: {key} must be {kind.__name__}, got {value!r}"
        raise RulesError(msg)
    return value


def _rule(where: str, data: dict, keys: dict[str, yaml.Node]) -> Rule:
    kind = data.get("kind")
    if kind not in KINDS:
        msg = f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}"
        raise RulesError(msg)
    allowed = {**COMMON, **KINDS[kind]}
    for key in data:
        if key not in allowed:
            line = _line_of(keys.get(key))
            known = ", ".join(allowed)
            msg = f"{where}, line {line}: unknown key {key!r} for kind {kind} (known: {known})"
            raise RulesError(msg)
    values: dict[str, t.Any] = {}
    for key, (typ, default) in allowed.items():
        if key not in data or data[key] is None:
            if default is None:
                msg = f"{where}: {key} is required for kind {kind}"
                raise RulesError(msg)
            values[key] = default
        else:
            line = _line_of(keys.get(key))
            values[key] = _coerce(f"{where}, line {line}", key, data[key], typ)
    _check_values(where, kind, values)
    params = {k: values[k] for k in KINDS[kind]}
    if "statuses" in params:
        params["statuses"] = [str(s).upper() for s in params["statuses"]]
    return Rule(
        name=values["name"],
        kind=kind,
        severity=values["severity"],
        source=tuple(str(p) for p in values["source"]),
        stream=tuple(str(p) for p in values["stream"]),
        notify=tuple(str(n) for n in values["notify"]),
        description=values["description"],
        params=params,
    )


def _check_values(where: str, kind: str, values: dict[str, t.Any]) -> None:
    if values["severity"] not in SEVERITIES:
        msg = (
            f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {values['severity']!r}"
        )
        raise RulesError(msg)
    if "scope" in values and values["scope"] not in SCOPES:
        msg = f"{where}: scope must be one of {', '.join(SCOPES)}, got {values['scope']!r}"
        raise RulesError(msg)
    if kind == "staleness" and values["stream"] != ["*"]:
        msg = f"{where}: staleness is per source; stream is not supported"
        raise RulesError(msg)
    for key in ("threshold", "max_seconds", "max_age_hours", "stale_minutes", "history_runs"):
        if key in values and values[key] < 0:
            msg = f"{where}: {key} must not be negative, got {values[key]!r}"
            raise RulesError(msg)


def parse_rules(text: str, origin: str) -> list[Rule]:
    """Rules from YAML text; `origin` (a path) is named in every error."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at_line = f", line {mark.line + 1}" if mark else ""
        msg = f"{origin}{at_line}: not valid YAML: {getattr(exc, 'problem', None) or exc}"
        raise RulesError(msg) from None
    if root is None or not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        msg = f"{origin}: expected a mapping with a list under `rules`"
        raise RulesError(msg)
    rules_node = next(v for k, v in root.value if k.value == "rules")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, (item, node) in enumerate(zip(data["rules"], rules_node.value, strict=True)):
        line = _line_of(node)
        label = item.get("name") if isinstance(item, dict) else None
        where = (
            f"{origin}, rule {index + 1}" + (f" ({label})" if label else "") + f" at line {line}"
        )
        if not isinstance(item, dict):
            msg = f"{where}: expected a mapping of rule settings, got {item!r}"
            raise RulesError(msg)
        keys = {k.value: k for k, _ in node.value}
        if not isinstance(item.get("name"), str) or not item["name"]:
            msg = f"{where}: name is required"
            raise RulesError(msg)
        if item["name"] in seen:
            other = seen[item["name"]]
            msg = f"{where}: name {item['name']!r} is also the name of the rule at line {other}"
            raise RulesError(msg)
        seen[item["name"]] = line
        if item.get("enabled", True) is False:
            continue
        rules.append(_rule(where, item, keys))
    return rules


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """The rules of `path`, or the shipped defaults."""
    file = Path(path) if path else default_rules_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"rules file {file} (setting rules_file) does not exist"
        raise RulesError(msg) from None
    return parse_rules(text, str(file))
