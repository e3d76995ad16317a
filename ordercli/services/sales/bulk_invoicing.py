"""Invoicing every confirmed order at once (``invoice create --all``), set-based, in batches.

``invoice create ORDER`` (``services/sales/invoicing.py``) issues one invoice with about two
dozen statements: it locks the order, reads its lines and products, updates each line,
takes a number, reads the chain's latest hash, and inserts the invoice, its lines, a
journal entry, its lines and an event one at a time. Over thousands of orders those
round trips are all the time there is. Here the same rows are written with about a
dozen statements per batch of orders:

1. Every confirmed order with something open is locked up front, in id order, before
   the invoice number series (the order ``create_invoice`` takes its locks in), so a
   concurrent ``invoice create`` waits for this command or this command for it, and
   neither deadlocks. An order put on hold or completed by someone else before the
   lock is granted is not taken.
2. Per batch: one read of the orders' lines (with SKU, customer code and terms), one
   ``UPDATE … RETURNING`` for the batch's consecutive numbers (the series row lock,
   SPEC rule 2), the hashes chained in Python from the chain's latest hash, one
   ``executemany`` INSERT per table (``db/bulk.py``: invoice, invoice line,
   journal entry, journal line, event), and one UPDATE each for the lines' invoiced
   counters and for the orders it completes.

Every invoice here takes each line's whole open quantity, so each portion is the one
that completes its line: its net and tax are what is left of the order line's rounded
net and tax (``domain.money.portion_amounts`` with ``completes``), integers with no
rounding of their own (rule 10). Rows go in in the order the one-invoice path writes
them (invoice after invoice, ascending ids, the same values), so both give the same
ledger row for row; ``invoice_each_order`` keeps that path as the reference and
``tests/services/test_invoice_all_batch.py`` compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from ordercli.books.clock import now, today
from ordercli.books.events import record_events
from ordercli.books.integrity import ZERO, chain_hash, content_of
from ordercli.books.journal import account_ids
from ordercli.books.numbering import next_numbers
from ordercli.books.settings import minor_digits
from ordercli.db.bulk import bulk_insert
from ordercli.db.lookup import chunks
from ordercli.domain.money import from_minor
from ordercli.domain.states import OrderStatus
from ordercli.models import (
    Customer,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    OrderLine,
    Product,
    SalesOrder,
)
from ordercli.services.parties.customers import get_customer

# Orders per batch: each batch's ids and numbers go into one IN (...) list, within every
# database's parameter limit, and a batch's rows are a few hundred kilobytes.
BATCH = 500


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


def _customer_id(session: Session, customer: str | None) -> int | None:
    # An empty --customer (an unset shell variable) is refused, never read as "everyone".
    return None if customer is None else get_customer(session=session, code=customer).id


def invoice_each_order(
    *, session: Session, customer: str | None = None, issue_date: date | None = None, progress=None
) -> list[Invoice]:
    """The reference: every open order through ``create_invoice``, one at a time, as
    ``invoice create --all`` did before it worked in batches (tests compare the two)."""
    from ordercli.services.sales.invoicing import create_invoice

    query = open_orders(SalesOrder.number, customer_id=_customer_id(session, customer))
    numbers = list(session.scalars(query))
    if progress is not None:
        progress.start(len(numbers))
    invoices = []
    for number in numbers:
        invoices.append(create_invoice(session=session, order_number=number, issue_date=issue_date))
        if progress is not None:
            progress.advance()
    return invoices


def invoice_open_orders(
    *, session: Session, customer: str | None = None, issue_date: date | None = None, progress=None
) -> list[Invoice]:
    """Invoice everything open on every confirmed order (of ``customer``), in the caller's
    one transaction: SPEC rules 2 (gapless numbers, in order id order), 3, 4 (an event
    per invoice and per order completed), 9 (each line's open quantity, no more), 10,
    11 (due = issue date + the customer's terms) and 18 (a balanced journal entry per
    invoice)."""
    customer_id = _customer_id(session, customer)
    session.flush()  # what the caller changed is written before the orders are read
    connection = session.connection()
    # NO KEY UPDATE, as get_order(for_update=True): rows that only reference an order
    # (invoices, events) need not wait for it.
    order_ids = list(
        connection.execute(
            open_orders(SalesOrder.id, customer_id=customer_id).with_for_update(key_share=True)
        ).scalars()
    )
    if progress is not None:
        progress.start(len(order_ids))
    run = _Run(
        session=session,
        issued=issue_date or today(),
        moment=now(),
        digits=minor_digits(session),
        accounts=account_ids(session),
    )
    invoice_ids: list[int] = []
    for batch in chunks(order_ids, BATCH):
        drafts = _drafts(session, batch)
        if drafts:
            invoice_ids += _issue(run, drafts)
        if progress is not None:
            progress.advance(len(batch))
    # Order and line objects the session already held are out of date now.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, SalesOrder | OrderLine):
            session.expire(instance)
    invoices: list[Invoice] = []
    for chunk in chunks(invoice_ids):
        invoices += session.scalars(
            select(Invoice).where(Invoice.id.in_(chunk)).order_by(Invoice.id)
        )
    return invoices


@dataclass
class _Run:
    """What every batch of one ``invoice create --all`` shares."""

    session: Session
    issued: date
    moment: datetime
    digits: int
    accounts: dict[str, int]
    previous_hash: str | None = None  # the chain's latest hash, once the series is locked


@dataclass
class _Draft:
    """One order's invoice before it is written: its lines are invoice line rows."""

    order_id: int
    order_number: str
    customer_id: int
    customer_code: str
    terms_days: int
    lines: list[dict] = field(default_factory=list)
    completes: bool = True  # fully shipped too once invoiced: the order is completed


def _drafts(session: Session, order_ids: list[int]) -> list[_Draft]:
    """The invoices of a batch of locked orders, in order id order.

    The lines are read after the lock, so they are the ones to invoice; an order whose
    lines someone invoiced while this command waited for its lock has none open and
    gets no invoice."""
    rows = (
        session.connection()
        .execute(
            select(
                OrderLine.order_id,
                SalesOrder.number,
                SalesOrder.customer_id,
                Customer.code,
                Customer.terms_days,
                OrderLine.id,
                OrderLine.product_id,
                Product.sku,
                OrderLine.description,
                OrderLine.qty - OrderLine.qty_invoiced,
                OrderLine.qty_shipped < OrderLine.qty,
                OrderLine.unit_price,
                OrderLine.discount,
                OrderLine.tax_rate,
                OrderLine.net - OrderLine.net_invoiced,
                OrderLine.tax - OrderLine.tax_invoiced,
            )
            .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(order_ids))
            .order_by(OrderLine.order_id, OrderLine.position)
        )
        .all()
    )
    drafts: list[_Draft] = []
    draft = None
    for (
        order_id,
        order_number,
        customer_id,
        code,
        terms,
        line_id,
        product_id,
        sku,
        description,
        open_qty,
        unshipped,
        unit_price,
        discount,
        tax_rate,
        net_left,
        tax_left,
    ) in rows:
        if draft is None or draft.order_id != order_id:
            draft = _Draft(order_id, order_number, customer_id, code, terms)
            drafts.append(draft)
        if unshipped:
            draft.completes = False
        if open_qty > 0:
            draft.lines.append(
                {
                    "order_line_id": line_id,
                    "position": len(draft.lines) + 1,
                    "product_id": product_id,
                    "sku": sku,
                    "description": description,
                    "qty": open_qty,
                    "unit_price": unit_price,
                    "discount": discount,
                    "tax_rate": tax_rate,
                    "net": net_left,
                    "tax": tax_left,
                }
            )
    return [draft for draft in drafts if draft.lines]


