"""Every command explains itself: help text with an example, and a place in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ordercli.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _leaf_commands():
    root = get_command(app)
    for name, command in root.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            for verb, leaf in sub.items():
                yield (name, verb), leaf
        else:
            yield (name,), command


COMMANDS = sorted(_leaf_commands(), key=lambda pair: pair[0])


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help_with_example(path, command):
    assert command.help and command.help.strip(), f"{' '.join(path)} has no help"
    assert "Example: ordercli" in command.help, f"{' '.join(path)} help lacks an example"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_appears_in_readme(path, command):
    if len(path) == 1:
        row = next(line for line in README.splitlines() if line.startswith("| (top level)"))
        assert f"`{path[0]}" in row, f"{path[0]} missing from the README's command table"
        return
    noun, verb = path
    row = next((line for line in README.splitlines() if line.startswith(f"| `{noun}` |")), None)
    assert row is not None, f"noun {noun} missing from the README's command table"
    assert re.search(rf"`{re.escape(verb)}\b", row), f"{noun} {verb} missing from the README"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_runs(path, command):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Usage" in result.stdout
