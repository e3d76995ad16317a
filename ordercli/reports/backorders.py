"""`report backorders`: confirmed order lines waiting for stock, by product and customer.

A line is backordered for what it still has to ship beyond the stock left for
it once earlier-confirmed lines are covered (``levels.allocate_stock``). Per
product the report shows on hand, reserved and available, how much is
backordered (what must be received to clear it), and which orders wait; per
customer how many lines and units wait. Read from the order-line view of
``line_history``: the kept counters now, or rebuilt as of a past day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.domain.money import qty_from_db
from ordercli.models import Customer, OrderLine, Product, SalesOrder
from ordercli.reports.line_history import (
    OPEN_STATES,
    lines_as_of,
    lines_changed_after,
    named,
    on_hand_as_of,
    orders_as_of,
)


def backorder_report(*, session: Session, as_of: date | None = None) -> dict:
    if as_of is None:
        # Now, the kept counter says it: no need for the whole order-line view.
        lines = None
        short = (
            select(
                col(OrderLine.product_id).label("product_id"),
                col(OrderLine.order_id).label("order_id"),
                col(OrderLine.position).label("position"),
                col(OrderLine.qty_backordered).label("backordered"),
            )
            .where(OrderLine.qty_backordered > 0)
            .subquery("backordered_now")
        )
    else:
        lines = named(lines_as_of(orders_as_of(as_of), as_of))
        short = (
            select(lines.c.product_id, lines.c.order_id, lines.c.position, lines.c.backordered)
            .where(lines.c.backordered > 0)
            .subquery("backordered_then")
        )
    waiting = (
        sa_select(
            col(Product.id),
            col(Product.sku),
            col(Product.name),
            col(SalesOrder.number),
            col(SalesOrder.confirmed_at),
            col(Customer.code),
            short.c.position,
            short.c.backordered,
        )
        .join(Product, col(Product.id) == short.c.product_id)
        .join(SalesOrder, col(SalesOrder.id) == short.c.order_id)
        .join(Customer, col(Customer.id) == SalesOrder.customer_id)
        .order_by(Product.sku, col(SalesOrder.confirmed_at), col(SalesOrder.id), short.c.position)
    )
    rows = session.execute(waiting).all()
    product_ids = sorted({row[0] for row in rows})
    levels = _levels(session, lines, product_ids, as_of)
    products: dict[str, dict] = {}
    customers: dict[str, dict] = {}
    for product_id, sku, name, number, confirmed_at, code, position, qty in rows:
        on_hand, reserved = levels.get(product_id, (0, 0))
        entry = products.setdefault(
            sku,
            {
                "sku": sku,
                "name": name,
                "on_hand": qty_from_db(on_hand),
                "reserved": qty_from_db(reserved),
                "available": qty_from_db(on_hand - reserved),
                "backordered": 0,
                "orders": [],
            },
        )
        entry["backordered"] += qty
        entry["orders"].append(
            {
                "order": number,
                "customer": code,
                "line": position,
                "qty": qty_from_db(qty),
                "confirmed_at": confirmed_at,
            }
        )
        who = customers.setdefault(code, {"customer": code, "lines": 0, "backordered": 0})
        who["lines"] += 1
        who["backordered"] += qty
    for entry in products.values():
        entry["to_receive"] = entry["backordered"] = qty_from_db(entry["backordered"])
    for who in customers.values():
        who["backordered"] = qty_from_db(who["backordered"])
    document: dict[str, Any] = {
        "as_of": as_of,
        "products": list(products.values()),
        "customers": sorted(customers.values(), key=lambda c: (-c["backordered"], c["customer"])),
        "totals": {
            "products": len(products),
            "lines": len(rows),
            "units": qty_from_db(sum(row[7] for row in rows)),
        },
    }
    if as_of is not None:
        document["as_of_exact"] = not lines_changed_after(session, as_of)
    return document


def _levels(session: Session, lines, product_ids: list[int], as_of: date | None) -> dict:
    """(on hand, reserved) per product: kept counters now; rebuilt as of a day."""
    if not product_ids:
        return {}
    if as_of is None:
        query = select(Product.id, Product.on_hand, Product.reserved).where(
            col(Product.id).in_(product_ids)
        )
        return {pid: (on_hand, reserved) for pid, on_hand, reserved in session.exec(query)}
    on_hand = on_hand_as_of(as_of)
    reserved = (
        select(lines.c.product_id, func.sum(lines.c.to_ship).label("qty"))
        .where(lines.c.state.in_(OPEN_STATES), lines.c.confirmed, lines.c.to_ship > 0)
        .group_by(lines.c.product_id)
        .subquery("reserved_as_of")
    )
    query = (
        select(Product.id, func.coalesce(on_hand.c.qty, 0), func.coalesce(reserved.c.qty, 0))
        .outerjoin(on_hand, on_hand.c.product_id == Product.id)
        .outerjoin(reserved, reserved.c.product_id == Product.id)
        .where(col(Product.id).in_(product_ids))
    )
    return {pid: (int(held), int(kept)) for pid, held, kept in session.exec(query)}
