"""Rendering big tables: ordercli's fitted tables against Rich laying out the same table alone.

The anchor is the plain Rich table that ``output.table`` used to build (every
column measured by Rich, figures ``no_wrap``), which may crop figures on a
narrow terminal; ordercli's side is ``output.table`` itself, which measures
the figures first so none is ever cut. Both render, in this process and
alternating, ``--rows`` rows into a pipe-like console (no colour) of each
width: 160 (a pipe without ``COLUMNS``), 80 (where the invoice list loses its
box) and 60 (where it is stacked). Shown: medians and the
ratio ordercli / Rich alone. No target: the figure is there to catch a
rendering path that got much slower.

    .venv/bin/python bench/render_bench.py [--rows 10000] [--runs 3] [--widths 160,80,60] [--quick]
"""

from __future__ import annotations

import io
import sys
from datetime import date, timedelta
from decimal import Decimal

import benchlib
from benchlib import Figure, median

from ordercli.cli.invoice import COLUMNS as INVOICE_LIST_COLUMNS

WIDTHS = (160, 80, 60)
# The columns `invoice list` prints, so the bench renders what users see.
INVOICE_COLUMNS = INVOICE_LIST_COLUMNS
AGING_COLUMNS = [
    ("customer", "Customer"),
    ("name", "Name"),
    ("current", "Current"),
    ("d1_30", "1-30"),
    ("d31_60", "31-60"),
    ("d61_90", "61-90"),
    ("d90_plus", "90+"),
    ("total", "Total"),
]
STATUSES = ("open", "paid", "overdue", "partially_paid")


def invoice_rows(count: int) -> list[dict]:
    first = date(2026, 1, 1)
    return [
        {
            "number": f"INV-{n + 1:05d}",
            "order": f"SO-{n // 2 + 1:05d}",
            "customer": f"C{n % 700:04d}",
            "status": STATUSES[n % len(STATUSES)],
            "issue_date": first + timedelta(days=n % 300),
            "due_date": first + timedelta(days=n % 300 + 30),
            "total": Decimal(n * 7919 % 2_000_000).scaleb(-2),
            "balance": Decimal(n * 104_729 % 900_000).scaleb(-2),
        }
        for n in range(count)
    ]


def aging_rows(count: int) -> list[dict]:
    rows = []
    for n in range(count):
        buckets = [Decimal(n * prime % 5_000_000).scaleb(-2) for prime in (31, 37, 41, 43, 47)]
        rows.append(
            {
                "customer": f"C{n:05d}",
                "name": f"Customer {n} Trading Company Ltd",
                "current": buckets[0],
                "d1_30": buckets[1],
                "d31_60": buckets[2],
                "d61_90": buckets[3],
                "d90_plus": buckets[4],
                "total": sum(buckets, Decimal(0)),
            }
        )
    return rows


def rich_alone(console, title, columns, rows) -> None:
    """The table as Rich lays it out by itself (what ``output.table`` built before)."""
    from rich.table import Table
    from rich.text import Text

    from ordercli.cli import output as output_module

    grid = Table(title=Text(title), title_justify="left", header_style="bold")
    for key, header in columns:
        sample = next((row.get(key) for row in rows if row.get(key) is not None), None)
        numeric = isinstance(sample, Decimal | int) and not isinstance(sample, bool)
        grid.add_column(
            header,
            justify="right" if numeric else "left",
            no_wrap=numeric
            or key in ("status", "number", "order", "customer")
            or isinstance(sample, date),
            overflow="fold",
        )
    for row in rows:
        grid.add_row(
            *[
                output_module.status_text(row.get(key))
                if key == "status"
                else Text(output_module.fmt(row.get(key)))
                for key, _ in columns
            ]
        )
    console.print(grid)


def ordercli_table(console, title, columns, rows) -> None:
    from ordercli.cli import output as output_module

    saved = output_module.output.out
    output_module.output.out = console
    try:
        output_module.table(title, columns, rows, status_keys=("status",))
    finally:
        output_module.output.out = saved


def pipe_console(width: int):
    from rich.console import Console

    return Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=False)


def _timed(render, width: int, title: str, columns, rows):
    def measure() -> float:
        return benchlib.in_process_seconds(
            lambda: render(pipe_console(width), title, columns, rows)
        )

    return measure


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__, runs=3)
    parser.add_argument("--rows", type=int, default=10_000, help="rows per table")
    parser.add_argument(
        "--widths", default=",".join(map(str, WIDTHS)), help="console widths, comma-separated"
    )
    args = benchlib.finish_args(parser.parse_args(argv))
    rows = 1_000 if args.quick else args.rows
    tables = {
        f"invoice list --all, {rows:,} invoices": ("Invoices", INVOICE_COLUMNS, invoice_rows(rows)),
        f"report aging, {rows:,} customers": ("Receivables aging", AGING_COLUMNS, aging_rows(rows)),
    }
    figures = []
    for name, (title, columns, table_rows) in tables.items():
        for width in [int(width) for width in args.widths.split(",")]:
            times = benchlib.alternate(
                [
                    ("rich", _timed(rich_alone, width, title, columns, table_rows)),
                    ("ordercli", _timed(ordercli_table, width, title, columns, table_rows)),
                ],
                args.runs,
            )
            ours, anchor = median(times["ordercli"]), median(times["rich"])
            figures.append(
                Figure(
                    f"{name}, {width} columns",
                    benchlib.ms(ours),
                    benchlib.ms(anchor),
                    f"{ours / anchor:.2f}",
                    "-",
                    None,
                    "in process, rendered into a pipe-like console; anchor: Rich alone",
                )
            )
            print(
                f"{figures[-1].figure}: {figures[-1].ordercli} vs {figures[-1].anchor}", flush=True
            )
    benchlib.print_figures(figures, "Rendering big tables (ordercli / Rich alone)")
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
