"""`import orders`: web-shop and point-of-sale orders, one row per order line.

Columns (SPEC): ``order_ref, customer_code, order_date, sku, qty, unit_price,
discount_pct``, optional ``tax_rate`` (overrides the product's, as a web shop
decides tax per line) and ``confirm``. Rows with the same ``order_ref`` form
one order, in file order, and must agree on customer, date and confirm.

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

from sqlalchemy import select
from sqlmodel import Session

from ordercli.domain.money import MAX_MINOR_UNITS, from_minor, line_amounts_units
from ordercli.domain.states import OrderStatus
from ordercli.models import Customer, OrderLine, Product, SalesOrder
from ordercli.services.bulk import bulk_insert
from ordercli.services.clock import now, today
from ordercli.services.events import record_events
from ordercli.services.imports.fields import Columns
from ordercli.services.imports.lookup import chunks, lookup
from ordercli.services.imports.reader import Problem, read_table
from ordercli.services.imports.result import ImportResult, Progress
from ordercli.services.numbering import lock_series, next_numbers
from ordercli.services.settings import minor_digits

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
)
REQUIRED = ("order_ref", "customer_code", "order_date", "sku", "qty", "unit_price")


@dataclass(slots=True)
class LineIn:
    line: int
    sku: str
    qty: int
    unit_price: int
    discount: int
    tax_rate: int | None
    ok: bool = True
    product_id: int = 0
    description: str = ""
    net: int = 0
    tax: int = 0


@dataclass(slots=True)
class OrderIn:
    ref: str
    line: int
    customer_code: str
    order_date: date
    confirm: bool
    lines: list[LineIn] = field(default_factory=list)
    customer_id: int = 0
    total: int = 0


def import_orders(
    *,
    session: Session,
    path: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    progress = progress or Progress()
    table = read_table(path, fmt=fmt, known=COLUMNS, required=REQUIRED)
    result = ImportResult(
        file=path.name, kind="orders", dry_run=dry_run, ignored_columns=table.ignored_columns
    )
    problems: list[Problem] = list(table.problems)
    result.rows = len(table.rows) + len(table.problems)
    # Concurrent imports of one file wait here, then find each other's orders.
    lock_series(session=session, kind="order")
    digits = minor_digits(session)
    progress.start(len(table.rows), "checking rows")
    orders = _parse_rows(table, digits, problems, progress)
    existing = _existing_refs(session, list(orders))
    new_orders = [order for ref, order in orders.items() if ref not in existing]
    result.skipped = len(orders) - len(new_orders)
    _resolve(session, new_orders, digits, problems)
    _check_credit(session, new_orders, digits, problems)
    result.errors = sorted(problems, key=lambda p: p.line)
    if result.errors:
        return result
    result.created = len(new_orders)
    result.lines_created = sum(len(order.lines) for order in new_orders)
    result.confirmed = sum(order.confirm for order in new_orders)
    if not dry_run and new_orders:
        _write(session, new_orders, path.name, digits, progress)
    return result


def _parse_rows(table, digits: int, problems: list[Problem], progress) -> dict[str, OrderIn]:
    columns = Columns(table, problems)
    refs = columns.code("order_ref")
    customer_codes = columns.code("customer_code")
    dates = columns.day("order_date")
    skus = columns.code("sku")
    qtys = columns.qty_units("qty")
    prices = columns.money_units("unit_price", digits, required=True)
    discounts = columns.pct_units("discount_pct")
    tax_rates = columns.pct_units("tax_rate")
    confirms = columns.flag("confirm")
    latest = today()
    if any(day is not None and day > latest for day in set(dates)):
        for line, order_date in zip(columns.lines, dates, strict=True):
            if order_date is not None and order_date > latest:
                columns.fail(line, f"order_date {order_date} is in the future")
    progress.advance(len(table.rows) // 2)
    bad = columns.bad_lines
    orders: dict[str, OrderIn] = {}
    for line, ref, customer_code, order_date, sku, qty, price, discount, tax_rate, confirm in zip(
        columns.lines,
        refs,
        customer_codes,
        dates,
        skus,
        qtys,
        prices,
        discounts,
        tax_rates,
        confirms,
        strict=True,
    ):
        if ref is None:
            continue
        # A row with a bad value still joins its order, so that the ledger checks
        # below (unknown customer or SKU, mixed orders) report it too.
        confirm = confirm is True
        order = orders.get(ref)
        if order is None:
            order = orders[ref] = OrderIn(ref, line, customer_code, order_date, confirm)
        elif (customer_code, order_date, confirm) != (
            order.customer_code,
            order.order_date,
            order.confirm,
        ):
            _check_same_order(columns, line, order, customer_code, order_date, confirm)
        order.lines.append(LineIn(line, sku, qty, price, discount or 0, tax_rate, line not in bad))
    progress.advance(len(table.rows) - len(table.rows) // 2)
    return orders


def _check_same_order(
    columns: Columns, line: int, order: OrderIn, customer_code, order_date, confirm
) -> None:
    where = f"order {order.ref} (line {order.line})"
    if None in (customer_code, order.customer_code, order_date, order.order_date):
        return
    if customer_code.lower() != order.customer_code.lower():
        columns.fail(line, f"{where} is for customer {order.customer_code}, not {customer_code}")
    if order_date != order.order_date:
        columns.fail(line, f"{where} is dated {order.order_date}, not {order_date}")
    if confirm != order.confirm:
        columns.fail(
            line, f"{where} has confirm={str(order.confirm).lower()}, not {str(confirm).lower()}"
        )


def _existing_refs(session: Session, refs: list[str]) -> set[str]:
    """References already in the ledger: imported before, or a hand-entered order's number."""
    found: set[str] = set()
    connection = session.connection()
    for chunk in chunks(refs):
        found.update(
            connection.execute(
                select(SalesOrder.order_ref).where(SalesOrder.order_ref.in_(chunk))
            ).scalars()
        )
        found.update(
            connection.execute(
                select(SalesOrder.number).where(
                    SalesOrder.number.in_(chunk), SalesOrder.order_ref.is_(None)
                )
            ).scalars()
        )
    return found


