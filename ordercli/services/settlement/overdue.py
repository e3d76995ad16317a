"""Overdue instalments and where each stands in collections (SPEC rule 20), in SQL.

Settlements cover an invoice's instalments in due order (``domain.terms.open_parts``),
so what is open of instalment *i* is ``clamp(through_i - settled, 0, amount_i)``,
where ``through_i`` is the sum of the amounts of the instalments up to *i*. Here
``through_i`` is a window ``SUM`` over the invoice's instalments by position, so
one statement gives every open, overdue instalment of every customer, however many
there are; nothing is read per customer or per invoice.

Each row also says which dunning level the instalment has reached by the day (the
highest level whose days it is past due: ``due_date <= day - days``, with the
cut-off dates computed once per level, so no date arithmetic runs in SQL), the
highest level it already had a notice at, and the last day a notice charged it
interest. The worklist (``reports/collections.py``) groups these rows per customer;
``collections run`` (``dunning.py``) takes the instalments whose level is above
what they had.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select
from sqlmodel import Session, col

from ordercli.books.journal import account_ids, signed_amount
from ordercli.db.queries import invoice_balance, invoice_settled
from ordercli.models import (
    DunningLevel,
    DunningNotice,
    DunningNoticeItem,
    Invoice,
    InvoiceInstalment,
    JournalEntry,
    JournalLine,
)


def cutoffs(levels: Sequence[DunningLevel], on: date) -> list[tuple[int, date]]:
    """Per level (highest first), the latest due date that has reached it by ``on``."""
    return [
        (row.level, on - timedelta(days=row.days_overdue))
        for row in sorted(levels, key=lambda r: r.level, reverse=True)
    ]


def reached_level(due, levels: Sequence[DunningLevel], on: date):
    """SQL of the highest level an instalment due on ``due`` has reached by ``on`` (0: none)."""
    whens = [(due <= cutoff, literal(level)) for level, cutoff in cutoffs(levels, on)]
    return case(*whens, else_=literal(0)) if whens else literal(0)


def overdue_rows(
    session: Session,
    *,
    on: date,
    levels: Sequence[DunningLevel],
    customer_id: int | None = None,
    as_of: bool = False,
):
    """A subquery of every instalment overdue on ``on`` with something open.

    Columns: ``instalment_id, invoice_id, customer_id, position, due_date, open``
    (minor units), ``reached`` (the level reached by ``on``, 0 for none and for charge
    invoices, which never earn a notice of their own), ``had`` (the
    highest level of a notice it already had, 0 for none), ``interest_from`` (the
    last notice date that charged it interest, or NULL) and ``last_notice``.

    Without ``as_of`` what invoices have settled is what they hold now (``collections
    run``); with it, what the journal says they had settled by the end of ``on``
    (``collections list --as-of``), and only notices dated by then count."""
    if as_of:
        ids = account_ids(session)
        journal = (
            select(
                col(JournalLine.invoice_id).label("invoice_id"),
                func.sum(signed_amount()).label("balance"),
            )
            .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
            .where(
                col(JournalLine.account_id) == ids["receivable"],
                col(JournalEntry.entry_date) <= on,
                col(JournalLine.invoice_id).is_not(None),
            )
            .group_by(col(JournalLine.invoice_id))
            .subquery()
        )
        settled = col(Invoice.total) - journal.c.balance
        source = (
            select()
            .select_from(InvoiceInstalment)
            .join(Invoice, col(Invoice.id) == InvoiceInstalment.invoice_id)
        )
        source = source.join(journal, journal.c.invoice_id == Invoice.id)
        still_open = journal.c.balance > 0
    else:
        settled = invoice_settled()
        source = (
            select()
            .select_from(InvoiceInstalment)
            .join(Invoice, col(Invoice.id) == InvoiceInstalment.invoice_id)
        )
        still_open = invoice_balance() > 0
    through = func.sum(InvoiceInstalment.amount).over(
        partition_by=col(InvoiceInstalment.invoice_id),
        order_by=col(InvoiceInstalment.position),
    )
    conditions = [still_open, col(Invoice.issue_date) <= on]
    if customer_id is not None:
        conditions.append(col(Invoice.customer_id) == customer_id)
    windowed = (
        source.add_columns(
            col(InvoiceInstalment.id).label("instalment_id"),
            col(InvoiceInstalment.invoice_id).label("invoice_id"),
            col(Invoice.customer_id).label("customer_id"),
            col(InvoiceInstalment.position).label("position"),
            col(InvoiceInstalment.due_date).label("due_date"),
            col(InvoiceInstalment.amount).label("amount"),
            col(Invoice.kind).label("kind"),
            through.label("through"),
            settled.label("settled"),
        )
        .where(*conditions)
        .subquery("windowed")
    )
    history = (
        select(
            col(DunningNoticeItem.instalment_id).label("instalment_id"),
            func.max(DunningNoticeItem.level).label("had"),
            func.max(case((col(DunningNotice.interest) > 0, col(DunningNotice.notice_date)))).label(
                "interest_from"
            ),
            func.max(col(DunningNotice.notice_date)).label("last_notice"),
        )
        .join(DunningNotice, col(DunningNotice.id) == DunningNoticeItem.notice_id)
        .where(col(DunningNotice.notice_date) <= on)
        .group_by(col(DunningNoticeItem.instalment_id))
        .subquery("history")
    )
    w = windowed.c
    left = w.through - w.settled
    return (
        select(
            w.instalment_id,
            w.invoice_id,
            w.customer_id,
            w.position,
            w.due_date,
            case((left < w.amount, left), else_=w.amount).label("open"),
            # Charge invoices (fees and interest) are overdue like any invoice but never
            # earn a notice of their own: no fees on fees.
            case(
                (w.kind == "charge", literal(0)), else_=reached_level(w.due_date, levels, on)
            ).label("reached"),
            func.coalesce(history.c.had, 0).label("had"),
            history.c.interest_from,
            history.c.last_notice,
        )
        .select_from(windowed)
        .outerjoin(history, history.c.instalment_id == w.instalment_id)
        .where(w.due_date < on, left > 0)
        .subquery("overdue")
    )
