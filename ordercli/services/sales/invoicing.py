"""Invoices: issued from a confirmed order, whole or in parts (SPEC rules 2, 9–11).

An invoice takes quantities from order lines: everything still uninvoiced, or
``--line SKU=QTY`` portions. It is numbered in the same transaction that
issues it, sealed by its hash chain (``books/integrity.py``), and never
changes afterwards; how an invoice is issued, for one order or for every
open one, is ``services/sales/issuing.py``. Each portion is priced by rule 10 on
its own; the portion that completes a line takes what is left of the order
line's rounded net and tax (``domain.money.portion_amounts``), so all invoices
of a line add up to the order line to the cent, however it is split. Due
date = issue date + the customer's payment terms; the status follows from
balance and due date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, or_
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from ordercli.books.clock import today
from ordercli.db.queries import by_number, invoice_balance, invoice_overdue, newest_first
from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.domain.states import InvoiceStatus, OrderStatus, invoice_status
from ordercli.domain.text import parse_status
from ordercli.models import CreditMemo, Invoice, InvoiceLine, OrderLine, SalesOrder
from ordercli.services.parties.customers import get_customer
from ordercli.services.parties.payment_terms import terms_id_of
from ordercli.services.sales.issuing import issue_invoices
from ordercli.services.sales.ordering import (
    allocate_lines,
    check_workable,
    get_order,
    order_lines,
)
from ordercli.services.sales.schedules import due_before


def create_invoice(
    *,
    session: Session,
    order_number: str,
    lines: list[tuple[str, Decimal]] | None = None,
    issue_date: date | None = None,
    terms: str | None = None,
) -> Invoice:
    """Invoice a confirmed order: every open quantity, or the ``SKU=QTY`` portions given
    (rules 6, 7, 9); issued as a batch of one (``services/sales/issuing.py``).
    ``terms`` names a payment terms template this invoice takes instead of the
    order's or the customer's (rule 20)."""
    terms_id = terms_id_of(session, terms)
    order = get_order(session=session, number=order_number, for_update=True)
    check_workable(order, "invoice")
    assert order.id is not None  # a stored order
    taken = allocate_lines(
        session=session,
        order=order,
        lines=order_lines(session=session, order=order),
        requests=lines,
        done_attr="qty_invoiced",
        verb="invoice",
    )
    portions: dict[int, int] = {}
    for line, qty in taken:
        assert line.id is not None  # a stored order line
        portions[line.id] = qty
    (invoice,) = issue_invoices(
        session=session,
        order_ids=[order.id],
        portions=portions,
        issue_date=issue_date,
        terms_id=terms_id,
    )
    return invoice


def get_invoice(*, session: Session, number: str, for_update: bool = False) -> Invoice:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("invoice number is empty")
    query = select(Invoice)
    if for_update:
        # Paid and credited are read-modify-write; on PostgreSQL this row lock
        # serialises two payments or credits of one invoice.
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    invoice = by_number(session, query, Invoice.number, number)
    if invoice is None:
        raise NotFound(f"no invoice {number!r}", hint="`ordercli invoice list` shows the invoices")
    return invoice


def invoice_lines(*, session: Session, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(col(InvoiceLine.position))
        )
    )


def status_of(
    invoice: Invoice,
    on: date | None = None,
    *,
    cancelled: bool = False,
    due: int | None = None,
) -> InvoiceStatus:
    """Rules 11 and 20's status; ``cancelled`` when a cancelling credit memo took it
    back, ``due`` what its schedule made due before ``on`` (views read both for many
    invoices at once: ``schedules.due_before``); read here when not given."""
    on = on or today()
    if due is None:
        session = object_session(invoice)
        # A stored invoice, loaded by SQLModel's session (object_session types it plainly).
        assert isinstance(session, Session) and invoice.id is not None
        due = due_before(session, [invoice.id], on).get(invoice.id, 0)
    return invoice_status(
        total=invoice.total,
        settled=invoice.settled,
        paid=invoice.paid,
        due=due,
        cancelled=cancelled,
    )


def _cancelled():
    """An invoice a cancelling credit memo took back (``invoice cancel``)."""
    return (
        select(CreditMemo.id)
        .where(CreditMemo.invoice_id == Invoice.id, col(CreditMemo.cancels_invoice))
        .exists()
    )


def list_invoices(
    *,
    session: Session,
    unpaid: bool = False,
    overdue: bool = False,
    status: str | None = None,
    customer: str | None = None,
    order: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[Invoice]:
    balance = invoice_balance()
    overdue_ = invoice_overdue(today())
    query = select(Invoice)
    if unpaid:
        query = query.where(balance > 0)
    if overdue:
        query = query.where(overdue_)
    if status:
        wanted = parse_status(InvoiceStatus, status, what="invoice")
        query = query.where(
            {
                InvoiceStatus.PAID: and_(balance <= 0, ~_cancelled()),
                InvoiceStatus.CANCELLED: _cancelled(),
                InvoiceStatus.OVERDUE: overdue_,
                InvoiceStatus.PARTIALLY_PAID: and_(balance > 0, ~overdue_, col(Invoice.paid) > 0),
                InvoiceStatus.OPEN: and_(
                    balance > 0,
                    ~overdue_,
                    or_(col(Invoice.paid) == 0, col(Invoice.paid).is_(None)),
                ),
            }[wanted]
        )
    if customer:
        query = query.where(Invoice.customer_id == get_customer(session=session, code=customer).id)
    if order:
        query = query.where(Invoice.order_id == get_order(session=session, number=order).id)
    query = newest_first(
        query,
        model=Invoice,
        date_column=Invoice.issue_date,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))


def invoices_of_order(*, session: Session, order: SalesOrder) -> list[Invoice]:
    return list(
        session.exec(select(Invoice).where(Invoice.order_id == order.id).order_by(col(Invoice.id)))
    )


def open_orders(*columns, customer_id: int | None = None):
    """``columns`` of the confirmed orders with something still uninvoiced, oldest first."""
    query = (
        select(*columns)
        .where(SalesOrder.status == OrderStatus.CONFIRMED)
        .where(
            select(OrderLine.id)
            .where(OrderLine.order_id == SalesOrder.id, OrderLine.qty > OrderLine.qty_invoiced)
            .exists()
        )
        .order_by(SalesOrder.id)
    )
    if customer_id is not None:
        query = query.where(SalesOrder.customer_id == customer_id)
    return query


def invoice_all(
    *,
    session: Session,
    customer: str | None = None,
    issue_date: date | None = None,
    progress=None,
    terms: str | None = None,
) -> list[Invoice]:
    """Invoice everything open on every confirmed order (of ``customer``), in the caller's
    one transaction, in batches (``services/sales/issuing.py``): rules 2 (gapless
    numbers, in order id order), 3, 4, 9–11 and 18.

    Every such order is locked up front, in id order, before the invoice number series
    (the order ``create_invoice`` takes its locks in), so a concurrent ``invoice
    create`` waits for this command or this command for it, and neither deadlocks. An
    order put on hold or completed by someone else before the lock is granted is not
    taken. ``terms`` names a payment terms template every invoice takes (rule 20)."""
    terms_id = terms_id_of(session, terms)
    # An empty --customer (an unset shell variable) is refused, never read as "everyone".
    customer_id = None if customer is None else get_customer(session=session, code=customer).id
    session.flush()  # what the caller changed is written before the orders are read
    # NO KEY UPDATE, as get_order(for_update=True): rows that only reference an order
    # (invoices, events) need not wait for it.
    locked = open_orders(SalesOrder.id, customer_id=customer_id).with_for_update(key_share=True)
    order_ids = list(session.connection().execute(locked).scalars())
    return issue_invoices(
        session=session,
        order_ids=order_ids,
        issue_date=issue_date,
        progress=progress,
        terms_id=terms_id,
    )
