"""Quotes: an offer with a validity date and a negotiation thread (SPEC rules 1, 4, 5).

A quote is drafted, sent, then accepted or rejected by the customer; past its
validity date an open quote shows as expired and can no longer be accepted
(``extend`` gives it more days). Quotes never touch stock. An accepted quote
converts once into a draft order that copies its lines and prices and
remembers where it came from.

Only a draft's lines change. A sent quote is what the customer holds, so a
change to it is a new revision (``quote_revisions.revise_quote``) and the sent
one is kept, ``revised``, readable and never workable again (rule 4). Notes are
internal unless marked for the customer; only those are printed.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from ordercli.books.clock import now, os_user, today
from ordercli.books.events import record_event
from ordercli.books.numbering import next_number
from ordercli.books.settings import minor_digits
from ordercli.db.queries import by_number, newest_first
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import from_minor, qty_from_db
from ordercli.domain.states import QUOTE_EDITABLE, QuoteStatus
from ordercli.domain.text import clean_text, parse_status
from ordercli.models import Customer, OrderLine, Quote, QuoteLine, QuoteNote, SalesOrder
from ordercli.services.inventory.catalog import get_product
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales.ordering import new_order
from ordercli.services.sales.pricing import (
    copy_terms,
    gross_by_default,
    price_new_line,
    priced_columns,
    source_note,
    spread_document_discount,
    totals,
)

MAX_VALID_DAYS = 3650
NOTE_AUTHORS = ("seller", "buyer")


def quote_status(quote: Quote, on: date | None = None) -> QuoteStatus:
    """The stored status, or ``expired`` for an open quote past its validity."""
    status = QuoteStatus(quote.status)
    if status in (QuoteStatus.DRAFT, QuoteStatus.SENT) and (on or today()) > quote.valid_until:
        return QuoteStatus.EXPIRED
    return status


def get_quote(*, session: Session, number: str, for_update: bool = False) -> Quote:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("quote number is empty")
    query = select(Quote)
    if for_update:
        # NO KEY UPDATE, as for orders: rows that merely reference the quote
        # (its lines, notes, events, a new revision) must not wait for it.
        query = query.with_for_update(key_share=True)
    quote = by_number(session, query, Quote.number, number)
    if quote is None:
        raise NotFound(f"no quote {number!r}", hint="`ordercli quote list` shows the quotes")
    return quote


def previous_revision(*, session: Session, quote: Quote) -> Quote | None:
    return None if quote.revision_of_id is None else session.get(Quote, quote.revision_of_id)


def next_revision(*, session: Session, quote: Quote) -> Quote | None:
    return session.exec(select(Quote).where(Quote.revision_of_id == quote.id)).first()


def revision_chain(*, session: Session, quote: Quote) -> list[Quote]:
    """Every revision of the quote, the first (``Q-00012``) to the newest."""
    chain = [quote]
    while (earlier := previous_revision(session=session, quote=chain[0])) is not None:
        chain.insert(0, earlier)
    while (later := next_revision(session=session, quote=chain[-1])) is not None:
        chain.append(later)
    return chain


def quote_lines(*, session: Session, quote: Quote) -> list[QuoteLine]:
    return list(
        session.exec(
            select(QuoteLine)
            .where(QuoteLine.quote_id == quote.id)
            .order_by(col(QuoteLine.position))
        )
    )


def quote_notes(*, session: Session, quote: Quote) -> list[QuoteNote]:
    return list(
        session.exec(
            select(QuoteNote).where(QuoteNote.quote_id == quote.id).order_by(col(QuoteNote.id))
        )
    )


def quoting_customer(*, session: Session, code: str) -> Customer:
    """The customer a new quote (a new one, a revision, a copy) is for: active (rule 1)."""
    customer = get_customer(session=session, code=code)
    if not customer.active:
        raise RuleViolation(f"customer {customer.code} is inactive and gets no new quotes")
    return customer


def check_valid_days(valid_days: int, *, least: int = 0) -> None:
    if not least <= valid_days <= MAX_VALID_DAYS:
        raise InvalidInput(
            f"--valid-days {valid_days} must be between {least} and {MAX_VALID_DAYS}"
        )


def refresh_quote_totals(session: Session, quote: Quote, lines: list[QuoteLine]) -> None:
    """Spread the quote's discount over its lines again, and add them up."""
    if quote.discount_pct or quote.discount_amount:
        spread_document_discount(quote, lines, minor_digits=minor_digits(session))
        session.add_all(lines)
    quote.subtotal, quote.tax, quote.total = totals(lines)
    session.add(quote)


