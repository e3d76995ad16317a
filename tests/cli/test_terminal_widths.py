"""Every show, list and report command keeps its figures whole on a narrow terminal.

A demo ledger (``ordercli demo`` at a fixed day) gives each command the
document it needs. Each command then runs in a real pseudo-terminal of 60, 80
and 100 columns; what it printed (colours stripped, long lines cut where the
terminal would wrap them) must hold every figure of its ``--json`` document
(decimal strings, dates, document numbers) that it prints at 250 columns, as
often as it prints it there. The commands are read from the command line
itself, so a new ``show``, ``list`` or report cannot be left out.

Many commands run in one process per width (``terminal_driver.py``): starting
ordercli costs more than running a read-only command. Two tests run the
installed ``ordercli`` itself: in a terminal, and piped with ``COLUMNS``.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer
from rich.cells import cell_len, chop_cells
from rich.console import Console
from typer.main import get_command

from ordercli.cli.app import app

pytestmark = pytest.mark.skipif(
    os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() == "postgresql",
    reason="the demo ledger is a SQLite file",
)

DRIVER = Path(__file__).with_name("terminal_driver.py")
MARKER = re.compile(r"^@@ordercli-command (\d+)$", re.MULTILINE)
TODAY = "2026-12-01"
WIDE = 250
WIDTHS = (60, 80, 100)
# Read-only views besides show, list and the reports.
VIEW_VERBS = {"show", "list", "explain", "timeline", "track", "pick-list", "moves", "transactions"}
# Where the document an argument names is listed, when it is not the command's own noun.
ARGUMENT_LISTS = {"CUSTOMER": "customer", "SKU": "product"}
IDENTIFIERS = ("number", "code", "sku", "id", "name")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Z]")
TOKEN = re.compile(r"-?[\w][\w.\-]*")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
DOCUMENT = re.compile(r"^[A-Z]{1,4}-\d{3,}$")


def _ordercli() -> list[str]:
    script = Path(sys.executable).with_name("ordercli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ordercli"]


def _views() -> list[tuple[list[str], str | None, bool]]:
    """(command words, the metavar of its argument or None, whether it takes --all)."""
    root = get_command(app)
    context = typer.Context(root)
    found = []
    for noun in root.list_commands(context):
        command = root.get_command(context, noun)
        verbs = getattr(command, "commands", None) or {}
        if not verbs and noun == "status":
            found.append(([noun], None, False))
        for verb, leaf in verbs.items():
            if verb not in VIEW_VERBS and noun != "report":
                continue
            arguments = [p for p in leaf.params if p.param_type_name == "argument"]
            options = {opt for p in leaf.params for opt in getattr(p, "opts", [])}
            metavar = arguments[0].metavar if arguments else None
            found.append(([noun, verb], metavar, "--all" in options))
    return found


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "ORDERCLI_DB")}
    return {**env, "ORDERCLI_TODAY": TODAY, "TERM": "xterm-256color", **extra}


def _clean(raw: bytes) -> str:
    return ANSI.sub("", raw.decode("utf-8", "replace")).replace("\r\n", "\n").replace("\r", "")


def _in_terminal(args: list[str], width: int, timeout: float = 120) -> str:
    """Run ``args`` in a pseudo-terminal ``width`` columns wide; what it printed."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    process = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=_env(), close_fds=True
    )
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        process.wait(timeout=30)
    return _clean(b"".join(chunks))


def _piped(args: list[str], **env: str) -> str:
    done = subprocess.run(args, capture_output=True, env=_env(**env), timeout=120, check=True)
    return _clean(done.stdout)


def _split(printed: str) -> list[str]:
    """The output of each command of a driver run, in order."""
    parts = MARKER.split(printed)
    return [parts[i + 1] for i in range(1, len(parts) - 1, 2)]


def _driver(commands: list[list[str]]) -> list[str]:
    return [sys.executable, str(DRIVER), json.dumps(commands)]


def _figures(document) -> list[str]:
    """Decimal strings, dates and document numbers anywhere in a JSON document."""
    if isinstance(document, dict):
        return [figure for value in document.values() for figure in _figures(value)]
    if isinstance(document, list):
        return [figure for value in document for figure in _figures(value)]
    if isinstance(document, str):
        if DECIMAL.match(document) or DOCUMENT.match(document):
            return [document]
        if DAY.match(document):
            return [document[:10]]
    return []


def _screen_lines(printed: str, width: int) -> list[str]:
    """The lines as a terminal ``width`` wide shows them: longer ones wrap at the edge."""
    lines = []
    for line in printed.splitlines():
        lines.extend(chop_cells(line, width) if cell_len(line) > width else [line])
    return lines


def _tokens(lines: list[str]) -> Counter:
    return Counter(token.rstrip(".-") for line in lines for token in TOKEN.findall(line))


