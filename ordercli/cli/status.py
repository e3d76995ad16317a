"""`ordercli status`: the one-screen dashboard (registered by ``cli/misc.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, day, ledger, ledger_choice, ledger_choice_text, qty, state
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import fmt, output, render

dashboard = lazy_module("ordercli.reports.dashboard")

# Fits a 100-column terminal; wider ones get the same compact screen.
SCREEN_WIDTH = 100
# Words in the middle column up to this long (document numbers, counts) never fold.
WORD_MAX = 20
INEXACT = "*"


def _plural(count, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _panel(title: str, rows: list[tuple[str, str, str]]):
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def widest(texts) -> int:
        return max((Text(text).cell_len for text in texts), default=0)

    grid = Table.grid(padding=(0, 1), expand=True)
    # Labels and amounts are never cut (their min_width is what the width measures);
    # only the middle column gives way when the panel is narrow, wrapping its words.
    grid.add_column(style="bold", no_wrap=True, min_width=widest(row[0] for row in rows))
    words = [word for row in rows for word in row[1].split()]
    grid.add_column(overflow="fold", ratio=1, min_width=min(widest(words), WORD_MAX))
    grid.add_column(justify="right", no_wrap=True, min_width=widest(row[2] for row in rows))
    for label, figure, amount in rows:
        grid.add_row(Text(label), Text(figure), Text(amount))
    return Panel(grid, title=Text(title, style="bold"), title_align="left")


def _panels_per_row(panels, width: int) -> int:
    """Two panels side by side when both fit whole, else one under the other."""
    from rich.measure import Measurement

    console = output.out
    # A panel adds its border and one column of padding on each side.
    need = max(Measurement.get(console, console.options, p.renderable).minimum for p in panels)
    return 2 if 2 * (need + 4) + 1 <= width else 1


def show_status(doc: dict) -> None:
    from rich.table import Table
    from rich.text import Text

    def mark(section: str, label: str) -> str:
        return label + ("" if doc[section]["as_of_exact"] else INEXACT)

    confirm, ship, bill = doc["to_confirm"], doc["to_ship"], doc["to_invoice"]
    overdue, receivable = doc["overdue_receivables"], doc["open_receivables"]
    credit, back, low, today = (
        doc["unapplied_credit"],
        doc["backorders"],
        doc["low_stock"],
        doc["activity"],
    )
    orders = _panel(
        "Orders",
        [
            (
                mark("to_confirm", "To confirm"),
                _plural(confirm["orders"], "draft"),
                fmt(confirm["total"]),
            ),
            (
                mark("to_ship", "To ship"),
                f"{_plural(ship['orders'], 'order')}, {_plural(ship['lines'], 'line')}",
                "",
            ),
            ("  backordered", _plural(ship["backordered_lines"], "line"), ""),
            (
                mark("to_invoice", "To invoice"),
                f"{_plural(bill['orders'], 'order')}, {_plural(bill['lines'], 'line')}",
                fmt(bill["total"]),
            ),
        ],
    )
    money = _panel(
        "Receivables",
        [
            ("Overdue", _plural(overdue["invoices"], "invoice"), fmt(overdue["amount"])),
            *(
                [
                    (
                        "  oldest",
                        overdue["oldest_invoice"],
                        _plural(overdue["oldest_days_overdue"], "day"),
                    )
                ]
                if overdue["oldest_invoice"]
                else []
            ),
            ("Open", _plural(receivable["invoices"], "invoice"), fmt(receivable["amount"])),
            ("Unapplied credit", _plural(credit["customers"], "customer"), fmt(credit["amount"])),
        ],
    )
    stock_rows = [
        (
            mark("backorders", "Backorders"),
            _plural(back["products"], "product"),
            f"{fmt(back['units'])} unit{'' if back['units'] == 1 else 's'}",
        ),
        (
            mark("low_stock", f"Low stock ≤ {fmt(low['threshold'])}"),
            _plural(low["products"], "product"),
            "available" if low["lowest"] else "",
        ),
        *[(f"  {item['sku']}", item["name"], fmt(item["available"])) for item in low["lowest"]],
    ]
    stock = _panel("Stock", stock_rows)
    activity = _panel(
        f"On {today['day']}",
        [
            ("Orders", str(today["orders"]), ""),
            ("Invoices", str(today["invoices"]), fmt(today["invoiced"])),
            ("Payments", str(today["payments"]), fmt(today["received"])),
            ("Shipments", str(today["shipments"]), ""),
        ],
    )
    width = min(output.out.width, SCREEN_WIDTH)
    panels = [orders, money, stock, activity]
    per_row = _panels_per_row(panels, width)
    screen = Table.grid(padding=(0, 1), expand=True)
    for _ in range(per_row):
        screen.add_column(ratio=1)
    for first in range(0, len(panels), per_row):
        screen.add_row(*panels[first : first + per_row])
    when = f"as of the end of {doc['as_of']}" if doc["as_of"] else f"now ({doc['day']})"
    output.print(Text(f"ordercli status {when}, amounts in {doc['currency']}", style="bold"))
    # A long path folds at the screen's width rather than widen the screen.
    ledger_line = Table.grid()
    ledger_line.add_column(max_width=width, overflow="fold")
    ledger_line.add_row(Text(f"ledger: {ledger_choice_text(doc)}"))
    output.print(ledger_line)
    screen.width = width
    output.print(screen)
    notes = Table.grid()
    notes.width = width
    for note in dict.fromkeys(
        note
        for section in doc.values()
        if isinstance(section, dict)
        for note in section.get("as_of_notes", [])
    ):
        notes.add_row(Text(f"{INEXACT} not exact as of {doc['as_of']}: {note}", style="yellow"))
    if notes.row_count:
        output.print(notes)


def status(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Show the ledger as it stood at the end of this day."),
    ] = None,
    low_stock: Annotated[
        str,
        typer.Option(
            "--low-stock",
            metavar="QTY",
            help="Low stock: available (on hand − reserved) at or below this.",
        ),
    ] = "5",
    as_json: JsonOpt = False,
) -> None:
    """One-screen dashboard: orders to confirm, ship and invoice; overdue and open
    receivables; unapplied credit; backorders; low stock; the day's activity.

    With --as-of the figures are rebuilt from dated records (order dates and
    events, shipments, invoices, payments, journal entries, stock moves); what
    cannot be rebuilt exactly (reservations, backorders, order lines edited
    since) is marked "as_of_exact": false, and with * on screen.

    Example: ordercli status --as-of 2026-12-31
    """
    threshold = qty(low_stock, "--low-stock", allow_zero=True)
    when = day(as_of, "--as-of")
    with ledger(ctx, write=False) as session:
        doc = dashboard.dashboard(session=session, as_of=when, low_stock=threshold)
    doc.update(ledger_choice(state(ctx).db))
    render(doc, as_json, show_status)
