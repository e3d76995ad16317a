"""Collections runs: dunning notices, their fees and interest, credit holds (SPEC rule 20).

``collections run`` looks at every open instalment past its due date
(``overdue.py``) and at the dunning levels (``dunning_levels.py``):

* Each overdue instalment reaches the highest level whose days it is past due and
  that it has not had yet. Levels are not walked one by one: an instalment 40 days
  overdue that never had a notice gets the level of 35 days at once, not a friendly
  first reminder; the levels it passed are not sent afterwards either. The unique
  key (instalment, level) of ``dunning_notice_item`` makes sure no instalment gets
  the same level twice, whoever runs what.
* A customer with such instalments gets one notice (number series
  ``dunning_notice``, ``DN-``), at the highest level among them; its items are those
  instalments, each with the level it reached. Instalments overdue that reach no new
  level (already reminded at their level, or not yet due for the first one) are
  shown on the letter but are not items.
* The notice's level sets its fee and its yearly interest rate. Interest is charged
  per item: what is open of it × rate ÷ 365 × days, rounded half-up to the minor
  unit, where the days run from its due date, or from the last notice that charged
  it interest, to the notice date, so no day is charged twice. A fee or interest
  above zero becomes a charge invoice (``services/sales/charges.py``) of the notice
  date. Charge invoices are overdue like any invoice and shown on later letters, but
  never reach a level, so they earn no notice, fee or interest of their own (no fees
  on fees, no interest on interest).
* A level with a credit hold puts the customer on hold with a reason naming the
  notice (a customer already on hold keeps the reason they have); confirming their
  orders then needs ``--override-credit`` (``ordering.confirm_order``) until
  ``collections release``.

A dry run plans the same and writes nothing. A real run writes everything in the
caller's one transaction; running again the same day finds nothing new to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from ordercli.books.chronology import check_dated, check_not_future
from ordercli.books.clock import now, today
from ordercli.books.events import record_events
from ordercli.books.numbering import lock_series, next_numbers
from ordercli.books.settings import minor_digits
from ordercli.db.bulk import bulk_insert
from ordercli.domain.money import PCT_WHOLE, from_minor, pct_text, share_units
from ordercli.models import (
    Customer,
    DunningLevel,
    DunningNotice,
    DunningNoticeItem,
    Invoice,
    SalesOrder,
)
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales.charges import (
    FEE_SKU,
    INTEREST_SKU,
    Charge,
    ChargeLine,
    Issued,
    issue_charges,
)
from ordercli.services.settlement.dunning_levels import require_levels
from ordercli.services.settlement.overdue import overdue_rows

DAYS_A_YEAR = 365


@dataclass
class Item:
    """An overdue instalment on a notice (or, with ``level`` 0, shown beside its items)."""

    instalment_id: int
    invoice_id: int
    invoice: str
    kind: str
    position: int
    due_date: date
    open: int
    days_overdue: int
    level: int = 0
    had: int = 0
    interest: int = 0
    interest_days: int = 0


@dataclass
class Notice:
    """One customer's notice, planned or written."""

    customer_id: int
    customer: str
    name: str
    email: str | None
    terms_days: int
    notice_date: date
    level: int
    level_name: str
    final: bool
    template: str | None
    items: list[Item]
    others: list[Item] = field(default_factory=list)
    fee: int = 0
    interest_pct: int = 0
    order_id: int = 0
    order_number: str = ""
    order_date: date | None = None
    holds: bool = False  # its level puts the customer on credit hold
    held_before: str | None = None  # the customer's hold reason before this notice
    number: str | None = None
    notice_id: int | None = None
    charge: Issued | None = None
    sent_to: str | None = None
    sent_at: datetime | None = None
    recorded_interest: int | None = None  # a recorded notice's (its items keep none)

    @property
    def interest(self) -> int:
        if self.recorded_interest is not None:
            return self.recorded_interest
        return sum(item.interest for item in self.items)

    @property
    def overdue(self) -> int:
        """What the notice's items have open."""
        return sum(item.open for item in self.items)

    @property
    def all_overdue(self) -> int:
        return self.overdue + sum(item.open for item in self.others)

    @property
    def hold_reason(self) -> str | None:
        """What the customer's credit hold says when this notice set it."""
        if not self.holds or self.held_before or self.number is None:
            return None
        return f"{self.level_name} {self.number} of {self.notice_date} (level {self.level})"


