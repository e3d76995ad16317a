"""Pricing of quote and order lines, in one place for both (SPEC rules 10 and 19).

Where a price comes from, in order: a price typed on the line (``manual``); the
customer's price list at the document's date and quantity, the highest break not
above the quantity (``list`` from 1 on, ``break`` above); the product's own price
(``product``). ``resolve_prices`` answers that for any number of lines with one
query per thousand products, so a single line and a 100,000-line import go the
same way.

A document's prices either all include tax or none do (``prices_include_tax``):
a price from the other kind of list, or the product's net price on a gross
document, is converted at the line's tax rate, rounded half-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as select_model

from ordercli.books.settings import get_setting, minor_digits
from ordercli.db.lookup import chunks
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    MAX_MINOR_UNITS,
    from_minor,
    gross_price_units,
    line_amounts,
    line_amounts_units,
    net_price_units,
    pct_from_db,
    pct_to_db,
    qty_from_db,
    qty_to_db,
    spread_discount,
    to_minor,
)
from ordercli.domain.vat import zero_rated_sale
from ordercli.models import Customer, PriceList, PriceListPrice, Product

# Where a line's price came from (rule 19).
MANUAL, LIST, BREAK, PRODUCT = "manual", "list", "break", "product"
ONE = 1000  # a quantity of 1 in the database's thousandths


@dataclass(frozen=True)
class PriceRequest:
    """One line to price from a list: which list, product and quantity, on which day."""

    price_list_id: int | None
    product_id: int
    qty: int
    on: date


@dataclass(frozen=True)
class ListPrice:
    """A price found on a list (database units) and where exactly."""

    unit_price: int
    price_list_id: int
    min_qty: int
    gross: bool
    valid_from: date | None
    valid_to: date | None

    @property
    def source(self) -> str:
        return BREAK if self.min_qty > ONE else LIST


def resolve_prices(session: Session, requests: Sequence[PriceRequest]) -> list[ListPrice | None]:
    """The list price of each request, or None where its list has none that holds.

    Of a product's prices on a list, the one that holds is valid on the day and has
    the highest quantity break not above the line's quantity (rule 19)."""
    list_ids = {r.price_list_id for r in requests if r.price_list_id is not None}
    if not list_ids:
        return [None] * len(requests)
    product_ids = sorted({r.product_id for r in requests if r.price_list_id is not None})
    gross = dict(
        session.connection()
        .execute(
            select(col(PriceList.id), col(PriceList.gross)).where(col(PriceList.id).in_(list_ids))
        )
        .all()  # rows: dict() would take the result itself for a mapping
    )
    candidates: dict[tuple[int, int], list[ListPrice]] = {}
    for _, list_id, product_id, min_qty, price, valid_from, valid_to in stored_prices(
        session, list_ids, product_ids
    ):
        candidates.setdefault((list_id, product_id), []).append(
            ListPrice(price, list_id, min_qty, bool(gross[list_id]), valid_from, valid_to)
        )
    for prices in candidates.values():
        prices.sort(key=lambda p: -p.min_qty)
    return [
        None
        if r.price_list_id is None
        else _holding(candidates.get((r.price_list_id, r.product_id), ()), r)
        for r in requests
    ]


def stored_prices(session: Session, list_ids: Iterable[int], product_ids: Sequence[int]):
    """The rows ``(id, price_list_id, product_id, min_qty, unit_price, valid_from,
    valid_to)`` of these lists' prices of these products, one query per chunk."""
    list_ids = sorted(list_ids)
    for chunk in chunks(list(product_ids)):
        yield from session.connection().execute(
            select(
                col(PriceListPrice.id),
                col(PriceListPrice.price_list_id),
                col(PriceListPrice.product_id),
                col(PriceListPrice.min_qty),
                col(PriceListPrice.unit_price),
                col(PriceListPrice.valid_from),
                col(PriceListPrice.valid_to),
            ).where(
                col(PriceListPrice.price_list_id).in_(list_ids),
                col(PriceListPrice.product_id).in_(chunk),
            )
        )


def _holding(prices: Iterable[ListPrice], request: PriceRequest) -> ListPrice | None:
    for price in prices:  # highest break first
        if price.min_qty > request.qty:
            continue
        if price.valid_from is not None and request.on < price.valid_from:
            continue
        if price.valid_to is not None and request.on > price.valid_to:
            continue
        return price
    return None