def new_quote(
    *,
    session: Session,
    customer_code: str,
    valid_days: int = 30,
    prices_include_tax: bool | None = None,
) -> Quote:
    """A draft quote; its prices include tax as ``prices_include_tax`` says, or by
    default when the customer buys from a gross price list (rule 19)."""
    customer = quoting_customer(session=session, code=customer_code)
    check_valid_days(valid_days)
    issued = today()
    assert customer.id is not None  # a stored customer
    quote = Quote(
        number=next_number(session=session, kind="quote"),
        customer_id=customer.id,
        status=QuoteStatus.DRAFT,
        issue_date=issued,
        valid_until=issued + timedelta(days=valid_days),
        prices_include_tax=(
            gross_by_default(session, customer.price_list_id)
            if prices_include_tax is None
            else prices_include_tax
        ),
        created_at=now(),
    )
    session.add(quote)
    session.flush()
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="created",
        quote_id=quote.id,
        message=f"quote {quote.number} for {customer.code}, valid until {quote.valid_until}",
    )
    return quote


def check_newest(session: Session, quote: Quote, action: str) -> QuoteStatus:
    """Refuse any work on a revised quote, naming the revision to work on; else its status."""
    if quote.status == QuoteStatus.REVISED:
        newest = revision_chain(session=session, quote=quote)[-1]
        raise RuleViolation(
            f"cannot {action} {quote.number}: it was revised, "
            f"{newest.number} is its newest revision",
            hint=f"`ordercli quote show {newest.number}`",
        )
    return quote_status(quote)


def _check_open(session: Session, quote: Quote, action: str) -> None:
    status = check_newest(session, quote, action)
    if status == QuoteStatus.EXPIRED:
        raise RuleViolation(f"cannot {action} {quote.number}: it expired on {quote.valid_until}")
    if status not in QUOTE_EDITABLE:
        raise RuleViolation(f"cannot {action} {quote.number}: it is {status}")


def check_draft(session: Session, quote: Quote, action: str) -> None:
    """Lines change on a draft only: a sent quote is what the customer holds (rule 4)."""
    status = check_newest(session, quote, action)
    if quote.status == QuoteStatus.SENT:
        raise RuleViolation(
            f"{quote.number} is sent: revise it first (`ordercli quote revise {quote.number}`)"
        )
    if status == QuoteStatus.EXPIRED:
        raise RuleViolation(
            f"cannot {action} {quote.number}: it expired on {quote.valid_until}",
            hint=f"`ordercli quote extend {quote.number} --valid-days N` gives it more days",
        )
    if status != QuoteStatus.DRAFT:
        raise RuleViolation(f"cannot {action} {quote.number}: it is {status}")


def add_quote_line(
    *,
    session: Session,
    number: str,
    sku: str,
    qty: Decimal,
    price: Decimal | None = None,
    discount: Decimal | None = None,
) -> QuoteLine:
    quote = get_quote(session=session, number=number, for_update=True)
    check_draft(session, quote, "add a line to")
    product = get_product(session=session, sku=sku)
    customer = session.get(Customer, quote.customer_id)
    assert customer is not None and product.id is not None  # stored rows
    priced = price_new_line(
        session,
        product=product,
        qty=qty,
        unit_price=price,
        discount_pct=discount,
        customer=customer,
        on=quote.issue_date,
        gross=quote.prices_include_tax,
    )
    lines = quote_lines(session=session, quote=quote)
    assert quote.id is not None  # a stored row
    line = QuoteLine(
        quote_id=quote.id,
        position=max((ln.position for ln in lines), default=0) + 1,
        product_id=product.id,
        description=product.name,
        unit=product.unit,
        **priced.columns(),
    )
    session.add(line)
    refresh_quote_totals(session, quote, [*lines, line])
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="line_added",
        quote_id=quote.id,
        message=f"line {line.position}: {qty_from_db(line.qty)} × {product.sku} at "
        f"{from_minor(line.unit_price, minor_digits(session))}{source_note(session, line)}",
    )
    return line


def send_quote(*, session: Session, number: str) -> Quote:
    return _move_on(session, number, QuoteStatus.SENT, verb="send", done="sent")


def accept_quote(*, session: Session, number: str) -> Quote:
    """The customer accepts (rule 5: never once expired)."""
    return _move_on(session, number, QuoteStatus.ACCEPTED, verb="accept", done="accepted")


def _move_on(session: Session, number: str, to: QuoteStatus, *, verb: str, done: str) -> Quote:
    """Send or accept: an open quote with lines moves on to ``to``, and the log says so."""
    quote = get_quote(session=session, number=number, for_update=True)
    _check_open(session, quote, verb)
    if not quote_lines(session=session, quote=quote):
        raise RuleViolation(f"cannot {verb} {quote.number}: it has no lines")
    quote.status = to
    session.add(quote)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action=done,
        quote_id=quote.id,
        message=f"quote {quote.number} {done}",
    )
    return quote


