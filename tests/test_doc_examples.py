"""Every `$ ordercli …` example in README.md and docs/*.md runs, and prints what it shows.

An example is a fenced ```console block: a line starting with ``$ `` is a command, the
lines after it up to the next ``$ `` are what it prints (stdout and stderr together, in
the order written). Blocks that are not meant to run use another fence (```text).

Each file is one session: its commands run in order through ``python -m ordercli`` in a
fresh directory that is also ``$HOME`` and prints as ``~`` (``/tmp/ordercli-XXXXXXXX``,
always as long, since its length decides where long lines wrap), with
``ORDERCLI_DB=~/shop.db`` (no ledger there yet, so a session starts with ``ordercli demo``
or ``ordercli init``), ``ORDERCLI_TODAY`` fixed, ``COLUMNS=80`` and ``NO_COLOR=1``. The
directory holds a copy of the sample shop's files in ``sample_data/``.

Besides ``ordercli …`` a session understands ``export NAME=VALUE`` (``~`` at the start of
a value is the session's home). A ``# comment`` after a command is ignored. In an
expected output, a line that is exactly ``...`` stands for any lines: the lines above it
must be the first ones printed and the lines below it the last ones.

When the output of ordercli changes on purpose, rewrite the expected outputs in place:

    ORDERCLI_UPDATE_DOC_EXAMPLES=1 .venv/bin/python -m pytest tests/test_doc_examples.py
    make doc-examples
"""

from __future__ import annotations

import difflib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ordercli.io.demo import sample_data_dir

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TODAY = "2026-12-06"
ELLIPSIS = "..."
UPDATE = bool(os.environ.get("ORDERCLI_UPDATE_DOC_EXAMPLES"))
# Seconds; a command that hangs would otherwise hold the whole suite.
COMMAND_TIMEOUT = 120

pytestmark = pytest.mark.sqlite_only("each session's ledger is a file in its own directory")


@dataclass
class Example:
    """One ``$ `` line and the lines of the file that show its output."""

    line_number: int  # of the ``$ `` line, 1-based
    command: str
    output_start: int  # index into the file's lines
    output_end: int  # exclusive
    expected: list[str] = field(default_factory=list)


def examples_in(text: str) -> list[Example]:
    lines = text.split("\n")
    found: list[Example] = []
    in_console = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not in_console:
            in_console = stripped == "```console"
            continue
        if stripped.startswith("```"):
            in_console = False
            if found and found[-1].output_end == -1:
                found[-1].output_end = index
            continue
        if line.startswith("$ "):
            if found and found[-1].output_end == -1:
                found[-1].output_end = index
            found.append(Example(index + 1, line[2:], index + 1, -1))
        elif not found or found[-1].output_end != -1:
            raise AssertionError(f"line {index + 1}: output before any `$ ` command: {line!r}")
    for example in found:
        example.expected = lines[example.output_start : example.output_end]
    return found


def pages_with_examples() -> list[Path]:
    return [page for page in PAGES if examples_in(page.read_text(encoding="utf-8"))]