def _resolve(session: Session, orders: list[OrderIn], digits: int, problems) -> None:
    """Customers and products from the ledger; prices and totals; rules 1 and 10."""
    customers = lookup(
        session,
        Customer.code,
        {o.customer_code for o in orders if o.customer_code},
        (Customer.id, Customer.code, Customer.active),
    )
    products = lookup(
        session,
        Product.sku,
        {ln.sku for o in orders for ln in o.lines if ln.sku},
        (Product.id, Product.sku, Product.name, Product.active, Product.tax_rate),
    )
    for order in orders:
        found = customers.get(order.customer_code)
        if order.customer_code is None:
            pass
        elif found is None:
            problems.append(Problem(order.line, f"unknown customer {order.customer_code!r}"))
        elif not found[2]:
            problems.append(
                Problem(order.line, f"customer {found[1]} is inactive and gets no new orders")
            )
        else:
            order.customer_id = found[0]
        for line in order.lines:
            if line.sku is None:
                continue
            product = products.get(line.sku)
            if product is None:
                problems.append(Problem(line.line, f"unknown SKU {line.sku!r}"))
                continue
            product_id, sku, name, active, tax_rate = product
            if not active:
                problems.append(Problem(line.line, f"product {sku} is inactive"))
                continue
            line.product_id, line.description = product_id, name
            if not line.ok:
                continue
            if line.tax_rate is None:
                line.tax_rate = tax_rate
            line.net, line.tax = line_amounts_units(
                line.qty, line.unit_price, line.discount, line.tax_rate
            )
            if line.net + line.tax >= MAX_MINOR_UNITS:
                problems.append(Problem(line.line, f"line total of {sku} is too large"))
        order.total = sum(ln.net + ln.tax for ln in order.lines)
        if order.total >= MAX_MINOR_UNITS:
            problems.append(Problem(order.line, f"order {order.ref} total is too large"))


