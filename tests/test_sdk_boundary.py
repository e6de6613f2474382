"""The packages use singer-sdk only through its public API, except in each package's sdk_compat.py.

Read from the installed SDK itself, so the next singer-sdk release is checked against its own
source: the methods it marks `@final` (never overridden here) and the private members of its
classes (`_name`: never read, set or overridden here outside a compat module).
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import singer_sdk

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "testkit": ROOT / "testkit" / "testkit",
    "tap_tr2000": ROOT / "tap-tr2000" / "tap_tr2000",
    "s3_export_core": ROOT / "s3-export-core" / "s3_export_core",
    "tap_molo_s3": ROOT / "tap-molo-s3" / "tap_molo_s3",
    "tap_stellar_s3": ROOT / "tap-stellar-s3" / "tap_stellar_s3",
    "target_oracle_staging": ROOT / "target-oracle-staging" / "target_oracle_staging",
    "orchestrate": ROOT / "orchestrate" / "orchestrate",
}
COMPAT_MODULE = "sdk_compat.py"
# Where private SDK members may be named besides the compat modules: the testkit's checks of
# what the compat modules copy from the SDK.
ALSO_ALLOWED = {ROOT / "testkit" / "testkit" / "sdk_contract.py"}
SDK_ROOT = Path(singer_sdk.__file__).parent
FINAL_DECORATORS = {"final", "t.final", "typing.final", "typing_extensions.final"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@dataclass(frozen=True)
class SdkClass:
    finals: frozenset[str]
    privates: frozenset[str]


@cache
def sdk_classes() -> dict[tuple[str, str], SdkClass]:
    """(module, class name) -> the class's @final methods and private members, from the source."""
    found: dict[tuple[str, str], SdkClass] = {}
    for path in SDK_ROOT.rglob("*.py"):
        module = ".".join(path.relative_to(SDK_ROOT.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found[(module, node.name)] = _members(node)
    return found


def _members(node: ast.ClassDef) -> SdkClass:
    finals: set[str] = set()
    privates: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(ast.unparse(d) in FINAL_DECORATORS for d in item.decorator_list):
                finals.add(item.name)
            if _is_private(item.name):
                privates.add(item.name)
        targets = _assigned_names(item) if isinstance(item, ast.Assign | ast.AnnAssign) else []
        privates.update(name for name in targets if _is_private(name))
    for sub in ast.walk(node):  # instance attributes: self._x = ...
        stored = isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store)
        if stored and ast.unparse(sub.value) == "self" and _is_private(sub.attr):
            privates.add(sub.attr)
    return SdkClass(frozenset(finals), frozenset(privates))


def _assigned_names(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def sdk_bases(cls: type) -> list[SdkClass]:
    table = sdk_classes()
    return [
        table[(base.__module__, base.__name__)]
        for base in cls.__mro__[1:]
        if (base.__module__, base.__name__) in table
    ]


@cache
def all_sdk_privates() -> frozenset[str]:
    return frozenset().union(*(c.privates for c in sdk_classes().values()))


def package_files() -> list[tuple[str, Path]]:
    files = []
    for folder in PACKAGES.values():
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder.parent).with_suffix("")
            module = ".".join(relative.parts).removesuffix(".__init__")
            files.append((module, path))
    assert {module.split(".")[0] for module, _ in files} == set(PACKAGES)
    return files


@cache
def _own_private_names() -> frozenset[str]:
    """Private names our own code defines (attributes and methods of our classes)."""
    names: set[str] = set()
    for _, path in package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names |= _members(node).privates
    return frozenset(names)


def _import(module: str) -> object | None:
    if module.endswith("__main__"):  # importing it would run the command
        return None
    try:
        return importlib.import_module(module)
    except ImportError:  # an optional extra (dagster) that is not installed
        return None


def boundary_violations(module: str, path: Path, root: Path = ROOT) -> list[str]:
    """Private SDK members this module touches, and the SDK @final methods it overrides."""
    where = f"{path.relative_to(root)}"
    imported = _import(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    own = _own_private_names() - all_sdk_privates()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("singer_sdk"):
            parts = (node.module or "").split(".")
            names = [a.name for a in node.names]
            if any(_is_private(p) for p in parts) or any(_is_private(n) for n in names):
                problems.append(f"{where}:{node.lineno}: imports {node.module} {names}")
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and imported is not None:
            cls = getattr(imported, node.name, None)
            if isinstance(cls, type):
                problems += _class_violations(cls, node, where)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            # On self and super() the class check above says which class the member is of.
            on_self = ast.unparse(node.value) in {"self", "cls", "super()"}
            if not on_self and node.attr in all_sdk_privates() and node.attr not in own:
                problems.append(f"{where}:{node.lineno}: uses SDK private member .{node.attr}")
    return problems


def _class_violations(cls: type, node: ast.ClassDef, where: str) -> list[str]:
    bases = sdk_bases(cls)
    finals = frozenset().union(*(b.finals for b in bases))
    privates = frozenset().union(*(b.privates for b in bases))
    problems = [
        f"{where}:{node.lineno}: {cls.__name__} overrides the SDK's @final {name}"
        for name in vars(cls)
        if name in finals
    ]
    for sub in ast.walk(node):
        if isinstance(sub, ast.FunctionDef) and sub.name in privates:
            problems.append(f"{where}:{sub.lineno}: {cls.__name__} overrides SDK {sub.name}")
        if isinstance(sub, ast.Attribute) and sub.attr in privates:
            owner = ast.unparse(sub.value)
            if owner in {"self", "cls"}:
                problems.append(f"{where}:{sub.lineno}: {cls.__name__} uses SDK {sub.attr}")
            elif owner.startswith("super("):
                problems.append(f"{where}:{sub.lineno}: {cls.__name__} calls SDK {sub.attr}")
    return problems


def test_the_sdk_source_is_read() -> None:
    """The checks below are only as good as what they find in the SDK: make sure they find it."""
    table = sdk_classes()
    tap = table[("singer_sdk.tap_base", "Tap")]
    stream = table[("singer_sdk.streams.core", "Stream")]
    assert "sync_all" in tap.finals
    assert "sync" in stream.finals
    assert {"_write_schema_message", "_stream_maps", "_input_schema"} <= stream.privates


@pytest.mark.parametrize(("module", "path"), package_files(), ids=lambda v: str(v))
def test_sdk_used_through_its_public_api_outside_the_compat_module(module: str, path: Path) -> None:
    violations = boundary_violations(module, path)
    if path.name == COMPAT_MODULE or path in ALSO_ALLOWED:
        # Private members are allowed (and tested) here; overriding a @final method nowhere.
        violations = [v for v in violations if "@final" in v]
    assert violations == []


def test_the_checks_catch_what_they_forbid(tmp_path: Path, monkeypatch) -> None:
    """A module that does each forbidden thing once is reported for each of them."""
    source = """
from singer_sdk import Stream, Tap
from singer_sdk.helpers._catalog import get_selected_schema


class BadTap(Tap):
    name = "bad"

    def sync_all(self):
        self._state_writer.write_state({})


class BadStream(Stream):
    def _write_schema_message(self):
        super()._write_schema_message()


def touch(stream):
    stream._stream_maps = None
"""
    (tmp_path / "bad_boundary_module.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "bad_boundary_module.py"
    text = "\n".join(boundary_violations("bad_boundary_module", path, tmp_path))
    assert "imports singer_sdk.helpers._catalog" in text
    assert "BadTap overrides the SDK's @final sync_all" in text
    assert "BadTap uses SDK _state_writer" in text
    assert "BadStream overrides SDK _write_schema_message" in text
    assert "BadStream calls SDK _write_schema_message" in text
    assert "uses SDK private member ._stream_maps" in text
