"""Volume rebates: a customer's agreement, where they stand, and settling a period
(SPEC ``rebate``; rule 20: a rebate posts to its own account).

The rule. A period's *net sales* are the subtotals (net of tax) of the customer's
invoices issued in it, less the subtotals of the credit memos issued in it for the
customer, rebate credit memos excepted, never below zero. Only days the agreement
covers count (from ``valid_from``, up to ``valid_to`` when ended). The rate is that
of the highest tier whose threshold the net sales reach ("from 10,000 on": ``>=``),
and it is given back on *all* of the period's net sales (retroactive, as most
volume rebate agreements are).

Settling issues, per invoice of the period with something left to credit, one
price-only credit memo (a credit by amount: no quantity moves) of the rate times
what is left of the invoice including tax, rounded half-up and capped at what is
left; the credit memo service spreads it over the invoice's lines and tax rates,
so tax is corrected per rate, and posts its net to the rebates account. The
settlement's ``amount`` is the sum of its memos' nets: what was left to credit on
each invoice, not ``rate × net sales`` where an invoice was credited before.
A customer below every threshold is settled too, at rate 0 with no memo, so the
period is closed. A period is settled once per agreement: the series lock taken
first serialises two settlers, and the unique key (agreement, period) holds it
whatever happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ordercli.books.chronology import check_not_future
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.numbering import lock_series, next_number
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import from_minor, pct_from_db
from ordercli.domain.rebates import (
    Period,
    parse_period,
    period_of,
    rebate_units,
    tier_reached,
)
from ordercli.models import (
    CreditMemo,
    Customer,
    Invoice,
    RebateAgreement,
    RebateSettlement,
    RebateTier,
)
from ordercli.services.parties.customers import get_customer
from ordercli.services.settlement.credit_memos import SETTLEMENTS, create_credit_memo
from ordercli.services.settlement.rebate_agreements import tiers_of


def covered(agreement: RebateAgreement, period: Period) -> tuple[date, date]:
    """The days of ``period`` the agreement counts sales on."""
    return max(period.start, agreement.valid_from), min(
        period.end, agreement.valid_to or period.end
    )


def net_sales(session: Session, customer_id: int, start: date, end: date) -> int:
    """Rule above: invoice subtotals less non-rebate credit memo subtotals, ≥ 0."""
    return net_sales_of(session, [customer_id], start, end)[customer_id]


def net_sales_of(
    session: Session, customer_ids: list[int], start: date, end: date
) -> dict[int, int]:
    """``net_sales`` of many customers over one window: two grouped queries."""
    invoiced = dict(
        session.exec(
            select(Invoice.customer_id, func.sum(Invoice.subtotal))
            .where(
                col(Invoice.customer_id).in_(customer_ids),
                col(Invoice.issue_date) >= start,
                col(Invoice.issue_date) <= end,
                # A deposit is no sale: the invoice it is deducted from is (rule 20).
                col(Invoice.kind) != "deposit",
            )
            .group_by(col(Invoice.customer_id))
        ).all()
    )
    credited = dict(
        session.exec(
            select(CreditMemo.customer_id, func.sum(CreditMemo.subtotal))
            .join(Invoice, col(Invoice.id) == CreditMemo.invoice_id)
            .where(
                col(CreditMemo.customer_id).in_(customer_ids),
                col(CreditMemo.rebate_settlement_id).is_(None),
                col(Invoice.kind) != "deposit",
                col(CreditMemo.issue_date) >= start,
                col(CreditMemo.issue_date) <= end,
            )
            .group_by(col(CreditMemo.customer_id))
        ).all()
    )
    return {
        id_: max(0, int(invoiced.get(id_) or 0) - int(credited.get(id_) or 0))
        for id_ in customer_ids
    }


@dataclass
class Standing:
    """Where one agreement's customer stands in one period (units: minor, pct)."""

    agreement: RebateAgreement
    customer: str
    period: Period
    net_sales: int
    tiers: list[tuple[int, int]]
    settlement: RebateSettlement | None = None

    @property
    def reached(self) -> tuple[int, int] | None:
        return tier_reached(self.tiers, self.net_sales)

    @property
    def rate(self) -> int:
        return self.reached[1] if self.reached else 0

    @property
    def rebate(self) -> int:
        return rebate_units(self.net_sales, self.rate)