@dataclass
class Run:
    on: date
    dry_run: bool
    levels: list[DunningLevel]
    notices: list[Notice]


def run_collections(
    *,
    session: Session,
    on: date | None = None,
    customer: str | None = None,
    dry_run: bool = False,
) -> Run:
    """Plan (``dry_run``) or write the notices due on ``on`` (default today)."""
    on = on or today()
    check_not_future(on, "dunning notice")
    levels = require_levels(session=session)
    customer_id = None if customer is None else get_customer(session=session, code=customer).id
    if not dry_run:
        # Two runs at once (PostgreSQL) go one after the other: the second finds the
        # first one's notices and has nothing left to send.
        lock_series(session=session, kind="dunning_notice")
    notices = plan(session, on=on, levels=levels, customer_id=customer_id)
    if notices:
        check_dated(session, what="dunning notice", on=on, series="dunning_notice")
    if notices and not dry_run:
        _write(session, on, notices)
    return Run(on=on, dry_run=dry_run, levels=levels, notices=notices)


def plan(
    session: Session, *, on: date, levels: Sequence[DunningLevel], customer_id: int | None
) -> list[Notice]:
    """The notices due on ``on``, one per customer, by customer code; one query."""
    overdue = overdue_rows(session, on=on, levels=levels, customer_id=customer_id)
    o = overdue.c
    rows = session.execute(
        select(
            o.instalment_id,
            o.invoice_id,
            o.customer_id,
            o.position,
            o.due_date,
            o.open,
            o.reached,
            o.had,
            o.interest_from,
            col(Invoice.number).label("invoice_number"),
            col(Invoice.kind),
            col(Invoice.order_id),
            col(SalesOrder.number).label("order_number"),
            col(SalesOrder.order_date),
            col(Customer.code),
            col(Customer.name),
            col(Customer.email),
            col(Customer.terms_days),
            col(Customer.credit_hold),
        )
        .select_from(overdue)
        .join(Invoice, col(Invoice.id) == o.invoice_id)
        .join(SalesOrder, col(SalesOrder.id) == Invoice.order_id)
        .join(Customer, col(Customer.id) == o.customer_id)
        .order_by(col(Customer.code), o.due_date, o.invoice_id, o.position)
    ).all()
    by_level = {row.level: row for row in levels}
    notices: list[Notice] = []
    group: list = []
    for row in rows:
        if group and group[0].customer_id != row.customer_id:
            notices += _notice(group, on, by_level)
            group = []
        group.append(row)
    if group:
        notices += _notice(group, on, by_level)
    return notices


def _notice(rows: list, on: date, levels: dict[int, DunningLevel]) -> list[Notice]:
    """The notice of one customer's overdue rows, if any of them reaches a new level."""
    rising = [row for row in rows if row.reached > row.had]
    if not rising:
        return []
    top = max(row.reached for row in rising)
    level = levels[top]
    oldest = rising[0]  # rows come by due date: the oldest overdue invoice's order
    first = rows[0]
    notice = Notice(
        customer_id=first.customer_id,
        customer=first.code,
        name=first.name,
        email=first.email,
        terms_days=first.terms_days,
        notice_date=on,
        level=top,
        level_name=level.name,
        final=top == max(levels),
        template=level.template,
        items=[],
        fee=level.fee,
        interest_pct=level.interest_pct,
        order_id=oldest.order_id,
        order_number=oldest.order_number,
        order_date=oldest.order_date,
        holds=level.credit_hold,
        held_before=first.credit_hold,
    )
    for row in rows:
        item = Item(
            instalment_id=row.instalment_id,
            invoice_id=row.invoice_id,
            invoice=row.invoice_number,
            kind=row.kind,
            position=row.position,
            due_date=row.due_date,
            open=int(row.open),  # PostgreSQL sums integers as numeric
            days_overdue=(on - row.due_date).days,
            had=row.had,
        )
        if row.reached <= row.had:
            notice.others.append(item)
            continue
        item.level = row.reached
        if level.interest_pct:
            start = max(row.due_date, row.interest_from or row.due_date)
            item.interest_days = (on - start).days
            item.interest = share_units(
                item.open, level.interest_pct * item.interest_days, PCT_WHOLE * DAYS_A_YEAR
            )
        notice.items.append(item)
    return [notice]


