"""Billing agreements: a customer's standing payment arrangement (SPEC rule 17).

A direct debit mandate, a card-on-file reference, purchase-order terms: it
belongs to one customer, is attached to their orders, and lists the orders
that used it. A cancelled agreement stays on the orders that used it but can
no longer be attached. A direct-debit mandate names the customer's account it
debits (an IBAN, checked when typed), which the e-invoice of an order paid under
it carries (rule 21).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.numbering import next_number
from ordercli.db.queries import by_number, check_limit
from ordercli.domain import identifiers
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.text import clean_text
from ordercli.models import BillingAgreement, Customer, SalesOrder
from ordercli.services.parties.customers import get_customer

ACTIVE = "active"
CANCELLED = "cancelled"


def add_agreement(
    *,
    session: Session,
    customer_code: str,
    method: str,
    reference: str,
    iban: str | None = None,
) -> BillingAgreement:
    """A new active agreement of an active customer; ``iban`` is the account a
    direct-debit mandate debits (checked, stored compact)."""
    method = clean_text(method, what="method", required=True, max_length=100)
    reference = clean_text(reference, what="reference", required=True, max_length=200)
    iban = clean_text(iban, what="IBAN", max_length=100)
    if iban is not None:
        iban = identifiers.check_iban(iban)
    customer = get_customer(session=session, code=customer_code)
    if not customer.active:
        raise RuleViolation(f"customer {customer.code} is inactive")
    twin = session.exec(
        select(BillingAgreement.number).where(
            BillingAgreement.customer_id == customer.id,
            BillingAgreement.method == method,
            BillingAgreement.reference == reference,
            BillingAgreement.status == ACTIVE,
        )
    ).first()
    if twin:
        raise RuleViolation(
            f"{customer.code} already has active agreement {twin} for {method} {reference}"
        )
    assert customer.id is not None  # a stored customer
    agreement = BillingAgreement(
        number=next_number(session=session, kind="billing_agreement"),
        customer_id=customer.id,
        method=method,
        reference=reference,
        status=ACTIVE,
        created_at=now(),
        iban=iban,
    )
    session.add(agreement)
    record_event(
        session=session,
        subject_kind="billing_agreement",
        subject_number=agreement.number,
        action="added",
        message=f"billing agreement {agreement.number} for {customer.code}: {method} {reference}"
        + (f", account {iban}" if iban else ""),
    )
    return agreement


def get_agreement(*, session: Session, number: str, for_update: bool = False) -> BillingAgreement:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("billing agreement is empty")
    query = select(BillingAgreement)
    if for_update:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    agreement = by_number(session, query, BillingAgreement.number, number)
    if agreement is None:
        raise NotFound(
            f"no billing agreement {number!r}",
            hint="`ordercli billing-agreement list` shows the agreements",
        )
    return agreement


def agreement_for_order(*, session: Session, number: str, customer: Customer) -> BillingAgreement:
    """The agreement an order may use: the customer's own, and active (rule 17)."""
    agreement = get_agreement(session=session, number=number, for_update=True)
    if agreement.customer_id != customer.id:
        raise RuleViolation(
            f"billing agreement {agreement.number} belongs to another customer, not {customer.code}"
        )
    if agreement.status != ACTIVE:
        raise RuleViolation(
            f"billing agreement {agreement.number} is cancelled and cannot be attached"
        )
    return agreement


def cancel_agreement(*, session: Session, number: str) -> BillingAgreement:
    agreement = get_agreement(session=session, number=number, for_update=True)
    if agreement.status == CANCELLED:
        raise RuleViolation(f"billing agreement {agreement.number} is already cancelled")
    agreement.status = CANCELLED
    agreement.cancelled_at = now()
    session.add(agreement)
    record_event(
        session=session,
        subject_kind="billing_agreement",
        subject_number=agreement.number,
        action="cancelled",
        message=f"billing agreement {agreement.number} cancelled",
    )
    return agreement


def list_agreements(
    *,
    session: Session,
    customer: str | None = None,
    status: str | None = None,
    limit: int | None = 50,
) -> list[BillingAgreement]:
    check_limit(limit)
    query = select(BillingAgreement)
    if customer:
        query = query.where(
            BillingAgreement.customer_id == get_customer(session=session, code=customer).id
        )
    if status:
        status = status.strip().lower()
        if status not in (ACTIVE, CANCELLED):
            raise InvalidInput(f"unknown billing agreement status {status!r} (active or cancelled)")
        query = query.where(BillingAgreement.status == status)
    query = query.order_by(col(BillingAgreement.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def orders_using(*, session: Session, agreement: BillingAgreement) -> list[SalesOrder]:
    return list(
        session.exec(
            select(SalesOrder)
            .where(SalesOrder.billing_agreement_id == agreement.id)
            .order_by(col(SalesOrder.id))
        )
    )
