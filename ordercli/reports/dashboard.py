"""`ordercli status`: the one-screen dashboard, figure by figure a set-based query.

What waits on someone: drafts to confirm, lines to ship (and how many of them
wait for stock), lines to invoice; what is owed: overdue and open receivables,
customers' unused credit; what is short: backorders, low stock; and what
happened on the day.

Without ``as_of`` the order figures read the counters the services keep on
each order line (shipped, invoiced, backordered) and the products' on hand and
reserved. With ``as_of`` they are rebuilt from dated records instead: an
order's state at the end of that day from its order date, ``confirmed_at`` and
its held/released/cancelled events; shipped and invoiced quantities from
shipments and invoices dated on or before it; on hand from the stock moves up
to then; money from the journal entries up to then. Two things are not dated
and are marked ``as_of_exact: false`` with a note:

* reservations and backorders are not stored by date: they are rebuilt by the
  rules that make them (a confirmed order reserves what it still has to ship;
  stock on hand covers the open lines earliest-confirmed first, the rest is
  backordered), which the ledger kept then only if those rules held then;
* order lines are edited in place, so when a line was added, changed or
  removed after the day, order values and quantities are today's.

Times (``confirmed_at``, events, stock moves) are UTC; "the end of the day" is
UTC midnight after it, as ``ORDERCLI_TODAY`` sets the clock in UTC.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import case, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.books.clock import today
from ordercli.books.journal import account_ids, signed_amount
from ordercli.books.settings import currency, minor_digits
from ordercli.db.queries import due_before, invoice_balance
from ordercli.domain.money import from_minor, qty_from_db, qty_to_db
from ordercli.domain.states import OrderStatus
from ordercli.models import (
    CreditMemo,
    Invoice,
    JournalEntry,
    JournalLine,
    Payment,
    Product,
    SalesOrder,
    Shipment,
)
from ordercli.reports.line_history import (
    OPEN_STATES,
    REBUILT_STOCK_NOTE,
    end_of,
    lines_as_of,
    lines_changed_after,
    lines_now,
    named,
    on_hand_as_of,
    orders_as_of,
    orders_now,
)
from ordercli.reports.receivables import open_instalments

if TYPE_CHECKING:
    from sqlmodel.sql.expression import Select

DEFAULT_LOW_STOCK = Decimal(5)
LISTED = 5


def _order_sections(session: Session, orders, lines, digits: int) -> dict:
    # An order's subtotal and tax are the sums of its lines (kept with every line
    # change), so drafts need no pass over the order lines.
    drafts = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(SalesOrder.subtotal), 0),
            func.coalesce(func.sum(SalesOrder.tax), 0),
        )
        .select_from(orders)
        .join(SalesOrder, SalesOrder.id == orders.c.order_id)
        .where(orders.c.state == OrderStatus.DRAFT.value)
    ).one()
    backordered = lines.c.backordered > 0
    to_ship = session.exec(
        select(
            func.count(func.distinct(lines.c.order_id)),
            func.count(),
            func.coalesce(func.sum(case((backordered, 1), else_=0)), 0),
            func.count(func.distinct(case((backordered, lines.c.order_id), else_=None))),
        ).where(lines.c.state.in_(OPEN_STATES), lines.c.confirmed, lines.c.to_ship > 0)
    ).one()
    to_invoice = session.exec(
        select(
            func.count(func.distinct(lines.c.order_id)),
            func.count(),
            func.coalesce(func.sum(lines.c.open_net), 0),
            func.coalesce(func.sum(lines.c.open_tax), 0),
        ).where(
            lines.c.state == OrderStatus.CONFIRMED.value,
            lines.c.confirmed,
            lines.c.to_invoice > 0,
        )
    ).one()
    return {
        "to_confirm": {
            "orders": drafts[0],
            "net": from_minor(drafts[1], digits),
            "total": from_minor(drafts[1] + drafts[2], digits),
        },
        "to_ship": {
            "orders": to_ship[0],
            "lines": to_ship[1],
            "backordered_lines": int(to_ship[2]),
            "backordered_orders": to_ship[3],
        },
        "to_invoice": {
            "orders": to_invoice[0],
            "lines": to_invoice[1],
            "net": from_minor(to_invoice[2], digits),
            "total": from_minor(to_invoice[2] + to_invoice[3], digits),
        },
    }


def _backorders(session: Session, lines) -> dict:
    units = func.sum(lines.c.backordered)
    by_product = (
        select(Product.sku, Product.name, units)
        .join(Product, Product.id == lines.c.product_id)
        .where(lines.c.backordered > 0)
        .group_by(col(Product.id), Product.sku, Product.name)
    )
    rows = session.exec(by_product.order_by(units.desc(), Product.sku)).all()
    return {
        "products": len(rows),
        "units": qty_from_db(sum(int(r[2]) for r in rows)),
        "top": [
            {"sku": sku, "name": name, "units": qty_from_db(int(qty))}
            for sku, name, qty in rows[:LISTED]
        ],
    }


def _low_stock(session: Session, lines, threshold: int, day: date | None) -> dict:
    """Stocked, active products whose available (on hand − reserved) is at or below
    ``threshold``. As of a day, on hand is the sum of the moves up to then and the
    reservation what the orders open then still had to ship."""
    stock_query: Select[int, int, int]  # product id, on hand, reserved
    if day is None:
        stock_query = select(
            col(Product.id).label("product_id"),
            col(Product.on_hand).label("on_hand"),
            col(Product.reserved).label("reserved"),
        ).where(col(Product.service).is_(False), col(Product.active).is_(True))
    else:
        on_hand = on_hand_as_of(day)
        reserved = (
            select(lines.c.product_id, func.sum(lines.c.to_ship).label("qty"))
            .where(
                lines.c.state.in_(OPEN_STATES),
                lines.c.confirmed,
                lines.c.service.is_(False),
                lines.c.to_ship > 0,
            )
            .group_by(lines.c.product_id)
            .subquery("reserved_as_of")
        )
        stock_query = (
            select(
                col(Product.id).label("product_id"),
                func.coalesce(on_hand.c.qty, 0).label("on_hand"),
                func.coalesce(reserved.c.qty, 0).label("reserved"),
            )
            .outerjoin(on_hand, on_hand.c.product_id == Product.id)
            .outerjoin(reserved, reserved.c.product_id == Product.id)
            .where(
                col(Product.service).is_(False),
                col(Product.active).is_(True),
                Product.created_at < end_of(day),
            )
        )
    stock = stock_query.subquery("stock")
    available = stock.c.on_hand - stock.c.reserved
    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    low = (
        sa_select(
            col(Product.sku),
            col(Product.name),
            stock.c.on_hand,
            stock.c.reserved,
            available,
            func.count().over(),
        )
        .join(Product, col(Product.id) == stock.c.product_id)
        .where(available <= threshold)
        .order_by(available, Product.sku)
        .limit(LISTED)
    )
    rows = session.execute(low).all()
    return {
        "threshold": qty_from_db(threshold),
        "products": rows[0][5] if rows else 0,
        "lowest": [
            {
                "sku": sku,
                "name": name,
                "on_hand": qty_from_db(int(on_hand)),
                "reserved": qty_from_db(int(reserved)),
                "available": qty_from_db(int(avail)),
            }
            for sku, name, on_hand, reserved, avail, _ in rows
        ],
    }


def _money_sections(session: Session, day: date, digits: int, now: bool = False) -> dict:
    """Receivables and customer credit from journal entries dated up to ``day``; now,
    from the balances kept on invoices, payments and credit memos (which `check`
    ties to the journal), a pass over documents instead of every journal line."""
    ids = account_ids(session)
    if now:
        balances = select(
            col(Invoice.id).label("invoice_id"),
            invoice_balance().label("balance"),
        ).subquery("invoice_balances")
    else:
        balances = (
            select(
                col(JournalLine.invoice_id).label("invoice_id"),
                func.sum(signed_amount()).label("balance"),
            )
            .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
            .where(JournalLine.account_id == ids["receivable"], JournalEntry.entry_date <= day)
            .group_by(col(JournalLine.invoice_id))
            .subquery("invoice_balances")
        )
    # Rule 20: overdue once an instalment due before the day is not all settled.
    overdue = due_before(day) > col(Invoice.total) - balances.c.balance
    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    open_ = session.execute(
        sa_select(
            func.count(),
            func.coalesce(func.sum(balances.c.balance), 0),
            func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
            func.coalesce(func.sum(case((overdue, balances.c.balance), else_=0)), 0),
        )
        .join(Invoice, col(Invoice.id) == balances.c.invoice_id)
        .where(balances.c.balance > 0)
    ).one()
    # The oldest overdue: the earliest instalment due before the day with something open.
    parts = open_instalments(balances)
    first_overdue = session.execute(
        sa_select(parts.c.due_date, col(Invoice.number))
        .select_from(parts)
        .join(Invoice, col(Invoice.id) == parts.c.invoice_id)
        .where(parts.c.open > 0, parts.c.due_date < day)
        .order_by(parts.c.due_date, col(Invoice.id))
        .limit(1)
    ).first()
    due, oldest = first_overdue if first_overdue is not None else (None, None)
    if now:
        held = union_all(
            select(
                col(Payment.customer_id).label("customer_id"),
                col(Payment.unapplied).label("left"),
            ),
            select(CreditMemo.customer_id, CreditMemo.credit_left),
        ).subquery("credit_held")
        credits = (
            select(held.c.customer_id, func.sum(held.c.left).label("credit"))
            .group_by(held.c.customer_id)
            .subquery("customer_credit")
        )
    else:
        credits = (
            select(
                col(JournalLine.customer_id).label("customer_id"),
                (-func.sum(signed_amount())).label("credit"),
            )
            .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
            .where(JournalLine.account_id == ids["customer_credit"], JournalEntry.entry_date <= day)
            .group_by(col(JournalLine.customer_id))
            .subquery("customer_credit")
        )
    credit = session.exec(
        select(func.count(), func.coalesce(func.sum(credits.c.credit), 0)).where(
            credits.c.credit > 0
        )
    ).one()
    return {
        "overdue_receivables": {
            "invoices": int(open_[2]),
            "amount": from_minor(open_[3], digits),
            "oldest_days_overdue": (day - due).days if due is not None else None,
            "oldest_invoice": oldest,
        },
        "open_receivables": {
            "invoices": open_[0],
            "amount": from_minor(open_[1], digits),
        },
        "unapplied_credit": {
            "customers": credit[0],
            "amount": from_minor(credit[1], digits),
        },
    }


def _activity(session: Session, day: date, digits: int) -> dict:
    def count(model, column):
        return select(func.count()).select_from(model).where(column == day).scalar_subquery()

    def total(model, column, amount):
        return (
            select(func.coalesce(func.sum(amount), 0))
            .select_from(model)
            .where(column == day)
            .scalar_subquery()
        )

    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    row = session.execute(
        sa_select(
            count(SalesOrder, SalesOrder.order_date),
            count(Invoice, Invoice.issue_date),
            total(Invoice, Invoice.issue_date, Invoice.total),
            count(Payment, Payment.received_on),
            total(Payment, Payment.received_on, Payment.amount),
            count(Shipment, Shipment.ship_date),
        )
    ).one()
    return {
        "day": day,
        "orders": row[0],
        "invoices": row[1],
        "invoiced": from_minor(row[2], digits),
        "payments": row[3],
        "received": from_minor(row[4], digits),
        "shipments": row[5],
    }


def dashboard(
    *, session: Session, as_of: date | None = None, low_stock: Decimal = DEFAULT_LOW_STOCK
) -> dict:
    """Every figure of `ordercli status`, now or at the end of ``as_of``."""
    day = as_of or today()
    digits = minor_digits(session)
    threshold = qty_to_db(low_stock)
    if as_of is None:
        orders = orders_now()
        lines = named(lines_now(orders))
    else:
        orders = orders_as_of(as_of)
        lines = named(lines_as_of(orders, as_of))
    document = {
        "as_of": as_of,
        "day": day,
        "currency": currency(session),
        **_order_sections(session, orders, lines, digits),
        **_money_sections(session, day, digits, now=as_of is None),
        "backorders": _backorders(session, lines),
        "low_stock": _low_stock(session, lines, threshold, as_of),
        "activity": _activity(session, day, digits),
    }
    edited = as_of is not None and lines_changed_after(session, as_of)
    edited_note = f"order lines were changed after {as_of}: their quantities and values are today's"
    notes = {
        "to_confirm": [edited_note] if edited else [],
        "to_invoice": [edited_note] if edited else [],
        "to_ship": [REBUILT_STOCK_NOTE, *([edited_note] if edited else [])],
        "backorders": [REBUILT_STOCK_NOTE, *([edited_note] if edited else [])],
        "low_stock": [REBUILT_STOCK_NOTE, *([edited_note] if edited else [])],
    }
    for section in (
        "to_confirm",
        "to_ship",
        "to_invoice",
        "overdue_receivables",
        "open_receivables",
        "unapplied_credit",
        "backorders",
        "low_stock",
        "activity",
    ):
        inexact = notes.get(section, []) if as_of is not None else []
        document[section]["as_of_exact"] = not inexact
        if inexact:
            document[section]["as_of_notes"] = inexact
    return document
