"""Products, stock levels and stock moves as ``--json`` shows them.

Values are ``Decimal`` (money already at the currency's minor digits,
quantities normalised), ``date``/``datetime`` or plain types; the CLI renders
them as JSON or tables without doing any arithmetic of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ordercli.books.settings import amount_of as _money
from ordercli.domain.money import pct_from_db, qty_from_db
from ordercli.models import (
    Product,
    Warehouse,
)
from ordercli.services.inventory.warehouses import stock_by_warehouse

if TYPE_CHECKING:
    pass


def product_view(session: Session, product: Product) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "unit_price": _money(session, product.unit_price),
        "tax_rate": pct_from_db(product.tax_rate),
        # EN 16931 VAT category and exemption reason (rule 21); None: not named.
        "vat_category": product.vat_category,
        "vat_exemption": product.vat_exemption,
        "service": product.service,
        "unit": product.unit,
        "on_hand": qty_from_db(product.on_hand),
        "reserved": qty_from_db(product.reserved),
        "available": qty_from_db(product.on_hand - product.reserved),
        "location": product.location,
        "active": product.active,
    }


def stock_move_views(session: Session, moves) -> list[dict]:
    codes: dict[int, str] = dict(
        session.execute(sa_select(col(Warehouse.id), col(Warehouse.code))).all()
    )
    return [
        {
            "at": move.at,
            "kind": move.kind,
            "warehouse": codes[move.warehouse_id],
            "qty": qty_from_db(move.qty),
            "reference": move.reference,
        }
        for move in moves
    ]


def stock_level_views(session: Session, products, warehouse=None) -> list[dict]:
    """Products with on hand per warehouse (one grouped query); with ``warehouse``, the
    on hand shown is that warehouse's."""

    levels = stock_by_warehouse(session, [p.id for p in products])
    views = []
    for product in products:
        view = product_view(session, product)
        held = levels.get(product.id, {})
        view["warehouses"] = {code: qty_from_db(units) for code, units in held.items()}
        if warehouse is not None:
            view["warehouse"] = warehouse.code
            view["on_hand_here"] = qty_from_db(held.get(warehouse.code, 0))
        views.append(view)
    return views
