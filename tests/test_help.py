"""Every command explains itself: help text with an example, and a place in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from ordercli.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _leaf_commands():
    root = get_command(app)
    context = typer.Context(root)
    for name in root.list_commands(context):
        command = root.get_command(context, name)
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


def test_top_level_command_list_is_whole():
    """The root names every top-level command without importing ordercli.cli.misc."""
    from ordercli.cli import misc
    from ordercli.cli.app import TOP_LEVEL_COMMANDS

    registered = [info.name for info in misc.app.registered_commands]
    registered += [info.name for info in misc.app.registered_groups]
    assert sorted(registered) == sorted(TOP_LEVEL_COMMANDS)


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(app, ["invoices", "list"])
    assert result.exit_code == 2
    assert "No such command 'invoices'" in result.stderr


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("invoce", "'invoice'"), ("custmer", "'customer'"), ("stauts", "'status'")],
)
def test_a_top_level_typo_gets_the_names_it_is_close_to(typed, meant):
    """As `order lst` does for verbs, though the root builds no noun before it is named."""
    result = CliRunner().invoke(app, [typed, "list"])
    assert result.exit_code == 2
    assert f"No such command '{typed}'. Did you mean {meant}" in result.stderr


def test_a_name_close_to_nothing_gets_no_suggestion():
    result = CliRunner().invoke(app, ["zzzz"])
    assert result.exit_code == 2
    assert "No such command 'zzzz'." in result.stderr
    assert "Did you mean" not in result.stderr


def test_root_help_lists_what_the_built_commands_say():
    """`ordercli --help` reads each help line without building the commands; it must
    print exactly what Click prints from the built ones."""
    from typer.core import TyperGroup

    root = get_command(app)
    context = typer.Context(root)
    lazy = root.get_help(context)
    assert root.commands == {}, "listing the commands built some of them"
    for name in root.list_commands(context):
        root.get_command(context, name)
    formatter = context.make_formatter()
    TyperGroup.format_commands(root, context, formatter)
    built = formatter.getvalue()
    assert "Commands:" in built
    assert built.rstrip("\n") in lazy
