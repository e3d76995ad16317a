"""Re-pricing a draft, and discounts on a whole quote or order (SPEC rules 10 and 19).

A line keeps the price it was given: changing a price list never touches a
document. ``reprice_order``/``reprice_quote`` is the one explicit way to look a
draft's prices up again, at the document's date and each line's quantity. A
price typed on a line (``manual``) stays. A line written before price lists
existed (no recorded source) was priced from the product, so it is looked up
again like any other and its source is recorded from then on.

A document discount (a percentage or an amount) is spread over the lines by
``pricing.spread_document_discount``, so every line, invoice and credit memo
still follows rule 10 and the totals add up to the cent. It is set on drafts
only: a confirmed order's total is what the customer's credit was checked
against and what was agreed (rule 16).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import from_minor, pct_from_db, pct_to_db, to_minor
from ordercli.domain.states import OrderStatus
from ordercli.models import Customer, OrderLine, Product, Quote, SalesOrder
from ordercli.services.sales import ordering, quoting
from ordercli.services.sales.pricing import (
    amount_before_discount,
    prices_again,
    settle_line_amounts,
    spread_document_discount,
)

HUNDRED = Decimal(100)


@dataclass
class PricingChange:
    """The document after a re-pricing or a discount, and what changed on it."""

    document: SalesOrder | Quote
    changes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return "; ".join(self.changes) if self.changes else "nothing changed"


# --- re-pricing ---------------------------------------------------------------------


def reprice_order(*, session: Session, number: str) -> PricingChange:
    """Look every line of a draft order up again from the customer's price list at
    the order's date (rule 19); typed prices stay."""
    order = ordering.get_order(session=session, number=number, for_update=True)
    _check_draft_order(order, "re-priced")
    lines = ordering.order_lines(session=session, order=order)
    changes = _price_again(session, order, lines, on=order.order_date)
    for line in lines:
        settle_line_amounts(
            line, gross=order.prices_include_tax, minor_digits=minor_digits(session)
        )
    ordering.refresh_totals(session, order, lines)
    _record(session, order, "repriced", "re-priced: " + _said(changes))
    return PricingChange(order, changes)


def reprice_quote(*, session: Session, number: str) -> PricingChange:
    """Look every line of a draft quote up again at its issue date (rule 19); a sent
    quote is what the customer holds, so it is revised first (rule 4)."""
    quote = quoting.get_quote(session=session, number=number, for_update=True)
    quoting.check_draft(session, quote, "re-price")
    lines = quoting.quote_lines(session=session, quote=quote)
    changes = _price_again(session, quote, lines, on=quote.issue_date)
    for line in lines:
        settle_line_amounts(
            line, gross=quote.prices_include_tax, minor_digits=minor_digits(session)
        )
    session.add_all(lines)
    quoting.refresh_quote_totals(session, quote, lines)
    _record(session, quote, "repriced", "re-priced: " + _said(changes))
    return PricingChange(quote, changes)


def _price_again(session: Session, document, lines, *, on) -> list[str]:
    customer = session.get(Customer, document.customer_id)
    assert customer is not None  # customers are never deleted
    digits = minor_digits(session)
    skus = line_skus(session, lines)
    before = {id(line): (line.unit_price, line.price_source is None) for line in lines}
    found = prices_again(
        session,
        lines,
        price_list_id=customer.price_list_id,
        on=on,
        gross=document.prices_include_tax,
        minor_digits=digits,
    )
    changes = []
    for line, changed in zip(lines, found, strict=True):
        if changed is None:
            continue
        price_before, unrecorded = before[id(line)]
        if unrecorded and line.unit_price == price_before:
            changed = (
                f"price {from_minor(price_before, digits)} kept, "
                f"now recorded as {line.price_source}"
            )
        changes.append(f"line {line.position} ({skus[line.product_id]}): {changed}")
        if isinstance(line, OrderLine):
            line.last_state_change = now()
        session.add(line)
    return changes


def line_skus(session: Session, lines) -> dict[int, str]:
    """The SKU of each line's product, by product id, in one query."""
    ids = sorted({line.product_id for line in lines})
    if not ids:
        return {}
    rows = session.exec(select(Product.id, Product.sku).where(col(Product.id).in_(ids)))
    return {product_id: sku for product_id, sku in rows if product_id is not None}


# --- document discounts -------------------------------------------------------------


def set_order_discount(
    *,
    session: Session,
    number: str,
    pct: Decimal | None = None,
    amount: Decimal | None = None,
    clear: bool = False,
) -> PricingChange:
    """Set (or ``clear``) a discount on the whole of a draft order: a percentage off
    every line, or an amount spread over the lines in proportion to them."""
    _check_one(pct, amount, clear)
    order = ordering.get_order(session=session, number=number, for_update=True)
    _check_draft_order(order, "discounted as a whole")
    lines = ordering.order_lines(session=session, order=order)
    change = _discount(session, order, lines, pct=pct, amount=amount, clear=clear)
    ordering.refresh_totals(session, order, lines)
    return _after_discount(session, order, lines, change)


