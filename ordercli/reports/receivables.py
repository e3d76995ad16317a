"""Receivables reports: aging and customer statements, rebuilt from the journal.

Both read dated journal lines, so ``--as-of DATE`` shows the ledger as it
stood at the end of that day whatever happened since. Each is one set-based
query; nothing loads a whole table into Python.

Rule 4a: aging, statement, ``customer show`` balance and the trial balance's
receivable sum the same dated lines, with the same "as of" (entries dated on or
before the day; without one, today: ``books.journal.standing_day``), so they
agree to the cent on any day. A customer's aging total is their open
receivables; their balance and statement closing balance are that minus their
unused credit (payments and store credit not yet allocated; an allocation
released later by an unapply or a void is reversed by an entry of that day).

Rule 20: aging buckets each instalment's open part by the instalment's own due
date. What an invoice has settled as of the day is its scheduled total less its
receivable balance on that day, covering instalments in due order, so instalment
*i* has ``clamp(due_through_i - settled, 0, amount_i)`` open
(``open_instalments``, one window over ``invoice_instalment``); the parts add up
to the invoice's balance exactly, so the aging total is still the receivable
account. ``statement`` lists the open instalments as its ``open_items``.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.books.clock import today
from ordercli.books.journal import account_ids, signed_amount
from ordercli.books.settings import currency, minor_digits
from ordercli.db.queries import check_date_range
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import from_minor
from ordercli.models import Customer, Invoice, InvoiceInstalment, JournalEntry, JournalLine
from ordercli.services.parties.customers import get_customer

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


def receivable_balances(session: Session, as_of: date):
    """Per invoice, its receivable balance at the end of ``as_of`` from the journal:
    a subquery of ``invoice_id, balance``."""
    ids = account_ids(session)
    return (
        select(
            col(JournalLine.invoice_id).label("invoice_id"),
            func.sum(signed_amount()).label("balance"),
        )
        .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
        .where(JournalLine.account_id == ids["receivable"], JournalEntry.entry_date <= as_of)
        .group_by(col(JournalLine.invoice_id))
        .subquery("invoice_balances")
    )


def open_instalments(balances):
    """What is open of each instalment of the invoices with a balance (rule 20): a
    subquery of ``invoice_id, customer_id, due_date, open`` (one row per instalment,
    ``open`` possibly 0), from ``balances`` (``invoice_id, balance``).

    Settlements cover instalments in due order: instalment *i* has
    ``clamp(balance - after_i, 0, amount_i)`` open, ``after_i`` being the amounts
    due after it (a window SUM over the invoice's instalments by position). So that
    the parts add up to the balance to the cent whatever it is, the first instalment
    takes anything above the scheduled total and the last anything below zero (a
    ledger never has either; aging must still equal the receivable account). An
    invoice without instalments is one due on its due date."""
    item = InvoiceInstalment
    by_invoice = col(item.invoice_id)
    in_order = (col(item.position), col(item.id))
    through = func.sum(item.amount).over(partition_by=by_invoice, order_by=in_order, rows=(None, 0))
    scheduled = func.sum(item.amount).over(partition_by=by_invoice)
    rank = func.row_number().over(partition_by=balances.c.invoice_id, order_by=in_order)
    rows = (
        sa_select(
            balances.c.invoice_id.label("invoice_id"),
            col(Invoice.customer_id).label("customer_id"),
            func.coalesce(col(item.due_date), col(Invoice.due_date)).label("due_date"),
            col(item.amount).label("amount"),
            balances.c.balance.label("balance"),
            func.coalesce(scheduled - through, 0).label("after"),
            rank.label("rn"),
            func.count().over(partition_by=balances.c.invoice_id).label("cnt"),
        )
        .select_from(balances)
        .join(Invoice, col(Invoice.id) == balances.c.invoice_id)
        .outerjoin(item, by_invoice == balances.c.invoice_id)
        .where(balances.c.balance != 0)
        .subquery("instalment_rows")
    )
    raw = rows.c.balance - rows.c.after
    low = case((and_(raw < 0, rows.c.rn != rows.c.cnt), literal(0)), else_=raw)
    open_ = case((and_(low > rows.c.amount, rows.c.rn != 1), rows.c.amount), else_=low)
    return sa_select(
        rows.c.invoice_id,
        rows.c.customer_id,
        rows.c.due_date,
        open_.label("open"),
    ).subquery("open_instalments")


def _bucket(due, as_of: date):
    return case(
        (due >= as_of, "current"),
        (due >= as_of - timedelta(days=30), "d1_30"),
        (due >= as_of - timedelta(days=60), "d31_60"),
        (due >= as_of - timedelta(days=90), "d61_90"),
        else_="d90_plus",
    )


def aging(*, session: Session, as_of: date | None = None, customer: str | None = None) -> dict:
    """Open invoice balances per customer by days past due at the end of ``as_of``,
    each instalment's open part by its own due date (rule 20)."""
    as_of = as_of or today()
    parts = open_instalments(receivable_balances(session, as_of))
    bucket = _bucket(parts.c.due_date, as_of)
    query = (
        select(Customer.code, Customer.name, bucket, func.sum(parts.c.open))
        .join(Customer, col(Customer.id) == parts.c.customer_id)
        .where(parts.c.open != 0)
        .group_by(Customer.code, Customer.name, bucket)
        .order_by(Customer.code)
    )
    if customer:
        query = query.where(Customer.id == get_customer(session=session, code=customer).id)
    digits = minor_digits(session)
    zero = from_minor(0, digits)
    rows: dict[str, dict] = {}
    for code, name, key, amount in session.exec(query).all():
        row = rows.setdefault(
            code, {"customer": code, "name": name, **{b: zero for b in BUCKETS}, "total": zero}
        )
        row[key] += from_minor(amount, digits)
        row["total"] += from_minor(amount, digits)
    totals = {b: sum((r[b] for r in rows.values()), zero) for b in (*BUCKETS, "total")}
    return {
        "as_of": as_of,
        "currency": currency(session),
        "customers": list(rows.values()),
        "totals": totals,
    }


def open_items(session: Session, customer_id: int, as_of: date) -> list[dict]:
    """The customer's open instalments at the end of ``as_of`` (rule 20), earliest due
    first: invoice, due date, what is open and days overdue (0 while not yet due)."""
    parts = open_instalments(receivable_balances(session, as_of))
    query = (
        sa_select(col(Invoice.number), parts.c.due_date, parts.c.open)
        .select_from(parts)
        .join(Invoice, col(Invoice.id) == parts.c.invoice_id)
        .where(parts.c.customer_id == customer_id, parts.c.open != 0)
        .order_by(parts.c.due_date, col(Invoice.id))
    )
    digits = minor_digits(session)
    return [
        {
            "invoice": number,
            "due_date": due,
            "open": from_minor(amount, digits),
            "days_overdue": max(0, (as_of - due).days),
        }
        for number, due, amount in session.execute(query).all()
    ]


def statement(
    *,
    session: Session,
    customer: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict:
    """Invoices, payments, credits and refunds with a running balance of what is owed.

    The balance is receivables minus unused credit; using credit on an invoice
    moves money between the two and does not change it, so it is not a line.
    """
    check_date_range(date_from, date_to)
    cust = get_customer(session=session, code=customer)
    date_to = date_to or today()
    if date_from and date_from > date_to:
        raise InvalidInput(f"--from {date_from} is after the statement date {date_to}")
    ids = account_ids(session)
    owed = case(
        (col(JournalLine.account_id) == ids["receivable"], signed_amount()),
        (col(JournalLine.account_id) == ids["customer_credit"], signed_amount()),
        else_=0,
    )
    # SQLAlchemy's select (the same SQL): SQLModel's select() is typed for four columns at most.
    base = (
        sa_select(
            col(JournalEntry.id),
            col(JournalEntry.entry_date),
            col(JournalEntry.source_kind),
            col(JournalEntry.source_number),
            col(JournalEntry.memo),
            func.sum(owed),
        )
        .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
        .where(
            col(JournalLine.customer_id) == cust.id,
            col(JournalLine.account_id).in_([ids["receivable"], ids["customer_credit"]]),
            col(JournalEntry.entry_date) <= date_to,
        )
        .group_by(
            col(JournalEntry.id),
            col(JournalEntry.entry_date),
            col(JournalEntry.source_kind),
            col(JournalEntry.source_number),
            col(JournalEntry.memo),
        )
        .order_by(col(JournalEntry.entry_date), col(JournalEntry.id))
    )
    digits = minor_digits(session)
    opening = 0
    if date_from:
        opening = session.exec(
            select(func.coalesce(func.sum(owed), 0))
            .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
            .where(
                JournalLine.customer_id == cust.id,
                JournalEntry.entry_date < date_from,
            )
        ).one()
        base = base.where(col(JournalEntry.entry_date) >= date_from)
    assert cust.id is not None  # a stored customer
    running = opening
    lines = []
    for _, on, kind, number, memo, amount in session.execute(base).all():
        if amount == 0:
            continue
        running += amount
        lines.append(
            {
                "date": on,
                "type": kind,
                "number": number,
                "description": memo,
                "debit": from_minor(max(amount, 0), digits),
                "credit": from_minor(max(-amount, 0), digits),
                "balance": from_minor(running, digits),
            }
        )
    return {
        "customer": cust.code,
        "name": cust.name,
        "billing_address": cust.billing_address,
        "currency": currency(session),
        "from": date_from,
        "to": date_to,
        "opening_balance": from_minor(opening, digits),
        "lines": lines,
        "closing_balance": from_minor(running, digits),
        "open_items": open_items(session, cust.id, date_to),
    }
