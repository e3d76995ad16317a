"""Time runs forward (SPEC rule 4a).

No document is dated after today, nor before the documents it comes from (an
invoice or shipment before its order, a credit memo before its invoice, a
return before its shipment, a void before its payment), and within a number
series a later number never carries an earlier date, as chronological invoice
numbering asks. Every service that dates a document calls ``check_dated`` once,
after taking the document's number: the series' row lock (SQLite: the write
lock) is held then, so the latest date read cannot move under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ordercli.books.clock import today
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import (
    CreditMemo,
    Invoice,
    Payment,
    PaymentVoid,
    Quote,
    Refund,
    Rma,
    SalesOrder,
    Shipment,
    ShipmentReversal,
)

# Number series → the table and name of the date column of the documents it numbers.
SERIES_DATES: dict[str, tuple[type[Any], str]] = {
    "quote": (Quote, "issue_date"),
    "order": (SalesOrder, "order_date"),
    "invoice": (Invoice, "issue_date"),
    "shipment": (Shipment, "ship_date"),
    "payment": (Payment, "received_on"),
    "credit_memo": (CreditMemo, "issue_date"),
    "refund": (Refund, "refunded_on"),
    "return": (Rma, "requested_on"),
    "payment_void": (PaymentVoid, "void_date"),
    "shipment_reversal": (ShipmentReversal, "reversal_date"),
}


def check_not_future(on: date, what: str) -> None:
    """``what`` names the document: "invoice", "payment", "credit memo"."""
    current = today()
    if on > current:
        raise InvalidInput(f"{what} date {on} is in the future (today is {current})")


def check_dated(
    session: Session,
    *,
    what: str,
    on: date,
    series: str | None = None,
    sources: Iterable[tuple[str, date]] = (),
) -> None:
    """Refuse a date for a new document ``what`` (rule 4a), naming both documents.

    ``sources`` are the documents it comes from as ("order SO-00012", its date);
    ``series`` is its number series (a key of ``SERIES_DATES``), checked against
    the latest date already issued in it."""
    check_not_future(on, what)
    for source, source_date in sources:
        if on < source_date:
            raise RuleViolation(
                f"{what} dated {on} cannot come before {source}, dated {source_date}"
            )
    if series is not None:
        latest = latest_in_series(session, series)
        if latest is not None and on < latest[1]:
            number, latest_date = latest
            raise RuleViolation(
                f"{what} dated {on} cannot come after {number}, dated {latest_date}: "
                "a later number never carries an earlier date"
            )


def latest_in_series(session: Session, series: str) -> tuple[str, date] | None:
    """The latest-dated document issued in ``series`` so far, as (number, date)."""
    table, column_name = SERIES_DATES[series]
    column = getattr(table, column_name)
    row = session.execute(
        select(table.number, column).order_by(column.desc(), table.id.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])
