"""Price lists: named lists of prices customers buy from (SPEC rule 19).

A price on a list is one product's price from a quantity on (a break) within
dates (inclusive, open where not given). Its identity is list, product, break
and start date: setting a price with the same identity changes its price and
end date (that is how a price is ended: the same ``--from``, a new ``--to``);
anything else is a new price. Two prices of one list, product and break never
hold on the same day, so a line's price is never a matter of which row came
first (``check`` proves it). Changing a list never touches a document: lines
keep the price they were given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ordercli.books.clock import now
from ordercli.books.events import record_event
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import (
    from_minor,
    net_price_units,
    pct_text,
    qty_text,
    qty_to_db,
    to_minor,
)
from ordercli.domain.text import clean_code
from ordercli.models import Customer, PriceList, PriceListPrice, Product
from ordercli.services.inventory.catalog import get_product

ONE = 1000  # a quantity of 1 in the database's thousandths
LIST_HINT = "`ordercli pricelist list` shows the price lists"


def add_price_list(*, session: Session, name: str, gross: bool = False) -> PriceList:
    """A new, empty list. Names are codes: one word, kept as typed, matched and kept
    unique regardless of case (as customer codes and SKUs are)."""
    name = clean_code(name, what="price list name")
    twin = find_price_list(session=session, name=name)
    if twin is not None:
        raise RuleViolation(f"price list {twin.name} already exists")
    price_list = PriceList(name=name, gross=gross, created_at=now())
    session.add(price_list)
    session.flush()
    record_event(
        session=session,
        subject_kind="price_list",
        subject_number=name,
        action="created",
        message=f"price list {name} added ({'gross' if gross else 'net'} prices)",
    )
    return price_list


def find_price_list(*, session: Session, name: str) -> PriceList | None:
    found = session.exec(select(PriceList).where(PriceList.name == name)).first()
    if found is None:
        found = session.exec(
            select(PriceList).where(func.lower(PriceList.name) == name.lower())
        ).first()
    return found


def get_price_list(*, session: Session, name: str, for_update: bool = False) -> PriceList:
    """A list by name, any case. ``for_update`` locks it (PostgreSQL), so two commands
    changing its prices at once check their overlaps one after the other."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("price list name is empty")
    found = find_price_list(session=session, name=name)
    if found is None:
        raise NotFound(f"no price list {name!r}", hint=LIST_HINT)
    if for_update:
        lock_price_lists(session, [found.id])
    return found


def lock_price_lists(session: Session, ids: list) -> None:
    """Lock price lists' rows for this transaction; a no-op on SQLite, where one writer
    at a time holds the whole ledger."""
    if ids:
        session.connection().execute(
            sa_select(col(PriceList.id)).where(col(PriceList.id).in_(ids)).with_for_update()
        ).all()


def dates_text(valid_from: date | None, valid_to: date | None) -> str:
    """``from 2027-01-01 to 2027-06-30``, ``from 2027-01-01 on``, ``until …``, ``always``."""
    if valid_from is None and valid_to is None:
        return "always"
    if valid_to is None:
        return f"from {valid_from} on"
    if valid_from is None:
        return f"until {valid_to}"
    return f"from {valid_from} to {valid_to}"


def share_a_day(a_from, a_to, b_from, b_to) -> bool:
    """Whether two inclusive date ranges (None: open) have a day in common."""
    return (a_from is None or b_to is None or a_from <= b_to) and (
        b_from is None or a_to is None or b_from <= a_to
    )


def holds_on(price, on: date) -> bool:
    return (price.valid_from is None or price.valid_from <= on) and (
        price.valid_to is None or on <= price.valid_to
    )


@dataclass
class Slot:
    """A price as the rules compare it: the ledger's (``id``) or a file's row (``line``)."""

    min_qty: int
    valid_from: date | None
    valid_to: date | None
    unit_price: int
    id: int | None = None
    line: int | None = None


def check_price_values(
    *, unit_price: int, min_qty: int, valid_from: date | None, valid_to: date | None
) -> None:
    """The refusals of one price on its own (rule 19), in database units."""
    if unit_price <= 0:
        raise InvalidInput("a price must be more than zero")
    if min_qty < ONE:
        raise InvalidInput(f"a quantity break starts at 1 or more, not {qty_text(min_qty)}")
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise InvalidInput(f"the price ends ({valid_to}) before it starts ({valid_from})")