def rebate_status(
    *, session: Session, period: str | None = None, customer: str | None = None
) -> list[Standing]:
    """Each agreement's customer in ``period`` (default: each agreement's current
    period); agreements of another period kind, or not running then, are left out."""
    asked = parse_period(period) if period else None
    query = select(RebateAgreement, Customer.code).join(
        Customer, col(Customer.id) == RebateAgreement.customer_id
    )
    if customer:
        query = query.where(Customer.id == get_customer(session=session, code=customer).id)
    day = today()
    wanted = []
    for agreement, code in session.exec(
        query.order_by(col(Customer.code), col(RebateAgreement.id))
    ):
        if asked is None:
            if agreement.valid_to is not None and agreement.valid_to < day:
                continue  # ended: it has no current period
            the_period = period_of(agreement.period, day)
        elif asked.kind != agreement.period:
            continue
        else:
            the_period = asked
        start, end = covered(agreement, the_period)
        if start <= end:
            wanted.append((agreement, code, the_period, start, end))
    # Set-based: one pair of queries per window (agreements of a period share one),
    # one for all tiers and one for all settlements.
    sales: dict[tuple[int, date, date], int] = {}
    for start, end in {(start, end) for *_, start, end in wanted}:
        customers = [a.customer_id for a, _, _, s, e in wanted if (s, e) == (start, end)]
        for customer_id, amount in net_sales_of(session, customers, start, end).items():
            sales[(customer_id, start, end)] = amount
    ids = [agreement.id for agreement, *_ in wanted]
    tiers: dict[int | None, list[tuple[int, int]]] = {}
    for tier in session.exec(
        select(RebateTier)
        .where(col(RebateTier.agreement_id).in_(ids))
        .order_by(col(RebateTier.threshold))
    ):
        tiers.setdefault(tier.agreement_id, []).append((tier.threshold, tier.rate))
    settled: dict[tuple[int | None, str], RebateSettlement] = {
        (row.agreement_id, row.period): row
        for row in session.exec(
            select(RebateSettlement).where(col(RebateSettlement.agreement_id).in_(ids))
        )
    }
    return [
        Standing(
            agreement=agreement,
            customer=code,
            period=the_period,
            net_sales=sales[(agreement.customer_id, start, end)],
            tiers=tiers.get(agreement.id, []),
            settlement=settled.get((agreement.id, the_period.label)),
        )
        for agreement, code, the_period, start, end in wanted
    ]


def _settled(session: Session, agreement: RebateAgreement, period: Period):
    return session.exec(
        select(RebateSettlement).where(
            RebateSettlement.agreement_id == agreement.id, RebateSettlement.period == period.label
        )
    ).first()


@dataclass
class SettleResult:
    period: str
    dry_run: bool
    settle_date: date
    settled: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def settle_rebates(
    *,
    session: Session,
    period: str,
    customer: str | None = None,
    dry_run: bool = False,
    settle_date: date | None = None,
    settlement: str | None = None,
) -> SettleResult:
    """Settle every agreement of ``period``'s kind (or ``customer``'s) once.

    A dry run does exactly the same inside a savepoint and rolls it back, so it
    shows the same numbers and refusals and writes nothing."""
    the_period = parse_period(period)
    if settlement is not None and settlement not in SETTLEMENTS:
        raise InvalidInput(f"settlement {settlement!r} must be refund or store_credit")
    day = settle_date or today()
    check_not_future(day, "rebate settlement")
    if the_period.end >= day:
        raise RuleViolation(
            f"{the_period.label} ends {the_period.end}: settle it from "
            f"{the_period.end + timedelta(days=1)}"
        )
    # Serialise settlers before reading who is settled: the second waits here and
    # then finds the first one's settlement (SQLite's BEGIN IMMEDIATE already does).
    lock_series(session=session, kind="rebate_settlement")
    result = SettleResult(period=the_period.label, dry_run=dry_run, settle_date=day)
    savepoint = session.begin_nested() if dry_run else None
    query = select(RebateAgreement, Customer.code).join(
        Customer, col(Customer.id) == RebateAgreement.customer_id
    )
    only = get_customer(session=session, code=customer) if customer else None
    if only is not None:
        query = query.where(RebateAgreement.customer_id == only.id)
    rows = list(session.exec(query.order_by(col(Customer.code), col(RebateAgreement.id))))
    if only is not None and not rows:
        raise RuleViolation(f"{only.code} has no rebate agreement")
    for agreement, code in rows:
        why = _why_not(session, agreement, code, the_period)
        if why is not None:
            if only is not None and (agreement.period == the_period.kind or len(rows) == 1):
                raise RuleViolation(why)
            result.skipped.append({"customer": code, "agreement": agreement.number, "reason": why})
            continue
        result.settled.append(_settle_one(session, agreement, code, the_period, day, settlement))
    if only is not None and not result.settled:
        raise RuleViolation(result.skipped[0]["reason"])
    done = [s["reason"] for s in result.skipped if " was settled by " in s["reason"]]
    if done and not result.settled:
        # Settling the same period again is a mistake to say, not an empty success.
        raise RuleViolation(
            f"{the_period.label} is already settled: " + "; ".join(done),
            hint="`ordercli rebate status --period " + the_period.label + "` shows it",
        )
    if savepoint is not None:
        savepoint.rollback()
    return result


