"""Order lines as they stand now, or as they stood at the end of a past day.

Reports that take ``--as-of`` (the dashboard, the order matrix, backorders)
read order lines through one of two views with the same columns:

* now: the counters the services keep on each line (shipped, invoiced,
  backordered) and each order's stored status;
* as of a day: rebuilt from dated records. An order's state at the end of the
  day comes from its order date, ``confirmed_at`` and its held, released and
  cancelled events; shipped and invoiced quantities from shipments (less those
  reversed by then) and invoices dated on or before it; on hand from the stock
  moves up to then.

In both, a service line has nothing to ship (``to_ship`` is 0): it is
delivered by invoicing it, so it waits only to be invoiced.

Two things are not dated. Reservations and backorders are rebuilt by the rules
that make them (a confirmed order reserves what it still has to ship; stock
covers the open lines earliest confirmed first). Order lines are edited in
place, so a line changed after the day shows today's quantity and value;
``lines_changed_after`` tells when that happened. Times are UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.domain.states import OrderStatus
from ordercli.models import (
    CreditMemo,
    CreditMemoLine,
    Event,
    Invoice,
    InvoiceLine,
    OrderLine,
    Product,
    SalesOrder,
    Shipment,
    ShipmentLine,
    ShipmentReversal,
    StockMove,
)

OPEN_STATES = (OrderStatus.CONFIRMED.value, OrderStatus.ON_HOLD.value)
LINE_CHANGES = ("line_added", "line_edited", "line_removed")
REBUILT_STOCK_NOTE = (
    "reservations and backorders are not stored by date: rebuilt from the orders "
    "open that day, their shipments and the stock moves, by the allocation rule"
)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def orders_now():
    """Each order's state, and whether it counts as confirmed, from the stored status."""
    return select(
        SalesOrder.id.label("order_id"),
        SalesOrder.status.label("state"),
        SalesOrder.confirmed_at.label("confirmed_at"),
    ).subquery("orders_now")


def orders_as_of(day: date):
    """Each order dated on or before ``day``, in the state it had at the end of it."""
    end = end_of(day)
    events = (
        select(
            col(Event.order_id).label("order_id"),
            func.max(case((col(Event.action) == "cancelled", 1), else_=0)).label("cancelled"),
            func.max(case((col(Event.action) == "held", Event.id), else_=0)).label("held"),
            func.max(case((col(Event.action) == "released", Event.id), else_=0)).label("released"),
        )
        .where(
            Event.subject_kind == "order",
            col(Event.order_id).is_not(None),
            col(Event.action).in_(["cancelled", "held", "released"]),
            Event.at < end,
        )
        .group_by(col(Event.order_id))
        .subquery("order_events")
    )
    confirmed = and_(col(SalesOrder.confirmed_at).is_not(None), col(SalesOrder.confirmed_at) < end)
    state = case(
        (func.coalesce(events.c.cancelled, 0) == 1, OrderStatus.CANCELLED.value),
        (
            func.coalesce(events.c.held, 0) > func.coalesce(events.c.released, 0),
            OrderStatus.ON_HOLD.value,
        ),
        (confirmed, OrderStatus.CONFIRMED.value),
        else_=OrderStatus.DRAFT.value,
    )
    return (
        select(
            col(SalesOrder.id).label("order_id"),
            state.label("state"),
            case((confirmed, SalesOrder.confirmed_at), else_=None).label("confirmed_at"),
        )
        .outerjoin(events, events.c.order_id == SalesOrder.id)
        .where(SalesOrder.order_date <= day)
        .subquery("orders_as_of")
    )


