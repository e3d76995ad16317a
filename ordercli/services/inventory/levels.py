"""Stock on hand and reservations, and every move of them (SPEC rule 12).

On hand changes only through ``move_stock``, which writes a signed stock move
so every unit can be accounted for. Confirming an order reserves what it still
has to ship; cancelling releases it; shipping takes it from both on hand and
reserved. Available = on hand − reserved, and may go below zero: confirming
more than is available is allowed and leaves the line backordered. Services
are never stocked or reserved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy import text
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from ordercli.books.clock import now
from ordercli.books.events import record_events
from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import qty_from_db
from ordercli.models import OrderLine, Product, SalesOrder, StockMove
from ordercli.services.inventory.warehouses import default_warehouse, on_hand_in

if TYPE_CHECKING:
    from collections.abc import Sequence


def lock_product(session: Session, product_id: int) -> Product:
    """The product row, locked for this transaction (PostgreSQL) and freshly read.

    Stock and reservations are read-modify-write; on SQLite BEGIN IMMEDIATE
    already serialises writers, on PostgreSQL this row lock does.
    """
    product = session.get(
        Product, product_id, with_for_update={"key_share": True}, populate_existing=True
    )
    assert product is not None  # products are never deleted; callers pass a line's product
    return product


def lock_products(session: Session, product_ids) -> dict[int, Product]:
    """Several product rows locked at once, always in id order.

    Two commands locking the same products in different orders would deadlock
    on PostgreSQL; taking every lock up front in one order cannot.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    query = (
        select(Product)
        .where(col(Product.id).in_(ids))
        .order_by(col(Product.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    locked: dict[int, Product] = {}
    for product in session.exec(query):
        assert product.id is not None  # a row read from the table has its key
        locked[product.id] = product
    return locked


def move_stock(
    *,
    session: Session,
    product: Product,
    qty: int,
    kind: str,
    reference: str | None,
    warehouse=None,
) -> StockMove:
    """Change on hand by ``qty`` (thousandths, signed) in ``warehouse`` (default: the
    default one); never below zero there. The product row must be locked."""

    if product.service:
        raise RuleViolation(f"{product.sku} is a service and holds no stock")
    assert product.id is not None  # a stored product: its row is locked
    warehouse = warehouse or default_warehouse(session)
    if qty < 0:
        session.flush()
        held = on_hand_in(session, product.id, warehouse.id)
        if held + qty < 0:
            raise RuleViolation(
                f"not enough {product.sku} on hand in {warehouse.code}: {qty_from_db(held)} "
                f"on hand, {qty_from_db(-qty)} needed"
            )
    product.on_hand += qty
    session.add(product)
    move = StockMove(
        product_id=product.id,
        warehouse_id=warehouse.id,
        at=now(),
        qty=qty,
        kind=kind,
        reference=reference,
    )
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


_ALLOCATE = text("""
    UPDATE order_line SET qty_backordered = alloc.backordered
    FROM (
        SELECT id, CASE WHEN running - :on_hand <= 0 THEN 0
                        WHEN running - :on_hand >= to_ship THEN to_ship
                        ELSE running - :on_hand END AS backordered
        FROM (
            SELECT ol.id AS id,
                   ol.qty - ol.qty_cancelled - ol.qty_closed - ol.qty_shipped AS to_ship,
                   SUM(ol.qty - ol.qty_cancelled - ol.qty_closed - ol.qty_shipped) OVER (
                       ORDER BY so.confirmed_at, so.id, ol.position
                       ROWS UNBOUNDED PRECEDING) AS running
            FROM order_line AS ol JOIN sales_order AS so ON so.id = ol.order_id
            WHERE ol.product_id = :product_id
              AND ol.qty - ol.qty_cancelled - ol.qty_closed > ol.qty_shipped
              AND so.status IN ('confirmed', 'on_hold') AND so.confirmed_at IS NOT NULL
        ) AS open_lines
    ) AS alloc
    WHERE order_line.id = alloc.id AND order_line.qty_backordered <> alloc.backordered
    RETURNING order_line.id, order_line.qty_backordered, order_line.order_id,
              order_line.position
""")

_CLEAR_CLOSED = text("""
    UPDATE order_line SET qty_backordered = 0
    WHERE product_id = :product_id AND qty_backordered > 0
      AND (qty - qty_cancelled - qty_closed <= qty_shipped OR order_id IN (
          SELECT id FROM sales_order
          WHERE status NOT IN ('confirmed', 'on_hold') OR confirmed_at IS NULL))
    RETURNING id, qty_backordered, order_id, position
""")


def allocate_stock(*, session: Session, product: Product) -> None:
    """Spread on-hand stock over the open order lines, earliest confirmed first.

    Whatever a line still has to ship (``domain.states.qty_to_ship``: nothing
    short-closed or credited as not to be delivered) beyond the stock left for it
    is its backordered quantity. Recomputed whenever stock or reservations of the
    product change, so receiving stock clears backorders in confirmation order.
    One set-based UPDATE (a running sum over the open lines), so confirming
    stays fast however many orders wait for the same product.
    """
    if product.service:
        return

    session.flush()
    params = {"product_id": product.id, "on_hand": product.on_hand}
    connection = session.connection()
    reallocated = list(connection.execute(_ALLOCATE, params))
    cleared = list(connection.execute(_CLEAR_CLOSED, params))
    # Keep loaded lines in step without reloading them (or scanning the identity map).
    for line_id, backordered, _, _ in [*reallocated, *cleared]:
        line = session.identity_map.get(session.identity_key(OrderLine, line_id))
        if line is not None:
            set_committed_value(line, "qty_backordered", backordered)
    _log_backorder_changes(session, product, reallocated)


def _log_backorder_changes(session: Session, product: Product, rows) -> None:
    """Rule 4: a line that becomes (or stops being) backordered is a state change of its order."""
    if not rows:
        return

    order_ids = list({order_id for _, _, order_id, _ in rows})
    numbers: dict[int, str] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start : start + 500]
        found = session.exec(
            select(col(SalesOrder.id), SalesOrder.number).where(col(SalesOrder.id).in_(chunk))
        ).all()
        numbers.update(cast("Sequence[tuple[int, str]]", found))  # ids: primary keys, never NULL
    events = []
    for _, backordered, order_id, position in rows:
        state = f"backordered {qty_from_db(backordered)}" if backordered else "covered by stock"
        events.append(
            {
                "subject_kind": "order",
                "subject_number": numbers[order_id],
                "action": "backorder",
                "order_id": order_id,
                "message": f"line {position} ({product.sku}) is {state}",
            }
        )
    record_events(session=session, events=events)
