"""`import orders`: web-shop and point-of-sale orders, one row per order line.

Columns (SPEC): ``order_ref, customer_code, order_date, sku, qty, unit_price,
discount_pct``, optional ``tax_rate`` (overrides the product's, as a web shop
decides tax per line), ``confirm`` and ``prices_include_tax``. Rows with the
same ``order_ref`` form one order, in file order, and must agree on customer,
date, confirm and prices_include_tax.

Prices (rule 19): a row's ``unit_price`` is the shop's price and wins
(``manual``); a row without one is priced from the customer's price list at the
order's date and the row's quantity, else at the product's price
(``order_prices``, one batched look-up for the whole file). An order's prices
include tax when its rows say ``prices_include_tax=true``, else when the
command's ``--prices-include-tax`` says so, else when the customer's price list
is gross; its lines are then gross: net = gross ÷ (1 + rate) rounded half-up at
the line, tax = gross − net.

The import is all-or-nothing: every row is checked first (values, then the
ledger: customers, products, rules 1 and 16), every problem is reported with
its line, and only a clean file writes anything. ``order_ref`` is the
idempotency key: an order whose reference is already in the ledger (or an
order entered by hand whose number is that reference, as a file exported by
``export orders`` names them) is skipped, so a re-run creates nothing twice.

Writes are set-based: numbers for all new orders in one UPDATE, orders, lines
and events each in one executemany, one reservation per product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.books.clock import now, today
from ordercli.books.events import record_events
from ordercli.books.numbering import lock_series, next_numbers
from ordercli.books.settings import get_setting, minor_digits
from ordercli.db.bulk import bulk_insert
from ordercli.db.lookup import chunks, lookup
from ordercli.domain.money import MAX_MINOR_UNITS, from_minor, line_amounts_units
from ordercli.domain.states import OrderStatus
from ordercli.domain.text import clean_text
from ordercli.domain.vat import zero_rated_sale
from ordercli.io.imports.fields import Columns
from ordercli.io.imports.order_prices import gross_lists, price_rows
from ordercli.io.imports.reader import Problem, read_table
from ordercli.io.imports.result import ImportResult, Progress
from ordercli.models import Customer, OrderLine, Product, SalesOrder
from ordercli.services.inventory.levels import allocate_stock, lock_products, reserve
from ordercli.services.parties.customers import lock_customer
from ordercli.services.sales.ordering import credit_exposure
from ordercli.services.sales.pricing import MANUAL

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy import ScalarResult

COLUMNS = (
    "order_ref",
    "customer_code",
    "order_date",
    "sku",
    "qty",
    "unit_price",
    "discount_pct",
    "tax_rate",
    "confirm",
    "prices_include_tax",
)
# unit_price is a column of every file; an empty cell is priced by rule 19.
REQUIRED = ("order_ref", "customer_code", "order_date", "sku", "qty", "unit_price")


@dataclass(slots=True)
class OrderIn:
    """One order of the file: its rows are indexes into the file's columns."""

    ref: str
    line: int
    customer_code: str | None
    order_date: date | None
    confirm: bool
    # As the file (or --prices-include-tax) says; None: as the customer's price list.
    gross_given: bool | None
    rows: list[int] = field(default_factory=list)
    customer_id: int = 0
    price_list_id: int | None = None
    gross: bool = False
    total: int = 0


@dataclass
class Rows:
    """The file's values, one list per column, and what the ledger adds to each row."""

    lines: list[int]
    skus: list[str | None]
    qtys: list[int | None]
    prices: list[int | None]
    discounts: list[int | None]
    tax_rates: list[int | None]
    bad: set[int]
    product_ids: list[int] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    nets: list[int] = field(default_factory=list)
    taxes: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    list_ids: list[int | None] = field(default_factory=list)


