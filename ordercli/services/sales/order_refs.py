"""The buyer's references on an order (SPEC rule 21): ``order refs ORDER``.

A buyer may want its own references on every invoice: the buyer reference (EN 16931
BT-10; a German public buyer's Leitweg-ID) and its purchase-order number (BT-13).
Both are given with ``order new`` or changed later with ``order refs`` while the
order still has invoices to come: any order not completed or cancelled with
something left to invoice. An order without a buyer reference of its own takes the
customer's. Invoices already issued keep the references they were issued with (rule
4); the ones issued from then on quote the new ones. Every change is an event on the
order's timeline.
"""

from __future__ import annotations

from sqlmodel import Session

from ordercli.books.events import record_event
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.states import BillingStatus, refusal
from ordercli.models import SalesOrder
from ordercli.services.sales.ordering import (
    billing_status,
    get_order,
    order_lines,
    reference_value,
)

# Field -> how messages name it.
REFERENCES = {"buyer_reference": "buyer reference", "purchase_order": "purchase order"}


def set_order_refs(
    *,
    session: Session,
    number: str,
    buyer_reference: str | None = None,
    purchase_order: str | None = None,
) -> SalesOrder:
    """Change the references given (None: leave it; empty: clear it) on an order with
    invoices to come."""
    given = {
        field: value
        for field, value in {
            "buyer_reference": buyer_reference,
            "purchase_order": purchase_order,
        }.items()
        if value is not None
    }
    if not given:
        raise InvalidInput("nothing to change: give --buyer-reference, --po or both (empty clears)")
    wanted = {
        field: reference_value(value, what=REFERENCES[field]) for field, value in given.items()
    }
    order = get_order(session=session, number=number, for_update=True)
    # The same orders as payment terms: any not completed or cancelled (rule 20's row).
    refused = refusal("terms", order.status, hold_reason=order.hold_reason)
    lines = order_lines(session=session, order=order)
    if refused is None and lines and billing_status(lines) is BillingStatus.INVOICED:
        refused = "everything on it is invoiced"
    if refused:
        raise RuleViolation(
            f"cannot change the references of order {order.number}: {refused}",
            hint="invoices already issued keep the references they were issued with",
        )
    said = []
    for field, value in wanted.items():
        before = getattr(order, field)
        if value == before:
            continue
        setattr(order, field, value)
        what = REFERENCES[field]
        if value is None:
            said.append(f"{what} cleared (was {before})")
        else:
            said.append(f"{what} set to {value}" + (f" (was {before})" if before else ""))
    if not said:
        raise RuleViolation(f"order {order.number} already has these references")
    session.add(order)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="refs_changed",
        order_id=order.id,
        message=f"order {order.number}: {'; '.join(said)}; invoices issued from now on quote them",
    )
    return order