@dataclass(frozen=True)
class PricedLine:
    """Database values (integer units) of one priced line, and where its price came from."""

    qty: int
    unit_price: int
    discount: int
    tax_rate: int
    net: int
    tax: int
    price_source: str
    price_list_id: int | None

    def columns(self) -> dict[str, Any]:
        """The priced columns a quote or order line stores."""
        return dict(self.__dict__)


def basis_price(price: int, *, gross: bool, document_gross: bool, tax_rate: int) -> int:
    """A unit price (minor units) on a document's basis: with tax when its prices
    include tax, without otherwise."""
    if gross == document_gross:
        return price
    return (
        gross_price_units(price, tax_rate) if document_gross else net_price_units(price, tax_rate)
    )


def price_line(
    *,
    product: Product,
    qty: Decimal,
    unit_price: Decimal | None,
    discount_pct: Decimal | None,
    tax_rate: Decimal | None = None,
    listed: ListPrice | None = None,
    gross: bool = False,
    minor_digits: int,
) -> PricedLine:
    """Price one line by rule 19: ``unit_price`` typed by the user wins, then
    ``listed`` (from ``resolve_prices``), then the product's price. ``gross``: the
    document's prices include tax, so a typed price is read as gross."""
    if not product.active:
        raise InvalidInput(f"product {product.sku} is inactive")
    rate = pct_to_db(pct_from_db(product.tax_rate) if tax_rate is None else tax_rate)
    if unit_price is not None:
        price, source, list_id = to_minor(unit_price, minor_digits), MANUAL, None
    else:
        price, source, list_id = found_price(product, listed, gross=gross, tax_rate=rate)
    discount = pct_to_db(discount_pct) if discount_pct is not None else 0
    db_qty = qty_to_db(qty)
    net, tax = line_amounts_units(db_qty, price, discount, rate, gross)
    _check_size(net + tax, price)
    return PricedLine(db_qty, price, discount, rate, net, tax, source, list_id)


def price_new_line(
    session: Session,
    *,
    product: Product,
    qty: Decimal,
    unit_price: Decimal | None,
    discount_pct: Decimal | None,
    tax_rate: Decimal | None = None,
    customer: Customer,
    on: date,
    gross: bool,
) -> PricedLine:
    """A line added to a quote or an order: ``price_line`` with the customer's list
    looked up at the document's date, unless a price was typed. A sale the law zero
    rates (``domain.vat``: abroad, or a product sold without VAT) carries no tax
    unless a rate is given."""
    assert product.id is not None  # a stored product
    price_list_id = customer.price_list_id
    if tax_rate is None and zero_rated_for(session, product, customer):
        tax_rate = Decimal(0)
    listed = None
    if unit_price is None:
        listed = list_price_for(
            session, price_list_id=price_list_id, product_id=product.id, qty=qty_to_db(qty), on=on
        )
    return price_line(
        product=product,
        qty=qty,
        unit_price=unit_price,
        discount_pct=discount_pct,
        tax_rate=tax_rate,
        listed=listed,
        gross=gross,
        minor_digits=minor_digits(session),
    )


def found_price(
    product: Product, listed: ListPrice | None, *, gross: bool, tax_rate: int
) -> tuple[int, str, int | None]:
    """Unit price (minor units, on the document's basis), source and list of a line
    nobody typed a price for: the list's price, else the product's."""
    if listed is not None:
        price = basis_price(
            listed.unit_price, gross=listed.gross, document_gross=gross, tax_rate=tax_rate
        )
        return price, listed.source, listed.price_list_id
    price = basis_price(product.unit_price, gross=False, document_gross=gross, tax_rate=tax_rate)
    return price, PRODUCT, None


def price_again(
    session: Session, line, *, price_list_id: int | None, on: date, gross: bool, minor_digits: int
) -> str | None:
    """Look a line's price up again (its quantity changed on a draft): a typed price
    stays. Returns what changed, for the event log, or None."""
    return prices_again(
        session, [line], price_list_id=price_list_id, on=on, gross=gross, minor_digits=minor_digits
    )[0]