def import_orders(
    *,
    session: Session,
    path: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    override_credit: str | None = None,
    prices_include_tax: bool | None = None,
) -> ImportResult:
    """Import an orders file; ``prices_include_tax`` is the tax basis of orders whose
    rows do not say (None: as each customer's price list)."""

    override_credit = clean_text(override_credit, what="override reason", max_length=500)
    progress = progress or Progress()
    table = read_table(path, fmt=fmt, known=COLUMNS, required=REQUIRED)
    result = ImportResult(
        file=str(path), kind="orders", dry_run=dry_run, ignored_columns=table.ignored_columns
    )
    problems: list[Problem] = list(table.problems)
    result.rows = len(table.rows) + len(table.problems)
    # Concurrent imports of one file wait here, then find each other's orders.
    lock_series(session=session, kind="order")
    digits = minor_digits(session)
    progress.start(len(table.rows), "checking rows")
    rows, orders = _parse_rows(table, digits, problems, prices_include_tax)
    progress.advance(len(table.rows) // 2)
    existing = _existing_refs(session, list(orders))
    new_orders = [order for ref, order in orders.items() if ref not in existing]
    result.skipped = len(orders) - len(new_orders)
    _resolve(session, rows, new_orders, problems)
    overridden = _check_credit(session, new_orders, digits, problems, override_credit)
    progress.advance(len(table.rows) - len(table.rows) // 2)
    result.errors = sorted(problems, key=lambda p: p.line)
    if result.errors:
        return result
    result.created = len(new_orders)
    result.lines_created = sum(len(order.rows) for order in new_orders)
    result.confirmed = sum(order.confirm for order in new_orders)
    if not dry_run and new_orders:
        _write(session, rows, new_orders, path.name, digits, progress, overridden)
    return result


def _parse_rows(
    table, digits: int, problems: list[Problem], gross_default: bool | None
) -> tuple[Rows, dict[str, OrderIn]]:
    columns = Columns(table, problems)
    refs = columns.code("order_ref")
    customer_codes = columns.code("customer_code")
    dates = columns.day("order_date")
    confirms = columns.flag("confirm")
    grosses = [
        gross_default if value is None else value for value in columns.flag("prices_include_tax")
    ]
    rows = Rows(
        lines=columns.lines,
        skus=columns.code("sku"),
        qtys=columns.qty_units("qty"),
        prices=columns.money_units("unit_price", digits),
        discounts=columns.pct_units("discount_pct"),
        tax_rates=columns.pct_units("tax_rate"),
        bad=columns.bad_lines,
    )
    latest = today()
    if any(day is not None and day > latest for day in set(dates)):
        for line, order_date in zip(columns.lines, dates, strict=True):
            if order_date is not None and order_date > latest:
                columns.fail(line, f"order_date {order_date} is in the future")
    # Rows join their order by reference, bad ones too, so that the ledger checks
    # below (unknown customer or SKU, mixed orders) report them as well.
    orders: dict[str, OrderIn] = {}
    for index, ref in enumerate(refs):
        if ref is None:
            continue
        order = orders.get(ref)
        if order is None:
            orders[ref] = OrderIn(
                ref,
                columns.lines[index],
                customer_codes[index],
                dates[index],
                confirms[index] is True,
                grosses[index],
                [index],
            )
        else:
            order.rows.append(index)
    for order in orders.values():
        if len(order.rows) == 1:
            continue
        expected = (order.customer_code, order.order_date, order.confirm, order.gross_given)
        for index in order.rows[1:]:
            found = (customer_codes[index], dates[index], confirms[index] is True, grosses[index])
            if found != expected:
                _check_same_order(columns, columns.lines[index], order, *found)
    return rows, orders


def _check_same_order(
    columns: Columns, line: int, order: OrderIn, customer_code, order_date, confirm, gross
) -> None:
    where = f"order {order.ref} (line {order.line})"
    if (
        customer_code is None
        or order.customer_code is None
        or order_date is None
        or order.order_date is None
    ):
        return
    if customer_code.lower() != order.customer_code.lower():
        columns.fail(line, f"{where} is for customer {order.customer_code}, not {customer_code}")
    if order_date != order.order_date:
        columns.fail(line, f"{where} is dated {order.order_date}, not {order_date}")
    if confirm != order.confirm:
        columns.fail(
            line, f"{where} has confirm={str(order.confirm).lower()}, not {str(confirm).lower()}"
        )
    if gross != order.gross_given:
        columns.fail(
            line,
            f"{where} has prices_include_tax={_flag_text(order.gross_given)}, "
            f"not {_flag_text(gross)}",
        )


def _flag_text(value: bool | None) -> str:
    return "(empty)" if value is None else str(value).lower()


def _existing_refs(session: Session, refs: list[str]) -> set[str]:
    """References already in the ledger: imported before, or a hand-entered order's number."""
    found: set[str] = set()
    connection = session.connection()
    for chunk in chunks(refs):
        found.update(
            # order_ref IN (...) matches no NULL.
            cast(
                "ScalarResult[str]",
                connection.execute(
                    select(col(SalesOrder.order_ref)).where(col(SalesOrder.order_ref).in_(chunk))
                ).scalars(),
            )
        )
        found.update(
            connection.execute(
                select(col(SalesOrder.number)).where(
                    col(SalesOrder.number).in_(chunk), col(SalesOrder.order_ref).is_(None)
                )
            ).scalars()
        )
    return found


def _resolve(session: Session, rows: Rows, orders: list[OrderIn], problems) -> None:
    """Customers and products from the ledger; prices (rule 19) and totals; rules 1 and 10."""
    customers = lookup(
        session,
        Customer.code,
        {o.customer_code for o in orders if o.customer_code},
        (
            Customer.id,
            Customer.code,
            Customer.active,
            Customer.price_list_id,
            Customer.country,
            Customer.vat_id,
        ),
    )
    seller_country = get_setting(session=session, key="company_country")
    gross = gross_lists(session, {found[3] for found in customers.values() if found[3]})
    skus = rows.skus
    products = lookup(
        session,
        Product.sku,
        {sku for o in orders for i in o.rows if (sku := skus[i])},
        (
            Product.id,
            Product.sku,
            Product.name,
            Product.active,
            Product.tax_rate,
            Product.unit,
            Product.unit_price,
            Product.vat_category,
            Product.service,
        ),
    )
    count = len(rows.lines)
    rows.product_ids = [0] * count
    rows.descriptions = [""] * count
    rows.units = [""] * count
    rows.nets = [0] * count
    rows.taxes = [0] * count
    rows.sources = [MANUAL] * count
    rows.list_ids = [None] * count
    lines, bad = rows.lines, rows.bad
    priced: list[int] = []  # rows whose amounts can be worked out
    unpriced: list[tuple[int, int | None, date, bool]] = []
    product_prices: dict[int, int] = {}
    for order in orders:
        found = None if order.customer_code is None else customers.get(order.customer_code)
        if order.customer_code is None:
            pass
        elif found is None:
            problems.append(Problem(order.line, f"unknown customer {order.customer_code!r}"))
        elif not found[2]:
            problems.append(
                Problem(order.line, f"customer {found[1]} is inactive and gets no new orders")
            )
        else:
            order.customer_id, order.price_list_id = found[0], found[3]
        order.gross = (
            order.price_list_id in gross if order.gross_given is None else order.gross_given
        )
        for i in order.rows:
            code = skus[i]
            if code is None:
                continue
            product = products.get(code)
            if product is None:
                problems.append(Problem(lines[i], f"unknown SKU {code!r}"))
                continue
            product_id, sku, name, active, tax_rate, unit, unit_price, category, service = product
            if not active:
                problems.append(Problem(lines[i], f"product {sku} is inactive"))
                continue
            rows.product_ids[i], rows.descriptions[i] = product_id, name
            rows.units[i] = unit
            if lines[i] in bad:
                continue
            if rows.tax_rates[i] is None:
                # As `order add-line` prices it (``pricing.price_new_line``): a sale the
                # law zero rates carries no tax unless the row gives a rate.
                abroad = found is not None and zero_rated_sale(
                    product_category=category,
                    service=service,
                    seller_country=seller_country,
                    buyer_country=found[4],
                    buyer_vat_id=found[5],
                )
                rows.tax_rates[i] = 0 if abroad else tax_rate
            if rows.prices[i] is None:
                if order.order_date is None:
                    continue  # its first row is refused for the date: no day to price on
                # An order of an unknown customer is refused anyway: the product's price
                # stands in so that its lines are checked all the same.
                unpriced.append((i, order.price_list_id, order.order_date, order.gross))
                product_prices[product_id] = unit_price
            priced.append(i)
    if unpriced:
        found_prices = price_rows(
            session,
            unpriced,
            product_ids=rows.product_ids,
            qtys=rows.qtys,
            tax_rates=rows.tax_rates,
            product_prices=product_prices,
        )
        for (i, *_), (price, source, list_id) in zip(unpriced, found_prices, strict=True):
            rows.prices[i], rows.sources[i], rows.list_ids[i] = price, source, list_id
    _amounts(rows, orders, set(priced), problems)


def _amounts(rows: Rows, orders: list[OrderIn], priced: set[int], problems) -> None:
    """Net and tax of every priced row (rule 10, rule 19 on gross orders); order totals."""
    lines, skus = rows.lines, rows.skus
    for order in orders:
        total = 0
        gross = order.gross
        for i in order.rows:
            if i not in priced:
                continue
            qty, price, rate = rows.qtys[i], rows.prices[i], rows.tax_rates[i]
            # Set on every priced row (qty is required, a price is found for an empty
            # unit_price, the product's rate stands in for an empty tax_rate).
            assert qty is not None and price is not None and rate is not None
            net, tax = line_amounts_units(qty, price, rows.discounts[i] or 0, rate, gross)
            rows.nets[i], rows.taxes[i] = net, tax
            total += net + tax
            if net + tax >= MAX_MINOR_UNITS or price >= MAX_MINOR_UNITS:
                problems.append(Problem(lines[i], f"line total of {skus[i]} is too large"))
        order.total = total
        if total >= MAX_MINOR_UNITS:
            problems.append(Problem(order.line, f"order {order.ref} total is too large"))


def _check_credit(
    session: Session, orders: list[OrderIn], digits: int, problems, override: str | None
) -> dict[str, str]:
    """Rule 16 for the orders the file confirms, in file order, on top of what is owed.

    Returns, with ``override``, what each order past the limit is logged with."""

    confirming = [o for o in orders if o.confirm and o.customer_id]
    customer_ids = sorted({o.customer_id for o in confirming})
    limited: dict[int, list] = {}
    connection = session.connection()
    for chunk in chunks(customer_ids):
        # Rows of a primary key and a credit limit the query keeps only when not NULL.
        for customer_id, limit_units in cast(
            "Iterable[tuple[int, int]]",
            connection.execute(
                select(col(Customer.id), col(Customer.credit_limit)).where(
                    col(Customer.id).in_(chunk), col(Customer.credit_limit).is_not(None)
                )
            ),
        ):
            customer = lock_customer(session, session.get_one(Customer, customer_id))
            exposure = credit_exposure(session=session, customer=customer)
            limited[customer_id] = [customer, limit_units, exposure]
    overridden: dict[str, str] = {}
    for order in confirming:
        if order.customer_id not in limited:
            continue
        customer, limit, exposure = limited[order.customer_id]
        added = from_minor(order.total, digits)
        limit = from_minor(limit, digits)
        if exposure + added > limit:
            message = (
                f"{customer.code} would owe {exposure + added} against a credit limit of {limit} "
                f"(exposure {exposure} + this order {added})"
            )
            if override is None:
                problems.append(Problem(order.line, f"confirming order {order.ref}: {message}"))
                continue
            overridden[order.ref] = f"credit limit overridden: {message}; reason: {override}"
        limited[order.customer_id][2] = exposure + added
    return overridden


def _write(
    session: Session, rows: Rows, orders: list[OrderIn], file_name, digits, progress, overridden
):
    connection = session.connection()
    moment = now()
    numbers = next_numbers(session=session, kind="order", count=len(orders))
    progress.start(len(orders), "writing orders")
    nets, taxes = rows.nets, rows.taxes
    subtotals = [sum(nets[i] for i in order.rows) for order in orders]
    order_taxes = [sum(taxes[i] for i in order.rows) for order in orders]
    bulk_insert(
        session,
        SalesOrder.__table__,  # type: ignore[attr-defined]  # SQLModel does not declare it
        {
            "number": numbers,
            "customer_id": [order.customer_id for order in orders],
            "quote_id": None,
            "order_ref": [order.ref for order in orders],
            "billing_agreement_id": None,
            "status": [
                OrderStatus.CONFIRMED.value if o.confirm else OrderStatus.DRAFT.value
                for o in orders
            ],
            "hold_reason": None,
            "status_before_hold": None,
            "order_date": [order.order_date for order in orders],
            "prices_include_tax": [order.gross for order in orders],
            "confirmed_at": [moment if order.confirm else None for order in orders],
            "subtotal": subtotals,
            "tax": order_taxes,
            "total": [a + b for a, b in zip(subtotals, order_taxes, strict=True)],
            "created_at": moment,
        },
    )
    progress.advance(len(orders) // 2)
    id_of: dict[str, int] = {}
    for chunk in chunks([order.ref for order in orders]):
        id_of.update(
            # Rows of a matched (so not NULL) order_ref and a primary key.
            cast(
                "Sequence[tuple[str, int]]",
                connection.execute(
                    select(col(SalesOrder.order_ref), col(SalesOrder.id)).where(
                        col(SalesOrder.order_ref).in_(chunk)
                    )
                ).all(),
            )
        )
    ids = [id_of[order.ref] for order in orders]
    taken = [i for order in orders for i in order.rows]
    bulk_insert(
        session,
        OrderLine.__table__,  # type: ignore[attr-defined]  # SQLModel does not declare it
        {
            "order_id": [id_ for order, id_ in zip(orders, ids, strict=True) for _ in order.rows],
            "position": [n for order in orders for n in range(1, len(order.rows) + 1)],
            "product_id": [rows.product_ids[i] for i in taken],
            "description": [rows.descriptions[i] for i in taken],
            "unit": [rows.units[i] for i in taken],
            "qty": [rows.qtys[i] for i in taken],
            "unit_price": [rows.prices[i] for i in taken],
            "discount": [rows.discounts[i] or 0 for i in taken],
            "tax_rate": [rows.tax_rates[i] for i in taken],
            "net": [nets[i] for i in taken],
            "tax": [taxes[i] for i in taken],
            "price_source": [rows.sources[i] for i in taken],
            "price_list_id": [rows.list_ids[i] for i in taken],
            "doc_discount": 0,
            "qty_invoiced": 0,
            "qty_shipped": 0,
            "qty_credited": 0,
            "qty_returned": 0,
            "qty_backordered": 0,
            "qty_replaced": 0,
            "net_invoiced": 0,
            "tax_invoiced": 0,
            "last_state_change": moment,
        },
    )
    events = []
    for order, number, order_id in zip(orders, numbers, ids, strict=True):
        events.append(
            {
                "subject_kind": "order",
                "subject_number": number,
                "action": "created",
                "order_id": order_id,
                "message": f"order {number} opened for {order.customer_code} "
                f"from import {file_name} (ref {order.ref}, line {order.line})",
            }
        )
        if order.confirm:
            events.append(
                {
                    "subject_kind": "order",
                    "subject_number": number,
                    "action": "confirmed",
                    "order_id": order_id,
                    "message": f"order {number} confirmed on import, "
                    f"total {from_minor(order.total, digits)}",
                }
            )
        if order.ref in overridden:
            events.append(
                {
                    "subject_kind": "order",
                    "subject_number": number,
                    "action": "credit_override",
                    "order_id": order_id,
                    "message": overridden[order.ref],
                }
            )
    record_events(session=session, events=events)
    progress.advance(len(orders) - len(orders) // 2)
    _reserve(session, rows, [o for o in orders if o.confirm])


def _reserve(session: Session, rows: Rows, orders: list[OrderIn]) -> None:
    """Confirmed orders reserve their goods; backorders follow, per product, set-based."""
    wanted: dict[int, int] = {}
    for order in orders:
        for i in order.rows:
            product_id, qty = rows.product_ids[i], rows.qtys[i]
            assert qty is not None  # orders with an empty or refused qty are never written
            wanted[product_id] = wanted.get(product_id, 0) + qty
    products = lock_products(session, wanted)
    for product_id, qty in wanted.items():
        product = products[product_id]
        if product.service:
            continue
        reserve(session=session, product=product, qty=qty)
        allocate_stock(session=session, product=product)