def _charge(notice: Notice, number: str, digits: int) -> Charge:
    invoices = ", ".join(dict.fromkeys(item.invoice for item in notice.items))
    lines = []
    if notice.fee:
        lines.append(
            ChargeLine(
                FEE_SKU, f"Dunning fee: {notice.level_name} {number} ({invoices})", notice.fee
            )
        )
    if notice.interest:
        lines.append(
            ChargeLine(
                INTEREST_SKU,
                f"Interest at {pct_text(notice.interest_pct)} % a year on "
                f"{from_minor(notice.overdue, digits)} overdue, {notice.level_name} {number} "
                f"({invoices})",
                notice.interest,
            )
        )
    assert notice.order_date is not None  # every planned notice names its order
    return Charge(
        customer_id=notice.customer_id,
        customer_code=notice.customer,
        order_id=notice.order_id,
        order_number=notice.order_number,
        order_date=notice.order_date,
        terms_days=notice.terms_days,
        lines=lines,
        reason=f"dunning notice {number}",
    )


def _write(session: Session, on: date, notices: list[Notice]) -> None:
    """Number and record the notices, their items, charge invoices, holds and events."""
    digits = minor_digits(session)
    numbers = next_numbers(session=session, kind="dunning_notice", count=len(notices))
    for notice, number in zip(notices, numbers, strict=True):
        notice.number = number
    charged = [notice for notice in notices if notice.fee or notice.interest]
    issued = issue_charges(
        session=session,
        charges=[_charge(notice, notice.number or "", digits) for notice in charged],
        on=on,
    )
    for notice, invoice in zip(charged, issued, strict=True):
        notice.charge = invoice
    moment = now()
    bulk_insert(
        session,
        DunningNotice.__table__,  # type: ignore[attr-defined]  # set by the mapping
        {
            "number": numbers,
            "customer_id": [notice.customer_id for notice in notices],
            "level": [notice.level for notice in notices],
            "notice_date": on,
            "overdue": [notice.overdue for notice in notices],
            "fee": [notice.fee for notice in notices],
            "interest": [notice.interest for notice in notices],
            "charge_invoice_id": [
                None if notice.charge is None else notice.charge.invoice_id for notice in notices
            ],
            "sent_to": None,
            "sent_at": None,
            "created_at": moment,
        },
    )
    ids = dict(
        session.execute(
            select(col(DunningNotice.number), col(DunningNotice.id)).where(
                col(DunningNotice.number).in_(numbers)
            )
        ).all()
    )
    items = []
    for notice in notices:
        notice.notice_id = ids[notice.number]
        items += [(notice.notice_id, item) for item in notice.items]
    bulk_insert(
        session,
        DunningNoticeItem.__table__,  # type: ignore[attr-defined]  # as above
        {
            "notice_id": [notice_id for notice_id, _ in items],
            "invoice_id": [item.invoice_id for _, item in items],
            "instalment_id": [item.instalment_id for _, item in items],
            "level": [item.level for _, item in items],
            "open_amount": [item.open for _, item in items],
            "due_date": [item.due_date for _, item in items],
            "days_overdue": [item.days_overdue for _, item in items],
        },
    )
    holds = [notice for notice in notices if notice.hold_reason]
    if holds:
        session.connection().execute(
            update(Customer.__table__)  # type: ignore[attr-defined]  # as above
            .where(
                Customer.__table__.c.id == bindparam("customer"),  # type: ignore[attr-defined]
                Customer.__table__.c.credit_hold.is_(None),  # type: ignore[attr-defined]
            )
            .values(credit_hold=bindparam("reason")),
            [{"customer": n.customer_id, "reason": n.hold_reason} for n in holds],
        )
    events = [
        {
            "subject_kind": "dunning_notice",
            "subject_number": notice.number,
            "action": "issued",
            "order_id": notice.order_id,
            "message": f"{notice.level_name} {notice.number} (level {notice.level}) to "
            f"{notice.customer}: {len(notice.items)} instalment(s), "
            f"{from_minor(notice.overdue, digits)} overdue"
            + (f", charged on {notice.charge.number}" if notice.charge else ""),
        }
        for notice in notices
    ]
    events += [
        {
            "subject_kind": "customer",
            "subject_number": notice.customer,
            "action": "credit_hold",
            "message": f"customer {notice.customer} put on credit hold: {notice.hold_reason}",
        }
        for notice in holds
    ]
    record_events(session=session, events=events)
    # Customer rows this session already holds show the hold just set.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Customer) and any(n.customer_id == instance.id for n in holds):
            session.expire(instance, ["credit_hold"])
