"""`ordercli stock …`: what is on hand (per warehouse), reserved and available; goods
in, corrections, transfers, and every move."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import AllOpt, JsonOpt, LimitOpt, ledger, list_limit, qty
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import render, table
from ordercli.domain.money import parse_qty
from ordercli.domain.units import quantity_phrase

catalog = lazy_module("ordercli.services.inventory.catalog")
stock = lazy_module("ordercli.services.inventory.stock")
views = lazy_module("ordercli.views.inventory")
warehouses = lazy_module("ordercli.services.inventory.warehouses")

app = typer.Typer(
    help="Stock: list, receive, adjust, transfer between warehouses, moves.",
    no_args_is_help=True,
)

SkuArg = Annotated[str, typer.Argument(metavar="SKU", help="The product's SKU.")]
WarehouseOpt = Annotated[
    str | None,
    typer.Option("--warehouse", metavar="W", help="Warehouse code; default: the default one."),
]
COLUMNS = [
    ("sku", "SKU"),
    ("name", "Name"),
    ("location", "Location"),
    ("on_hand", "On hand"),
    ("reserved", "Reserved"),
    ("available", "Available"),
    ("by_warehouse", "By warehouse"),
]


def _show_levels(rows) -> None:
    for row in rows:
        # The unit where it is not a count ("MAIN 25.5 kg"): a column of its own would
        # crowd a list that already fills a terminal.
        row["by_warehouse"] = ", ".join(
            f"{code} {quantity_phrase(q, row['unit'])}" for code, q in row["warehouses"].items()
        )
    columns = COLUMNS
    if rows and "on_hand_here" in rows[0]:
        here = rows[0]["warehouse"]
        columns = [*COLUMNS[:3], ("on_hand_here", f"In {here}"), *COLUMNS[3:6]]
    table("Stock", columns, rows, status_keys=(), empty="no stocked products")


def _levels(session, products, warehouse=None) -> list[dict]:
    place = None if warehouse is None else warehouses.get_warehouse(session=session, code=warehouse)
    return views.stock_level_views(session, products, place)


@app.command("list")
def list_(
    ctx: typer.Context,
    warehouse: WarehouseOpt = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Stock levels of stocked goods (services hold no stock), per warehouse.

    With --warehouse, also what that warehouse holds.

    Example: ordercli stock list --warehouse MAIN
    """
    with ledger(ctx, write=False) as session:
        products = catalog.list_products(
            session=session, services=False, limit=list_limit(limit, show_all)
        )
        documents = _levels(session, products, warehouse)
    render(documents, as_json, _show_levels)


@app.command("receive", context_settings={"ignore_unknown_options": True})
def receive(
    ctx: typer.Context,
    sku: SkuArg,
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Quantity received.")],
    warehouse: WarehouseOpt = None,
    reference: Annotated[str | None, typer.Option("--reference", help="Delivery note, PO…")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Book goods in; backordered lines are covered in confirmation order.

    Example: ordercli stock receive WIDGET 50 --reference PO-7731
    """
    with ledger(ctx) as session:
        product = stock.receive_stock(
            session=session, sku=sku, qty=qty(quantity), reference=reference, warehouse=warehouse
        )
        document = _levels(session, [product], warehouse)[0]
    render(document, as_json, lambda doc: _show_levels([doc]))


@app.command("adjust", context_settings={"ignore_unknown_options": True})
def adjust(
    ctx: typer.Context,
    sku: SkuArg,
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Signed change, e.g. -2.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (breakage, stocktake…).")],
    warehouse: WarehouseOpt = None,
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
        product = stock.adjust_stock(
            session=session, sku=sku, qty=change, reason=reason, warehouse=warehouse
        )
        document = _levels(session, [product], warehouse)[0]
    render(document, as_json, lambda doc: _show_levels([doc]))


@app.command("transfer", context_settings={"ignore_unknown_options": True})
def transfer(
    ctx: typer.Context,
    sku: SkuArg,
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Quantity to move.")],
    source: Annotated[str, typer.Option("--from", metavar="W", help="Warehouse it leaves.")],
    target: Annotated[str, typer.Option("--to", metavar="W", help="Warehouse it goes to.")],
    reference: Annotated[str | None, typer.Option("--reference", help="Transfer note.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move goods from one warehouse to another (never more than the first holds).

    Example: ordercli stock transfer WIDGET 20 --from MAIN --to SHOP
    """
    with ledger(ctx) as session:
        product = stock.transfer_stock(
            session=session,
            sku=sku,
            qty=qty(quantity),
            source=source,
            target=target,
            reference=reference,
        )
        document = _levels(session, [product])[0]
    render(document, as_json, lambda doc: _show_levels([doc]))


@app.command("moves")
def moves(
    ctx: typer.Context,
    sku: SkuArg,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", metavar="W", help="Only this warehouse's.")
    ] = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Every change of a product's on-hand stock, newest first.

    Example: ordercli stock moves WIDGET
    """
    with ledger(ctx, write=False) as session:
        documents = views.stock_move_views(
            session,
            stock.stock_moves(
                session=session, sku=sku, limit=list_limit(limit, show_all), warehouse=warehouse
            ),
        )
    render(
        documents,
        as_json,
        lambda rows: table(
            f"Stock moves of {sku}",
            [
                ("at", "When"),
                ("kind", "Kind"),
                ("warehouse", "Warehouse"),
                ("qty", "Qty"),
                ("reference", "Reference"),
            ],
            rows,
            status_keys=(),
            empty="no stock moves",
        ),
    )
