"""`ordercli stock …`: what is on hand, reserved and available; goods in; corrections."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import AllOpt, JsonOpt, LimitOpt, ledger, list_limit, qty
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import render, table
from ordercli.domain.money import parse_qty

catalog = lazy_module("ordercli.services.catalog")
stock = lazy_module("ordercli.services.stock")
views = lazy_module("ordercli.services.views")

app = typer.Typer(help="Stock: list, receive, adjust, moves.", no_args_is_help=True)

SkuArg = Annotated[str, typer.Argument(metavar="SKU", help="The product's SKU.")]
COLUMNS = [
    ("sku", "SKU"),
    ("name", "Name"),
    ("on_hand", "On hand"),
    ("reserved", "Reserved"),
    ("available", "Available"),
]


def _show_levels(rows) -> None:
    table("Stock", COLUMNS, rows, status_keys=(), empty="no stocked products")


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Stock levels of stocked goods (services hold no stock).

    Example: ordercli stock list
    """
    with ledger(ctx, write=False) as session:
        documents = [
            views.product_view(session, p)
            for p in catalog.list_products(
                session=session, services=False, limit=list_limit(limit, show_all)
            )
        ]
    render(documents, as_json, _show_levels)


@app.command("receive")
def receive(
    ctx: typer.Context,
    sku: SkuArg,
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Quantity received.")],
    reference: Annotated[str | None, typer.Option("--reference", help="Delivery note, PO…")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Book goods in; backordered lines are covered in confirmation order.

    Example: ordercli stock receive WIDGET 50 --reference PO-7731
    """
    with ledger(ctx) as session:
        product = stock.receive_stock(
            session=session, sku=sku, qty=qty(quantity), reference=reference
        )
        document = views.product_view(session, product)
    render(document, as_json, lambda doc: _show_levels([doc]))


@app.command("adjust", context_settings={"ignore_unknown_options": True})
def adjust(
    ctx: typer.Context,
    sku: SkuArg,
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Signed change, e.g. -2.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (breakage, stocktake…).")],
    as_json: JsonOpt = False,
) -> None:
    """Correct on-hand stock up or down, with a reason; never below zero.

    Example: ordercli stock adjust WIDGET -2 --reason "damaged in storage"
    """
    text = quantity.strip()
    sign = -1 if text.startswith("-") else 1
    magnitude = text[1:] if text[:1] in {"+", "-"} else text
    change = sign * parse_qty(magnitude, what="adjustment quantity")
    with ledger(ctx) as session:
        product = stock.adjust_stock(session=session, sku=sku, qty=change, reason=reason)
        document = views.product_view(session, product)
    render(document, as_json, lambda doc: _show_levels([doc]))


@app.command("moves")
def moves(
    ctx: typer.Context,
    sku: SkuArg,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Every change of a product's on-hand stock, newest first.

    Example: ordercli stock moves WIDGET
    """
    with ledger(ctx, write=False) as session:
        documents = [
            views.stock_move_view(m)
            for m in stock.stock_moves(session=session, sku=sku, limit=list_limit(limit, show_all))
        ]
    render(
        documents,
        as_json,
        lambda rows: table(
            f"Stock moves of {sku}",
            [("at", "When"), ("kind", "Kind"), ("qty", "Qty"), ("reference", "Reference")],
            rows,
            status_keys=(),
            empty="no stock moves",
        ),
    )
