"""Long tables are drawn directly, character for character as Rich draws them.

``output.table`` skips Rich's cell-by-cell layout when nothing has to wrap (a
report of thousands of customers took seconds in it). The drawing must be
indistinguishable from Rich's: Hypothesis generates tables, and each is
printed both ways into consoles of several widths and compared byte for byte.
Tables that would wrap, or hold text Rich treats specially, go to Rich itself.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ordercli.cli import output as output_module
from ordercli.cli.output import STATUS_STYLES, table

TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),
        include_characters="東京Ωé€ 😀",
    ),
    max_size=24,
)
VALUE = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from(sorted(STATUS_STYLES)),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.booleans(),
)


def _rich_drawing(title, columns, rows, status_keys, width) -> str:
    """What the table looked like when Rich laid out every table (the reference)."""
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
        grid.add_row(
            *[
                output_module.status_text(row.get(key))
                if key in status_keys
                else Text(output_module.fmt(row.get(key)))
                for key, _ in columns
            ]
        )
    console.print(grid)
    return console.file.getvalue()


def _our_drawing(title, columns, rows, status_keys, width) -> str:
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(output_module.output, "out", console)
        table(title, columns, rows, status_keys=status_keys)
    return console.file.getvalue()


@st.composite
def tables(draw):
    count = draw(st.integers(min_value=1, max_value=5))
    keys = [f"k{n}" for n in range(count)]
    columns = [(key, draw(TEXT.filter(bool))) for key in keys]
    row_count = draw(st.integers(min_value=1, max_value=8))
    rows = []
    for _ in range(row_count):
        rows.append({key: draw(VALUE) for key in keys})
    status_keys = {key for key in keys if draw(st.booleans())}
    title = draw(st.none() | TEXT.filter(bool))
    return title, columns, rows, status_keys


@settings(max_examples=300, deadline=None)
@given(table=tables(), width=st.sampled_from([40, 80, 160]))
def test_drawn_tables_are_exactly_richs(table, width):
    title, columns, rows, status_keys = table
    ours = _our_drawing(title, columns, rows, status_keys, width)
    assert ours == _rich_drawing(title, columns, rows, status_keys, width)


def test_a_long_report_is_drawn_directly(monkeypatch):
    """The fast path is taken for a plain long table (and Rich's layout is not)."""
    rows = [
        {"customer": f"C{n:05d}", "name": f"Customer {n} Ltd", "total": Decimal(n).scaleb(-2)}
        for n in range(3_000)
    ]
    columns = [("customer", "Customer"), ("name", "Name"), ("total", "Total")]

    def no_layout(*args, **kwargs):
        raise AssertionError("Rich laid the table out")

    monkeypatch.setattr(output_module, "Table", no_layout)
    console = Console(file=io.StringIO(), width=160, highlight=False, soft_wrap=False)
    monkeypatch.setattr(output_module.output, "out", console)
    table("Aging", columns, rows)
    lines = console.file.getvalue().splitlines()
    assert len(lines) == 1 + 3 + 3_000 + 1
    assert lines[4] == "│ C00000   │ Customer 0 Ltd    │  0.00 │"
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
    assert "\x1b[32mpaid\x1b[0m" in drawn  # green, as STATUS_STYLES says
    assert "\x1b[1mNumber\x1b[0m" in drawn  # bold header
