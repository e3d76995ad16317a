"""An order's own payment terms (SPEC rule 20): ``order terms ORDER CODE|--clear``.

An order may name a payment terms template that its invoices take instead of the
customer's default. It can be set or cleared on any order not yet finished
(``domain.states.ORDER_ACTIONS["terms"]``); invoices already issued keep the
terms they were issued with (rule 4), the ones issued from then on take the new
ones. Every change is an event on the order's timeline.
"""

from __future__ import annotations

from sqlmodel import Session

from ordercli.books.events import record_event
from ordercli.domain.errors import RuleViolation
from ordercli.domain.states import refusal
from ordercli.models import PaymentTerms, SalesOrder
from ordercli.services.parties.payment_terms import get_terms
from ordercli.services.sales.ordering import get_order


def set_order_terms(*, session: Session, number: str, code: str | None) -> SalesOrder:
    """Give the order the template ``code``, or with None take its own terms off (the
    customer's default holds again)."""
    order = get_order(session=session, number=number, for_update=True)
    refused = refusal("terms", order.status, hold_reason=order.hold_reason)
    if refused:
        raise RuleViolation(f"cannot change the payment terms of order {order.number}: {refused}")
    current = None if order.terms_id is None else session.get(PaymentTerms, order.terms_id)
    if code is None:
        if current is None:
            raise RuleViolation(
                f"order {order.number} has no payment terms of its own to clear",
                hint="its invoices take the customer's terms",
            )
        order.terms_id = None
        message = (
            f"payment terms {current.code} taken off; invoices issued from now on take "
            "the customer's terms"
        )
    else:
        template = get_terms(session=session, code=code)
        if current is not None and current.id == template.id:
            raise RuleViolation(f"order {order.number} already has payment terms {template.code}")
        order.terms_id = template.id
        message = (
            f"payment terms set to {template.code}"
            + (f" (were {current.code})" if current is not None else "")
            + "; invoices issued from now on take them"
        )
    session.add(order)
    record_event(
        session=session,
        subject_kind="order",
        subject_number=order.number,
        action="terms_changed",
        order_id=order.id,
        message=f"order {order.number}: {message}",
    )
    return order
