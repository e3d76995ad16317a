"""Query shapes every list and lookup shares: the date window and limit, a number
lookup, and an invoice's balance and overdue state (rules 11, 20)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from ordercli.domain.errors import InvalidInput
from ordercli.models import Invoice, InvoiceInstalment

MAX_LIMIT = 10**9


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"--from {date_from} is after --to {date_to}")


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit {limit} must be at least 1")
    if limit is not None and limit > MAX_LIMIT:
        raise InvalidInput(f"--limit {limit} is too large; use --all to show everything")


def newest_first(
    query, *, model, date_column, date_from: date | None, date_to: date | None, limit: int | None
):
    """The date window, newest-first order and limit every list command shares."""
    check_limit(limit)
    check_date_range(date_from, date_to)
    if date_from:
        query = query.where(date_column >= date_from)
    if date_to:
        query = query.where(date_column <= date_to)
    query = query.order_by(model.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return query


def by_number(session, query, column, number: str):
    """The first row of ``query`` whose ``column`` (a document number) is ``number``,
    ignoring case.

    Tried first as typed and in capitals, which the unique index on the number
    answers at once; the case-folding scan runs only when neither matches (a
    number series with a lower-case prefix), so a lookup does not slow down as
    the ledger grows.
    """
    found = session.scalars(query.where(column.in_(sorted({number, number.upper()})))).first()
    if found is not None:
        return found
    return session.scalars(query.where(func.upper(column) == number.upper())).first()


def invoice_settled():
    """SQL of ``Invoice.settled``: paid, credited, discounted, written off and prepaid."""
    return (
        col(Invoice.paid)
        + col(Invoice.credited)
        + col(Invoice.discounted)
        + col(Invoice.written_off)
        + col(Invoice.prepaid)
    )


def invoice_balance():
    """SQL of ``Invoice.balance``: total less everything settled."""
    return col(Invoice.total) - invoice_settled()


def due_before(on: date):
    """SQL of what an invoice's schedule made due before ``on`` (its instalments due
    before that day), for the invoice of the enclosing query."""
    return (
        select(func.coalesce(func.sum(InvoiceInstalment.amount), 0))
        .where(
            col(InvoiceInstalment.invoice_id) == Invoice.id,
            col(InvoiceInstalment.due_date) < on,
        )
        .scalar_subquery()
    )


def invoice_overdue(on: date):
    """SQL of rule 20's overdue: an instalment due before ``on`` is not all settled
    (settlements cover instalments in due order)."""
    return due_before(on) > invoice_settled()
