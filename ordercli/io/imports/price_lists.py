"""`pricelist import`: prices onto existing price lists (SPEC rule 19).

Columns: ``price_list, sku, unit_price`` and optional ``min_qty`` (the
quantity break, 1 when empty), ``valid_from, valid_to`` (inclusive, open
when empty). A price is known by its list, product, break and start date: a
known one with the same price and end is skipped, with another price or end
it is updated; anything else is created. Every row is checked as
``pricelist set-price`` checks it, against the ledger and against the rows
above it (two prices of a list, product and break never share a day), and
nothing is written when any row is bad. Lists are never created by an import:
a misspelt name would otherwise become a list nobody buys from.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import Session

from ordercli.books.clock import now
from ordercli.books.events import record_events
from ordercli.books.settings import minor_digits
from ordercli.db.lookup import chunks, lookup
from ordercli.domain.errors import OrderCliError
from ordercli.domain.money import from_minor, qty_text
from ordercli.io.imports.fields import Columns
from ordercli.io.imports.reader import Problem, read_table
from ordercli.io.imports.result import ImportResult, Progress
from ordercli.models import PriceList, PriceListPrice, Product
from ordercli.services.sales.price_lists import (
    ONE,
    Slot,
    check_gross_price,
    check_price_values,
    dates_text,
    lock_price_lists,
    plan_price,
)
from ordercli.services.sales.pricing import stored_prices

COLUMNS = ("price_list", "sku", "unit_price", "min_qty", "valid_from", "valid_to")
REQUIRED = ("price_list", "sku", "unit_price")


def import_price_lists(
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
        file=str(path), kind="prices", dry_run=dry_run, ignored_columns=table.ignored_columns
    )
    problems: list[Problem] = list(table.problems)
    result.rows = len(table.rows) + len(table.problems)
    digits = minor_digits(session)
    progress.start(len(table.rows), "checking rows")
    columns = Columns(table, problems)
    parsed = {
        "price_list": columns.code("price_list"),
        "sku": columns.code("sku"),
        "unit_price": columns.money_units("unit_price", digits, required=True),
        "min_qty": columns.qty_units("min_qty", required=False, allow_zero=True),
        "valid_from": columns.day("valid_from", required=False),
        "valid_to": columns.day("valid_to", required=False),
    }
    records = [
        (line, {key: values[index] for key, values in parsed.items()})
        for index, line in enumerate(columns.lines)
    ]
    lists = lookup(
        session,
        PriceList.name,
        {r["price_list"] for _, r in records if r["price_list"]},
        (PriceList.id, PriceList.name, PriceList.gross),
    )
    products = lookup(
        session,
        Product.sku,
        {r["sku"] for _, r in records if r["sku"]},
        (Product.id, Product.sku, Product.active, Product.tax_rate),
    )
    good = []
    for line, record in records:
        if line in columns.bad_lines:
            continue
        found_list, found_product = lists.get(record["price_list"]), products.get(record["sku"])
        if found_list is None:
            name = record["price_list"]
            columns.fail(line, f"no price list {name!r} (add it with `ordercli pricelist add`)")
        if found_product is None:
            columns.fail(line, f"no product {record['sku']!r}")
        elif not found_product[2]:
            columns.fail(line, f"product {found_product[1]} is inactive")
        if found_list is None or found_product is None or not found_product[2]:
            continue
        record["min_qty"] = ONE if record["min_qty"] is None else record["min_qty"]
        try:
            check_price_values(
                unit_price=record["unit_price"],
                min_qty=record["min_qty"],
                valid_from=record["valid_from"],
                valid_to=record["valid_to"],
            )
            if found_list[2]:
                check_gross_price(
                    unit_price=record["unit_price"],
                    sku=found_product[1],
                    tax_rate=found_product[3],
                    digits=digits,
                )
        except OrderCliError as exc:
            columns.fail(line, exc.message)
            continue
        good.append((line, record, found_list, found_product))
    progress.advance(len(table.rows))

    # Locked before the ledger's prices are read: a `set-price` running meanwhile on
    # PostgreSQL waits, so the overlaps checked here are the ones that will be written.
    lock_price_lists(session, sorted({found_list[0] for _, _, found_list, _ in good}))
    groups = _ledger_prices(session, good)
    claimed: dict[tuple, int] = {}
    new, changed, events = [], [], []
    for line, record, (list_id, list_name, _gross), (product_id, sku, _a, _r) in good:
        identity = (list_id, product_id, record["min_qty"], record["valid_from"])
        if identity in claimed:
            start = record["valid_from"]
            columns.fail(
                line,
                f"the price of {sku} on {list_name} from {qty_text(record['min_qty'])} "
                f"{f'starting {start}' if start else 'with no start date'} "
                f"is also on line {claimed[identity]}",
            )
            continue
        claimed[identity] = line
        slots = groups.setdefault((list_id, product_id, record["min_qty"]), [])
        wanted = Slot(
            record["min_qty"], record["valid_from"], record["valid_to"], record["unit_price"]
        )
        try:
            action, same = plan_price(slots, wanted, list_name=list_name, sku=sku, digits=digits)
        except OrderCliError as exc:
            columns.fail(line, exc.message)
            continue
        described = (
            f"{sku} from {qty_text(wanted.min_qty)}: {from_minor(wanted.unit_price, digits)} "
            f"{dates_text(wanted.valid_from, wanted.valid_to)}"
        )
        if action == "unchanged":
            continue
        if action == "updated":
            assert same is not None and same.id is not None  # a ledger row
            same.unit_price, same.valid_to = wanted.unit_price, wanted.valid_to
            changed.append(same)
        else:
            wanted.line = line
            slots.append(wanted)
            new.append((list_id, product_id, wanted))
        events.append(
            {
                "subject_kind": "price_list",
                "subject_number": list_name,
                "action": f"price {action}",
                "message": f"price list {list_name}: {described} (import {path.name})",
            }
        )
    result.errors = sorted(problems, key=lambda p: p.line)
    if result.errors:
        return result
    result.created, result.updated = len(new), len(changed)
    result.skipped = len(records) - len(new) - len(changed)
    if not dry_run:
        _write(session, new, changed, events)
    return result


def _ledger_prices(session: Session, good: list) -> dict[tuple, list[Slot]]:
    """The ledger's prices of every list and product the file names, by list, product
    and break."""
    list_ids = sorted({found_list[0] for _, _, found_list, _ in good})
    product_ids = sorted({found_product[0] for _, _, _, found_product in good})
    groups: dict[tuple, list[Slot]] = {}
    if not list_ids:
        return groups
    for price_id, list_id, product_id, min_qty, price, valid_from, valid_to in stored_prices(
        session, list_ids, product_ids
    ):
        groups.setdefault((list_id, product_id, min_qty), []).append(
            Slot(min_qty, valid_from, valid_to, price, id=price_id)
        )
    return groups


def _write(session: Session, new: list, changed: list[Slot], events: list[dict]) -> None:
    moment = now()
    connection = session.connection()
    # SQLModel gives each table class its __table__ but does not declare it.
    price_table = PriceListPrice.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "price_list_id": list_id,
            "product_id": product_id,
            "min_qty": slot.min_qty,
            "unit_price": slot.unit_price,
            "valid_from": slot.valid_from,
            "valid_to": slot.valid_to,
            "created_at": moment,
        }
        for list_id, product_id, slot in new
    ]
    for chunk in chunks(rows, 5000):
        connection.execute(insert(price_table), chunk)
    for slot in changed:
        connection.execute(
            update(price_table)
            .where(price_table.c.id == slot.id)
            .values(unit_price=slot.unit_price, valid_to=slot.valid_to)
        )
    record_events(session=session, events=events)