def prices_again(
    session: Session,
    lines: Sequence,
    *,
    price_list_id: int | None,
    on: date,
    gross: bool,
    minor_digits: int,
) -> list[str | None]:
    """``price_again`` for a document's lines, with one lookup for all of them
    (``order reprice``): what changed on each line, or None."""
    wanted = [line for line in lines if line.price_source != MANUAL]
    listed = resolve_prices(
        session, [PriceRequest(price_list_id, line.product_id, line.qty, on) for line in wanted]
    )
    ids = sorted({line.product_id for line in wanted})
    products = {
        product.id: product
        for chunk in chunks(ids)
        for product in session.exec(select_model(Product).where(col(Product.id).in_(chunk)))
    }
    found = {
        id(line): found_price(products[line.product_id], price, gross=gross, tax_rate=line.tax_rate)
        for line, price in zip(wanted, listed, strict=True)
    }
    changes: list[str | None] = []
    for line in lines:
        new = found.get(id(line))
        if new is None or new == (line.unit_price, line.price_source, line.price_list_id):
            changes.append(None)
            continue
        before = from_minor(line.unit_price, minor_digits)
        line.unit_price, line.price_source, line.price_list_id = new
        changes.append(f"price {before} → {from_minor(new[0], minor_digits)} ({new[1]})")
    return changes


def source_note(session: Session, line) -> str:
    """`` from price list TRADE (10+)`` for a line priced from a list, else nothing:
    what the event log adds to "3 × WIDGET at 11.50"."""
    if line.price_list_id is None:
        return ""
    price_list = session.get(PriceList, line.price_list_id)
    assert price_list is not None  # lists are never deleted
    if line.price_source == BREAK:
        return f" from price list {price_list.name} (break)"
    return f" from price list {price_list.name}"


def _check_size(amount: int, price: int) -> None:
    if abs(amount) >= MAX_MINOR_UNITS or price >= MAX_MINOR_UNITS:
        raise InvalidInput("line total is too large")


class PricedRow(Protocol):
    """A stored quote or order line, as repricing sees it."""

    qty: int
    unit_price: int
    discount: int
    tax_rate: int
    net: int
    tax: int
    doc_discount: int


class DiscountedDocument(Protocol):
    """A quote or an order, as its discount and tax basis."""

    prices_include_tax: bool
    discount_pct: int | None
    discount_amount: int | None


def reprice(line: PricedRow, *, gross: bool, minor_digits: int) -> tuple[int, int]:
    """Net and tax (minor units) of a stored line at its current quantity, price and
    share of the document discount."""
    net, tax = line_amounts(
        qty_from_db(line.qty),
        from_minor(line.unit_price, minor_digits),
        pct_from_db(line.discount),
        pct_from_db(line.tax_rate),
        gross=gross,
        doc_discount=from_minor(line.doc_discount, minor_digits),
        minor_digits=minor_digits,
    )
    _check_size(to_minor(net, minor_digits) + to_minor(tax, minor_digits), line.unit_price)
    return to_minor(net, minor_digits), to_minor(tax, minor_digits)


def amount_before_discount(line: PricedRow) -> int:
    """A line's own rounded amount before the document discount (minor units)."""
    net, tax = line_amounts_units(line.qty, line.unit_price, line.discount, 0)
    return net


def spread_document_discount(
    document: DiscountedDocument, lines: Sequence[PricedRow], *, minor_digits: int
) -> None:
    """Give every line its share of the document's discount and price it again.

    A percentage is taken from each line on its own. An amount is spread over what
    is not invoiced yet: what invoices already took of it stays where it is, and
    the rest of the amount is shared by the lines' amounts still to invoice, so the
    shares always add up to the amount, also after a quantity changed."""
    gross = document.prices_include_tax
    if document.discount_amount:
        taken = [invoiced_share(line, gross) for line in lines]
        rest = [max(amount_before_discount(line) - _amount_invoiced(line), 0) for line in lines]
        left = max(document.discount_amount - sum(taken), 0)
        if left > sum(rest):
            raise InvalidInput(
                f"the document discount {from_minor(document.discount_amount, minor_digits)} "
                f"is more than the lines it is spread over "
                f"({from_minor(sum(rest) + sum(taken), minor_digits)})"
            )
        shares = [a + b for a, b in zip(taken, spread_discount(rest, amount=left), strict=True)]
    else:
        amounts = [amount_before_discount(line) for line in lines]
        shares = spread_discount(amounts, pct=document.discount_pct)
    for line, share in zip(lines, shares, strict=True):
        line.doc_discount = share
        settle_line_amounts(line, gross=gross, minor_digits=minor_digits)


def _amount_invoiced(line: PricedRow) -> int:
    """The rounded amount before the document discount of what stands invoiced."""
    invoiced = getattr(line, "qty_invoiced", 0)
    if not invoiced:
        return 0
    amount, _ = line_amounts_units(invoiced, line.unit_price, line.discount, 0)
    return amount


def invoiced_share(line: PricedRow, gross: bool) -> int:
    """How much of the document discount the line's invoices took: their amount
    before it less what they billed (net, or net and tax when prices are gross)."""
    before = _amount_invoiced(line)
    if not before:
        return 0
    billed = line.net_invoiced + (line.tax_invoiced if gross else 0)  # type: ignore[attr-defined]
    return min(max(before - billed, 0), before)


def settle_line_amounts(line: PricedRow, *, gross: bool, minor_digits: int) -> None:
    """Price a line again, never below what its invoices already hold."""
    line.net, line.tax = reprice(line, gross=gross, minor_digits=minor_digits)
    invoiced = getattr(line, "qty_invoiced", 0)
    if not invoiced:
        return
    net_invoiced, tax_invoiced = line.net_invoiced, line.tax_invoiced  # type: ignore[attr-defined]
    if line.qty == invoiced:
        # Exactly what is invoiced: the line is what its invoices say, so the order
        # still adds up to its invoices to the cent.
        line.net, line.tax = net_invoiced, tax_invoiced
    else:
        # Partial invoices each rounded by rule 10 can hold more than the smaller line
        # does (3 × 0.5 at 0.01 is 0.03, 2 at 0.01 is 0.02): the line never totals less
        # than its invoices, and what is left to invoice takes what is left of it.
        line.net, line.tax = max(line.net, net_invoiced), max(line.tax, tax_invoiced)


PRICED_COLUMNS = (
    "qty",
    "unit_price",
    "discount",
    "tax_rate",
    "net",
    "tax",
    "price_source",
    "price_list_id",
    "doc_discount",
)
DOCUMENT_TERMS = ("prices_include_tax", "discount_pct", "discount_amount")


def priced_columns(line) -> dict:
    """A line's priced columns, to copy it as priced (a revision, a copy, a conversion)."""
    return {name: getattr(line, name) for name in PRICED_COLUMNS}


def copy_terms(source: DiscountedDocument, target: DiscountedDocument) -> None:
    """A document's tax basis and discount, onto its revision, copy or order."""
    for name in DOCUMENT_TERMS:
        setattr(target, name, getattr(source, name))


def totals(lines) -> tuple[int, int, int]:
    """Subtotal, tax and total of a document: sums of its rounded lines."""
    subtotal = sum(line.net for line in lines)
    tax = sum(line.tax for line in lines)
    return subtotal, tax, subtotal + tax


def list_price_for(
    session: Session, *, price_list_id: int | None, product_id: int, qty: int, on: date
) -> ListPrice | None:
    """The price of one line on a customer's list (``resolve_prices`` for one)."""
    return resolve_prices(session, [PriceRequest(price_list_id, product_id, qty, on)])[0]


def gross_by_default(session: Session, price_list_id: int | None) -> bool:
    """Whether a new document for a customer buying from this list has prices that
    include tax: yes when the list is gross."""
    if price_list_id is None:
        return False
    price_list = session.get(PriceList, price_list_id)
    return bool(price_list and price_list.gross)


def zero_rated_for(session: Session, product: Product, customer: Customer) -> bool:
    """Whether ``product`` sold to ``customer`` carries no VAT (``domain.vat``)."""
    return zero_rated_sale(
        product_category=product.vat_category,
        service=product.service,
        seller_country=get_setting(session=session, key="company_country"),
        buyer_country=customer.country,
        buyer_vat_id=customer.vat_id,
    )
