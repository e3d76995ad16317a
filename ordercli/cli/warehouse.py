"""`ordercli warehouse …`: the places that hold stock."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import render, table

warehouses = lazy_module("ordercli.services.inventory.warehouses")

app = typer.Typer(help="Warehouses: add, list, choose the default.", no_args_is_help=True)

COLUMNS = [
    ("code", "Code"),
    ("name", "Name"),
    ("default", "Default"),
    ("products", "Products held"),
    ("units", "Units on hand"),
]


def _view(warehouse, default_id: int, held: dict) -> dict:
    from decimal import Decimal

    mine = held.get(warehouse.id, {})
    return {
        "code": warehouse.code,
        "name": warehouse.name,
        "active": warehouse.active,
        "default": warehouse.id == default_id,
        "products": mine.get("products", 0),
        "units": mine.get("units", Decimal(0)),
    }


def _show(rows) -> None:
    table("Warehouses", COLUMNS, rows, status_keys=(), empty="no warehouses")


@app.command("add")
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(metavar="CODE", help="Short code, e.g. SHOP.")],
    name: Annotated[str, typer.Argument(metavar="NAME", help="What people call it.")],
    as_json: JsonOpt = False,
) -> None:
    """Add a warehouse; receive stock into it with `stock receive --warehouse CODE`.

    Example: ordercli warehouse add SHOP "Shop floor"
    """
    with ledger(ctx) as session:
        warehouse = warehouses.add_warehouse(session=session, code=code, name=name)
        document = _view(warehouse, warehouses.default_warehouse(session).id, {})
    render(document, as_json, lambda doc: _show([doc]))


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Warehouses, with how many products and units each holds.

    Example: ordercli warehouse list
    """
    with ledger(ctx, write=False) as session:
        default_id = warehouses.default_warehouse(session).id
        held = warehouses.holdings(session)
        documents = [
            _view(w, default_id, held) for w in warehouses.list_warehouses(session=session)
        ]
    render(documents, as_json, _show)


@app.command("default")
def default(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(metavar="CODE", help="Warehouse code.")],
    as_json: JsonOpt = False,
) -> None:
    """Make a warehouse the default for receipts, adjustments, shipments and restocks.

    Example: ordercli warehouse default SHOP
    """
    with ledger(ctx) as session:
        warehouse = warehouses.set_default_warehouse(session=session, code=code)
        document = _view(warehouse, warehouse.id, warehouses.holdings(session))
    render(document, as_json, lambda doc: _show([doc]))
