"""Tables are laid out by Rich itself, long ones included.

``output.table`` builds one ``rich.table.Table`` and prints it through the
``Output`` console; nothing imitates Rich's drawing by hand.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ordercli.cli import output as output_module
from ordercli.cli.output import table


def _rich_drawing(title, columns, rows, status_keys, width) -> str:
    """The same Rich table, set up here independently of `output.table` (the reference)."""
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
    grid = Table(title=Text(title) if title else None, title_justify="left", header_style="bold")
    for key, header in columns:
        sample = next((row.get(key) for row in rows if row.get(key) is not None), None)
        numeric = isinstance(sample, Decimal | int) and not isinstance(sample, bool)
        grid.add_column(
            header,
            justify="right" if numeric else "left",
            no_wrap=numeric
            or key in status_keys
            or key in output_module.NO_WRAP
            or isinstance(sample, date),
            overflow="fold",
        )
    for row in rows:
        cells = []
        for key, _ in columns:
            if key in status_keys:
                cells.append(output_module.status_text(row.get(key)))
                continue
            cell = Text(output_module.fmt(row.get(key)))
            # Tabs are expanded before measuring, so a column is as wide as it is drawn.
            cell.expand_tabs()
            cells.append(cell)
        grid.add_row(*cells)
    console.print(grid)
    return console.file.getvalue()


def _our_drawing(title, columns, rows, status_keys, width) -> str:
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(output_module.output, "out", console)
        table(title, columns, rows, status_keys=status_keys)
    return console.file.getvalue()


def test_a_long_report_is_printed_by_rich(monkeypatch):
    """Thousands of rows go through one Rich table, and every row is printed."""
    rows = [
        {"customer": f"C{n:05d}", "name": f"Customer {n} Ltd", "total": Decimal(n).scaleb(-2)}
        for n in range(3_000)
    ]
    columns = [("customer", "Customer"), ("name", "Name"), ("total", "Total")]
    printed = []
    real_print = output_module.output.print

    def spy(*renderables, **kwargs):
        printed.extend(renderables)
        real_print(*renderables, **kwargs)

    console = Console(file=io.StringIO(), width=160, highlight=False, soft_wrap=False)
    monkeypatch.setattr(output_module.output, "out", console)
    monkeypatch.setattr(output_module.output, "print", spy)
    table("Aging", columns, rows)
    assert len(printed) == 1 and isinstance(printed[0], Table)
    assert printed[0].row_count == 3_000
    lines = console.file.getvalue().splitlines()
    assert len(lines) == 1 + 3 + 3_000 + 1
    for n, line in enumerate(lines[4:-1]):
        assert line.startswith(f"│ C{n:05d}   │ Customer {n} Ltd ")
        assert line.endswith(f" {Decimal(n).scaleb(-2)} │")
    assert lines[-1].startswith("└") and lines[-1].endswith("┘")


@pytest.mark.parametrize(
    "name",
    ["a very long customer name " * 8, "line one\nline two", "tab\there"],
    ids=["too wide", "two lines", "control character"],
)
def test_tables_that_need_layout_still_get_richs(name):
    rows = [{"customer": "C1", "name": name, "total": Decimal("1.00")}]
    columns = [("customer", "Customer"), ("name", "Name"), ("total", "Total")]
    ours = _our_drawing(None, columns, rows, set(), 80)
    assert ours == _rich_drawing(None, columns, rows, set(), 80)


def test_statuses_keep_their_colour_on_a_terminal(monkeypatch):
    console = Console(
        file=io.StringIO(), width=80, force_terminal=True, color_system="standard", highlight=False
    )
    monkeypatch.setattr(output_module.output, "out", console)
    table(
        None, [("number", "Number"), ("status", "Status")], [{"number": "INV-1", "status": "paid"}]
    )
    drawn = console.file.getvalue()
    assert "\x1b[32mpaid" in drawn  # green, as STATUS_STYLES says (Rich colours the padding too)
    assert "\x1b[1mNumber\x1b[0m" in drawn  # bold header