def check_gross_price(*, unit_price: int, sku: str, tax_rate: int, digits: int) -> None:
    """A gross list's price must leave a net price at the product's tax rate (rule 19:
    net = gross ÷ (1 + rate), rounded half-up)."""
    if net_price_units(unit_price, tax_rate) <= 0:
        raise RuleViolation(
            f"{from_minor(unit_price, digits)} including tax is too small for {sku} "
            f"at {pct_text(tax_rate)}% tax: net would be {from_minor(0, digits)}"
        )


def plan_price(
    slots: list[Slot], new: Slot, *, list_name: str, sku: str, digits: int
) -> tuple[str, Slot | None]:
    """What setting ``new`` does among the prices of its list, product and break:
    ``("created", None)``, ``("updated", slot)`` or ``("unchanged", slot)``; an overlap
    with any other price is refused."""
    same = next((s for s in slots if s.valid_from == new.valid_from), None)
    for other in slots:
        if other is same or not share_a_day(
            other.valid_from, other.valid_to, new.valid_from, new.valid_to
        ):
            continue
        raise RuleViolation(
            _overlap_message(other, new, list_name=list_name, sku=sku, digits=digits),
            hint=_overlap_hint(other, new, list_name=list_name, sku=sku, digits=digits),
        )
    if same is None:
        return "created", None
    if (same.unit_price, same.valid_to) == (new.unit_price, new.valid_to):
        return "unchanged", same
    return "updated", same


def _overlap_message(other: Slot, new: Slot, *, list_name: str, sku: str, digits: int) -> str:
    where = f" (line {other.line} of the file)" if other.line is not None else ""
    return (
        f"{list_name} already has a price for {sku} from {qty_text(other.min_qty)} on"
        f"{where}: {from_minor(other.unit_price, digits)} "
        f"({dates_text(other.valid_from, other.valid_to)}), which shares days with "
        f"the new one ({dates_text(new.valid_from, new.valid_to)})"
    )


def _overlap_hint(other: Slot, new: Slot, *, list_name: str, sku: str, digits: int) -> str:
    ends = (
        new.valid_from - timedelta(days=1)
        if new.valid_from is not None
        and (other.valid_from is None or other.valid_from < new.valid_from)
        else "DAY"
    )
    start = f" --from {other.valid_from}" if other.valid_from is not None else ""
    breaks = f" --min-qty {qty_text(other.min_qty)}" if other.min_qty != ONE else ""
    return (
        f"end it first: `ordercli pricelist set-price {list_name} {sku} "
        f"{from_minor(other.unit_price, digits)}{breaks}{start} --to {ends}`, "
        f"or remove it: `ordercli pricelist remove-price {list_name} {sku}{breaks}{start}`"
    )


def _slots(session: Session, price_list: PriceList, product: Product, min_qty: int) -> list:
    return list(
        session.exec(
            select(PriceListPrice).where(
                PriceListPrice.price_list_id == price_list.id,
                PriceListPrice.product_id == product.id,
                PriceListPrice.min_qty == min_qty,
            )
        )
    )


