"""Payment terms templates as ``--json`` shows them (SPEC ``terms``, rule 20), and the
codes customers and orders name.

Values are ``Decimal`` (percentages normalised) or plain types; the CLI renders
them without arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from ordercli.domain.money import pct_from_db
from ordercli.domain.terms import Terms, describe
from ordercli.models import PaymentTerms
from ordercli.services.parties.payment_terms import customer_counts, terms_by_id


def _fields(head: PaymentTerms, terms: Terms) -> dict:
    return {
        "code": head.code,
        "description": head.description,
        "days": head.days,
        "splits": [{"pct": pct_from_db(s.pct), "days": s.days} for s in terms.splits],
        "discount_pct": None if head.discount_pct is None else pct_from_db(head.discount_pct),
        "discount_days": head.discount_days,
        "text": describe(terms),
    }


def terms_views(session: Session, heads: list[PaymentTerms]) -> list[dict]:
    """Templates with their splits and how many customers take each by default; three
    queries however many there are."""
    ids = [head.id for head in heads]
    templates = terms_by_id(session, ids)
    counts = customer_counts(session, ids)
    views = []
    for head in heads:
        assert head.id is not None  # read from the database
        views.append(
            {**_fields(head, templates[head.id]), "customer_count": counts.get(head.id, 0)}
        )
    return views


def terms_view(session: Session, head: PaymentTerms) -> dict:
    return terms_views(session, [head])[0]


def terms_names(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """Per template id: its code and its text (``2 % within 10 days, net 30 days``)."""
    return {id_: (terms.code, describe(terms)) for id_, terms in terms_by_id(session, ids).items()}
