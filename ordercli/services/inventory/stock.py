"""Stock by SKU, as the owner moves it: goods received, counts adjusted, transfers
between warehouses, and the list of moves (SPEC rule 12).

Each command finds the product in the catalog and changes on hand only through
``levels.move_stock``, so every unit is accounted for by a signed stock move.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ordercli.books.events import record_event
from ordercli.db.queries import check_limit
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import qty_to_db
from ordercli.domain.text import clean_text
from ordercli.models import Product, StockMove
from ordercli.services.inventory.catalog import get_product
from ordercli.services.inventory.levels import allocate_stock, move_stock
from ordercli.services.inventory.warehouses import get_warehouse


def receive_stock(
    *, session: Session, sku: str, qty, reference: str | None = None, warehouse: str | None = None
) -> Product:
    """Goods in (into ``warehouse``, default the default one): on hand grows, and
    backorders clear in confirmation order."""

    reference = clean_text(reference, what="reference", max_length=200)
    place = _active_warehouse(session, warehouse)
    product = get_product(session=session, sku=sku, for_update=True)
    move_stock(
        session=session,
        product=product,
        qty=qty_to_db(qty),
        kind="receive",
        reference=reference,
        warehouse=place,
    )
    allocate_stock(session=session, product=product)
    record_event(
        session=session,
        subject_kind="product",
        subject_number=product.sku,
        action="received",
        message=f"received {qty} × {product.sku} into {place.code}"
        + (f" ({reference})" if reference else ""),
    )
    return product


def _active_warehouse(session: Session, code: str | None):
    place = get_warehouse(session=session, code=code)
    if not place.active:
        raise RuleViolation(f"warehouse {place.code} is inactive")
    return place


def adjust_stock(
    *, session: Session, sku: str, qty, reason: str, warehouse: str | None = None
) -> Product:
    """A counted correction (breakage, stocktake): signed, with a reason; never below zero
    in the warehouse (default: the default one)."""

    reason = clean_text(reason, what="reason", required=True, max_length=200)
    if qty == 0:
        raise InvalidInput("adjustment quantity must not be zero")
    place = _active_warehouse(session, warehouse)
    product = get_product(session=session, sku=sku, for_update=True)
    move_stock(
        session=session,
        product=product,
        qty=qty_to_db(qty),
        kind="adjust",
        reference=reason,
        warehouse=place,
    )
    allocate_stock(session=session, product=product)
    record_event(
        session=session,
        subject_kind="product",
        subject_number=product.sku,
        action="adjusted",
        message=f"stock of {product.sku} in {place.code} adjusted by {qty}: {reason}",
    )
    return product


def transfer_stock(
    *, session: Session, sku: str, qty, source: str, target: str, reference: str | None = None
) -> Product:
    """Move goods between warehouses: out of one, into the other, in one transaction.
    On hand in total, reservations and backorders do not change."""

    reference = clean_text(reference, what="reference", max_length=200)
    out_of, into = _active_warehouse(session, source), _active_warehouse(session, target)
    if out_of.id == into.id:
        raise InvalidInput(f"--from and --to are both {out_of.code}")
    product = get_product(session=session, sku=sku, for_update=True)
    units = qty_to_db(qty)
    note = reference or f"{out_of.code} → {into.code}"
    move_stock(
        session=session,
        product=product,
        qty=-units,
        kind="transfer",
        reference=note,
        warehouse=out_of,
    )
    move_stock(
        session=session, product=product, qty=units, kind="transfer", reference=note, warehouse=into
    )
    record_event(
        session=session,
        subject_kind="product",
        subject_number=product.sku,
        action="transferred",
        message=f"{qty} × {product.sku} moved from {out_of.code} to {into.code}"
        + (f" ({reference})" if reference else ""),
    )
    return product


def stock_moves(
    *, session: Session, sku: str, limit: int | None = 50, warehouse: str | None = None
) -> list[StockMove]:
    """A product's moves, newest first; only one warehouse's when ``warehouse`` is given."""
    check_limit(limit)
    product = get_product(session=session, sku=sku)
    query = (
        select(StockMove)
        .where(StockMove.product_id == product.id)
        .order_by(col(StockMove.id).desc())
    )
    if warehouse is not None:
        query = query.where(
            StockMove.warehouse_id == get_warehouse(session=session, code=warehouse).id
        )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))