def _issue(run: _Run, drafts: list[_Draft]) -> list[int]:
    """Number, seal and write a batch of invoices with everything they post; their ids."""
    session = run.session
    connection = session.connection()
    numbers = next_numbers(session=session, kind="invoice", count=len(drafts))
    if run.previous_hash is None:
        # Read under the series lock just taken: no other invoice can chain in between.
        latest = select(Invoice.chain_hash).order_by(Invoice.id.desc()).limit(1)
        run.previous_hash = connection.execute(latest).scalar() or ZERO
    headers = []
    for draft, number in zip(drafts, numbers, strict=True):
        subtotal = sum(line["net"] for line in draft.lines)
        tax = sum(line["tax"] for line in draft.lines)
        header = {
            "number": number,
            "issue_date": run.issued,
            "due_date": run.issued + timedelta(days=draft.terms_days),
            "subtotal": subtotal,
            "tax": tax,
            "total": subtotal + tax,
            "order": draft.order_number,
            "customer": draft.customer_code,
        }
        run.previous_hash = header["chain_hash"] = chain_hash(
            run.previous_hash, content_of("invoice", header, draft.lines)
        )
        headers.append(header)
    bulk_insert(
        session,
        Invoice.__table__,
        {
            "number": numbers,
            "order_id": [draft.order_id for draft in drafts],
            "customer_id": [draft.customer_id for draft in drafts],
            "issue_date": run.issued,
            "due_date": [h["due_date"] for h in headers],
            "subtotal": [h["subtotal"] for h in headers],
            "tax": [h["tax"] for h in headers],
            "total": [h["total"] for h in headers],
            "paid": 0,
            "credited": 0,
            "created_at": run.moment,
            "chain_hash": [h["chain_hash"] for h in headers],
        },
    )
    invoice_id = dict(
        connection.execute(
            select(Invoice.number, Invoice.id).where(Invoice.number.in_(numbers))
        ).all()
    )
    ids = [invoice_id[number] for number in numbers]
    lines = [(id_, line) for id_, draft in zip(ids, drafts, strict=True) for line in draft.lines]
    bulk_insert(
        session,
        InvoiceLine.__table__,
        {
            "invoice_id": [id_ for id_, _ in lines],
            # The drafts' line dicts are invoice line rows: their keys are the columns.
            **{name: [line[name] for _, line in lines] for name in lines[0][1]},
            "qty_credited": 0,
            "net_credited": 0,
            "tax_credited": 0,
        },
    )
    _post(run, drafts, headers, ids)
    events = []
    for draft, header in zip(drafts, headers, strict=True):
        number = header["number"]
        events.append(
            {
                "subject_kind": "invoice",
                "subject_number": number,
                "action": "issued",
                "order_id": draft.order_id,
                "message": f"invoice {number} issued for {draft.order_number}: "
                f"{len(draft.lines)} line(s), total {from_minor(header['total'], run.digits)}, "
                f"due {header['due_date']}",
            }
        )
        if draft.completes:
            events.append(
                {
                    "subject_kind": "order",
                    "subject_number": draft.order_number,
                    "action": "completed",
                    "order_id": draft.order_id,
                    "message": f"order {draft.order_number} completed: fully invoiced and shipped",
                }
            )
    record_events(session=session, events=events)
    # Each open line was invoiced to the end: its counters become the line's own
    # quantity, net and tax (what adding the portions just written gives).
    order_lines = OrderLine.__table__.c
    connection.execute(
        update(OrderLine.__table__)
        .where(
            order_lines.order_id.in_([draft.order_id for draft in drafts]),
            order_lines.qty_invoiced < order_lines.qty,
        )
        .values(
            qty_invoiced=order_lines.qty,
            net_invoiced=order_lines.net,
            tax_invoiced=order_lines.tax,
            last_state_change=run.moment,
        )
    )
    completed = [draft.order_id for draft in drafts if draft.completes]
    if completed:
        connection.execute(
            update(SalesOrder.__table__)
            .where(SalesOrder.__table__.c.id.in_(completed))
            .values(status=OrderStatus.COMPLETED.value)
        )
    return ids


def _post(run: _Run, drafts: list[_Draft], headers: list[dict], ids: list[int]) -> None:
    """Each invoice's journal entry, as ``post_entry`` writes it: receivable debited with
    the total, revenue and sales tax credited, sides of zero left out (rule 18)."""
    session = run.session
    numbers = [h["number"] for h in headers]
    bulk_insert(
        session,
        JournalEntry.__table__,
        {
            "entry_date": run.issued,
            "source_kind": "invoice",
            "source_number": numbers,
            "memo": [
                f"invoice {number} to {draft.customer_code}"
                for number, draft in zip(numbers, drafts, strict=True)
            ],
            "created_at": run.moment,
        },
    )
    entry_id = dict(
        session.connection()
        .execute(
            select(JournalEntry.source_number, JournalEntry.id).where(
                JournalEntry.source_kind == "invoice", JournalEntry.source_number.in_(numbers)
            )
        )
        .all()
    )
    accounts = run.accounts
    postings = []  # entry, account, debit, credit, customer, invoice
    for number, draft, header, invoice_id in zip(numbers, drafts, headers, ids, strict=True):
        if header["subtotal"] < 0 or header["tax"] < 0:  # as post_entry: a bug, never posted
            raise AssertionError(f"unbalanced journal entry for {number}: {header}")
        entry = entry_id[number]
        for posting in (
            (entry, accounts["receivable"], header["total"], 0, draft.customer_id, invoice_id),
            (entry, accounts["revenue"], 0, header["subtotal"], None, None),
            (entry, accounts["sales_tax"], 0, header["tax"], None, None),
        ):
            if posting[2] or posting[3]:
                postings.append(posting)
    if postings:
        columns = ("entry_id", "account_id", "debit", "credit", "customer_id", "invoice_id")
        bulk_insert(
            session,
            JournalLine.__table__,
            {name: [p[i] for p in postings] for i, name in enumerate(columns)},
        )
