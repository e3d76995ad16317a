"""No figure is ever cut: any table or card, at any width from 60 to 200 columns.

Random tables (amounts with many digits, quantities, dates, document numbers,
statuses, long text with wide characters) go through ``output.table`` and
``output.card`` into a console of a random width. Every line must fit the
width, and every figure must be found whole on one line: the figures are
counted token by token, so a figure cropped, ellipsized or folded onto two
lines is missing from the count.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from ordercli.cli import output as output_module
from ordercli.cli.output import card, fmt, table

TEXT_ALPHABET = "abcdefghij klmnop ÄÖÜéßñ 漢字カナ한국어 Oak desk, 160 × 80 cm"
# What separates one cell's text from the next on a line: spaces and Rich's box lines.
SEPARATORS = re.compile(r"[\s│┃╇╈┡┩]+")

amounts = st.builds(
    lambda units, places: Decimal(units).scaleb(-places),
    st.integers(-(10**17), 10**17),
    st.integers(0, 6),
)
quantities = st.builds(lambda units: Decimal(units).scaleb(-3), st.integers(0, 10**9))
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
document_numbers = st.builds(
    lambda prefix, number: f"{prefix}-{number:05d}",
    st.sampled_from(["INV", "SO", "Q", "SH", "PAY", "CM", "RMA"]),
    st.integers(1, 10**9),
)
statuses = st.sampled_from(sorted(output_module.STATUS_STYLES))
texts = st.text(alphabet=TEXT_ALPHABET, min_size=0, max_size=120)
headers = st.text(alphabet=TEXT_ALPHABET.replace(" ", "") + "  %#", min_size=1, max_size=14)

KINDS = {
    "amount": amounts,
    "qty": quantities,
    "line": st.integers(1, 10**6),
    "date": days,
    "document": document_numbers,
    "status": statuses,
    "text": texts,
}
# Keys of document number and code columns, as the commands name them.
DOCUMENT_KEYS = sorted(output_module.NO_WRAP - {"line"})


@st.composite
def tables(draw):
    """(columns, rows, status keys, figures): up to ten columns of any kinds, one to six
    rows, and the text of every figure in them."""
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=10))
    documents = iter(DOCUMENT_KEYS)
    # Document number columns are known by their key, as the commands name them.
    keys = [
        next(documents, f"{kind}_{index}") if kind == "document" else f"{kind}_{index}"
        for index, kind in enumerate(kinds)
    ]
    kinds = [
        "text" if kind == "document" and key not in DOCUMENT_KEYS else kind
        for key, kind in zip(keys, kinds, strict=True)
    ]
    columns = [(key, draw(headers)) for key in keys]
    values = {
        key: st.one_of(st.none(), texts) if kind == "text" else KINDS[kind]
        for key, kind in zip(keys, kinds, strict=True)
    }
    rows = draw(st.lists(st.fixed_dictionaries(values), min_size=1, max_size=6))
    status_keys = [key for key, kind in zip(keys, kinds, strict=True) if kind == "status"]
    figures = [
        fmt(row[key])
        for row in rows
        for key, kind in zip(keys, kinds, strict=True)
        if kind != "text"
    ]
    return columns, rows, status_keys, figures


def _drawn(width: int, draw) -> list[str]:
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(output_module.output, "out", console)
        draw()
    return console.file.getvalue().splitlines()


def _assert_whole(lines: list[str], figures: list[str], width: int) -> None:
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, f"lines wider than {width}: {too_wide}"
    found = Counter(token for line in lines for token in SEPARATORS.split(line) if token)
    wanted = Counter(figures)
    missing = {figure: count for figure, count in wanted.items() if found[figure] < count}
    assert not missing, f"figures not whole at {width} columns: {missing}\n" + "\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(table_=tables(), width=st.integers(60, 200), title=st.one_of(st.none(), texts))
def test_table_figures_are_never_cut(table_, width, title):
    columns, rows, status_keys, figures = table_
    lines = _drawn(width, lambda: table(title, columns, rows, status_keys=status_keys))
    _assert_whole(lines, figures, width)


@settings(max_examples=150, deadline=None)
@given(
    fields=st.lists(
        st.tuples(
            headers,
            st.one_of(amounts, quantities, days, document_numbers, statuses, texts),
        ),
        min_size=1,
        max_size=12,
    ),
    width=st.integers(60, 200),
    title=document_numbers,
)
def test_card_figures_are_never_cut(fields, width, title):
    lines = _drawn(width, lambda: card(f"Invoice {title}", fields, status_keys=()))
    figures = [fmt(value) for _, value in fields if not isinstance(value, str) or "-" in value]
    _assert_whole(lines, [title, *figures], width)


def test_a_wide_invoice_list_is_stacked_at_sixty_columns():
    """The shape each width gets: boxed, then without the box, then stacked."""
    rows = [
        {
            "number": "INV-00004",
            "order": "SO-00003",
            "customer": "ACME",
            "status": "overdue",
            "issue_date": date(2026, 10, 17),
            "due_date": date(2026, 11, 16),
            "total": Decimal("6940.08"),
            "balance": Decimal("6940.08"),
        }
    ]
    columns = [(key, key.replace("_", " ").title()) for key in rows[0]]
    boxed = _drawn(100, lambda: table("Invoices", columns, rows))
    compact = _drawn(80, lambda: table("Invoices", columns, rows))
    stacked = _drawn(60, lambda: table("Invoices", columns, rows))
    assert boxed[1].startswith("┏")
    assert "┃" not in "".join(compact) and compact[2].startswith("─")
    assert [line.rstrip() for line in stacked[1:4]] == [
        "Number      INV-00004",
        "Order       SO-00003",
        "Customer    ACME",
    ]
    for lines, width in ((boxed, 100), (compact, 80), (stacked, 60)):
        _assert_whole(lines, ["INV-00004", "6940.08", "2026-10-17", "overdue"], width)
