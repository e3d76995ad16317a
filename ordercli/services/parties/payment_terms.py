"""Payment terms templates (SPEC ``terms``, rule 20): read and written here.

A template is net days, an optional split into instalments and an optional
early-payment discount (``domain/terms.py`` holds the arithmetic). Customers
name their default template; orders may override it; invoices keep the terms
as they were issued.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from ordercli.db.lookup import chunks
from ordercli.domain.terms import Split, Terms
from ordercli.models import PaymentTerms, PaymentTermsSplit


def terms_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Terms]:
    """The templates of ``ids`` with their splits, two queries per 500."""
    wanted = sorted({id_ for id_ in ids if id_ is not None})
    found: dict[int, Terms] = {}
    for chunk in chunks(wanted):
        heads = session.exec(select(PaymentTerms).where(col(PaymentTerms.id).in_(chunk))).all()
        splits: dict[int, list[Split]] = {}
        for row in session.exec(
            select(PaymentTermsSplit)
            .where(col(PaymentTermsSplit.terms_id).in_(chunk))
            .order_by(col(PaymentTermsSplit.terms_id), col(PaymentTermsSplit.position))
        ):
            splits.setdefault(row.terms_id, []).append(Split(row.pct, row.days))
        for head in heads:
            assert head.id is not None  # read from the database
            found[head.id] = Terms(
                code=head.code,
                days=head.days,
                splits=tuple(splits.get(head.id, ())),
                discount_pct=head.discount_pct,
                discount_days=head.discount_days,
            )
    return found
