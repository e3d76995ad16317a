"""Document states and the transitions allowed between them (SPEC rules 5–8).

An order's lifecycle is data here: ``ORDER_ACTIONS`` says, for every action, in
which statuses it is allowed and why it is refused in each other one. The
services refuse with these reasons (``refusal``) and ``order explain`` reads the
same table to say what can happen next, so a rule is written once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CONVERTED = "converted"
    # Replaced by a newer revision (``quote revise``): kept, readable, never workable.
    REVISED = "revised"
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
    # Taken back whole by ``invoice cancel`` (a cancelling credit memo); never owed again.
    CANCELLED = "cancelled"


class ShipmentStatus(StrEnum):
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    # Recorded in error and taken back whole by a shipment reversal (rule 12).
    REVERSED = "reversed"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    RECEIVED = "received"
    RESOLVED = "resolved"
    REJECTED = "rejected"


# A return still open: the goods it asks back are promised to it.
RETURN_OPEN = (ReturnStatus.REQUESTED, ReturnStatus.AUTHORIZED)


# Why an action is refused in a status; a status an action leaves out allows it.
# ``{hold_reason}`` is the order's own. SPEC rules 6 (drafts), 7 (holds, cancelling)
# and 8 (completed).
_ON_HOLD = "it is on hold ({hold_reason}); release it first"
ORDER_ACTIONS: dict[str, dict[OrderStatus, str | None]] = {
    # invoice or ship (rules 6, 7): only a confirmed order is worked on.
    "work": {
        OrderStatus.DRAFT: "it is a draft; confirm it first",
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: _ON_HOLD,
        OrderStatus.COMPLETED: "it is completed: fully invoiced and shipped",
        OrderStatus.CANCELLED: "it is cancelled",
    },
    # add, edit or remove lines (rules 6, 7): drafts freely, confirmed orders within limits.
    "edit": {
        OrderStatus.DRAFT: None,
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: _ON_HOLD,
        OrderStatus.COMPLETED: "it is completed",
        OrderStatus.CANCELLED: "it is cancelled",
    },
    "confirm": {
        OrderStatus.DRAFT: None,
        OrderStatus.CONFIRMED: "it is confirmed, not draft",
        OrderStatus.ON_HOLD: "it is on hold ({hold_reason})",
        OrderStatus.COMPLETED: "it is completed, not draft",
        OrderStatus.CANCELLED: "it is cancelled, not draft",
    },
    "hold": {
        OrderStatus.DRAFT: None,
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: "it is on_hold",
        OrderStatus.COMPLETED: "it is completed",
        OrderStatus.CANCELLED: "it is cancelled",
    },
    "release": {
        OrderStatus.DRAFT: "it is draft, not on hold",
        OrderStatus.CONFIRMED: "it is confirmed, not on hold",
        OrderStatus.ON_HOLD: None,
        OrderStatus.COMPLETED: "it is completed, not on hold",
        OrderStatus.CANCELLED: "it is cancelled, not on hold",
    },
    # reverse a shipment recorded in error (rule 12): its goods reopen on the order, so a
    # completed order is confirmed again; a held order is released first.
    "reverse": {
        OrderStatus.DRAFT: "it is a draft",
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: _ON_HOLD,
        OrderStatus.COMPLETED: None,
        OrderStatus.CANCELLED: "it is cancelled",
    },
    # cancel (rule 7): any order not yet finished, while nothing on it is invoiced or shipped.
    "cancel": {
        OrderStatus.DRAFT: None,
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: None,
        OrderStatus.COMPLETED: "it is completed",
        OrderStatus.CANCELLED: "it is cancelled",
    },
    # set or clear the order's own payment terms (rule 20): any order not finished; the
    # invoices issued from then on take them.
    "terms": {
        OrderStatus.DRAFT: None,
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: None,
        OrderStatus.COMPLETED: "it is completed: fully invoiced and shipped",
        OrderStatus.CANCELLED: "it is cancelled",
    },
    # close (rules 7, 8): short-close what a confirmed order still has open; a draft is
    # cancelled instead, a held order released first.
    "close": {
        OrderStatus.DRAFT: "it is a draft; cancel it instead",
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: _ON_HOLD,
        OrderStatus.COMPLETED: "it is completed: nothing is left open",
        OrderStatus.CANCELLED: "it is cancelled",
    },
    # reopen (rules 7, 8, 16): give a short-closed order its closed quantities back.
    "reopen": {
        OrderStatus.DRAFT: "it is a draft, not short-closed",
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: _ON_HOLD,
        OrderStatus.COMPLETED: None,
        OrderStatus.CANCELLED: "it is cancelled",
    },
}


def refusal(action: str, status: str, *, hold_reason: str | None = None) -> str | None:
    """Why ``action`` is refused on an order in ``status``, or None when it is allowed."""
    reason = ORDER_ACTIONS[action][OrderStatus(status)]
    return None if reason is None else reason.format(hold_reason=hold_reason)


def allows(action: str, status: str) -> bool:
    return ORDER_ACTIONS[action][OrderStatus(status)] is None


class LineCounters(Protocol):
    """An order line's quantity and how much of it has been done (integer units).

    ``qty_invoiced`` is what stands invoiced: a credit of a quantity billed in error
    (``rebill``) takes it off again and adds it to ``qty_reopened``. ``qty_credited``
    counts every credited quantity; of it, ``qty_cancelled`` was credited as not to be
    delivered. ``qty_closed`` was short-closed: neither shipped nor invoiced, and it
    never will be unless the order is reopened (SPEC rules 9, 14)."""

    # Read-only to the rules here: a named tuple of counters serves as well as a row.
    @property
    def qty(self) -> int: ...
    @property
    def qty_invoiced(self) -> int: ...
    @property
    def qty_shipped(self) -> int: ...
    @property
    def qty_credited(self) -> int: ...
    @property
    def qty_reopened(self) -> int: ...
    @property
    def qty_cancelled(self) -> int: ...
    @property
    def qty_closed(self) -> int: ...


def qty_to_invoice(line: LineCounters) -> int:
    """What is still to be invoiced (rule 9): ordered, less short-closed, less invoiced."""
    return line.qty - line.qty_closed - line.qty_invoiced


def qty_to_ship(line: LineCounters) -> int:
    """What of the goods is still to be shipped: nothing credited as not to be delivered
    or short-closed is ever shipped (rules 12, 14)."""
    return line.qty - line.qty_cancelled - line.qty_closed - line.qty_shipped


def qty_closable(line: LineCounters, *, service: bool) -> int:
    """What a short-close takes off a line: neither invoiced nor (goods) shipped."""
    return qty_to_invoice(line) if service else min(qty_to_invoice(line), qty_to_ship(line))


def fulfilled_qty(line: LineCounters, *, service: bool) -> int:
    """How much of an order line has reached the customer (rules 12, 14).

    Goods are fulfilled by shipping them. A service is never shipped: it is delivered
    by invoicing it, so what invoicing delivered is what stands invoiced and was not
    credited as not to be delivered (a service is never returned). Nothing is then
    both credited and delivered without being billed."""
    return line.qty_invoiced - line.qty_cancelled if service else line.qty_shipped


def qty_to_fulfil(line: LineCounters, *, service: bool) -> int:
    """What an order line has to deliver: less what was credited as not to be
    delivered, and less what was short-closed."""
    return line.qty - line.qty_cancelled - line.qty_closed


def line_finished(line: LineCounters, *, service: bool) -> bool:
    """An order line is finished when it is fully invoiced and fully fulfilled: goods
    shipped, a service delivered by invoicing it (rules 8, 12)."""
    return qty_to_invoice(line) <= 0 and fulfilled_qty(line, service=service) >= qty_to_fulfil(
        line, service=service
    )


def completed_because(*, has_goods: bool) -> str:
    """Why an order is completed, as its ``completed`` event says."""
    return "fully invoiced and shipped" if has_goods else "fully invoiced, its services delivered"


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


def invoice_status(*, total, settled, paid, due, cancelled: bool = False) -> InvoiceStatus:
    """SPEC rules 11 and 20: derived from what is settled and what fell due, never
    stored. ``settled`` is paid, credited, discounted, written off and prepaid;
    ``due`` what the schedule made due before today: the invoice is overdue when
    that is not all settled (settlements cover instalments in due order). An invoice
    a cancelling credit memo took back (``invoice cancel``) is ``cancelled``."""
    if cancelled:
        return InvoiceStatus.CANCELLED
    if total - settled <= 0:
        return InvoiceStatus.PAID
    if due > settled:
        return InvoiceStatus.OVERDUE
    if paid > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN
