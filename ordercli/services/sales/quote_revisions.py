"""Changing a quote: a draft's lines, its validity, revisions and copies (SPEC rules 1, 4, 5).

A draft is the seller's working paper: its lines are edited and removed in
place. Once sent, the quote is what the customer holds, so it is never edited:
``revise`` makes a new revision (``Q-00012-R2``, then ``Q-00012-R3``) with the
same lines, and the one it replaces is kept, ``revised``, readable but never
workable again. Only the newest revision can be sent, accepted or converted.
``copy`` starts an unrelated quote (a new number from the series) from any
quote, for the same or another customer. ``extend`` gives an open quote, also
an expired one, more days.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.numbering import next_number
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import pct_to_db, qty_to_db, to_minor
from ordercli.domain.states import QUOTE_OPEN, QuoteStatus
from ordercli.models import Customer, Product, Quote, QuoteLine
from ordercli.services.sales.line_refs import find_line
from ordercli.services.sales.pricing import (
    MANUAL,
    copy_terms,
    price_again,
    priced_columns,
    settle_line_amounts,
)
from ordercli.services.sales.quoting import (
    MAX_VALID_DAYS,
    check_draft,
    check_newest,
    check_valid_days,
    get_quote,
    quote_lines,
    quoting_customer,
    refresh_quote_totals,
    revision_chain,
)

# --- a draft's lines ---------------------------------------------------------------


def _sku(session: Session, product_id: int) -> str:
    product = session.get(Product, product_id)
    assert product is not None  # products are never deleted
    return product.sku


def edit_quote_line(
    *,
    session: Session,
    number: str,
    line_ref: str,
    qty: Decimal | None = None,
    price: Decimal | None = None,
    discount: Decimal | None = None,
) -> QuoteLine:
    """Change a draft's line: quantity, price or discount, priced again by rule 10."""
    quote = get_quote(session=session, number=number, for_update=True)
    check_draft(session, quote, "edit a line on")
    if qty is None and price is None and discount is None:
        raise InvalidInput("nothing to change: give --qty, --price or --discount")
    lines = quote_lines(session=session, quote=quote)
    line = find_line(session, quote.number, lines, line_ref)
    digits = minor_digits(session)
    changes = []
    if qty is not None:
        line.qty = qty_to_db(qty)
        changes.append(f"qty {qty}")
    if price is not None:
        line.unit_price = to_minor(price, digits)
        line.price_source, line.price_list_id = MANUAL, None
        changes.append(f"price {price}")
    elif qty is not None:
        customer = session.get(Customer, quote.customer_id)
        assert customer is not None  # customers are never deleted
        changed = price_again(
            session,
            line,
            price_list_id=customer.price_list_id,
            on=quote.issue_date,
            gross=quote.prices_include_tax,
            minor_digits=digits,
        )
        changes.extend([changed] if changed else [])
    if discount is not None:
        line.discount = pct_to_db(discount)
        changes.append(f"discount {discount}%")
    settle_line_amounts(line, gross=quote.prices_include_tax, minor_digits=digits)
    session.add(line)
    refresh_quote_totals(session, quote, lines)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="line_edited",
        quote_id=quote.id,
        message=f"line {line.position} ({_sku(session, line.product_id)}): {', '.join(changes)}",
    )
    return line


def remove_quote_line(*, session: Session, number: str, line_ref: str) -> QuoteLine:
    """Take a line off a draft; the other lines keep their numbers."""
    quote = get_quote(session=session, number=number, for_update=True)
    check_draft(session, quote, "remove a line from")
    lines = quote_lines(session=session, quote=quote)
    line = find_line(session, quote.number, lines, line_ref)
    session.delete(line)
    refresh_quote_totals(session, quote, [ln for ln in lines if ln.id != line.id])
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="line_removed",
        quote_id=quote.id,
        message=f"line {line.position} ({_sku(session, line.product_id)}) removed",
    )
    return line


# --- validity ------------------------------------------------------------------------


def extend_quote(*, session: Session, number: str, valid_days: int) -> Quote:
    """Valid for ``valid_days`` more days, counted from today: a draft or sent quote,
    also one that has expired (that is what extending is for), never a closed one."""
    quote = get_quote(session=session, number=number, for_update=True)
    status = check_newest(session, quote, "extend")
    if quote.status not in QUOTE_OPEN:
        raise RuleViolation(f"cannot extend {quote.number}: it is {status}")
    check_valid_days(valid_days, least=1)
    until = today() + timedelta(days=valid_days)
    if until <= quote.valid_until:
        raise RuleViolation(
            f"cannot extend {quote.number} to {until}: it is already valid until "
            f"{quote.valid_until}"
        )
    before, quote.valid_until = quote.valid_until, until
    session.add(quote)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="extended",
        quote_id=quote.id,
        message=f"quote {quote.number} valid until {until} (was {before})",
    )
    return quote


# --- revisions and copies ----------------------------------------------------------


