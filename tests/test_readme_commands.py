"""Every command a README shows in a bash block works as written, checked without running it.

For each `meltano …`, `scripts/…` and `python …` command in a fenced bash block (or a `$ ` line of a
plain block) of every README: Meltano's own click parser accepts the subcommand, options and
arguments, and the plugins, plugin commands, settings, jobs, schedules and environments it names
exist in meltano.yml; scripts exist and are executable; `python -m` modules import, scripts exist
and take the options used (their `--help`); repository paths in arguments exist; `.venv/bin/X` is
installed. Nothing is run: one import of Meltano's CLI (~5 s) and milliseconds per command.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
READMES = [ROOT / "README.md", *sorted(ROOT.glob("[!.]*/README.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL_LANGUAGES = {"bash", "sh", "shell"}
PLACEHOLDER = re.compile(r"<[A-Za-z_][\w-]*>")  # `<bucket>` in prose-style commands
OPERATORS = {"|", "||", "&&", ";", "&", "|&"}
REDIRECTIONS = {">", ">>", "<", "2>", "&>"}
# Top-level folders the READMEs may name that a fresh clone does not have yet (made by runs).
GENERATED = {"output", ".meltano", ".venv"}
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Command:
    where: str  # README path:line
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: {shlex.join(self.words)}"


def _simple_commands(line: str) -> list[list[str]]:
    """A shell line as simple commands: split at operators; $( ), <( ) and ( ) each their own."""
    lexer = shlex.shlex(PLACEHOLDER.sub("PLACEHOLDER", line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = []
    stack: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for token in lexer:
        if skip_next:
            skip_next = False
        elif token in OPERATORS:
            commands.append(current)
            current = []
        elif token in REDIRECTIONS:
            skip_next = True  # the redirection's target is no argument
        elif token in {"(", "<("}:
            if token == "<(":
                current.append("/dev/fd/63")
            elif current and current[-1].endswith("$"):
                current[-1] = current[-1][:-1] + "VALUE"  # VAR=$(...) or an argument $(...)
            stack.append(current)
            current = []
        elif token == ")":
            commands.append(current)
            current = stack.pop() if stack else []
        else:
            current.append(token)
    commands.append(current)
    return [command for command in commands if command]


def _shell_lines(text: str) -> list[tuple[int, str]]:
    """(line number, command line) of the bash blocks and `$ ` lines of plain blocks of a README."""
    lines = []
    for block in FENCE.finditer(text):
        language, body = block[1], block[2]
        first_line = text.count("\n", 0, block.start(2)) + 1
        pending, pending_line = "", 0
        for offset, line in enumerate(body.splitlines()):
            if language not in SHELL_LANGUAGES:
                if not line.startswith("$ "):
                    continue
                line = line[2:]  # noqa: PLW2901
            if not pending:
                pending_line = first_line + offset
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            lines.append((pending_line, pending + line))
            pending = ""
    return lines


def _commands() -> list[Command]:
    found = []
    for readme in READMES:
        for line_number, line in _shell_lines(readme.read_text(encoding="utf-8")):
            for simple in _simple_commands(line):
                words = simple
                while words and ENV_ASSIGNMENT.match(words[0]):
                    words = words[1:]
                if words and _kind(words[0]):
                    where = f"{readme.relative_to(ROOT)}:{line_number}"
                    found.append(Command(where, tuple(words)))
    return found


def _kind(program: str) -> str | None:
    name = program.removeprefix(".venv/bin/")
    if name == "meltano":
        return "meltano"
    if program.startswith("scripts/"):
        return "script"
    if re.fullmatch(r"python(3(\.\d+)?)?", name):
        return "python"
    if program.startswith(".venv/bin/"):
        return "venv"
    return None


COMMANDS = _commands()


def _check_paths(command: Command, words: tuple[str, ...]) -> None:
    """Arguments that name a file of the repository (`bench/x.py`, `samples/molo`) exist."""
    for word in words:
        if word.startswith(("-", "/")) or "/" not in word or ":" in word:
            continue
        top = word.split("/", 1)[0]
        if top not in GENERATED and (ROOT / top).is_dir():
            assert (ROOT / word).exists(), f"{command}: {word} does not exist"


@cache
def _project() -> dict:
    return yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


@cache
def _plugins() -> dict[str, dict]:
    return {
        plugin["name"]: plugin for plugins in _project()["plugins"].values() for plugin in plugins
    }


def _check_plugin_reference(command: Command, reference: str, *, jobs: bool = False) -> None:
    """`plugin`, `plugin:command` or (for `meltano run`) a job name exists in meltano.yml."""
    job_names = {job["name"] for job in _project().get("jobs", [])}
    if jobs and reference in job_names:
        return
    name, _, plugin_command = reference.partition(":")
    assert name in _plugins(), (
        f"{command}: {name!r} is no plugin{' or job' if jobs else ''} of meltano.yml"
    )
    if plugin_command:
        commands = _plugins()[name].get("commands", {})
        assert plugin_command in commands, (
            f"{command}: plugin {name} has no command {plugin_command}"
        )


@cache
def _meltano_cli():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from meltano.cli import cli
    return cli


def _parse_meltano(command: Command) -> list:
    """The click contexts of `meltano …` from the root to the leaf command, as Meltano parses it."""
    import click

    cli = _meltano_cli()
    with warnings.catch_warnings():
        # click 8.5 (the lock's) warns that `protected_args` goes away in click 9
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            contexts = [cli.make_context("meltano", list(command.words[1:]), obj={"project": None})]
            group = cli
            while isinstance(group, click.Group):
                context = contexts[-1]
                remaining = [*context.protected_args, *context.args]
                assert remaining, f"{command}: no subcommand"
                name, group, rest = group.resolve_command(context, remaining)
                contexts.append(group.make_context(name, rest, parent=context))
        except click.UsageError as error:
            pytest.fail(f"{command}: meltano rejects it: {error.format_message()}")
    return contexts


def _check_meltano(command: Command) -> None:
    contexts = _parse_meltano(command)
    environment = contexts[0].params.get("environment")
    if environment:
        environments = {env["name"] for env in _project().get("environments", [])}
        assert environment in environments, f"{command}: no environment {environment!r}"
    path = [context.info_name for context in contexts[1:]]
    params = contexts[-1].params
    if path == ["run"]:
        for block in params["blocks"]:
            _check_plugin_reference(command, block, jobs=True)
    elif path == ["invoke"]:
        _check_plugin_reference(command, params["plugin_name"])
    elif path == ["install"]:
        for name in params["plugin"]:
            _check_plugin_reference(command, name)
    elif path[0] == "config" and params.get("plugin_name") not in {None, "meltano"}:
        _check_plugin_reference(command, params["plugin_name"])
        if path == ["config", "set"]:
            setting = ".".join(params["setting_name"])
            settings = {s["name"] for s in _plugins()[params["plugin_name"]].get("settings", [])}
            assert setting in settings, (
                f"{command}: {params['plugin_name']} has no setting {setting}"
            )
    elif path == ["schedule", "run"]:
        schedules = {schedule["name"] for schedule in _project().get("schedules", [])}
        assert params["name"] in schedules, f"{command}: no schedule {params['name']!r}"
    _check_paths(command, command.words[1:])


@cache
def _help_text(*program: str) -> str:
    result = subprocess.run(
        [sys.executable, *program, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, f"`python {' '.join(program)} --help` failed: {result.stderr}"
    return result.stdout


def _check_python(command: Command) -> None:
    args = list(command.words[1:])
    if args[:1] == ["-m"]:
        module, options = args[1], args[2:]
        assert importlib.util.find_spec(module), f"{command}: no module {module} in .venv"
        program: tuple[str, ...] = ("-m", module)
    else:
        script, options = args[0], args[1:]
        assert (ROOT / script).is_file(), f"{command}: {script} does not exist"
        program = (script,)
    flags = [word.split("=", 1)[0] for word in options if word.startswith("--")]
    if flags:
        help_text = _help_text(*program)
        for flag in flags:
            assert re.search(rf"{re.escape(flag)}\b", help_text), (
                f"{command}: python {' '.join(program)} takes no {flag}"
            )
    _check_paths(command, tuple(options))


def _check_script(command: Command) -> None:
    script = ROOT / command.words[0]
    assert script.is_file(), f"{command}: {command.words[0]} does not exist"
    assert os.access(script, os.X_OK), f"{command}: {command.words[0]} is not executable"
    _check_paths(command, command.words[1:])


def _check_venv_executable(command: Command) -> None:
    executable = ROOT / command.words[0]
    assert executable.is_file(), f"{command}: {command.words[0]} is not installed (scripts/setup)"
    _check_paths(command, command.words[1:])


CHECKS = {
    "meltano": _check_meltano,
    "python": _check_python,
    "script": _check_script,
    "venv": _check_venv_executable,
}


def test_the_readmes_show_commands_of_every_kind():
    kinds = {_kind(command.words[0]) for command in COMMANDS}
    assert kinds == set(CHECKS), f"found commands of kinds {kinds} only: is the parser broken?"
    assert len(COMMANDS) >= 30, f"only {len(COMMANDS)} commands found in {len(READMES)} READMEs"


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_readme_command(command):
    CHECKS[_kind(command.words[0])](command)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a --x | b > out.txt", [["a", "--x"], ["b"]]),
        (
            "X=$(cat f) tool <(echo '{}')",
            [["cat", "f"], ["X=VALUE", "tool", "/dev/fd/63"], ["echo", "{}"]],
        ),
        (
            "meltano config set t bucket <bucket>  # note",
            [["meltano", "config", "set", "t", "bucket", "PLACEHOLDER"]],
        ),
    ],
)
def test_shell_lines_split_into_simple_commands(line, expected):
    assert sorted(_simple_commands(line)) == sorted(expected)


def test_a_wrong_meltano_command_is_caught():
    """The README bug this test is for: Meltano 4.4.1 takes `config set PLUGIN`, not reversed."""
    wrong = Command("example", ("meltano", "config", "tap-tr2000", "set", "base_url", "x"))
    with pytest.raises(pytest.fail.Exception, match="No such command 'tap-tr2000'"):
        _check_meltano(wrong)
    with pytest.raises(AssertionError, match="no setting"):
        _check_meltano(Command("example", ("meltano", "config", "set", "tap-tr2000", "nope", "1")))
    with pytest.raises(AssertionError, match="no plugin or job"):
        _check_meltano(Command("example", ("meltano", "run", "tap-tr2000", "target-nowhere")))