def _why_not(session: Session, agreement: RebateAgreement, code: str, period: Period) -> str | None:
    if agreement.period != period.kind:
        return (
            f"{code}'s agreement {agreement.number} is settled by {agreement.period}, "
            f"not by {period.kind}"
        )
    if period.end < agreement.valid_from:
        return (
            f"{code}'s agreement {agreement.number} starts on {agreement.valid_from}, "
            f"after {period.label}"
        )
    if agreement.valid_to is not None and period.start > agreement.valid_to:
        return (
            f"{code}'s agreement {agreement.number} ended on {agreement.valid_to}, "
            f"before {period.label}"
        )
    done = _settled(session, agreement, period)
    if done is not None:
        return f"{code} {period.label} was settled by {done.number} on {done.settle_date}"
    return None


def _settle_one(
    session: Session,
    agreement: RebateAgreement,
    code: str,
    period: Period,
    day: date,
    settlement: str | None,
) -> dict:
    digits = minor_digits(session)
    start, end = covered(agreement, period)
    sales = net_sales(session, agreement.customer_id, start, end)
    reached = tier_reached(tiers_of(session, agreement), sales)
    rate = reached[1] if reached else 0
    assert agreement.id is not None  # a stored agreement
    row = RebateSettlement(
        number=next_number(session=session, kind="rebate_settlement"),
        agreement_id=agreement.id,
        customer_id=agreement.customer_id,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        net_sales=sales,
        rate=rate,
        amount=0,
        settle_date=day,
        created_at=now(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # Only reachable if the series lock did not serialise (it always should).
        raise RuleViolation(
            f"{code} {period.label} was settled by another command at the same time"
        ) from None
    assert row.id is not None  # flushed
    memos = []
    if rate:
        invoices = session.exec(
            select(Invoice)
            .where(
                Invoice.customer_id == agreement.customer_id,
                col(Invoice.issue_date) >= start,
                col(Invoice.issue_date) <= end,
                col(Invoice.credited) < Invoice.total,
                col(Invoice.kind) != "deposit",
            )
            .order_by(col(Invoice.id))
        ).all()
        for invoice in invoices:
            left = invoice.total - invoice.credited
            amount = min(left, rebate_units(left, rate))
            if amount <= 0:
                continue
            memos.append(
                create_credit_memo(
                    session=session,
                    invoice_number=invoice.number,
                    amount=from_minor(amount, digits),
                    settlement=settlement,
                    reason=f"volume rebate {period.label}: {pct_from_db(rate)}% ({row.number})",
                    issue_date=day,
                    rebate_settlement_id=row.id,
                )
            )
    row.amount = sum(m.subtotal for m in memos)
    session.add(row)
    record_event(
        session=session,
        subject_kind="rebate_settlement",
        subject_number=row.number,
        action="settled",
        message=f"rebate {row.number} for {code} {period.label}: net sales "
        f"{from_minor(sales, digits)}, "
        + (
            f"rate {pct_from_db(rate)}%, credited {from_minor(row.amount, digits)}"
            f" by {', '.join(m.number for m in memos)}"
            if memos
            else "nothing due"
        ),
    )
    return {
        "number": row.number,
        "customer": code,
        "agreement": agreement.number,
        "period": period.label,
        "net_sales": sales,
        "rate": rate,
        "amount": row.amount,
        "tax": sum(m.tax for m in memos),
        "credit_memos": [m.number for m in memos],
    }