def _check_credit(session: Session, orders: list[OrderIn], digits: int, problems) -> None:
    """Rule 16 for the orders the file confirms, in file order, on top of what is owed."""
    from ordercli.services.customers import lock_customer
    from ordercli.services.ordering import credit_exposure

    confirming = [o for o in orders if o.confirm and o.customer_id]
    customer_ids = sorted({o.customer_id for o in confirming})
    limited: dict[int, list] = {}
    connection = session.connection()
    for chunk in chunks(customer_ids):
        for customer_id, limit in connection.execute(
            select(Customer.id, Customer.credit_limit).where(
                Customer.id.in_(chunk), Customer.credit_limit.is_not(None)
            )
        ):
            customer = lock_customer(session, session.get(Customer, customer_id))
            exposure = credit_exposure(session=session, customer=customer)
            limited[customer_id] = [customer, limit, exposure]
    for order in confirming:
        if order.customer_id not in limited:
            continue
        customer, limit, exposure = limited[order.customer_id]
        added = from_minor(order.total, digits)
        if exposure + added > from_minor(limit, digits):
            problems.append(
                Problem(
                    order.line,
                    f"confirming order {order.ref} would take {customer.code} to "
                    f"{exposure + added} against a credit limit of {from_minor(limit, digits)}",
                )
            )
            continue
        limited[order.customer_id][2] = exposure + added


def _write(session: Session, orders: list[OrderIn], file_name: str, digits: int, progress):
    connection = session.connection()
    moment = now()
    numbers = next_numbers(session=session, kind="order", count=len(orders))
    progress.start(len(orders), "writing orders")
    subtotals = [sum(ln.net for ln in order.lines) for order in orders]
    taxes = [sum(ln.tax for ln in order.lines) for order in orders]
    bulk_insert(
        session,
        SalesOrder.__table__,
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
            "confirmed_at": [moment if order.confirm else None for order in orders],
            "subtotal": subtotals,
            "tax": taxes,
            "total": [a + b for a, b in zip(subtotals, taxes, strict=True)],
            "created_at": moment,
        },
    )
    progress.advance(len(orders) // 2)
    id_of: dict[str, int] = {}
    for chunk in chunks([order.ref for order in orders]):
        id_of.update(
            connection.execute(
                select(SalesOrder.order_ref, SalesOrder.id).where(SalesOrder.order_ref.in_(chunk))
            ).all()
        )
    ids = [id_of[order.ref] for order in orders]
    lines = [
        (order_id, n, ln)
        for order, order_id in zip(orders, ids, strict=True)
        for n, ln in enumerate(order.lines, start=1)
    ]
    bulk_insert(
        session,
        OrderLine.__table__,
        {
            "order_id": [order_id for order_id, _, _ in lines],
            "position": [position for _, position, _ in lines],
            "product_id": [ln.product_id for _, _, ln in lines],
            "description": [ln.description for _, _, ln in lines],
            "qty": [ln.qty for _, _, ln in lines],
            "unit_price": [ln.unit_price for _, _, ln in lines],
            "discount": [ln.discount for _, _, ln in lines],
            "tax_rate": [ln.tax_rate for _, _, ln in lines],
            "net": [ln.net for _, _, ln in lines],
            "tax": [ln.tax for _, _, ln in lines],
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
    record_events(session=session, events=events)
    progress.advance(len(orders) - len(orders) // 2)
    _reserve(session, [o for o in orders if o.confirm])


def _reserve(session: Session, orders: list[OrderIn]) -> None:
    """Confirmed orders reserve their goods; backorders follow, per product, set-based."""
    from ordercli.services.stock import allocate_stock, lock_products, reserve

    wanted: dict[int, int] = {}
    for order in orders:
        for line in order.lines:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.qty
    products = lock_products(session, wanted)
    for product_id, qty in wanted.items():
        product = products[product_id]
        if product.service:
            continue
        reserve(session=session, product=product, qty=qty)
        allocate_stock(session=session, product=product)
