"""Invoices: issued from a confirmed order, whole or in parts (SPEC rules 2, 9–11).

An invoice takes quantities from order lines: everything still uninvoiced, or
``--line SKU=QTY`` portions. It is numbered in the same transaction that
issues it, sealed by its hash chain (``books/integrity.py``), and never
changes afterwards. Each portion is priced by rule 10 on
its own; the portion that completes a line takes what is left of the order
line's rounded net and tax (``domain.money.portion_amounts``), so all invoices
of a line add up to the order line to the cent, however it is split. Due
date = issue date + the customer's payment terms; the status follows from
balance and due date.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.journal import Posting, post_entry
from ordercli.books.numbering import next_number
from ordercli.books.settings import minor_digits
from ordercli.db.queries import by_number, newest_first
from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.domain.money import (
    from_minor,
    pct_from_db,
    portion_amounts,
    qty_from_db,
    to_minor,
)
from ordercli.domain.states import InvoiceStatus, invoice_status
from ordercli.domain.text import parse_status
from ordercli.models import Customer, Invoice, InvoiceLine, Product, SalesOrder
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales.ordering import (
    allocate_lines,
    check_workable,
    get_order,
    order_lines,
    refresh_order_status,
)


def create_invoice(
    *,
    session: Session,
    order_number: str,
    lines: list[tuple[str, Decimal]] | None = None,
    issue_date: date | None = None,
) -> Invoice:
    order = get_order(session=session, number=order_number, for_update=True)
    check_workable(order, "invoice")
    all_lines = order_lines(session=session, order=order)
    taken = allocate_lines(
        session=session,
        order=order,
        lines=all_lines,
        requests=lines,
        done_attr="qty_invoiced",
        verb="invoice",
    )
    customer = session.get(Customer, order.customer_id)
    digits = minor_digits(session)
    issued = issue_date or today()
    invoice_lines = []
    moment = now()
    for position, (line, qty) in enumerate(taken, start=1):
        net, tax = portion_amounts(
            qty=qty_from_db(qty),
            unit_price=from_minor(line.unit_price, digits),
            discount_pct=pct_from_db(line.discount),
            tax_rate=pct_from_db(line.tax_rate),
            net_left=from_minor(line.net - line.net_invoiced, digits),
            tax_left=from_minor(line.tax - line.tax_invoiced, digits),
            completes=line.qty_invoiced + qty == line.qty,
            minor_digits=digits,
        )
        product = session.get(Product, line.product_id)
        invoice_lines.append(
            InvoiceLine(
                order_line_id=line.id,
                position=position,
                product_id=line.product_id,
                sku=product.sku,
                description=line.description,
                qty=qty,
                unit_price=line.unit_price,
                discount=line.discount,
                tax_rate=line.tax_rate,
                net=to_minor(net, digits),
                tax=to_minor(tax, digits),
            )
        )
        line.qty_invoiced += qty
        line.net_invoiced += to_minor(net, digits)
        line.tax_invoiced += to_minor(tax, digits)
        line.last_state_change = moment
        session.add(line)
    subtotal = sum(il.net for il in invoice_lines)
    tax_total = sum(il.tax for il in invoice_lines)
    invoice = Invoice(
        number=next_number(session=session, kind="invoice"),
        order_id=order.id,
        customer_id=customer.id,
        issue_date=issued,
        due_date=issued + timedelta(days=customer.terms_days),
        subtotal=subtotal,
        tax=tax_total,
        total=subtotal + tax_total,
        created_at=moment,
    )
    seal(
        session,
        invoice,
        refs={"order": order.number, "customer": customer.code},
        lines=invoice_lines,
    )
    session.add(invoice)
    session.flush()
    for il in invoice_lines:
        il.invoice_id = invoice.id
        session.add(il)
    post_entry(
        session=session,
        entry_date=issued,
        source_kind="invoice",
        source_number=invoice.number,
        memo=f"invoice {invoice.number} to {customer.code}",
        postings=[
            Posting(
                "receivable",
                debit=invoice.total,
                customer_id=customer.id,
                invoice_id=invoice.id,
            ),
            Posting("revenue", credit=subtotal),
            Posting("sales_tax", credit=tax_total),
        ],
    )
    record_event(
        session=session,
        subject_kind="invoice",
        subject_number=invoice.number,
        action="issued",
        order_id=order.id,
        message=f"invoice {invoice.number} issued for {order.number}: "
        f"{len(invoice_lines)} line(s), total {from_minor(invoice.total, digits)}, "
        f"due {invoice.due_date}",
    )
    refresh_order_status(session=session, order=order, lines=all_lines)
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
            .order_by(InvoiceLine.position)
        )
    )


def status_of(invoice: Invoice, on: date | None = None) -> InvoiceStatus:
    return invoice_status(
        total=invoice.total,
        paid=invoice.paid,
        credited=invoice.credited,
        due_date=invoice.due_date,
        today=on or today(),
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
    balance = Invoice.total - Invoice.paid - Invoice.credited
    on = today()
    query = select(Invoice)
    if unpaid:
        query = query.where(balance > 0)
    if overdue:
        query = query.where(balance > 0, Invoice.due_date < on)
    if status:
        wanted = parse_status(InvoiceStatus, status, what="invoice")
        query = query.where(
            {
                InvoiceStatus.PAID: balance <= 0,
                InvoiceStatus.OVERDUE: and_(balance > 0, Invoice.due_date < on),
                InvoiceStatus.PARTIALLY_PAID: and_(
                    balance > 0, Invoice.due_date >= on, Invoice.paid > 0
                ),
                InvoiceStatus.OPEN: and_(
                    balance > 0,
                    Invoice.due_date >= on,
                    or_(Invoice.paid == 0, Invoice.paid.is_(None)),
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
        session.exec(select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id))
    )


def invoice_all(
    *, session: Session, customer: str | None = None, issue_date: date | None = None, progress=None
) -> list[Invoice]:
    """Invoice everything open on every confirmed order, in the caller's one transaction:
    set-based, in batches (``services/sales/bulk_invoicing.py``)."""
    from ordercli.services.sales.bulk_invoicing import invoice_open_orders

    return invoice_open_orders(
        session=session, customer=customer, issue_date=issue_date, progress=progress
    )
