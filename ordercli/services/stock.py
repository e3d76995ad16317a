"""Stock on hand and reservations (SPEC rule 12).

On hand changes only through ``move_stock``, which writes a signed stock move
so every unit can be accounted for. Confirming an order reserves what it still
has to ship; cancelling releases it; shipping takes it from both on hand and
reserved. Available = on hand − reserved, and may go below zero: confirming
more than is available is allowed and leaves the line backordered. Services
are never stocked or reserved.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.models import Product, StockMove
from ordercli.services.clock import now


def move_stock(
    *, session: Session, product: Product, qty: int, kind: str, reference: str | None
) -> StockMove:
    """Change on hand by ``qty`` (thousandths, signed); never below zero."""
    if product.service:
        raise RuleViolation(f"{product.sku} is a service and holds no stock")
    if product.on_hand + qty < 0:
        raise RuleViolation(
            f"not enough {product.sku} on hand: {qty_from_db(product.on_hand)} on hand, "
            f"{qty_from_db(-qty)} needed"
        )
    product.on_hand += qty
    session.add(product)
    move = StockMove(product_id=product.id, at=now(), qty=qty, kind=kind, reference=reference)
    session.add(move)
    return move


def reserve(*, session: Session, product: Product, qty: int) -> None:
    """Add (or, with a negative qty, release) a reservation."""
    if product.service:
        return
    product.reserved += qty
    session.add(product)


def available(product: Product) -> int:
    return 0 if product.service else product.on_hand - product.reserved


def allocate_stock(*, session: Session, product: Product) -> None:
    """Spread on-hand stock over the open order lines, earliest confirmed first.

    Whatever a line still has to ship beyond the stock left for it is its
    backordered quantity. Recomputed whenever stock or reservations of the
    product change, so receiving stock clears backorders in confirmation order.
    """
    if product.service:
        return
    from sqlalchemy import or_

    from ordercli.domain.states import OrderStatus
    from ordercli.models import OrderLine, SalesOrder

    session.flush()
    lines = session.exec(
        select(OrderLine)
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(
            OrderLine.product_id == product.id,
            SalesOrder.status.in_([OrderStatus.CONFIRMED, OrderStatus.ON_HOLD]),
            or_(OrderLine.qty > OrderLine.qty_shipped, OrderLine.qty_backordered > 0),
        )
        .order_by(SalesOrder.confirmed_at, SalesOrder.id, OrderLine.position)
    )
    free = product.on_hand
    for line in lines:
        to_ship = line.qty - line.qty_shipped
        covered = min(to_ship, max(free, 0))
        free -= covered
        if line.qty_backordered != to_ship - covered:
            line.qty_backordered = to_ship - covered
            session.add(line)


def receive_stock(*, session: Session, sku: str, qty, reference: str | None = None) -> Product:
    """Goods in: on hand grows, and backorders clear in confirmation order."""
    from ordercli.domain.money import qty_to_db
    from ordercli.services.catalog import get_product
    from ordercli.services.common import clean_text
    from ordercli.services.events import record_event

    reference = clean_text(reference, what="reference", max_length=200)
    product = get_product(session=session, sku=sku, for_update=True)
    move_stock(
        session=session, product=product, qty=qty_to_db(qty), kind="receive", reference=reference
    )
    allocate_stock(session=session, product=product)
    record_event(
        session=session,
        subject_kind="product",
        subject_number=product.sku,
        action="received",
        message=f"received {qty} × {product.sku}" + (f" ({reference})" if reference else ""),
    )
    return product


def adjust_stock(*, session: Session, sku: str, qty, reason: str) -> Product:
    """A counted correction (breakage, stocktake): signed, with a reason; never below zero."""
    from ordercli.domain.errors import InvalidInput
    from ordercli.domain.money import qty_to_db
    from ordercli.services.catalog import get_product
    from ordercli.services.common import clean_text
    from ordercli.services.events import record_event

    reason = clean_text(reason, what="reason", required=True, max_length=200)
    if qty == 0:
        raise InvalidInput("adjustment quantity must not be zero")
    product = get_product(session=session, sku=sku, for_update=True)
    move_stock(
        session=session, product=product, qty=qty_to_db(qty), kind="adjust", reference=reason
    )
    allocate_stock(session=session, product=product)
    record_event(
        session=session,
        subject_kind="product",
        subject_number=product.sku,
        action="adjusted",
        message=f"stock of {product.sku} adjusted by {qty}: {reason}",
    )
    return product


def stock_moves(*, session: Session, sku: str, limit: int | None = 50) -> list[StockMove]:
    from ordercli.services.catalog import get_product
    from ordercli.services.common import check_limit

    check_limit(limit)
    product = get_product(session=session, sku=sku)
    query = (
        select(StockMove).where(StockMove.product_id == product.id).order_by(StockMove.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))
