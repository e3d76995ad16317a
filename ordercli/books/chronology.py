"""Time runs forward (SPEC rule 4a).

No document is dated after today, nor before the documents it comes from (an
invoice or shipment before its order, a credit memo before its invoice, a
return before its shipment, a void before its payment), and within a number
series a later number never carries an earlier date, as chronological invoice
numbering asks. Every service that dates a document calls ``check_dated`` once,
after taking the document's number: the series' row lock (SQLite: the write
lock) is held then, so the latest date read cannot move under it.

Orders and quotes are held only to "not in the future": they are requests, not
tax documents, and ``import orders`` brings a web shop's historical orders in
whatever order its file lists them, so their numbers need not follow their
dates. Everything issued from them (invoices, shipments) is held to its order's
date and to its own series.

Allocations (payments, credit used on an invoice) are held to the invoice they
settle by ``services/settlement/payments.py``; a refund is held to the credit
it pays out. Because no document is dated after today, every receivables view
read "as of" a day (aging, customer balance, statement, trial balance) sums the
same dated journal lines and agrees to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.books.clock import today
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import (
    CreditMemo,
    DunningNotice,
    Invoice,
    Payment,
    PaymentVoid,
    Quote,
    Refund,
    Rma,
    SalesOrder,
    Shipment,
    ShipmentLine,
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
    "dunning_notice": (DunningNotice, "notice_date"),
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


def goods_shipped_by(session: Session, order_line_ids: Iterable[int]) -> tuple[str, date] | None:
    """The shipment by whose date each of these order lines had shipped (its first
    shipment not reversed), the latest such, as ("shipment SH-00004", its date); a
    return of their goods cannot come before it. ``None`` when none shipped."""
    ids = sorted(set(order_line_ids))
    if not ids:
        return None
    reversed_ = select(col(ShipmentReversal.shipment_id))
    rows = session.execute(
        select(col(ShipmentLine.order_line_id), col(Shipment.number), col(Shipment.ship_date))
        .join(Shipment, col(Shipment.id) == ShipmentLine.shipment_id)
        .where(col(ShipmentLine.order_line_id).in_(ids), col(Shipment.id).not_in(reversed_))
        .order_by(col(Shipment.ship_date), col(Shipment.id))
    ).all()
    first: dict[int, tuple[str, date]] = {}
    for line_id, number, ship_date in rows:
        first.setdefault(line_id, (f"shipment {number}", ship_date))
    return max(first.values(), key=lambda found: found[1], default=None)