def set_quote_discount(
    *,
    session: Session,
    number: str,
    pct: Decimal | None = None,
    amount: Decimal | None = None,
    clear: bool = False,
) -> PricingChange:
    """``set_order_discount`` for a draft quote; a sent quote is revised first (rule 4)."""
    _check_one(pct, amount, clear)
    quote = quoting.get_quote(session=session, number=number, for_update=True)
    quoting.check_draft(session, quote, "discount")
    lines = quoting.quote_lines(session=session, quote=quote)
    change = _discount(session, quote, lines, pct=pct, amount=amount, clear=clear)
    quoting.refresh_quote_totals(session, quote, lines)
    return _after_discount(session, quote, lines, change)


def _check_one(pct: Decimal | None, amount: Decimal | None, clear: bool) -> None:
    given = sum(1 for value in (pct, amount) if value is not None) + bool(clear)
    if given != 1:
        raise InvalidInput("give exactly one of --pct, --amount or --clear")
    if pct is not None and not Decimal(0) < pct < HUNDRED:
        raise InvalidInput(
            f"a document discount of {pct}% must be more than 0% and less than 100% "
            "(100% would leave nothing to invoice)"
        )
    if amount is not None and amount <= 0:
        raise InvalidInput(f"a document discount of {amount} must be more than 0")


def _discount(session: Session, document, lines, *, pct, amount, clear) -> str:
    """Store the discount on the document and spread it over the lines; what it was."""
    digits = minor_digits(session)
    before = discount_text(document, digits)
    if clear:
        document.discount_pct = document.discount_amount = None
        for line in lines:
            line.doc_discount = 0
            settle_line_amounts(line, gross=document.prices_include_tax, minor_digits=digits)
        session.add_all(lines)
        return f"discount cleared (was {before})" if before else "no discount to clear"
    if amount is not None:
        units = to_minor(amount, digits)
        room = sum(amount_before_discount(line) for line in lines)
        if units > room:
            raise InvalidInput(
                f"a discount of {from_minor(units, digits)} is more than {document.number}'s "
                f"lines come to before it ({from_minor(room, digits)})",
                hint="give a smaller amount, or --pct",
            )
        document.discount_pct, document.discount_amount = None, units
    else:
        document.discount_pct, document.discount_amount = pct_to_db(pct), None
    spread_document_discount(document, lines, minor_digits=digits)
    session.add_all(lines)
    return f"discount {discount_text(document, digits)}" + (f" (was {before})" if before else "")


def discount_text(document, digits: int) -> str | None:
    """``5%`` or ``20.00``: a document's discount as people write it, or None."""
    if document.discount_pct:
        return f"{pct_from_db(document.discount_pct)}%"
    if document.discount_amount:
        return str(from_minor(document.discount_amount, digits))
    return None


def _after_discount(session: Session, document, lines, change: str) -> PricingChange:
    digits = minor_digits(session)
    taken = sum(line.doc_discount for line in lines)
    if document.discount_pct or document.discount_amount:
        change += f": {from_minor(taken, digits)} off over {len(lines)} line" + (
            "" if len(lines) == 1 else "s"
        )
    change += f"; total {from_minor(document.total, digits)}"
    if change.startswith("no discount"):
        return PricingChange(document, [change])
    _record(session, document, "discounted", change)
    return PricingChange(document, [change])


# --- shared -------------------------------------------------------------------------


def _check_draft_order(order: SalesOrder, done: str) -> None:
    """Prices and discounts change on a draft only (rule 16: a confirmed order's total
    is what its customer's credit was checked against)."""
    if order.status == OrderStatus.DRAFT:
        return
    raise RuleViolation(
        f"only a draft is {done}; {order.number} is {order.status}",
        hint="a confirmed order's prices and total are agreed and its customer's credit "
        f"was checked against them: cancel it and enter it again "
        f"(`ordercli order cancel {order.number}`), or give a credit memo once invoiced",
    )


def _said(changes: list[str]) -> str:
    return "; ".join(changes) if changes else "nothing changed"


def _record(session: Session, document, action: str, message: str) -> None:
    if isinstance(document, SalesOrder):
        record_event(
            session=session,
            subject_kind="order",
            subject_number=document.number,
            action=action,
            order_id=document.id,
            message=message,
        )
    else:
        record_event(
            session=session,
            subject_kind="quote",
            subject_number=document.number,
            action=action,
            quote_id=document.id,
            message=message,
        )
