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
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ordercli.books.clock import today
from ordercli.books.journal import account_ids, signed_amount
from ordercli.books.settings import currency, minor_digits
from ordercli.db.queries import check_date_range
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import from_minor
from ordercli.models import Customer, Invoice, JournalEntry, JournalLine
from ordercli.services.parties.customers import get_customer

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


def aging(*, session: Session, as_of: date | None = None, customer: str | None = None) -> dict:
    """Open invoice balances per customer by days past due at the end of ``as_of``."""
    as_of = as_of or today()
    ids = account_ids(session)
    open_balance = (
        select(
            col(JournalLine.invoice_id).label("invoice_id"),
            func.sum(signed_amount()).label("balance"),
        )
        .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
        .where(JournalLine.account_id == ids["receivable"], JournalEntry.entry_date <= as_of)
        .group_by(col(JournalLine.invoice_id))
        .subquery()
    )
    due = col(Invoice.due_date)
    bucket = case(
        (due >= as_of, "current"),
        (due >= as_of - timedelta(days=30), "d1_30"),
        (due >= as_of - timedelta(days=60), "d31_60"),
        (due >= as_of - timedelta(days=90), "d61_90"),
        else_="d90_plus",
    )
    query = (
        select(Customer.code, Customer.name, bucket, func.sum(open_balance.c.balance))
        .join(Invoice, col(Invoice.id) == open_balance.c.invoice_id)
        .join(Customer, col(Customer.id) == Invoice.customer_id)
        .where(open_balance.c.balance != 0)
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
    }