class Session:
    """The shell a reader would type the examples into, understood only as far as the
    examples need: ``ordercli …``, ``export NAME=VALUE`` and comments."""

    def __init__(self, home: Path):
        self.home = home
        bin_dir = str(Path(sys.executable).parent)
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("ORDERCLI_", "XDG_", "FORCE_COLOR", "TTY_", "PYTHONHASHSEED"))
        }
        env.update(
            HOME=str(home),
            # The demo tells a reader how to put ordercli on PATH when it is not there.
            PATH=os.pathsep.join([bin_dir, env.get("PATH", "")]),
            ORDERCLI_DB=str(home / "shop.db"),
            ORDERCLI_TODAY=TODAY,
            COLUMNS="80",
            NO_COLOR="1",
            # The event log names the OS user.
            USER="clerk",
            LOGNAME="clerk",
            # stdout and stderr interleave as written, as on a terminal.
            PYTHONUNBUFFERED="1",
        )
        self.env = env

    def run(self, command: str) -> tuple[list[str], int]:
        words = shlex.split(command, comments=True)
        if not words:
            raise AssertionError("an empty command")
        words = [self._expand(word) for word in words]
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = value
            return [], 0
        if words[0] != "ordercli":
            raise AssertionError(f"only `ordercli …` and `export` run in examples: {command!r}")
        done = subprocess.run(
            [sys.executable, "-m", "ordercli", *words[1:]],
            cwd=self.home,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        text = done.stdout.decode("utf-8", errors="replace")
        text = text.replace(str(self.home.resolve()), "~").replace(str(self.home), "~")
        return tidy(text.split("\n")), done.returncode

    def _expand(self, word: str) -> str:
        name, equals, value = word.partition("=")
        if equals and value.startswith("~") and name.isidentifier():
            return f"{name}={self._expand(value)}"
        if word == "~" or word.startswith("~/"):
            return str(self.home) + word[1:]
        return word


def tidy(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: list[str], actual: list[str]) -> bool:
    if ELLIPSIS not in expected:
        return expected == actual
    cut = expected.index(ELLIPSIS)
    head, tail = expected[:cut], expected[cut + 1 :]
    return (
        len(actual) >= len(head) + len(tail)
        and actual[: len(head)] == head
        and (not tail or actual[-len(tail) :] == tail)
    )


def updated(expected: list[str], actual: list[str]) -> list[str]:
    """The new expected output: all of it, or as many first and last lines as were shown."""
    if ELLIPSIS not in expected:
        return actual
    cut = expected.index(ELLIPSIS)
    head, tail = len(expected[:cut]), len(expected[cut + 1 :])
    if len(actual) <= head + tail:
        return actual
    return [*actual[:head], ELLIPSIS, *(actual[-tail:] if tail else [])]


def run_page(page: Path, home: Path) -> tuple[list[str], list[str], list[str]]:
    """Run every example of the page; return the page's new lines, the mismatches, and
    the mismatches that cannot be written back."""
    text = page.read_text(encoding="utf-8")
    lines = text.split("\n")
    examples = examples_in(text)
    shutil.copytree(sample_data_dir(), home / "sample_data")
    session = Session(home)
    problems: list[str] = []
    unwritable: list[str] = []
    replacements: list[tuple[Example, list[str]]] = []
    for example in examples:
        actual, code = session.run(example.command)
        expected = tidy(example.expected)
        if matches(expected, actual):
            continue
        diff = "\n".join(
            difflib.unified_diff(expected, actual, "shown", "printed", lineterm="", n=2)
        )
        problems.append(
            f"{page.name}:{example.line_number}: $ {example.command}  (exit {code})\n{diff}"
        )
        new = updated(expected, actual)
        if any(line.startswith("$ ") for line in new):
            # Written out, such a line would read as a command of its own.
            unwritable.append(
                f"{problems[-1]}\nIt prints lines starting with `$ `: "
                "show only the lines around them, with `...` for the rest"
            )
        else:
            replacements.append((example, new))
    for example, new in reversed(replacements):
        # Keep the blank line (if any) that separated the output from the next command.
        kept = lines[example.output_start : example.output_end]
        trailing = len(kept) - len(tidy(kept)) if kept and not kept[-1].strip() else 0
        lines[example.output_start : example.output_end] = new + [""] * trailing
    return lines, problems, unwritable


@pytest.fixture
def home() -> Iterator[Path]:
    """The session's directory: as short as a home directory and always as long (Rich
    wraps lines at the console's width, so the length of a printed path matters)."""
    path = Path(tempfile.mkdtemp(prefix="ordercli-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_every_page_starts_its_session_with_a_new_ledger():
    for page in pages_with_examples():
        commands = [
            shlex.split(e.command, comments=True)
            for e in examples_in(page.read_text(encoding="utf-8"))
        ]
        first = next(words for words in commands if words and words[0] != "export")
        assert first[:2] in (["ordercli", "demo"], ["ordercli", "init"]), (
            f"{page.name}: the first example must be `ordercli demo` or `ordercli init`"
        )


@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda page: page.name)
def test_examples_print_what_they_show(page: Path, home: Path):
    lines, problems, unwritable = run_page(page, home)
    if UPDATE:
        if problems:
            page.write_text("\n".join(lines), encoding="utf-8")
        problems = unwritable
    assert not problems, (
        f"{len(problems)} example(s) print something else (rewrite them with "
        "`make doc-examples` if the change is meant):\n\n" + "\n\n".join(problems)
    )


def test_the_parser_reads_commands_outputs_and_ellipses():
    text = "\n".join(
        [
            "```console",
            "$ ordercli init  # a comment",
            "ledger ready",
            "",
            "$ ordercli check",
            "```",
            "```text",
            "$ not an example",
            "```",
        ]
    )
    first, second = examples_in(text)
    assert (first.command, tidy(first.expected)) == ("ordercli init  # a comment", ["ledger ready"])
    assert (second.command, second.expected) == ("ordercli check", [])
    assert matches(["a", ELLIPSIS, "z"], ["a", "b", "c", "z"])
    assert not matches(["a", ELLIPSIS, "z"], ["a", "b", "c"])
    assert not matches(["a", "z"], ["a", "b", "z"])
    assert updated(["a", ELLIPSIS], ["b", "c", "d"]) == ["b", ELLIPSIS]


def test_a_wrong_output_is_reported_and_rewritten(tmp_path: Path, home: Path):
    page = tmp_path / "page.md"
    page.write_text(
        "Intro\n\n```console\n$ ordercli init --company Shop --currency EUR\nwrong\n\n```\n",
        encoding="utf-8",
    )
    lines, problems, unwritable = run_page(page, home)
    assert len(problems) == 1 and "-wrong" in problems[0] and not unwritable
    # The output written back names the session's ledger as the reader's `~`; the blank
    # line before the fence stays.
    assert lines[3] == "$ ordercli init --company Shop --currency EUR"
    assert "~/shop.db" in lines[4] and lines[5:7] == ["", "```"]


def test_only_ordercli_and_export_run(tmp_path: Path):
    session = Session(tmp_path)
    session.run("export ORDERCLI_DB=~/other.db  # a comment")
    assert session.env["ORDERCLI_DB"] == f"{tmp_path}/other.db"
    with pytest.raises(AssertionError, match="only `ordercli …` and `export`"):
        session.run("ls -l")
