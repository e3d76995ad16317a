"""Document states and the transitions allowed between them (SPEC rules 5–8).

An order's lifecycle is data here: ``ORDER_ACTIONS`` says, for every action, in
which statuses it is allowed and why it is refused in each other one. The
services refuse with these reasons (``refusal``) and ``order explain`` reads the
same table to say what can happen next, so a rule is written once.
"""

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
    # cancel (rule 7): any order not yet finished, while nothing on it is invoiced or shipped.
    "cancel": {
        OrderStatus.DRAFT: None,
        OrderStatus.CONFIRMED: None,
        OrderStatus.ON_HOLD: None,
        OrderStatus.COMPLETED: "it is completed",
        OrderStatus.CANCELLED: "it is cancelled",
    },
}


def refusal(action: str, status: str, *, hold_reason: str | None = None) -> str | None:
    """Why ``action`` is refused on an order in ``status``, or None when it is allowed."""
    reason = ORDER_ACTIONS[action][OrderStatus(status)]
    return None if reason is None else reason.format(hold_reason=hold_reason)


def allows(action: str, status: str) -> bool:
    return ORDER_ACTIONS[action][OrderStatus(status)] is None


def fulfilled_qty(*, service: bool, shipped: int, invoiced: int, credited: int) -> int:
    """How much of an order line has reached the customer (rules 12, 14).

    Goods are fulfilled by shipping them. A service is never shipped: it is delivered
    by invoicing it, so what invoicing delivered is what is invoiced and not credited.
    A credited quantity of a service was billed in error or is not to be delivered
    (a service is never returned), so nothing is both credited and delivered without
    being billed."""
    return invoiced - credited if service else shipped


def qty_to_fulfil(*, service: bool, qty: int, credited: int) -> int:
    """What an order line has to fulfil: a credited quantity of a service leaves it."""
    return qty - credited if service else qty


def line_finished(
    *, qty: int, invoiced: int, shipped: int, credited: int = 0, service: bool = False
) -> bool:
    """An order line is finished when it is fully invoiced and fully fulfilled: goods
    shipped, a service delivered by invoicing it (rules 8, 12)."""
    fulfilled = fulfilled_qty(
        service=service, shipped=shipped, invoiced=invoiced, credited=credited
    )
    return invoiced >= qty and fulfilled >= qty_to_fulfil(
        service=service, qty=qty, credited=credited
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
