"""`ordercli export …`: documents and the journal for the accountant.

One command per kind, all with the same options. Without -o the export
streams to stdout; with -o it is written to a temporary file that replaces
FILE only when complete.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from ordercli.cli.common import FromOpt, JsonOpt, ToOpt, day, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import output
from ordercli.domain.errors import InvalidInput

exports = lazy_module("ordercli.io.exports")


class KindGroup(TyperGroup):
    """An unknown kind is refused like any bad input (exit 1), naming the kinds."""

    def resolve_command(self, ctx, args):
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            kinds = ", ".join(self.list_commands(ctx))
            raise InvalidInput(f"unknown export {args[0]!r} (one of {kinds})")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=KindGroup,
    help="Exports: invoices, invoice-lines, payments, credit-memos, orders, journal.",
    no_args_is_help=True,
)

FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="csv, jsonl or xlsx; hledger or beancount for the journal. "
        "Default: from the -o file's extension, else csv.",
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "-o",
        "--output",
        metavar="FILE",
        help="Write to FILE (replaced only once complete) instead of stdout.",
    ),
]

DATES = "--from/--to (inclusive) select by {}."
KINDS = {
    "invoices": (
        "Invoices, one row each: order, customer, dates, status as of today, "
        "subtotal, tax, total, paid, credited, balance.",
        DATES.format("issue date"),
        "ordercli export invoices --from 2026-01-01 --to 2026-03-31 -o q1-invoices.xlsx",
    ),
    "invoice-lines": (
        "Invoice lines, one row each: SKU, quantity, price, discount, tax rate, amounts "
        "and what credit memos took back.",
        DATES.format("the invoice's issue date"),
        "ordercli export invoice-lines --format jsonl > lines.jsonl",
    ),
    "payments": (
        "Payments received: customer, date, method, reference, amount, applied and unapplied.",
        DATES.format("date received"),
        "ordercli export payments -o payments.csv",
    ),
    "credit-memos": (
        "Credit memos: invoice, order, customer, settlement (refund or store credit), "
        "restock, reason and amounts.",
        DATES.format("issue date"),
        "ordercli export credit-memos --from 2026-01-01 -o credits.csv",
    ),
    "orders": (
        "Sales order lines, one row each, in the columns `import orders` reads "
        "(order_ref, customer_code, order_date, sku, qty, unit_price, discount_pct, tax_rate, "
        "confirm), then the order's number, status and line amounts.",
        DATES.format("order date"),
        "ordercli export orders -o orders.csv",
    ),
    "journal": (
        "The double-entry journal, one row per line (account, debit, credit, customer, "
        "invoice), or a file hledger or beancount checks and reports on. With --from, "
        "hledger and beancount files open with the balances of all earlier entries, so "
        "their balances equal `report trial-balance --as-of` the --to day.",
        DATES.format("entry date"),
        "ordercli export journal -o books.journal && hledger -f books.journal bal",
    ),
}


def run_export(
    ctx: typer.Context,
    kind: str,
    fmt: str | None,
    date_from: str | None,
    date_to: str | None,
    target: str | None,
    as_json: bool,
) -> None:
    path = Path(target) if target is not None else None
    start, end = day(date_from, "--from"), day(date_to, "--to")
    fmt = exports.check_request(kind=kind, fmt=fmt, path=path, date_from=start, date_to=end)
    stream = None
    if path is None:
        if as_json:
            raise InvalidInput(
                "--json reports on a file written with -o; without -o stdout carries the export",
                hint=f"ordercli export {kind} -o FILE --json",
            )
        stream = typer.get_binary_stream("stdout")
        if fmt == "xlsx" and stream.isatty():
            raise InvalidInput(
                "not writing an XLSX file (binary) to the terminal",
                hint=f"ordercli export {kind} -o {kind}.xlsx",
            )
        sys.stdout.flush()
    with ledger(ctx, write=False) as session:
        rows = exports.export(
            session=session,
            kind=kind,
            fmt=fmt,
            date_from=start,
            date_to=end,
            out=path if path is not None else stream,
        )
    if stream is not None:
        stream.flush()
    elif as_json:
        output.json({"file": str(path), "kind": kind, "format": fmt, "rows": rows})
    else:
        # One line, however long the path: scripts and logs read it.
        output.err.print(
            f"wrote {exports.rows_label(kind, rows)} to {path}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _register(kind: str, summary: str, dates: str, example: str) -> None:
    def command(
        ctx: typer.Context,
        fmt: FormatOpt = None,
        date_from: FromOpt = None,
        date_to: ToOpt = None,
        target: OutputOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        run_export(ctx, kind, fmt, date_from, date_to, target, as_json)

    command.__name__ = f"export_{kind.replace('-', '_')}"
    app.command(kind, help=f"{summary}\n\n{dates}\n\nExample: {example}")(command)


for _kind, (_summary, _dates, _example) in KINDS.items():
    _register(_kind, _summary, _dates, _example)
