"""The pick list: what to take off the shelves of one warehouse for every order that
can ship now, grouped by bin location and product.

A line can ship now when its order is confirmed (not on hold) and part of it is
neither shipped nor backordered (nor short-closed, nor credited as not to be
delivered). The warehouse's stock of each product goes to
those lines in confirmation order, the order backorders are cleared in, so the
earliest orders are picked first. One set-based query; services are never
picked.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from ordercli.domain.money import qty_from_db
from ordercli.domain.units import totals_by_unit
from ordercli.services.inventory.warehouses import get_warehouse

_PICKS = text("""
    WITH open_lines AS (
        SELECT ol.id, ol.order_id, ol.position, ol.product_id, ol.unit, so.number,
               so.confirmed_at, c.code AS customer,
               ol.qty - ol.qty_cancelled - ol.qty_closed - ol.qty_shipped
                   - ol.qty_backordered AS ready
        FROM order_line AS ol
        JOIN sales_order AS so ON so.id = ol.order_id
        JOIN customer AS c ON c.id = so.customer_id
        JOIN product AS p ON p.id = ol.product_id
        WHERE so.status = 'confirmed' AND p.service = :no
          AND ol.qty - ol.qty_cancelled - ol.qty_closed - ol.qty_shipped - ol.qty_backordered > 0
    ),
    held AS (
        SELECT product_id, SUM(qty) AS on_hand FROM stock_move
        WHERE warehouse_id = :warehouse_id GROUP BY product_id
    ),
    queued AS (
        SELECT o.*, COALESCE(h.on_hand, 0) AS on_hand,
               SUM(o.ready) OVER (
                   PARTITION BY o.product_id
                   ORDER BY o.confirmed_at, o.order_id, o.position
                   ROWS UNBOUNDED PRECEDING) - o.ready AS before
        FROM open_lines AS o LEFT JOIN held AS h ON h.product_id = o.product_id
    )
    SELECT p.location, p.sku, p.name, q.unit, q.number, q.customer, q.position, q.ready,
           CASE WHEN q.on_hand - q.before >= q.ready THEN q.ready
                WHEN q.on_hand - q.before > 0 THEN q.on_hand - q.before
                ELSE 0 END AS pick
    FROM queued AS q JOIN product AS p ON p.id = q.product_id
    ORDER BY p.location IS NULL, p.location, p.sku, q.confirmed_at, q.order_id, q.position
""")


def pick_list(*, session: Session, warehouse: str | None = None) -> dict:
    """``{warehouse, lines: [{location, sku, name, qty, unit, orders: [...]}], short: [...],
    orders, units, quantities}``: what to pick, and the ready lines this warehouse cannot
    cover. A product's lines in two units (its unit changed in between) are two picks;
    ``quantities`` adds the picks up per unit."""
    place = get_warehouse(session=session, code=warehouse)
    rows = session.connection().execute(_PICKS, {"warehouse_id": place.id, "no": False})
    picks: dict[tuple[str, str], dict] = {}
    short = []
    for location, sku, name, unit, number, customer, position, ready, pick in rows:
        if pick > 0:
            entry = picks.setdefault(
                (sku, unit),
                {
                    "location": location,
                    "sku": sku,
                    "name": name,
                    "qty": 0,
                    "unit": unit,
                    "orders": [],
                },
            )
            entry["qty"] += pick
            entry["orders"].append(
                {"order": number, "customer": customer, "line": position, "qty": qty_from_db(pick)}
            )
        if pick < ready:
            short.append(
                {
                    "order": number,
                    "customer": customer,
                    "line": position,
                    "sku": sku,
                    "qty": qty_from_db(ready - pick),
                    "unit": unit,
                }
            )
    lines = list(picks.values())
    for entry in lines:
        entry["qty"] = qty_from_db(entry["qty"])
    return {
        "warehouse": place.code,
        "lines": lines,
        "orders": len({o["order"] for entry in lines for o in entry["orders"]}),
        "units": sum((entry["qty"] for entry in lines), start=qty_from_db(0)),
        "quantities": totals_by_unit((entry["unit"], entry["qty"]) for entry in lines),
        "short": short,
    }
