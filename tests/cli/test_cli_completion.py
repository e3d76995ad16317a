"""Shell completion, end to end: the script Typer installs calls `ordercli` back with
``_ORDERCLI_COMPLETE=complete_bash`` and the words typed so far (``COMP_WORDS``,
``COMP_CWORD``); each run here is such a call, in a process of its own.

The root builds a noun's commands only when the noun is named, so completing the
first word must offer every noun without building them, and completing a verb must
build the one noun typed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ordercli.cli.app import NOUN_MODULES, TOP_LEVEL_COMMANDS

# What the console script `ordercli` runs.
ENTRY = "import sys; from ordercli.cli.app import main; sys.argv[0] = 'ordercli'; main()"


def complete(typed: str, *, shell: str = "bash", env: dict | None = None) -> list[str]:
    """What Tab offers after ``typed`` (the words on the line, the last one incomplete)."""
    words = typed.split(" ")
    done = subprocess.run(
        [sys.executable, "-c", ENTRY],
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ORDERCLI_")},
            "_ORDERCLI_COMPLETE": f"complete_{shell}",
            "COMP_WORDS": typed,
            "COMP_CWORD": str(len(words) - 1),
            "_TYPER_COMPLETE_ARGS": typed,  # what the zsh and fish scripts send
            **(env or {}),
        },
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def test_the_first_word_offers_every_noun_and_top_level_command():
    assert complete("ordercli ") == [*NOUN_MODULES, *TOP_LEVEL_COMMANDS]


def test_a_started_noun_is_completed():
    assert complete("ordercli inv") == ["invoice"]
    assert complete("ordercli st") == ["stock", "status"]
    assert complete("ordercli credit") == ["credit-memo"]


def test_the_verbs_of_the_noun_typed_are_offered():
    assert complete("ordercli invoice ") == [
        "create",
        "show",
        "list",
        "pdf",
        "send",
        "einvoice",
        "cancel",
        "write-off",
    ]
    assert complete("ordercli order con") == ["confirm"]
    assert complete("ordercli --db somewhere.db payment rec") == ["record"]


def test_options_complete_at_the_root_and_on_a_verb():
    assert complete("ordercli --d") == ["--db"]
    assert "--unpaid" in complete("ordercli invoice list --")


def test_zsh_gets_each_name_with_its_help_line():
    (offered,) = complete("ordercli inv", shell="zsh")
    assert '"invoice":"Invoices\\\\: create (whole or partial), show,..."' in offered


def test_completing_creates_no_ledger_and_opens_none(tmp_path):
    ledger = tmp_path / "books.db"
    assert complete(f"ordercli --db {ledger} customer l") == ["list"]
    assert complete("ordercli customer ", env={"ORDERCLI_DB": str(ledger)})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_typers_own(shell):
    """`--show-completion SHELL` prints the script that calls ordercli back as above."""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "--show-completion", shell],
        capture_output=True,
        text=True,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"_ORDERCLI_COMPLETE=complete_{shell}" in done.stdout


def test_the_first_word_builds_no_noun():
    """Tab after `ordercli` must stay as quick as `ordercli --help`."""
    import typer
    from typer.main import get_group

    from ordercli.cli.app import app

    root = get_group(app)  # a root of its own: the tests' shared one has nouns built
    context = typer.Context(root, info_name="ordercli", resilient_parsing=True)
    offered = root.shell_complete(context, "")
    assert [item.value for item in offered] == [*NOUN_MODULES, *TOP_LEVEL_COMMANDS]
    assert offered[0].help == "Customers: add, list, show, edit, deactivate."
    assert root.commands == {}


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o default -F _ordercli_completion ordercli"), ("zsh", "#compdef ordercli")]
    + [("fish", "complete --command ordercli")],
)
def test_the_completion_command_prints_the_script_for_the_shell_named(shell, marker):
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "completion", shell],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("ORDERCLI_")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert "_ORDERCLI_COMPLETE=complete_" + shell in done.stdout


def test_the_completion_command_refuses_a_shell_it_does_not_know():
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "completion", "cmd.exe"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("ORDERCLI_")},
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "error: no completion for the shell 'cmd.exe'"
    assert done.stdout == ""
