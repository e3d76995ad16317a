"""Volume rebate agreements: per customer, one at a time, a period kind and tiers
(SPEC ``rebate``); ``rebates.py`` settles them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.numbering import next_number
from ordercli.books.settings import minor_digits
from ordercli.db.queries import by_number, check_limit
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import pct_to_db, to_minor
from ordercli.domain.rebates import check_tiers, parse_kind, parse_tier
from ordercli.models import RebateAgreement, RebateSettlement, RebateTier
from ordercli.services.parties.customers import get_customer


def add_agreement(
    *,
    session: Session,
    customer_code: str,
    period: str,
    tiers: list[str],
    valid_from: date | None = None,
) -> RebateAgreement:
    """A customer's volume rebate from ``valid_from`` (default today); one at a time."""
    kind = parse_kind(period)
    digits = minor_digits(session)
    parsed = check_tiers([parse_tier(text, digits) for text in tiers])
    customer = get_customer(session=session, code=customer_code)
    if not customer.active:
        raise RuleViolation(f"customer {customer.code} is inactive")
    start = valid_from or today()
    current = session.exec(
        select(RebateAgreement)
        .where(
            RebateAgreement.customer_id == customer.id,
            (col(RebateAgreement.valid_to).is_(None)) | (col(RebateAgreement.valid_to) >= start),
        )
        .order_by(col(RebateAgreement.id))
    ).first()
    if current is not None:
        raise RuleViolation(
            f"{customer.code} already has rebate agreement {current.number} from "
            f"{current.valid_from}"
            + (f" to {current.valid_to}" if current.valid_to else "")
            + ": one agreement at a time",
            hint=f"`ordercli rebate end {current.number} --to DATE` ends it",
        )
    assert customer.id is not None  # a stored customer
    agreement = RebateAgreement(
        number=next_number(session=session, kind="rebate_agreement"),
        customer_id=customer.id,
        period=kind,
        valid_from=start,
        created_at=now(),
    )
    session.add(agreement)
    session.flush()
    assert agreement.id is not None  # flushed
    for threshold, rate in parsed:
        session.add(
            RebateTier(
                agreement_id=agreement.id,
                threshold=to_minor(threshold, digits),
                rate=pct_to_db(rate),
            )
        )
    record_event(
        session=session,
        subject_kind="rebate_agreement",
        subject_number=agreement.number,
        action="added",
        message=f"rebate agreement {agreement.number} for {customer.code}, by {kind}: "
        + ", ".join(f"{rate}% from {threshold}" for threshold, rate in parsed),
    )
    return agreement


def end_agreement(
    *, session: Session, number: str, valid_to: date | None = None
) -> RebateAgreement:
    """End an agreement on ``valid_to`` (default today): later sales earn nothing under it."""
    agreement = get_agreement(session=session, number=number, for_update=True)
    end = valid_to or today()
    if agreement.valid_to is not None:
        raise RuleViolation(
            f"rebate agreement {agreement.number} already ended on {agreement.valid_to}"
        )
    if end < agreement.valid_from:
        raise RuleViolation(
            f"rebate agreement {agreement.number} starts on {agreement.valid_from}: "
            f"it cannot end before that, on {end}"
        )
    settled = session.exec(
        select(func.max(RebateSettlement.period_end)).where(
            RebateSettlement.agreement_id == agreement.id
        )
    ).one()
    if settled is not None and end < settled:
        raise RuleViolation(
            f"rebate agreement {agreement.number} is settled up to {settled}: "
            f"it cannot end before that, on {end}"
        )
    agreement.valid_to = end
    session.add(agreement)
    record_event(
        session=session,
        subject_kind="rebate_agreement",
        subject_number=agreement.number,
        action="ended",
        message=f"rebate agreement {agreement.number} ends on {end}",
    )
    return agreement


def get_agreement(*, session: Session, number: str, for_update: bool = False) -> RebateAgreement:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("rebate agreement is empty")
    query = select(RebateAgreement)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    agreement = by_number(session, query, RebateAgreement.number, number)
    if agreement is None:
        raise NotFound(
            f"no rebate agreement {number!r}", hint="`ordercli rebate list` shows the agreements"
        )
    return agreement


def list_agreements(
    *, session: Session, customer: str | None = None, limit: int | None = 50
) -> list[RebateAgreement]:
    check_limit(limit)
    query = select(RebateAgreement)
    if customer:
        query = query.where(
            RebateAgreement.customer_id == get_customer(session=session, code=customer).id
        )
    query = query.order_by(col(RebateAgreement.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def tiers_of(session: Session, agreement: RebateAgreement) -> list[tuple[int, int]]:
    """(threshold units, rate units), lowest threshold first."""
    return [
        (t.threshold, t.rate)
        for t in session.exec(
            select(RebateTier)
            .where(RebateTier.agreement_id == agreement.id)
            .order_by(col(RebateTier.threshold))
        )
    ]


def settlements_of(session: Session, agreement: RebateAgreement) -> list[RebateSettlement]:
    return list(
        session.exec(
            select(RebateSettlement)
            .where(RebateSettlement.agreement_id == agreement.id)
            .order_by(col(RebateSettlement.period_start))
        )
    )
