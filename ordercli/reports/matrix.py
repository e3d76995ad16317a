"""`report matrix`: order lines by state and by how long they have been in it.

Like an order management back office's order matrix: rows are line states,
columns the time since the line's last state change (the same day, 1–7 days,
more than 7 days), so stuck work stands out. Counted in one grouped query over
the order-line view of ``line_history`` (now, or rebuilt as of a day).

A line's state: ``draft``, ``on_hold`` and ``cancelled`` follow its order;
on a confirmed order it is ``backordered`` (waits for stock), ``to_ship``,
``to_invoice`` (shipped, or a service, not yet invoiced: a service is
delivered by invoicing it) or ``completed``. Its last state
change is the latest of: its order's date and its created, confirmed, held,
released, cancelled and line events; shipments and invoices of the line. All
are dated, so the matrix as of a past day is rebuilt from them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, or_
from sqlmodel import Session, col, func, select

from ordercli.books.clock import today
from ordercli.domain.states import OrderStatus
from ordercli.models import Event, Invoice, InvoiceLine, SalesOrder, Shipment, ShipmentLine
from ordercli.reports.line_history import (
    end_of,
    lines_as_of,
    lines_changed_after,
    lines_now,
    named,
    orders_as_of,
    orders_now,
)

STATES = ("draft", "on_hold", "backordered", "to_ship", "to_invoice", "completed", "cancelled")
AGES = ("under_1_day", "d1_7", "over_7_days")
# Order events that change the state of its lines.
CHANGES = (
    "created",
    "confirmed",
    "held",
    "released",
    "cancelled",
    "line_added",
    "line_edited",
    "completed",
    # A shipment reversed (rule 12) reopens its lines, and a completed order with them.
    "reversed",
    "reopened",
)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def order_matrix(*, session: Session, as_of: date | None = None) -> dict:
    day = as_of or today()
    end = end_of(day)
    if as_of is None:
        lines = named(lines_now(orders_now()))
    else:
        lines = named(lines_as_of(orders_as_of(as_of), as_of))
    state = case(
        (lines.c.state == OrderStatus.CANCELLED.value, "cancelled"),
        (lines.c.state == OrderStatus.DRAFT.value, "draft"),
        (lines.c.state == OrderStatus.ON_HOLD.value, "on_hold"),
        (and_(lines.c.to_ship > 0, lines.c.backordered > 0), "backordered"),
        (lines.c.to_ship > 0, "to_ship"),
        (lines.c.to_invoice > 0, "to_invoice"),
        else_="completed",
    )
    shipped = (
        select(ShipmentLine.order_line_id, func.max(Shipment.ship_date).label("last"))
        .join(Shipment, col(Shipment.id) == ShipmentLine.shipment_id)
        .where(Shipment.ship_date <= day)
        .group_by(col(ShipmentLine.order_line_id))
        .subquery("line_shipped")
    )
    invoiced = (
        select(InvoiceLine.order_line_id, func.max(Invoice.issue_date).label("last"))
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .where(Invoice.issue_date <= day)
        .group_by(col(InvoiceLine.order_line_id))
        .subquery("line_invoiced")
    )
    events = (
        select(Event.order_id, func.max(Event.at).label("last"))
        .where(col(Event.order_id).is_not(None), col(Event.action).in_(CHANGES), Event.at < end)
        .group_by(col(Event.order_id))
        .subquery("order_changed")
    )

    def changed_since(first_day: date):
        return or_(
            col(SalesOrder.order_date) >= first_day,
            shipped.c.last >= first_day,
            invoiced.c.last >= first_day,
            events.c.last >= _start_of(first_day),
        )

    age = case(
        (changed_since(day), literal("under_1_day")),
        (changed_since(day - timedelta(days=7)), literal("d1_7")),
        else_=literal("over_7_days"),
    )
    query = (
        select(state.label("state"), age.label("age"), func.count())
        .select_from(lines)
        .join(SalesOrder, SalesOrder.id == lines.c.order_id)
        .outerjoin(shipped, shipped.c.order_line_id == lines.c.line_id)
        .outerjoin(invoiced, invoiced.c.order_line_id == lines.c.line_id)
        .outerjoin(events, events.c.order_id == lines.c.order_id)
        .group_by(state, age)
    )
    counts = {(row_state, row_age): count for row_state, row_age, count in session.exec(query)}
    rows = []
    for name in STATES:
        row: dict[str, Any] = {"state": name, **{a: counts.get((name, a), 0) for a in AGES}}
        row["total"] = sum(row[a] for a in AGES)
        rows.append(row)
    totals = {a: sum(row[a] for row in rows) for a in (*AGES, "total")}
    document: dict[str, Any] = {"as_of": as_of, "day": day, "rows": rows, "totals": totals}
    if as_of is not None:
        # Lines edited after the day show today's quantities (see line_history).
        document["as_of_exact"] = not lines_changed_after(session, as_of)
    return document