def _span(quote: Quote, valid_days: int | None) -> int:
    """Days a revision or copy is valid: as asked, else as many as ``quote`` had."""
    if valid_days is None:
        return min(max((quote.valid_until - quote.issue_date).days, 0), MAX_VALID_DAYS)
    check_valid_days(valid_days)
    return valid_days


def _copy_lines(session: Session, source: Quote, target: Quote) -> None:
    """The source's lines as they were quoted: same prices, units and descriptions
    (later catalog changes never touch them, rule 19)."""
    assert target.id is not None  # flushed by the caller
    for line in quote_lines(session=session, quote=source):
        session.add(
            QuoteLine(
                quote_id=target.id,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                unit=line.unit,
                **priced_columns(line),
            )
        )
    copy_terms(source, target)
    target.subtotal, target.tax, target.total = source.subtotal, source.tax, source.total


def revise_quote(*, session: Session, number: str, valid_days: int | None = None) -> Quote:
    """A new revision of a sent, rejected or expired quote, as a draft (rule 4).

    It is numbered after the first revision (``Q-00012-R2``), copies the lines
    and prices, is valid as many days as the one it replaces (or ``valid_days``),
    and the one it replaces becomes ``revised``. Notes stay where they were
    written; the revisions show them through the chain. A draft is edited, not
    revised; an accepted or converted quote is final."""
    quote = get_quote(session=session, number=number, for_update=True)
    status = check_newest(session, quote, "revise")
    if quote.status == QuoteStatus.DRAFT:
        hint = (
            f"`ordercli quote extend {quote.number} --valid-days N`, then edit it"
            if status == QuoteStatus.EXPIRED
            else f"`ordercli quote edit-line {quote.number} LINE …` changes it"
        )
        raise RuleViolation(
            f"cannot revise {quote.number}: it is a draft, edit it instead", hint=hint
        )
    if quote.status not in (QuoteStatus.SENT, QuoteStatus.REJECTED):
        raise RuleViolation(
            f"cannot revise {quote.number}: it is {status}",
            hint=f"`ordercli quote copy {quote.number}` starts a new quote from it",
        )
    customer = session.get(Customer, quote.customer_id)
    assert customer is not None  # customers are never deleted
    quoting_customer(session=session, code=customer.code)
    days = _span(quote, valid_days)
    issued = today()
    check_dated(
        session,
        what="quote revision",
        on=issued,
        sources=[(f"quote {quote.number}", quote.issue_date)],
    )
    first = revision_chain(session=session, quote=quote)[0]
    revision = Quote(
        number=f"{first.number}-R{quote.revision + 1}",
        customer_id=quote.customer_id,
        status=QuoteStatus.DRAFT,
        issue_date=issued,
        valid_until=issued + timedelta(days=days),
        created_at=now(),
        revision=quote.revision + 1,
        revision_of_id=quote.id,
    )
    session.add(revision)
    session.flush()
    _copy_lines(session, quote, revision)
    session.add(revision)
    quote.status = QuoteStatus.REVISED
    session.add(quote)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="revised",
        quote_id=quote.id,
        message=f"quote {quote.number} ({status}) revised as {revision.number}",
    )
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=revision.number,
        action="created",
        quote_id=revision.id,
        message=f"quote {revision.number} for {customer.code}, revision {revision.revision} "
        f"of {first.number} replacing {quote.number}, valid until {revision.valid_until}",
    )
    return revision


def copy_quote(
    *,
    session: Session,
    number: str,
    customer_code: str | None = None,
    valid_days: int | None = None,
) -> Quote:
    """A new draft quote (its own number from the series) with the lines and prices
    of any quote, for its customer or another active one (rule 1)."""
    source = get_quote(session=session, number=number)
    if customer_code is None:
        owner = session.get(Customer, source.customer_id)
        assert owner is not None  # customers are never deleted
        customer_code = owner.code
    customer = quoting_customer(session=session, code=customer_code)
    days = _span(source, valid_days)
    issued = today()
    assert customer.id is not None  # a stored customer
    copy = Quote(
        number=next_number(session=session, kind="quote"),
        customer_id=customer.id,
        status=QuoteStatus.DRAFT,
        issue_date=issued,
        valid_until=issued + timedelta(days=days),
        created_at=now(),
        copied_from_id=source.id,
    )
    check_dated(
        session,
        what="quote",
        on=issued,
        series="quote",
        sources=[(f"quote {source.number}", source.issue_date)],
    )
    session.add(copy)
    session.flush()
    _copy_lines(session, source, copy)
    session.add(copy)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=source.number,
        action="copied",
        quote_id=source.id,
        message=f"quote {source.number} copied to {copy.number} for {customer.code}",
    )
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=copy.number,
        action="created",
        quote_id=copy.id,
        message=f"quote {copy.number} for {customer.code}, copied from {source.number}, "
        f"valid until {copy.valid_until}",
    )
    return copy
