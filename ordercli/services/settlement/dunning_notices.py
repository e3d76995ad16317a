"""Dunning notices as recorded: found by number, read back whole, still to be emailed.

A recorded notice is read back into the same ``dunning.Notice`` a run plans, so
its letter is rendered the same way when it is written again
(``collections letter``) or emailed by a later ``collections run --send`` of the
same day (after a mail failure). Its items are as recorded; the instalments shown
beside them (``others``) are a run's view of the day and are not kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.db.lookup import chunks
from ordercli.db.queries import by_number
from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.models import (
    Customer,
    DunningLevel,
    DunningNotice,
    DunningNoticeItem,
    Invoice,
    InvoiceInstalment,
    SalesOrder,
)
from ordercli.services.sales.charges import Issued
from ordercli.services.settlement.dunning import Item, Notice


def get_notice(*, session: Session, number: str) -> DunningNotice:
    if not number.strip():
        raise InvalidInput("give a dunning notice number, e.g. DUN-00001")
    found = by_number(session, select(DunningNotice), col(DunningNotice.number), number.strip())
    if found is None:
        raise NotFound(
            f"no dunning notice {number.strip()}",
            hint="`ordercli collections list` shows each customer's last notice",
        )
    return found


def unsent(*, session: Session, on: date, customer_id: int | None = None) -> list[DunningNotice]:
    """The notices dated ``on`` that were not emailed yet, in number order."""
    query = select(DunningNotice).where(
        col(DunningNotice.notice_date) == on, col(DunningNotice.sent_at).is_(None)
    )
    if customer_id is not None:
        query = query.where(col(DunningNotice.customer_id) == customer_id)
    return list(session.scalars(query.order_by(col(DunningNotice.id))))


def stored(session: Session, notices: Iterable[DunningNotice]) -> list[Notice]:
    """The recorded notices as ``Notice``s, with a handful of queries for any number."""
    notices = list(notices)
    ids = [n.id for n in notices if n.id is not None]
    items: dict[int, list[Item]] = {}
    for chunk in chunks(ids):
        rows = session.execute(
            select(
                col(DunningNoticeItem.notice_id),
                col(DunningNoticeItem.instalment_id),
                col(DunningNoticeItem.invoice_id),
                col(Invoice.number),
                col(Invoice.kind),
                col(InvoiceInstalment.position),
                col(DunningNoticeItem.due_date),
                col(DunningNoticeItem.open_amount),
                col(DunningNoticeItem.days_overdue),
                col(DunningNoticeItem.level),
            )
            .join(Invoice, col(Invoice.id) == DunningNoticeItem.invoice_id)
            .join(InvoiceInstalment, col(InvoiceInstalment.id) == DunningNoticeItem.instalment_id)
            .where(col(DunningNoticeItem.notice_id).in_(chunk))
            .order_by(
                col(DunningNoticeItem.notice_id),
                col(DunningNoticeItem.due_date),
                col(DunningNoticeItem.invoice_id),
                col(InvoiceInstalment.position),
            )
        ).all()
        for notice_id, inst, inv, number, kind, position, due, left, days, level in rows:
            items.setdefault(notice_id, []).append(
                Item(inst, inv, number, kind, position, due, left, days, level=level)
            )
    customers = {
        c.id: c
        for chunk in chunks(sorted({n.customer_id for n in notices}))
        for c in session.scalars(select(Customer).where(col(Customer.id).in_(chunk)))
    }
    levels = {row.level: row for row in session.scalars(select(DunningLevel))}
    top = max(levels, default=0)
    charges: dict[int | None, Invoice] = {}
    for chunk in chunks(sorted({n.charge_invoice_id for n in notices if n.charge_invoice_id})):
        charges.update(
            (v.id, v) for v in session.scalars(select(Invoice).where(col(Invoice.id).in_(chunk)))
        )
    orders = _orders(session, [i for found in items.values() for i in found])
    found_notices = []
    for notice in notices:
        customer = customers[notice.customer_id]
        level = levels.get(notice.level)
        mine = items.get(notice.id or 0, [])
        order_id, order_number, order_date = orders.get(
            mine[0].invoice_id if mine else 0, (0, "", None)
        )
        charge = charges.get(notice.charge_invoice_id or 0)
        found_notices.append(
            Notice(
                customer_id=notice.customer_id,
                customer=customer.code,
                name=customer.name,
                email=customer.email,
                terms_days=customer.terms_days,
                notice_date=notice.notice_date,
                level=notice.level,
                level_name=level.name if level else f"Level {notice.level}",
                final=notice.level >= top,
                template=level.template if level else None,
                items=mine,
                fee=notice.fee,
                interest_pct=level.interest_pct if level else 0,
                order_id=order_id,
                order_number=order_number,
                order_date=order_date,
                holds=bool(level and level.credit_hold),
                number=notice.number,
                notice_id=notice.id,
                charge=None
                if charge is None or charge.id is None
                else Issued(charge.id, charge.number, charge.total, charge.due_date),
                sent_to=notice.sent_to,
                sent_at=notice.sent_at,
                recorded_interest=notice.interest,
            )
        )
    return found_notices


def _orders(session: Session, items: list[Item]) -> dict[int, tuple[int, str, date]]:
    """The order of each item's invoice, by invoice id."""
    found: dict[int, tuple[int, str, date]] = {}
    for chunk in chunks(sorted({item.invoice_id for item in items})):
        for invoice_id, order_id, number, order_date in session.execute(
            select(
                col(Invoice.id),
                col(SalesOrder.id),
                col(SalesOrder.number),
                col(SalesOrder.order_date),
            )
            .join(SalesOrder, col(SalesOrder.id) == Invoice.order_id)
            .where(col(Invoice.id).in_(chunk))
        ):
            found[invoice_id] = (order_id, number, order_date)
    return found


def record_sent(*, session: Session, notice_id: int, to: str, message_id: str) -> None:
    """A notice's letter went out by email: when and to whom (SPEC rule 4)."""
    notice = session.get(DunningNotice, notice_id, with_for_update=True)
    assert notice is not None  # the caller wrote it
    notice.sent_to = to
    notice.sent_at = now()
    session.add(notice)
    record_event(
        session=session,
        subject_kind="dunning_notice",
        subject_number=notice.number,
        action="sent",
        message=f"emailed to {to} (Message-ID {message_id})",
    )