@pytest.fixture(scope="module")
def demo_views(tmp_path_factory):
    """The demo ledger, every view's command line, and each one's figures and wide output."""
    folder = tmp_path_factory.mktemp("widths")
    ledger = folder / "demo.db"
    subprocess.run(
        [*_ordercli(), "demo", "--path", str(ledger)],
        capture_output=True,
        env=_env(),
        timeout=300,
        check=True,
    )
    db = ["--db", str(ledger)]
    views = _views()
    nouns = sorted({ARGUMENT_LISTS.get(m or "", words[0]) for words, m, _ in views if m})
    setup = [[*db, "billing-agreement", "add", "BRIGHT", "--method", "card", "--reference", "C-1"]]
    listed = _split(_piped(_driver(setup + [[*db, noun, "list", "--json"] for noun in nouns])))
    first = {}
    for noun, printed in zip(nouns, listed[1:], strict=True):
        items = json.loads(printed)
        items = items if isinstance(items, list) else next(iter(items.values()))
        assert items, f"the demo ledger has no {noun} to show"
        first[noun] = str(next(items[0][key] for key in IDENTIFIERS if key in items[0]))
    commands = []
    for words, metavar, has_all in views:
        argument = [first[ARGUMENT_LISTS.get(metavar, words[0])]] if metavar else []
        commands.append([*db, *words, *argument, *(["--all"] if has_all else [])])
    wide = _split(_piped(_driver([*commands, *[[*c, "--json"] for c in commands]]), COLUMNS="250"))
    shown = wide[: len(commands)]
    documents = [json.loads(text) for text in wide[len(commands) :]]
    return ledger, commands, shown, documents


def test_every_view_is_covered(demo_views):
    _, commands, _, _ = demo_views
    named = {" ".join(command[2:4]) for command in commands}
    for expected in ("invoice list", "invoice show", "order show", "order explain", "report aging"):
        assert expected in named


def test_figures_stay_whole_at_60_80_and_100_columns(demo_views):
    _, commands, shown, documents = demo_views
    wanted = []
    for printed, document in zip(shown, documents, strict=True):
        on_screen = _tokens(printed.splitlines())
        figures = set(_figures(document))
        wanted.append({figure: on_screen[figure] for figure in figures if on_screen[figure]})
    assert sum(map(len, wanted)) > 100, "too few figures found to prove anything"
    with ThreadPoolExecutor(len(WIDTHS)) as pool:
        printed_at = dict(
            zip(
                WIDTHS,
                pool.map(lambda w: _split(_in_terminal(_driver(commands), w)), WIDTHS),
                strict=True,
            )
        )
    problems = []
    for width, outputs in printed_at.items():
        assert len(outputs) == len(commands)
        for command, printed, figures in zip(commands, outputs, wanted, strict=True):
            found = _tokens(_screen_lines(printed, width))
            cut = sorted(f for f, count in figures.items() if found[f] < count)
            if cut:
                problems.append(f"{width} columns, ordercli {' '.join(command[2:])}: {cut}")
    assert not problems, "figures not whole:\n" + "\n".join(problems)


def test_the_installed_command_fits_a_terminal(demo_views):
    ledger = demo_views[0]
    printed = _in_terminal([*_ordercli(), "--db", str(ledger), "invoice", "list", "--all"], 60)
    assert "INV-00001" in printed
    assert all(cell_len(line) <= 60 for line in printed.splitlines())
    assert "┃" not in printed  # stacked: the boxed table cannot fit 60 columns


def test_a_pipe_honours_columns(demo_views):
    ledger = demo_views[0]
    command = f"{' '.join(_ordercli())} --db {ledger} invoice list --all | cat"
    done = subprocess.run(
        command, shell=True, capture_output=True, env=_env(COLUMNS="60"), timeout=120, check=True
    )
    lines = done.stdout.decode().splitlines()
    assert lines and all(cell_len(line) <= 60 for line in lines)
    listed = [*_ordercli(), "--db", str(ledger), "invoice", "list", "--all", "--json"]
    invoices = json.loads(_piped(listed))
    shown = ("number", "order", "issue_date", "due_date", "total", "balance")
    figures = Counter(_figures([{key: item[key] for key in shown} for item in invoices]))
    found = _tokens(lines)
    assert len(figures) > 10 and all(found[f] >= count for f, count in figures.items())
    unset = _piped([*_ordercli(), "--db", str(ledger), "invoice", "list", "--all"])
    assert any(line.startswith("┏") for line in unset.splitlines())  # no COLUMNS: wide as before


def test_a_long_next_step_breaks_between_its_arguments(monkeypatch):
    """`order explain`'s next steps: one aligned line when it fits, else the comment
    first and the command continued with backslashes, still one command for the shell."""
    from ordercli.cli import output as output_module

    command = (
        "ordercli return request SO-00001 --line DESK-OAK=3 --line CHAIR-ERGO=5 "
        "--reason 'wrong colour'"
    )
    why = "goods shipped and not returned: 3 × DESK-OAK, 5 × CHAIR-ERGO, 1105.63 EUR"
    for width in (60, 200):
        console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
        monkeypatch.setattr(output_module.output, "out", console)
        output_module.output.shell_step(command, why, 40)
        lines = console.file.getvalue().splitlines()
        assert all(cell_len(line) <= width for line in lines)
        if width == 200:
            assert lines == [f"  {command}  # {why}"]
            continue
        comments = [line for line in lines if line.startswith("  # ")]
        pasted = [line.removesuffix(" \\") for line in lines if line not in comments]
        assert all(line.endswith(" \\") for line in lines[len(comments) : -1])
        assert shlex.split(" ".join(pasted)) == shlex.split(command)
        assert " ".join(line[4:] for line in comments) == why