def reject_quote(*, session: Session, number: str, reason: str | None = None) -> Quote:
    reason = clean_text(reason, what="reason", max_length=500)
    quote = get_quote(session=session, number=number, for_update=True)
    status = check_newest(session, quote, "reject")
    if status not in (QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.EXPIRED):
        raise RuleViolation(f"cannot reject {quote.number}: it is {status}")
    quote.status = QuoteStatus.REJECTED
    session.add(quote)
    if reason:
        assert quote.id is not None  # a stored quote
        session.add(
            QuoteNote(quote_id=quote.id, at=now(), author="buyer", os_user=os_user(), text=reason)
        )
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="rejected",
        quote_id=quote.id,
        message=f"quote {quote.number} rejected" + (f": {reason}" if reason else ""),
    )
    return quote


def add_quote_note(
    *,
    session: Session,
    number: str,
    text: str,
    author: str = "seller",
    customer_visible: bool = False,
) -> QuoteNote:
    """Append to the negotiation thread; notes are kept whatever the quote's state.

    A note is internal ("Can you do 5% off?" stays between us) unless marked
    ``customer_visible``; only those print on the quote the customer gets."""
    text = clean_text(text, what="note", required=True, max_length=5000)
    author = (author or "").strip().lower()
    if author not in NOTE_AUTHORS:
        raise InvalidInput(f"note author {author!r} must be seller or buyer")
    quote = get_quote(session=session, number=number)
    assert quote.id is not None  # a stored quote
    note = QuoteNote(
        quote_id=quote.id,
        at=now(),
        author=author,
        os_user=os_user(),
        text=text,
        customer_visible=customer_visible,
    )
    session.add(note)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="note",
        quote_id=quote.id,
        message=f"{author} note{' for the customer' if customer_visible else ''}: {text}",
    )
    return note


def convert_quote(*, session: Session, number: str) -> SalesOrder:
    """Turn an accepted quote into a draft order, once (rule 5). Only the newest
    revision can be accepted, so only it converts."""
    quote = get_quote(session=session, number=number, for_update=True)
    status = check_newest(session, quote, "convert")
    if status == QuoteStatus.CONVERTED:
        existing = session.exec(select(SalesOrder).where(SalesOrder.quote_id == quote.id)).first()
        raise RuleViolation(
            f"cannot convert {quote.number}: already converted to "
            f"{existing.number if existing else 'an order'}"
        )
    if status != QuoteStatus.ACCEPTED:
        raise RuleViolation(
            f"cannot convert {quote.number}: it is {status}, not accepted",
            hint=f"`ordercli quote accept {quote.number}` first",
        )
    customer = session.get(Customer, quote.customer_id)
    assert customer is not None  # customers are never deleted
    order = new_order(
        session=session,
        customer_code=customer.code,
        quote_id=quote.id,
        source=f"quote {quote.number}",
    )
    moment = now()
    lines = quote_lines(session=session, quote=quote)
    assert order.id is not None  # new_order flushed it
    for line in lines:
        session.add(
            OrderLine(
                order_id=order.id,
                position=line.position,
                product_id=line.product_id,
                description=line.description,
                unit=line.unit,
                **priced_columns(line),
                last_state_change=moment,
            )
        )
    copy_terms(quote, order)
    order.subtotal, order.tax, order.total = quote.subtotal, quote.tax, quote.total
    session.add(order)
    quote.status = QuoteStatus.CONVERTED
    session.add(quote)
    record_event(
        session=session,
        subject_kind="quote",
        subject_number=quote.number,
        action="converted",
        quote_id=quote.id,
        order_id=order.id,
        message=f"quote {quote.number} converted to order {order.number}",
    )
    return order


def list_quotes(
    *,
    session: Session,
    status: str | None = None,
    customer: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[Quote]:
    query = select(Quote)
    if status:
        wanted = parse_status(QuoteStatus, status, what="quote")
        open_states = [QuoteStatus.DRAFT, QuoteStatus.SENT]
        if wanted == QuoteStatus.EXPIRED:
            query = query.where(col(Quote.status).in_(open_states), Quote.valid_until < today())
        elif wanted in open_states:
            query = query.where(Quote.status == wanted, Quote.valid_until >= today())
        else:
            query = query.where(Quote.status == wanted)
    if customer:
        query = query.where(Quote.customer_id == get_customer(session=session, code=customer).id)
    query = newest_first(
        query,
        model=Quote,
        date_column=Quote.issue_date,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))