def set_price(
    *,
    session: Session,
    list_name: str,
    sku: str,
    price: Decimal,
    min_qty: Decimal = Decimal(1),
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> tuple[PriceListPrice, str]:
    """Set one price on a list (rule 19); returns it and ``created``, ``updated`` or
    ``unchanged``."""
    price_list = get_price_list(session=session, name=list_name, for_update=True)
    digits = minor_digits(session)
    units, breaks = to_minor(price, digits), qty_to_db(min_qty)
    check_price_values(unit_price=units, min_qty=breaks, valid_from=valid_from, valid_to=valid_to)
    product = get_product(session=session, sku=sku)
    if not product.active:
        raise RuleViolation(f"product {product.sku} is inactive")
    if price_list.gross:
        check_gross_price(
            unit_price=units, sku=product.sku, tax_rate=product.tax_rate, digits=digits
        )
    rows = _slots(session, price_list, product, breaks)
    slots = [Slot(r.min_qty, r.valid_from, r.valid_to, r.unit_price, id=r.id) for r in rows]
    new = Slot(breaks, valid_from, valid_to, units)
    action, same = plan_price(slots, new, list_name=price_list.name, sku=product.sku, digits=digits)
    if same is not None:
        row = next(r for r in rows if r.id == same.id)
        if action == "unchanged":
            return row, action
        before = f"{from_minor(row.unit_price, digits)} {dates_text(row.valid_from, row.valid_to)}"
        row.unit_price, row.valid_to = units, valid_to
    else:
        assert price_list.id is not None and product.id is not None  # stored rows
        before = None
        row = PriceListPrice(
            price_list_id=price_list.id,
            product_id=product.id,
            min_qty=breaks,
            unit_price=units,
            valid_from=valid_from,
            valid_to=valid_to,
            created_at=now(),
        )
    session.add(row)
    session.flush()
    described = (
        f"{product.sku} from {qty_text(breaks)}: {from_minor(units, digits)} "
        f"{dates_text(valid_from, valid_to)}"
    )
    record_event(
        session=session,
        subject_kind="price_list",
        subject_number=price_list.name,
        action="price " + action,
        message=f"price list {price_list.name}: {described}"
        + (f" (was {before})" if before else ""),
    )
    return row, action


def remove_price(
    *,
    session: Session,
    list_name: str,
    sku: str,
    min_qty: Decimal = Decimal(1),
    valid_from: date | None = None,
) -> PriceListPrice:
    """Remove one price; without ``valid_from`` the break must have only one."""
    price_list = get_price_list(session=session, name=list_name, for_update=True)
    product = get_product(session=session, sku=sku)
    breaks = qty_to_db(min_qty)
    rows = _slots(session, price_list, product, breaks)
    if valid_from is not None:
        rows = [r for r in rows if r.valid_from == valid_from]
    what = f"{product.sku} from {qty_text(breaks)}" + (
        f" starting {valid_from}" if valid_from else ""
    )
    if not rows:
        raise NotFound(
            f"{price_list.name} has no price for {what}",
            hint=f"`ordercli pricelist show {price_list.name} --sku {product.sku}` shows them",
        )
    if len(rows) > 1:
        dates = "; ".join(dates_text(r.valid_from, r.valid_to) for r in _by_start(rows))
        raise RuleViolation(
            f"{price_list.name} has {len(rows)} prices for {what} ({dates}): say which with --from",
        )
    row = rows[0]
    digits = minor_digits(session)
    session.delete(row)
    record_event(
        session=session,
        subject_kind="price_list",
        subject_number=price_list.name,
        action="price removed",
        message=f"price list {price_list.name}: removed {product.sku} from "
        f"{qty_text(breaks)} at {from_minor(row.unit_price, digits)} "
        f"{dates_text(row.valid_from, row.valid_to)}",
    )
    return row


def _by_start(rows: Iterable) -> list:
    return sorted(rows, key=lambda r: (r.valid_from is not None, r.valid_from or date.min))


def list_price_lists(*, session: Session) -> list[tuple[PriceList, int, int]]:
    """Every list, by name, with its number of prices and of customers buying from it."""
    lists = list(session.exec(select(PriceList).order_by(col(PriceList.name))))
    connection = session.connection()
    prices: dict[int | None, int] = {
        list_id: count
        for list_id, count in connection.execute(
            sa_select(col(PriceListPrice.price_list_id), func.count()).group_by(
                col(PriceListPrice.price_list_id)
            )
        )
    }
    customers: dict[int | None, int] = {
        list_id: count
        for list_id, count in connection.execute(
            sa_select(col(Customer.price_list_id), func.count())
            .where(col(Customer.price_list_id).is_not(None))
            .group_by(col(Customer.price_list_id))
        )
    }
    return [(p, prices.get(p.id, 0), customers.get(p.id, 0)) for p in lists]


def prices_of(
    *, session: Session, price_list: PriceList, sku: str | None = None
) -> list[tuple[PriceListPrice, Product]]:
    """A list's prices (of one product with ``sku``), by SKU, break and start date."""
    query = (
        select(PriceListPrice, Product)
        .join(Product, col(Product.id) == col(PriceListPrice.product_id))
        .where(PriceListPrice.price_list_id == price_list.id)
    )
    if sku is not None:
        query = query.where(PriceListPrice.product_id == get_product(session=session, sku=sku).id)
    rows = list(session.exec(query).all())
    return sorted(
        rows,
        key=lambda r: (
            r[1].sku,
            r[0].min_qty,
            r[0].valid_from is not None,
            r[0].valid_from or date.min,
        ),
    )
