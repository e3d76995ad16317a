"""Document states and the transitions allowed between them (SPEC rules 5–8)."""

from __future__ import annotations

from enum import StrEnum


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CONVERTED = "converted"
    # Shown, never stored: a draft or sent quote past its validity date.
    EXPIRED = "expired"


QUOTE_EDITABLE = {QuoteStatus.DRAFT, QuoteStatus.SENT}
QUOTE_OPEN = {QuoteStatus.DRAFT, QuoteStatus.SENT}


class OrderStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class BillingStatus(StrEnum):
    NOT_INVOICED = "not_invoiced"
    PARTIALLY_INVOICED = "partially_invoiced"
    INVOICED = "invoiced"


class FulfilmentStatus(StrEnum):
    NOT_SHIPPED = "not_shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"


class ShipmentStatus(StrEnum):
    SHIPPED = "shipped"
    DELIVERED = "delivered"


def progress_status(done: list, ordered: list, none, partly, fully):
    """The status of a progress measure over lines (invoiced or shipped).

    Nothing done on any line is ``none``; every line done in full is ``fully``;
    anything between is ``partly``. An order without lines has done nothing.
    """
    if not ordered or all(d == 0 for d in done):
        return none
    if all(d >= o for d, o in zip(done, ordered, strict=True)):
        return fully
    return partly


def invoice_status(*, total, paid, credited, due_date, today) -> InvoiceStatus:
    """SPEC rule 11: derived from balance and due date, never stored."""
    balance = total - paid - credited
    if balance <= 0:
        return InvoiceStatus.PAID
    if due_date < today:
        return InvoiceStatus.OVERDUE
    if paid > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN
