"""One lock for every install: meltano.yml's pins, constraints/ and the venvs agree with uv.lock.

Two clones set up a day apart get the same versions only if everything installs from the lock;
these tests compare the declarations (pip_url, constraints files) and what scripts/setup installed
(.venv and each Meltano plugin venv) against uv.lock. They read dist-info metadata and run
`uv export`: about two seconds.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from email.parser import HeaderParser
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from testkit.scripts import load_script
from testkit.uv_finder import find_uv

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINT_PREFIX = "${MELTANO_PROJECT_ROOT}/constraints/"


constraints = load_script("constraints")


def _plugins() -> list[dict]:
    """Every meltano.yml plugin that installs (has a pip_url), with its type's folder name."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    return [
        {**plugin, "type": plugin_type}
        for plugin_type, plugins in project["plugins"].items()
        for plugin in plugins
        if plugin.get("pip_url")
    ]


PLUGINS = {plugin["name"]: plugin for plugin in _plugins()}


def _pip_url_parts(plugin: dict) -> tuple[list[str], list[str], list[str]]:
    """(editables with extras, `name==version` requirements, constraint files) of a pip_url."""
    words = shlex.split(plugin["pip_url"])
    editables, requirements, constraint_files = [], [], []
    flags = {"-e": editables, "-c": constraint_files}
    while words:
        word = words.pop(0)
        if word in flags:
            flags[word].append(words.pop(0))
        elif word.startswith("-"):
            pytest.fail(f"meltano.yml plugin {plugin['name']}: unexpected pip_url option {word!r}")
        else:
            requirements.append(word)
    return editables, requirements, constraint_files


def _editable_members(plugin: dict) -> dict[str, set[str]]:
    """{package name: extras} of the workspace packages a pip_url installs editable."""
    members = constraints.workspace_members()
    found = {}
    for editable in _pip_url_parts(plugin)[0]:
        requirement = Requirement(editable.removeprefix("./").replace("./", "", 1))
        folder = requirement.name
        assert folder in members, (
            f"meltano.yml plugin {plugin['name']}: -e {editable} is no workspace member "
            f"({sorted(members)}) of the root pyproject.toml"
        )
        found[members[folder]] = set(requirement.extras)
    return found


def _installed(venv: Path) -> dict[str, tuple[str, Path]]:
    """{normalized name: (version, dist-info folder)} of a venv, read from dist-info METADATA."""
    site_packages = list(venv.glob("lib/python*/site-packages"))
    assert len(site_packages) == 1, f"{venv}: no single site-packages ({site_packages}): run setup"
    installed = {}
    for dist_info in site_packages[0].glob("*.dist-info"):
        with (dist_info / "METADATA").open(encoding="utf-8") as metadata:
            header = HeaderParser().parse(metadata, headersonly=True)
        installed[constraints.normalize(header["Name"])] = (header["Version"], dist_info)
    return installed


def _assert_matches_lock(where: str, installed: dict, expected: set[str]) -> None:
    locked = constraints.lock_versions()
    missing = sorted(expected - installed.keys())
    extra = sorted(installed.keys() - expected)
    wrong = {
        name: f"installed {version}, locked {locked.get(name)}"
        for name, (version, _) in installed.items()
        if locked.get(name) != version
    }
    advice = "run scripts/setup (after editing a pyproject.toml: scripts/lock first)"
    assert not missing, f"{where} lacks the locked {missing}: {advice}"
    assert not extra, f"{where} has {extra}, outside the lock's set for it: {advice}"
    assert not wrong, f"{where} differs from uv.lock: {wrong}: {advice}"


def test_every_installable_plugin_has_an_export_and_its_own_constraints_file():
    assert set(PLUGINS) == set(constraints.PLUGIN_EXPORTS), (
        "meltano.yml's installable plugins and scripts/constraints.py PLUGIN_EXPORTS differ"
    )
    for name, plugin in PLUGINS.items():
        constraint_files = _pip_url_parts(plugin)[2]
        assert constraint_files == [f"{CONSTRAINT_PREFIX}{name}.txt"], (
            f"meltano.yml plugin {name}: pip_url must end in -c {CONSTRAINT_PREFIX}{name}.txt, "
            f"has {constraint_files}"
        )


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_pip_url_installs_what_its_constraints_were_exported_for(name):
    """The export behind constraints/<plugin>.txt selects the packages the pip_url installs."""
    plugin = PLUGINS[name]
    export = constraints.PLUGIN_EXPORTS[name]
    members = _editable_members(plugin)
    if "--package" in export:
        package = export[export.index("--package") + 1]
        extras = {export[i + 1] for i, arg in enumerate(export) if arg == "--extra"}
        assert members.get(package) == extras, (
            f"meltano.yml plugin {name} installs {members}; its constraints export {export}"
        )
    else:
        group = export[export.index("--only-group") + 1]
        root = constraints.tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        declared = sorted(root["dependency-groups"][group])
        assert sorted(_pip_url_parts(plugin)[1]) == declared, (
            f"meltano.yml plugin {name}: pip_url pins {_pip_url_parts(plugin)[1]}, "
            f"the root pyproject.toml's group {group!r} (locked) declares {declared}"
        )


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_pip_url_pins_equal_the_lock(name):
    locked = constraints.lock_versions()
    for word in _pip_url_parts(PLUGINS[name])[1]:
        requirement = Requirement(word)
        pinned = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        assert pinned, f"meltano.yml plugin {name}: {word!r} is not pinned with =="
        locked_version = locked.get(constraints.normalize(requirement.name))
        assert pinned == [locked_version], (
            f"meltano.yml plugin {name}: pip_url pins {word}, uv.lock has {locked_version}"
        )


def test_lock_is_current_with_the_pyproject_files():
    result = subprocess.run(
        [find_uv(), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"uv.lock is stale: run scripts/lock\n{result.stderr}"


def test_constraints_files_are_current_with_the_lock():
    assert constraints.stale(find_uv()) == [], "constraints/ is stale against uv.lock"


def test_dev_venv_is_exactly_the_lock():
    installed = _installed(ROOT / ".venv")
    dev_pins = constraints.read_pins(constraints.export(find_uv(), ["--group", "dev"]))
    members = set(constraints.workspace_members().values())
    _assert_matches_lock(".venv", installed, set(dev_pins) | members)
    for member in members:
        direct_url = json.loads((installed[member][1] / "direct_url.json").read_text())
        assert direct_url.get("dir_info", {}).get("editable"), f".venv: {member} is not editable"
        assert Path(direct_url["url"].removeprefix("file://")).parent == ROOT, (
            f".venv: {member} is installed from {direct_url['url']}, not from this checkout"
        )


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_plugin_venv_is_exactly_the_lock(name):
    plugin = PLUGINS[name]
    venv = ROOT / ".meltano" / plugin["type"] / name / "venv"
    assert venv.is_dir(), f"{venv} does not exist: run scripts/setup"
    expected = set(constraints.read_pins(constraints.constraints_path(name).read_text()))
    _assert_matches_lock(str(venv), _installed(venv), expected | set(_editable_members(plugin)))
