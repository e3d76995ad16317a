"""The collections worklist (``collections list``): who owes what overdue, and what next.

Per customer with an open instalment past its due date: what is overdue, what they
owe in all, the oldest due date and how many days ago it was, their last notice,
the next step (the level a run would send now, or the level and day of the next
one) and their credit hold.

Set-based: the overdue instalments (``services/settlement/overdue.py``: a window
``SUM`` over each invoice's instalments against what it has settled) are grouped per
customer in one statement, which also joins each customer's last notice; each
customer's whole open balance comes from one grouped journal query per 500 customers
(``books.journal.customer_positions``). Nothing is read per customer.

``--as-of DATE`` shows the worklist as it stood at the end of that day: what the
journal says invoices had settled by then, and the notices dated by then.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from ordercli.books.clock import today
from ordercli.books.journal import customer_positions
from ordercli.books.settings import currency, minor_digits
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import from_minor
from ordercli.models import Customer, DunningLevel, DunningNotice
from ordercli.services.parties.customers import get_customer
from ordercli.services.settlement.dunning_levels import list_levels
from ordercli.services.settlement.overdue import overdue_rows


def worklist(*, session: Session, as_of: date | None = None, customer: str | None = None) -> dict:
    """The worklist at the end of ``as_of`` (default today), most overdue first."""
    current = today()
    if as_of is not None and as_of > current:
        raise InvalidInput(f"--as-of {as_of} is in the future (today is {current})")
    on = as_of or current
    customer_id = None if customer is None else get_customer(session=session, code=customer).id
    levels = list_levels(session=session)
    overdue = overdue_rows(
        session, on=on, levels=levels, customer_id=customer_id, as_of=as_of is not None
    )
    o = overdue.c
    standing = case((o.reached > o.had, o.reached), else_=o.had)
    # Per level, the oldest due date of an instalment still below it: it reaches the
    # level that many days after that date.
    below = [
        func.min(case((standing < row.level, o.due_date))).label(f"below_{row.level}")
        for row in levels
    ]
    grouped = (
        select(
            o.customer_id,
            func.sum(o.open).label("overdue"),
            func.count().label("instalments"),
            func.min(o.due_date).label("oldest"),
            func.max(case((o.reached > o.had, o.reached), else_=0)).label("due_level"),
            *below,
        )
        .group_by(o.customer_id)
        .subquery("grouped")
    )
    g = grouped.c
    latest = (
        select(
            col(DunningNotice.customer_id).label("customer_id"),
            func.max(DunningNotice.id).label("id"),
        )
        .where(col(DunningNotice.notice_date) <= on)
        .group_by(col(DunningNotice.customer_id))
        .subquery("latest")
    )
    rows = session.execute(
        select(
            *g,
            col(Customer.code),
            col(Customer.name),
            col(Customer.email),
            col(Customer.credit_hold),
            col(DunningNotice.number),
            col(DunningNotice.level),
            col(DunningNotice.notice_date),
        )
        .join(Customer, col(Customer.id) == g.customer_id)
        .outerjoin(latest, latest.c.customer_id == g.customer_id)
        .outerjoin(DunningNotice, col(DunningNotice.id) == latest.c.id)
        .order_by(g.oldest, col(Customer.code))
    ).all()
    digits = minor_digits(session)
    positions = customer_positions(
        session=session, customer_ids=[row.customer_id for row in rows], as_of=on
    )
    names = {row.level: row.name for row in levels}
    customers = []
    for row in rows:
        level, when = _next_step(row, levels, on)
        customers.append(
            {
                "customer": row.code,
                "name": row.name,
                "email": row.email,
                "overdue": from_minor(row.overdue, digits),
                "open": from_minor(positions.get(row.customer_id, (0, 0))[0], digits),
                "instalments": row.instalments,
                "oldest_due_date": row.oldest,
                "days_overdue": (on - row.oldest).days,
                "last_notice": None
                if row.number is None
                else {"number": row.number, "level": row.level, "date": row.notice_date},
                "next_level": level,
                "next_level_name": names.get(level) if level else None,
                "next_date": when,
                "next_step": _step_text(level, when, on, names, bool(levels)),
                "credit_hold": row.credit_hold,
            }
        )
    zero = from_minor(0, digits)
    return {
        "as_of": on,
        "currency": currency(session),
        "levels": len(levels),
        "customers": customers,
        "totals": {
            "customers": len(customers),
            "overdue": sum((c["overdue"] for c in customers), zero),
            "open": sum((c["open"] for c in customers), zero),
        },
    }


def _next_step(row, levels: list[DunningLevel], on: date) -> tuple[int | None, date | None]:
    """The level a run would send now, or the next level and the day it falls due."""
    if row.due_level:
        return row.due_level, on
    found: tuple[date, int] | None = None
    for level in levels:
        oldest = getattr(row, f"below_{level.level}")
        if oldest is None:
            continue
        when = oldest + timedelta(days=level.days_overdue)
        # The earliest day wins; on the same day, the higher level (the notice's level).
        if found is None or (when, -level.level) < (found[0], -found[1]):
            found = (when, level.level)
    return (None, None) if found is None else (found[1], found[0])


def _step_text(
    level: int | None, when: date | None, on: date, names: dict[int, str], has_levels: bool
) -> str:
    if not has_levels:
        return "no dunning levels set"
    if level is None or when is None:
        return "highest level reached"
    if when <= on:
        return f"level {level} ({names[level]}) now"
    return f"level {level} ({names[level]}) on {when}"
