"""`import products`: the catalog, keyed by SKU.

Columns: ``sku, name, unit_price`` and optional ``tax_rate, stock, service,
unit, vat_category, vat_exemption``. A new SKU creates a product (``unit`` a
UN/ECE Rec. 20 code or its name, ``C62`` pieces when empty); ``stock`` is its
opening stock, written as a stock move like any receipt. A known SKU updates
name, price, tax rate, unit, VAT category and exemption reason where the row
gives them and they differ (lines already written keep theirs),
and is skipped when nothing differs; its ``stock`` is ignored, since on hand is the
sum of its moves (`stock receive` and `stock adjust` change it) and the same
file imported again must not count the opening stock twice.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from ordercli.books.clock import now
from ordercli.books.events import record_events
from ordercli.db.lookup import chunks
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import from_minor, pct_from_db
from ordercli.domain.units import DEFAULT_UNIT
from ordercli.io.imports.fields import Columns
from ordercli.io.imports.keyed import import_keyed
from ordercli.io.imports.reader import Problem
from ordercli.io.imports.result import ImportResult, Progress
from ordercli.models import Product, StockMove
from ordercli.services.inventory.catalog import (
    edit_product,
    vat_category_value,
    vat_exemption_value,
    vat_problem,
)
from ordercli.services.inventory.warehouses import default_warehouse

COLUMNS = (
    "sku",
    "name",
    "unit_price",
    "tax_rate",
    "stock",
    "service",
    "unit",
    "vat_category",
    "vat_exemption",
)
# A refusal of the VAT fields (rule 21) names the columns that fix it.
VAT_COLUMNS = {field: field for field in ("tax_rate", "vat_category", "vat_exemption")}
REQUIRED = ("sku", "name", "unit_price")


def import_products(
    *,
    session: Session,
    path: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    return import_keyed(
        session=session,
        path=path,
        fmt=fmt,
        dry_run=dry_run,
        progress=progress,
        kind="products",
        columns=COLUMNS,
        required=REQUIRED,
        model=Product,
        key="sku",
        parse_rows=_parse_rows,
        changes_of=_changes,
        write=_write,
        check_new=_check_new,
    )


def _parse_rows(table, digits: int, problems: list[Problem]) -> list[tuple[int, dict]]:
    columns = Columns(table, problems)
    parsed = {
        "sku": columns.code("sku"),
        "name": columns.text("name", required=True, max_length=200),
        "unit_price": columns.money_units("unit_price", digits, required=True),
        "tax_rate": columns.pct_units("tax_rate"),
        "stock": columns.qty_units("stock", required=False, allow_zero=True),
        "service": columns.flag("service"),
        "unit": columns.unit("unit"),
        "vat_category": columns.text("vat_category"),
        "vat_exemption": columns.text("vat_exemption"),
    }
    records: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for index, line in enumerate(columns.lines):
        record = {key: values[index] for key, values in parsed.items()}
        sku = record["sku"]
        for field, parse in (
            ("vat_category", vat_category_value),
            ("vat_exemption", vat_exemption_value),
        ):
            try:
                record[field] = parse(record[field])
            except InvalidInput as exc:
                columns.fail(line, exc.message)
        if record["service"] and record["stock"]:
            columns.fail(line, f"{sku} is a service: services are never stocked, leave stock empty")
        if sku is not None:
            first = seen.setdefault(sku.lower(), line)
            if first != line:
                columns.fail(line, f"product {sku} is also on line {first}")
        records.append((line, record))
    return [(line, record) for line, record in records if line not in columns.bad_lines]


def _check_vat(
    sku: str, tax_rate: int, category, exemption, line: int, problems: list[Problem]
) -> None:
    """Rule 21: the tax rate, VAT category and exemption reason a product ends up with
    go together (``catalog.vat_problem``)."""
    problem = vat_problem(
        sku=sku, tax_rate=tax_rate, category=category, exemption=exemption, options=VAT_COLUMNS
    )
    if problem:
        problems.append(Problem(line, problem))


def _check_new(record: dict, line: int, problems: list[Problem]) -> None:
    _check_vat(
        record["sku"],
        record["tax_rate"] or 0,
        record["vat_category"],
        record["vat_exemption"],
        line,
        problems,
    )


def _changes(product: Product, record: dict, line: int, problems: list[Problem]) -> dict:
    if record["service"] is not None and record["service"] != product.service:
        kind = "a service" if product.service else "a stocked product"
        problems.append(Problem(line, f"{product.sku} is {kind}; an import cannot change that"))
    _check_vat(
        product.sku,
        product.tax_rate if record["tax_rate"] is None else record["tax_rate"],
        record["vat_category"] or product.vat_category,
        record["vat_exemption"] or product.vat_exemption,
        line,
        problems,
    )
    changes = {}
    if record["name"] != product.name:
        changes["name"] = record["name"]
    if record["unit_price"] != product.unit_price:
        changes["price"] = record["unit_price"]
    if record["tax_rate"] is not None and record["tax_rate"] != product.tax_rate:
        changes["tax_rate"] = record["tax_rate"]
    if record["unit"] is not None and record["unit"] != product.unit:
        changes["unit"] = record["unit"]
    for field in ("vat_category", "vat_exemption"):
        if record[field] is not None and record[field] != getattr(product, field):
            changes[field] = record[field]
    return changes


def _write(session: Session, new: list[dict], changed, file_name: str, digits: int) -> None:
    moment = now()
    connection = session.connection()
    rows = [
        {
            "sku": r["sku"],
            "name": r["name"],
            "unit_price": r["unit_price"],
            "tax_rate": r["tax_rate"] or 0,
            "service": bool(r["service"]),
            "unit": r["unit"] or DEFAULT_UNIT,
            "vat_category": r["vat_category"],
            "vat_exemption": r["vat_exemption"],
            "on_hand": r["stock"] or 0,
            "reserved": 0,
            "active": True,
            "created_at": moment,
        }
        for r in new
    ]
    ids: list[int] = []
    for chunk in chunks(rows, 5000):
        # SQLModel gives each table class its __table__ but does not declare it.
        statement = insert(Product.__table__).returning(  # type: ignore[attr-defined]
            Product.__table__.c.id,  # type: ignore[attr-defined]
            sort_by_parameter_order=True,
        )
        ids.extend(connection.execute(statement, chunk).scalars())

    warehouse_id = default_warehouse(session).id
    moves = [
        {
            "product_id": product_id,
            "warehouse_id": warehouse_id,
            "at": moment,
            "qty": row["on_hand"],
            "kind": "receive",
            "reference": "opening stock",
        }
        for product_id, row in zip(ids, rows, strict=True)
        if row["on_hand"]
    ]
    if moves:
        connection.execute(insert(StockMove.__table__), moves)  # type: ignore[attr-defined]
    record_events(
        session=session,
        events=[
            {
                "subject_kind": "product",
                "subject_number": r["sku"],
                "action": "created",
                "message": f"product {r['sku']} {r['name']!r} added from import {file_name}",
            }
            for r in rows
        ],
    )
    for product, changes in changed:
        if "price" in changes:
            changes["price"] = from_minor(changes["price"], digits)
        if "tax_rate" in changes:
            changes["tax_rate"] = pct_from_db(changes["tax_rate"])
        edit_product(session=session, sku=product.sku, changes=changes)
