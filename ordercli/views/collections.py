"""Dunning levels and notices as ``--json`` shows them and letters print them (rule 20).

Money is ``Decimal`` at the currency's minor digits, percentages ``Decimal``; the
CLI and the letter templates format them and do no arithmetic of their own.
"""

from __future__ import annotations

from sqlmodel import Session

from ordercli.books.settings import currency, minor_digits
from ordercli.domain.money import from_minor, pct_from_db
from ordercli.models import DunningLevel
from ordercli.services.settlement.dunning import Item, Notice, Run


def level_view(session: Session, row: DunningLevel) -> dict:
    digits = minor_digits(session)
    return {
        "level": row.level,
        "name": row.name,
        "days": row.days_overdue,
        "fee": from_minor(row.fee, digits),
        "interest_pct": pct_from_db(row.interest_pct),
        "credit_hold": row.credit_hold,
        "template": row.template,
    }


def level_views(session: Session, rows: list[DunningLevel]) -> list[dict]:
    return [level_view(session, row) for row in rows]


def _item_view(item: Item, digits: int) -> dict:
    return {
        "invoice": item.invoice,
        "instalment": item.position,
        "kind": item.kind,
        "due_date": item.due_date,
        "open": from_minor(item.open, digits),
        "days_overdue": item.days_overdue,
        "level": item.level or None,
        "had_level": item.had or None,
        "interest": from_minor(item.interest, digits),
        "interest_days": item.interest_days,
    }


def notice_views(session: Session, notices: list[Notice]) -> list[dict]:
    code = currency(session)
    return [notice_view(session, notice, code) for notice in notices]


def notice_view(session: Session, notice: Notice, currency_code: str | None = None) -> dict:
    """A notice, planned (no number yet) or recorded."""
    digits = minor_digits(session)
    charges = notice.fee + notice.interest
    if notice.number is None:
        hold = "would put on credit hold" if notice.holds and not notice.held_before else None
    else:
        hold = notice.hold_reason
    return {
        "number": notice.number,
        "customer": notice.customer,
        "name": notice.name,
        "email": notice.email,
        "date": notice.notice_date,
        "level": notice.level,
        "level_name": notice.level_name,
        "final": notice.final,
        "currency": currency_code or currency(session),
        "overdue": from_minor(notice.overdue, digits),
        "also_overdue": from_minor(notice.all_overdue - notice.overdue, digits),
        "fee": from_minor(notice.fee, digits),
        "interest_pct": pct_from_db(notice.interest_pct),
        "interest": from_minor(notice.interest, digits),
        "charges": from_minor(charges, digits),
        "charge_invoice": None if notice.charge is None else notice.charge.number,
        "charge_due_date": None if notice.charge is None else notice.charge.due_date,
        "to_pay": from_minor(notice.all_overdue + charges, digits),
        "order": notice.order_number or None,
        "credit_hold": hold,
        "holds": notice.holds,
        "items": [_item_view(item, digits) for item in notice.items],
        "others": [_item_view(item, digits) for item in notice.others],
        "sent_to": notice.sent_to,
        "sent_at": notice.sent_at,
    }


def run_view(session: Session, run: Run) -> dict:
    notices = notice_views(session, run.notices)
    digits = minor_digits(session)
    return {
        "date": run.on,
        "dry_run": run.dry_run,
        "currency": currency(session),
        "levels": len(run.levels),
        "notices": notices,
        "totals": {
            "notices": len(notices),
            "overdue": from_minor(sum(n.overdue for n in run.notices), digits),
            "charges": from_minor(sum(n.fee + n.interest for n in run.notices), digits),
        },
    }