def lines_now(orders):
    return (
        select(
            OrderLine.order_id,
            OrderLine.product_id,
            orders.c.state,
            Product.service,
            # Only goods are shipped: a service is delivered by invoicing it (rule 12).
            # Nothing short-closed is shipped or invoiced, nothing credited as not to be
            # delivered shipped (domain.states.qty_to_ship, qty_to_invoice).
            case(
                (col(Product.service), 0),
                else_=OrderLine.qty
                - OrderLine.qty_cancelled
                - OrderLine.qty_closed
                - OrderLine.qty_shipped,
            ),
            OrderLine.qty - OrderLine.qty_closed - OrderLine.qty_invoiced,
            OrderLine.net,
            OrderLine.tax,
            OrderLine.net - OrderLine.net_invoiced,
            OrderLine.tax - OrderLine.tax_invoiced,
            OrderLine.qty_backordered,
            orders.c.confirmed_at.is_not(None),
            OrderLine.id,
            OrderLine.position,
        )
        .join(orders, orders.c.order_id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
    )


def on_hand_as_of(day: date):
    return (
        select(col(StockMove.product_id).label("product_id"), func.sum(StockMove.qty).label("qty"))
        .where(StockMove.at < end_of(day))
        .group_by(col(StockMove.product_id))
        .subquery("on_hand_as_of")
    )


def lines_as_of(orders, day: date):
    shipped = (
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.qty).label("qty"))
        .join(Shipment, col(Shipment.id) == ShipmentLine.shipment_id)
        # A shipment reversed by then (recorded in error) no longer counts as shipped.
        .outerjoin(
            ShipmentReversal,
            and_(
                col(ShipmentReversal.shipment_id) == Shipment.id,
                col(ShipmentReversal.reversal_date) <= day,
            ),
        )
        # A replacement for returned goods never counts as shipped again.
        .where(
            Shipment.ship_date <= day,
            col(Shipment.return_id).is_(None),
            col(ShipmentReversal.id).is_(None),
        )
        .group_by(col(ShipmentLine.order_line_id))
        .subquery("shipped_as_of")
    )
    # What stood invoiced that day: invoice lines issued by then, less what credit memos
    # issued by then took back as billed in error (rule 14: ``rebill``).
    portions = union_all(
        sa_select(
            col(InvoiceLine.order_line_id).label("order_line_id"),
            col(InvoiceLine.qty).label("qty"),
            col(InvoiceLine.net).label("net"),
            col(InvoiceLine.tax).label("tax"),
        )
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .where(col(Invoice.issue_date) <= day),
        sa_select(
            col(CreditMemoLine.order_line_id),
            -col(CreditMemoLine.qty),
            -col(CreditMemoLine.net),
            -col(CreditMemoLine.tax),
        )
        .join(CreditMemo, col(CreditMemo.id) == CreditMemoLine.credit_memo_id)
        .where(col(CreditMemo.issue_date) <= day, col(CreditMemoLine.effect) == "rebill"),
    ).subquery("portions_as_of")
    invoiced = (
        sa_select(
            portions.c.order_line_id,
            func.sum(portions.c.qty).label("qty"),
            func.sum(portions.c.net).label("net"),
            func.sum(portions.c.tax).label("tax"),
        )
        .group_by(portions.c.order_line_id)
        .subquery("invoiced_as_of")
    )
    on_hand = on_hand_as_of(day)
    # Only goods are shipped: a service is delivered by invoicing it (rule 12).
    to_ship = case((col(Product.service), 0), else_=OrderLine.qty - func.coalesce(shipped.c.qty, 0))
    waits_for_stock = and_(
        orders.c.state.in_(OPEN_STATES),
        orders.c.confirmed_at.is_not(None),
        col(Product.service).is_(False),
    )
    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    base = (
        sa_select(
            col(OrderLine.order_id).label("order_id"),
            col(OrderLine.product_id).label("product_id"),
            orders.c.state.label("state"),
            col(Product.service).label("service"),
            to_ship.label("to_ship"),
            (OrderLine.qty - func.coalesce(invoiced.c.qty, 0)).label("to_invoice"),
            col(OrderLine.net).label("net"),
            col(OrderLine.tax).label("tax"),
            (OrderLine.net - func.coalesce(invoiced.c.net, 0)).label("open_net"),
            (OrderLine.tax - func.coalesce(invoiced.c.tax, 0)).label("open_tax"),
            orders.c.confirmed_at.is_not(None).label("confirmed"),
            col(OrderLine.id).label("line_id"),
            col(OrderLine.position).label("position"),
            case((waits_for_stock, to_ship), else_=0).label("claim"),
            func.coalesce(on_hand.c.qty, 0).label("on_hand"),
            # Stock goes to the open lines earliest confirmed first (levels.allocate_stock).
            func.sum(case((waits_for_stock, to_ship), else_=0))
            .over(
                partition_by=col(OrderLine.product_id),
                order_by=(orders.c.confirmed_at, col(OrderLine.order_id), col(OrderLine.position)),
                rows=(None, 0),
            )
            .label("running"),
        )
        .join(orders, orders.c.order_id == OrderLine.order_id)
        .join(Product, col(Product.id) == OrderLine.product_id)
        .outerjoin(shipped, shipped.c.order_line_id == OrderLine.id)
        .outerjoin(invoiced, invoiced.c.order_line_id == OrderLine.id)
        .outerjoin(on_hand, on_hand.c.product_id == OrderLine.product_id)
        .subquery("lines_base")
    )
    short = base.c.running - base.c.on_hand
    backordered = case(
        (base.c.claim <= 0, 0),
        (short <= 0, 0),
        (short >= base.c.claim, base.c.claim),
        else_=short,
    )
    return sa_select(
        base.c.order_id,
        base.c.product_id,
        base.c.state,
        base.c.service,
        base.c.to_ship,
        base.c.to_invoice,
        base.c.net,
        base.c.tax,
        base.c.open_net,
        base.c.open_tax,
        backordered,
        base.c.confirmed,
        base.c.line_id,
        base.c.position,
    )


LINE_COLUMNS = (
    "order_id",
    "product_id",
    "state",
    "service",
    "to_ship",
    "to_invoice",
    "net",
    "tax",
    "open_net",
    "open_tax",
    "backordered",
    "confirmed",
    "line_id",
    "position",
)


def named(query):
    """Give both line views the same column names."""
    columns = list(query.selected_columns)
    return query.with_only_columns(
        *[column.label(name) for column, name in zip(columns, LINE_COLUMNS, strict=True)]
    ).subquery("lines")


def lines_changed_after(session: Session, day: date) -> bool:
    """Whether an order dated on or before ``day`` had a line added, edited or removed later."""
    return session.exec(
        select(
            exists().where(
                col(Event.order_id) == SalesOrder.id,
                col(SalesOrder.order_date) <= day,
                col(Event.subject_kind) == "order",
                col(Event.action).in_(LINE_CHANGES),
                col(Event.at) >= end_of(day),
            )
        )
    ).one()
