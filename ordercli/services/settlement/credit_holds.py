"""Credit holds (SPEC rule 20): set by a dunning level (``dunning.py``), lifted here.

While a customer is on hold, confirming their orders needs ``--override-credit``
(``services/sales/ordering.check_credit_hold``); ``collections release`` lifts the
hold, and the log keeps why it was set and why it was lifted.
"""

from __future__ import annotations

from sqlmodel import Session

from ordercli.books.events import record_event
from ordercli.domain.errors import RuleViolation
from ordercli.domain.text import clean_text
from ordercli.models import Customer
from ordercli.services.parties.customers import get_customer, lock_customer


def release_credit_hold(*, session: Session, customer: str, reason: str) -> Customer:
    """Lift a customer's credit hold (``collections release``), logged with the reason."""
    reason = clean_text(reason, what="--reason", required=True, max_length=500)
    found = lock_customer(session, get_customer(session=session, code=customer))
    if not found.credit_hold:
        raise RuleViolation(f"customer {found.code} is not on credit hold")
    held, found.credit_hold = found.credit_hold, None
    session.add(found)
    record_event(
        session=session,
        subject_kind="customer",
        subject_number=found.code,
        action="credit_hold_released",
        message=f"credit hold released ({held}); reason: {reason}",
    )
    return found
