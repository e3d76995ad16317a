"""Plain dicts of volume rebate agreements, where customers stand, and settlements
(SPEC ``rebate``); money as decimal strings' Decimals, rates in percent."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import currency
from ordercli.domain.money import pct_from_db
from ordercli.domain.rebates import next_tier
from ordercli.models import CreditMemo, RebateAgreement, RebateSettlement
from ordercli.services.settlement.rebate_agreements import settlements_of, tiers_of
from ordercli.services.settlement.rebates import SettleResult, Standing
from ordercli.views.reads import customer_code


def _tier(session: Session, tier: tuple[int, int] | None) -> dict | None:
    if tier is None:
        return None
    return {"threshold": _money(session, tier[0]), "rate": pct_from_db(tier[1])}


def settlement_view(session: Session, row: RebateSettlement) -> dict:
    memos = session.exec(
        select(CreditMemo.number)
        .where(CreditMemo.rebate_settlement_id == row.id)
        .order_by(col(CreditMemo.id))
    ).all()
    return {
        "number": row.number,
        "period": row.period,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "net_sales": _money(session, row.net_sales),
        "rate": pct_from_db(row.rate),
        "amount": _money(session, row.amount),
        "settle_date": row.settle_date,
        "credit_memos": list(memos),
    }


def agreement_view(session: Session, agreement: RebateAgreement) -> dict:
    return {
        "number": agreement.number,
        "customer": customer_code(session, agreement.customer_id),
        "period": agreement.period,
        "valid_from": agreement.valid_from,
        "valid_to": agreement.valid_to,
        "status": "ended" if agreement.valid_to is not None else "active",
        "currency": currency(session),
        "tiers": [_tier(session, t) for t in tiers_of(session, agreement)],
        "settlements": [settlement_view(session, s) for s in settlements_of(session, agreement)],
    }


def agreement_views(session: Session, agreements: list[RebateAgreement]) -> list[dict]:
    return [agreement_view(session, a) for a in agreements]


def standing_view(session: Session, standing: Standing) -> dict:
    upcoming = next_tier(standing.tiers, standing.net_sales)
    settled = standing.settlement
    return {
        "customer": standing.customer,
        "agreement": standing.agreement.number,
        "period": standing.period.label,
        "period_start": standing.period.start,
        "period_end": standing.period.end,
        "net_sales": _money(session, standing.net_sales),
        "tier": _tier(session, standing.reached),
        "rate": pct_from_db(standing.rate),
        "rebate": _money(session, standing.rebate),
        "next_tier": None
        if upcoming is None
        else {
            **(_tier(session, upcoming) or {}),
            "needed": _money(session, upcoming[0] - standing.net_sales),
        },
        "settled": settled is not None,
        "settlement": None if settled is None else settled.number,
        "settled_amount": None if settled is None else _money(session, settled.amount),
    }


def settle_view(session: Session, result: SettleResult) -> dict:
    """What ``rebate settle`` did (or, with ``--dry-run``, would do)."""
    return {
        "period": result.period,
        "dry_run": result.dry_run,
        "settle_date": result.settle_date,
        "currency": currency(session),
        "settled": [
            {
                **row,
                "net_sales": _money(session, row["net_sales"]),
                "rate": pct_from_db(row["rate"]),
                "amount": _money(session, row["amount"]),
                "tax": _money(session, row["tax"]),
                "total": _money(session, row["amount"] + row["tax"]),
            }
            for row in result.settled
        ],
        "skipped": result.skipped,
    }
