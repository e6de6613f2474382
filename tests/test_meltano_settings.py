"""Each setting is declared once: meltano.yml and the README tables are generated from `--about`.

scripts/sync_meltano_settings.py writes the extractors' and the loader's label, description,
capabilities, settings_group_validation and settings from their `--about`. These tests check that
the committed files are what it generates (and that it keeps every other byte), that every setting
has a label and a description, that the capabilities are the plugin's, and that Meltano takes the
result: it accepts the file, passes each default as the plugin declares it, and reports the
connection groups. Meltano 4.4 enforces no settings group itself (`meltano config list` shows
them, nothing refuses a run): a tap without its connection settings is stopped by the tap, which
`meltano config test` reports. Four `--about` runs and seven Meltano commands, ~10 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest
import yaml
from testkit.scripts import load_script

pytestmark = pytest.mark.e2e  # Meltano in this project: one worker runs these (testkit)

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))
GENERATED = ("label", "description", "capabilities", "settings_group_validation", "settings")


sync = load_script("sync_meltano_settings")


def _project() -> dict:
    return yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def _sdk_plugins(project: dict) -> dict[str, dict]:
    return {p["name"]: p for kind in sync.SDK_PLUGIN_TYPES for p in project["plugins"][kind]}


@pytest.fixture(scope="module")
def infos() -> dict[str, dict]:
    """Every SDK plugin's --about (the generator's own runs of .venv/bin/<executable>)."""
    return sync.abouts(sync._yaml().load((ROOT / "meltano.yml").read_text(encoding="utf-8")))


# -- the generated files ------------------------------------------------------------------------


def test_meltano_yml_and_readmes_are_what_about_generates(infos) -> None:
    diffs = sync.stale(sync.expected_files(infos))
    assert not diffs, "stale; run .venv/bin/python scripts/sync_meltano_settings.py:\n" + "".join(
        diffs.values()
    )


def test_generator_rewrites_only_its_keys_and_restores_them(infos) -> None:
    """Damage every generated key in a copy of meltano.yml: the generator gives back the
    committed file byte for byte (comments, pip_url, config, environments, jobs untouched)."""
    text = (ROOT / "meltano.yml").read_text(encoding="utf-8")
    damaged = (
        text.replace("    label: TR2000 API\n", "", 1)
        .replace("    - [local_path]\n", "", 1)
        .replace("structured-logging, validate-records, ", "", 1)
        .replace("      label: Oracle port\n", "      label: Port\n      # hand-made\n", 1)
    )
    assert damaged != text
    assert sync.render_meltano_yml(damaged, infos) == text
    assert sync.render_meltano_yml(text, infos) == text  # idempotent


def test_a_plain_number_setting_is_refused_with_the_reason() -> None:
    with pytest.raises(sync.SettingsError, match=r"tap-x setting ratio: .*decimal.*4\.4"):
        sync.kind("tap-x", "ratio", {"type": ["number", "null"]})


def test_every_setting_has_a_label_and_a_description() -> None:
    for name, plugin in _sdk_plugins(_project()).items():
        assert plugin.get("label"), f"{name}: no label"
        assert plugin.get("description"), f"{name}: no description"
        for setting in plugin["settings"]:
            assert setting.get("label"), f"{name} setting {setting['name']}: no label"
            assert setting.get("description"), f"{name} setting {setting['name']}: no description"


def test_settings_and_capabilities_are_the_plugins_own(infos) -> None:
    for name, plugin in _sdk_plugins(_project()).items():
        schema = infos[name]["settings"]
        assert plugin["capabilities"] == infos[name]["capabilities"], name
        assert [s["name"] for s in plugin["settings"]] == list(schema["properties"]), name
        secret = {n for n, spec in schema["properties"].items() if spec.get("secret")}
        sensitive = {s["name"] for s in plugin["settings"] if s.get("sensitive")}
        assert sensitive == secret, name
        assert plugin.get("settings_group_validation") == schema.get("settings_group_validation")


def test_the_two_s3_taps_differ_where_their_exports_do() -> None:
    plugins = _sdk_plugins(_project())
    molo, stellar = (
        {s["name"]: s for s in plugins[name]["settings"]}
        for name in ("tap-molo-s3", "tap-stellar-s3")
    )
    assert "ZIP" in molo["read_ahead_bytes"]["description"]
    assert "Not used for Stellar exports" in stellar["read_ahead_bytes"]["description"]
    assert molo["key_pattern"]["value"] != stellar["key_pattern"]["value"]
    assert "resilient-ims-backups" in stellar["bucket"]["description"]


def test_meltano_yml_fits_meltanos_own_schema(infos) -> None:
    """Meltano's published schema of meltano.yml, but for capabilities it does not list yet.

    Meltano 4.4.1's schema lacks the loader capabilities `validate-records` and `target-schema`
    that singer-sdk 0.54 reports; Meltano itself takes them (the commands below run).
    """
    import meltano

    schema_file = Path(meltano.__path__[0]) / "schemas" / "meltano.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    reported = {c for info in infos.values() for c in info["capabilities"]}
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(_project()))
    gaps = {
        e.instance
        for e in errors
        if e.validator == "enum" and e.path and list(e.path)[-2] == "capabilities"
    }
    unexplained = [
        e
        for e in errors
        if not (e.validator == "enum" and e.instance in gaps)
        and not (e.validator == "unevaluatedProperties" and "'capabilities'" in e.message)
    ]
    assert not unexplained, [f"{list(e.path)}: {e.message}" for e in unexplained]
    assert gaps <= reported


# -- what Meltano makes of it ------------------------------------------------------------------


@pytest.fixture(scope="module")
def meltano_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """The Meltano commands, on a host without the plugins' settings in its environment."""
    folder = tmp_path_factory.mktemp("meltano-settings")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAP_", "TARGET_", "ORACLE_", "MELTANO_"))
    }
    env |= {
        "MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    }
    commands = {
        **{
            f"print {name}": ["--environment=dev", "config", "print", name, "--format=json"]
            for name in _sdk_plugins(_project())
        },
        "list tap-molo-s3": ["--environment=prod", "config", "list", "tap-molo-s3"],
        "list target": ["--environment=prod", "config", "list", "target-oracle-staging"],
        "test tap-molo-s3": ["--environment=prod", "config", "test", "tap-molo-s3"],
    }

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MELTANO, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    names = list(commands)
    # The first command creates the system database; Meltano's migration must not run twice at once.
    results = {names[0]: run(commands[names[0]])}
    with ThreadPoolExecutor(max_workers=2) as pool:
        rest = names[1:]
        results |= dict(zip(rest, pool.map(run, [commands[n] for n in rest]), strict=True))
    return results


def _configured_in_meltano_yml(project: dict, name: str, environment: str) -> set[str]:
    """Settings that meltano.yml itself sets for the plugin (plugin config, the environment)."""
    plugin = _sdk_plugins(project)[name]
    keys = set(plugin.get("config") or {})
    env = next(e for e in project["environments"] if e["name"] == environment)
    for plugins in env.get("config", {}).get("plugins", {}).values():
        for entry in plugins:
            if entry["name"] == name:
                keys |= set(entry.get("config") or {})
    return keys


def test_meltano_passes_each_default_as_the_plugin_declares_it(meltano_runs, infos) -> None:
    project = _project()
    for name, info in infos.items():
        run = meltano_runs[f"print {name}"]
        assert run.returncode == 0, f"meltano config print {name}:\n{run.stderr[-3000:]}"
        config = json.loads(run.stdout)
        schema = info["settings"]
        jsonschema.Draft202012Validator(schema).validate(config)  # the plugin takes it as it is
        configured = _configured_in_meltano_yml(project, name, "dev")
        for setting, spec in schema["properties"].items():
            if setting in configured:
                continue
            default = spec.get("default")
            if default is None:
                assert setting not in config, f"{name}: Meltano passes {setting} without a default"
            else:
                # number-or-text settings travel as their text
                sent = config.get(setting)
                as_sent = default if isinstance(sent, type(default)) else str(default)
                assert config.get(setting) == as_sent, f"{name} {setting}: {config.get(setting)!r}"
    target = json.loads(meltano_runs["print target-oracle-staging"].stdout)
    assert target["require_sync_completed"] is True  # the project's value, not the default


def test_meltano_reports_the_connection_groups(meltano_runs) -> None:
    molo = meltano_runs["list tap-molo-s3"]
    assert molo.returncode == 0, molo.stderr[-3000:]
    assert "Group 1: bucket\n  Group 2: local_path\n" in molo.stdout
    assert "bucket (required by group 1) [env: TAP_MOLO_S3_BUCKET] current value: None" in (
        molo.stdout
    )
    target = meltano_runs["list target"]
    assert target.returncode == 0, target.stderr[-3000:]
    for number, group in enumerate(
        ["dsn, password, user", "host, password, service_name, user", "sqlalchemy_url"], 1
    ):
        assert f"Group {number}: {group}\n" in target.stdout
    assert "Group 4: database_path\n" in target.stdout


def test_a_tap_without_its_connection_settings_fails_meltanos_config_test(meltano_runs) -> None:
    run = meltano_runs["test tap-molo-s3"]
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-3000:]
    assert "Plugin configuration is invalid" in output
    assert "Set either `bucket` (S3) or `local_path`" in output
