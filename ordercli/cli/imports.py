"""`ordercli import …`: customers, products and orders from CSV or JSON Lines files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import ProgressBar, card, output
from ordercli.domain.errors import RuleViolation

imports = lazy_module("ordercli.io.imports")

app = typer.Typer(
    help="Batch imports from CSV or JSON Lines: all-or-nothing, safe to re-run.",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="A .csv (UTF-8, any usual delimiter) or .jsonl file.",
        show_default=False,
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Check the whole file and say what would happen; write nothing."
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", metavar="csv|jsonl", help="File format when the name does not tell."),
]
# Beyond this many, a terminal shows a count instead of every bad row (--json lists all).
SHOWN_ERRORS = 200


def _run(
    ctx: typer.Context,
    kind: str,
    file: Path,
    fmt,
    dry_run: bool,
    as_json: bool,
    override_credit: str | None = None,
    prices_include_tax: bool | None = None,
) -> None:
    progress = ProgressBar(f"importing {kind}", enabled=not as_json)
    try:
        with ledger(ctx) as session:
            result = imports.import_file(
                session=session,
                kind=kind,
                path=file,
                fmt=fmt,
                dry_run=dry_run,
                progress=progress,
                override_credit=override_credit,
                prices_include_tax=prices_include_tax,
            )
    finally:
        progress.stop()
    document = report_result(result, file=file, command=f"import {kind}", as_json=as_json)
    if not as_json:
        _summary(kind, document)


def report_result(result, *, file: Path, command: str, as_json: bool) -> dict:
    """An import's outcome: its JSON document, or its bad rows and one ``error:`` line
    (exit 1) when the file was refused; the document, for a summary."""
    document = result.as_dict()
    if as_json:
        output.json(document)
    if result.errors:
        # The rows are the command's findings: stdout, like `ordercli check`'s
        # problems; stderr carries the one `error:` line.
        if not as_json:
            for column in result.ignored_columns:
                output.line(f"note: column {column!r} is not used by {command}")
            for problem in result.errors[:SHOWN_ERRORS]:
                output.line(f"line {problem.line}: {problem.message}")
            if len(result.errors) > SHOWN_ERRORS:
                output.line(f"… and {len(result.errors) - SHOWN_ERRORS} more (--json lists all)")
        bad_lines = len({p.line for p in result.errors})
        raise RuleViolation(
            f"{file.name}: {bad_lines} bad row{'s' if bad_lines != 1 else ''}; "
            "nothing was imported",
            hint="fix the rows listed and import the file again",
        )
    for column in result.ignored_columns:
        output.notice(f"note: column {column!r} is not used by {command}")
    return document


def _summary(kind: str, document: dict) -> None:
    verb = "would create" if document["dry_run"] else "created"
    fields = [("file", document["file"]), ("rows", document["rows"])]
    if kind == "orders":
        fields += [
            (f"orders {verb}", document["created"]),
            ("lines", document["lines_created"]),
            ("confirmed", document["confirmed"]),
            ("already imported", document["skipped"]),
        ]
    else:
        fields += [
            (f"{kind} {verb}", document["created"]),
            ("would update" if document["dry_run"] else "updated", document["updated"]),
            ("unchanged", document["skipped"]),
        ]
    if document["dry_run"]:
        fields.append(("dry run", "nothing written"))
    card(f"Import {kind}", [(label, str(value)) for label, value in fields])


@app.command("customers")
def customers(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import customers: code, name [, email, phone, billing_address, shipping_address,
    tax_id, terms_days, credit_limit]. Known codes are updated where the file differs;
    empty cells change nothing.

    Example: ordercli import customers customers.csv --dry-run
    """
    _run(ctx, "customers", file, fmt, dry_run, as_json)


@app.command("products")
def products(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import products: sku, name, unit_price [, tax_rate, stock, service]. stock is the
    opening stock of a new product; known SKUs get name, price and tax rate updated.

    Example: ordercli import products products.csv
    """
    _run(ctx, "products", file, fmt, dry_run, as_json)


@app.command("orders")
def orders(
    ctx: typer.Context,
    file: FileArg,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = None,
    override_credit: Annotated[
        str | None,
        typer.Option(
            "--override-credit",
            metavar="REASON",
            help="Confirm orders even past a customer's credit limit; the reason is logged.",
        ),
    ] = None,
    prices_include_tax: Annotated[
        bool | None,
        typer.Option(
            "--prices-include-tax/--prices-exclude-tax",
            help="The file's prices include tax (or not), for rows without a "
            "prices_include_tax value. Default: as each customer's price list.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import orders, one row per line: order_ref, customer_code, order_date, sku, qty,
    unit_price [, discount_pct, tax_rate, confirm, prices_include_tax]. An order_ref
    already in the ledger is skipped, so the same file can be imported again safely.
    confirm=true rows confirm their orders (stock reserved, credit limit kept). An empty
    unit_price is the customer's price-list price, else the product's.

    Example: ordercli import orders webshop-2026-11.csv --prices-include-tax
    """
    _run(ctx, "orders", file, fmt, dry_run, as_json, override_credit, prices_include_tax)
