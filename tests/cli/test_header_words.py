"""No table cuts a word of its header, whatever the width of the terminal.

"Ordere/d" or "Backo/rdere/d" reads as broken. ``layout.fitted_table`` may wrap
a header of several words between them, give up the box and the padding, or
fold words of free text; when even that does not fit, the table is stacked
(one block per row) instead. The demo ledger's ``order explain``, ``order
show``, ``quote show``, ``invoice list`` and ``payment list`` are printed at
60, 80 and 100 columns, and every table they draw is checked: each word of
each header stands whole on a header line.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections import Counter

import pytest
from rich.console import Console, Group
from rich.table import Table

from ordercli.cli import layout
from ordercli.cli import output as output_module
from ordercli.cli.app import app

pytestmark = pytest.mark.skipif(
    os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() == "postgresql",
    reason="the demo ledger is a SQLite file",
)

WIDTHS = (60, 80, 100)
TODAY = "2026-12-01"
# What separates words on a header line: spaces and the box's vertical lines.
SEPARATORS = re.compile(r"[\s┃│]+")


def _run(monkeypatch, args: list[str], width: int) -> tuple[str, list[tuple[list[str], object]]]:
    """What ``ordercli ARGS`` prints ``width`` columns wide, and each table it fitted:
    the headers of its columns with something in them, and what ``fitted_table`` made
    of them (None: stacked)."""
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
    fitted = []
    real = layout.fitted_table

    def spy(console_, title, columns, width_):
        made = real(console_, title, columns, width_)
        # A column empty in every row may be left out of a tight table.
        filled = [column for column in columns if column.widest] or columns
        fitted.append(([column.header for column in filled], made))
        return made

    with monkeypatch.context() as patch:
        patch.setattr(output_module.output, "out", console)
        patch.setattr(layout, "fitted_table", spy)
        try:
            app(args, standalone_mode=False)
        except SystemExit as stop:
            assert not stop.code, f"ordercli {' '.join(args)} failed"
    return console.file.getvalue(), fitted


def _header_lines(made, width: int) -> list[str]:
    """The lines a fitted table draws its header on (title left out)."""
    grid = (
        next(r for r in made.renderables if isinstance(r, Table))
        if isinstance(made, Group)
        else made
    )
    assert isinstance(grid, Table)
    grid.title = None
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
    console.print(grid)
    lines = console.file.getvalue().splitlines()
    if lines[0].startswith("┏"):  # boxed: the header lies between the top edge and ┡
        end = next(i for i, line in enumerate(lines) if line.startswith("┡"))
        return lines[1:end]
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("─"))
    return lines[:end]


@pytest.fixture(scope="module")
def demo_commands(tmp_path_factory):
    """The demo ledger and the command lines to check on it."""
    ledger = tmp_path_factory.mktemp("header-words") / "demo.db"
    db = ["--db", str(ledger)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERCLI_TODAY", TODAY)
        patch.setattr(output_module.output, "out", Console(file=io.StringIO()))
        app(["demo", "--path", str(ledger)], standalone_mode=False)

    def listed(noun: str) -> list[str]:
        stdout = io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdout", stdout)  # --json is written to stdout directly
            app([*db, noun, "list", "--json"], standalone_mode=False)
        return [item["number"] for item in json.loads(stdout.getvalue())]

    orders, quotes = listed("order"), listed("quote")
    assert orders and quotes
    commands = [[*db, "invoice", "list", "--all"], [*db, "payment", "list", "--all"]]
    commands += [[*db, "order", verb, number] for number in orders for verb in ("explain", "show")]
    commands += [[*db, "quote", "show", number] for number in quotes]
    return commands


@pytest.mark.parametrize("width", WIDTHS)
def test_no_header_word_is_cut(demo_commands, monkeypatch, width):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    problems = []
    tables = stacked = 0
    for args in demo_commands:
        printed, fitted = _run(monkeypatch, args, width)
        assert all(len(line) <= width for line in printed.splitlines())
        for headers, made in fitted:
            tables += 1
            if made is None:
                stacked += 1
                continue
            words = Counter(word for header in headers for word in header.split())
            shown = Counter(
                word for line in _header_lines(made, width) for word in SEPARATORS.split(line)
            )
            cut = sorted(word for word, count in words.items() if shown[word] < count)
            if cut:
                problems.append(f"ordercli {' '.join(args[2:])}: {cut}")
    assert tables > len(demo_commands), "too few tables drawn to prove anything"
    assert stacked < tables
    assert not problems, f"header words cut at {width} columns:\n" + "\n".join(problems)


def test_order_explain_keeps_its_headers_whole_at_80_columns(demo_commands, monkeypatch):
    """The line table of ``order explain`` drops the box and padding before stacking."""
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    explains = [args for args in demo_commands if args[2:4] == ["order", "explain"]]
    drawn = 0
    for args in explains:
        printed, fitted = _run(monkeypatch, args, 80)
        for headers, made in fitted:
            if made is not None and "Backordered" in headers:
                drawn += 1
                assert "Backordered" in SEPARATORS.split(" ".join(_header_lines(made, 80)))
        assert "Backo" not in printed.replace("Backordered", "")
    assert drawn, "no order explain line table fits 80 columns as a table"
