"""Payment terms templates (SPEC ``terms``, rules 11, 13, 20): read and written here.

A template is net days, an optional split into instalments and an optional
early-payment discount (``domain/terms.py`` holds the arithmetic). Customers
name their default template; orders may override it; invoices keep the terms
as they were issued. A template is never changed once added: an invoice issued
under it already keeps its own copy, and a new template (a new code) is how
terms change.

Codes are one word, upper-cased, unique (``net30`` is ``NET30``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.db.lookup import chunks
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.terms import (
    Split,
    Terms,
    check_terms,
    describe,
    parse_days,
    parse_discount,
    parse_splits,
)
from ordercli.domain.text import clean_code, clean_text
from ordercli.models import Customer, PaymentTerms, PaymentTermsSplit

TERMS_HINT = "`ordercli terms list` shows the payment terms"
MAX_CODE = 40  # the column's length


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


def clean_terms_code(code: str | None) -> str:
    """A terms code as stored: one word, at most 40 characters, upper case."""
    cleaned = clean_code(code or "", what="payment terms code").upper()
    if len(cleaned) > MAX_CODE:
        raise InvalidInput(f"payment terms code {cleaned[:20]!r}… is longer than {MAX_CODE}")
    return cleaned


def add_terms(
    *,
    session: Session,
    code: str,
    days: object,
    splits: list[str] | None = None,
    discount: str | None = None,
    description: str | None = None,
) -> PaymentTerms:
    """A new template (rule 20): net ``days``; ``splits`` like ``["50@0", "50@30"]``
    summing to 100 % in due order, the last due on the net days; ``discount`` like
    ``"2@10"``, its window no longer than the net days."""
    code = clean_terms_code(code)
    twin = find_terms(session=session, code=code)
    if twin is not None:
        raise RuleViolation(
            f"payment terms {twin.code} already exist",
            hint=f"`ordercli terms show {twin.code}` shows them; choose another code",
        )
    net_days = parse_days(days, what="--days")
    parts = parse_splits(splits)
    early = parse_discount(discount)
    terms = Terms(
        code=code,
        days=net_days,
        splits=parts,
        discount_pct=early[0] if early else None,
        discount_days=early[1] if early else None,
    )
    check_terms(terms)
    head = PaymentTerms(
        code=code,
        description=clean_text(description, what="description", max_length=200),
        days=net_days,
        discount_pct=terms.discount_pct,
        discount_days=terms.discount_days,
        active=True,
        created_at=now(),
    )
    session.add(head)
    session.flush()
    assert head.id is not None  # flushed
    session.add_all(
        PaymentTermsSplit(terms_id=head.id, position=position, pct=split.pct, days=split.days)
        for position, split in enumerate(parts, start=1)
    )
    session.flush()
    record_event(
        session=session,
        subject_kind="terms",
        subject_number=code,
        action="created",
        message=f"payment terms {code} added: {describe(terms)}",
    )
    return head


def find_terms(*, session: Session, code: str) -> PaymentTerms | None:
    """A template by code: codes are stored upper case, so by index first."""
    wanted = code.strip().upper()
    found = session.exec(select(PaymentTerms).where(PaymentTerms.code == wanted)).first()
    if found is None:
        found = session.exec(
            select(PaymentTerms).where(func.upper(PaymentTerms.code) == wanted)
        ).first()
    return found


def get_terms(*, session: Session, code: str | None) -> PaymentTerms:
    """A template by code, any case."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput("payment terms code is empty", hint=TERMS_HINT)
    found = find_terms(session=session, code=code)
    if found is None:
        raise NotFound(f"no payment terms {code!r}", hint=TERMS_HINT)
    return found


def terms_id_of(session: Session, code: str | None) -> int | None:
    """The id of the template named ``code``; None for None (no template)."""
    if code is None:
        return None
    head = get_terms(session=session, code=code)
    assert head.id is not None  # read from the database
    return head.id


def terms_of(session: Session, head: PaymentTerms) -> Terms:
    """A stored template as the schedule arithmetic takes it."""
    assert head.id is not None  # read from the database
    return terms_by_id(session, [head.id])[head.id]


def list_terms(*, session: Session) -> list[PaymentTerms]:
    """Every template, by code."""
    return list(session.exec(select(PaymentTerms).order_by(col(PaymentTerms.code))))


def customer_counts(session: Session, ids: Iterable[int | None]) -> dict[int, int]:
    """How many customers take each template as their default, one grouped query."""
    wanted = sorted({id_ for id_ in ids if id_ is not None})
    found: dict[int, int] = {}
    for chunk in chunks(wanted):
        for terms_id, count in session.exec(
            select(Customer.terms_id, func.count())
            .where(col(Customer.terms_id).in_(chunk))
            .group_by(col(Customer.terms_id))
        ):
            if terms_id is not None:
                found[terms_id] = count
    return found
