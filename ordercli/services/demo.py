"""Seeding the demo ledger from ``sample_data/`` (customers and catalog)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import Session

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import parse_money, parse_pct, parse_qty
from ordercli.services.catalog import add_product
from ordercli.services.customers import add_customer
from ordercli.services.settings import minor_digits, put_setting


def sample_data_dir() -> Path:
    """``sample_data/`` of the source checkout ordercli runs from."""
    candidate = Path(__file__).resolve().parents[2] / "sample_data"
    if not (candidate / "customers.csv").is_file():
        raise InvalidInput(
            f"sample data not found at {candidate}",
            hint="run the demo from a checkout of ordercli (make demo)",
        )
    return candidate


def _rows(path: Path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


def seed_demo(*, session: Session, folder: Path) -> tuple[int, int]:
    put_setting(session=session, key="demo", value="1")
    digits = minor_digits(session)
    customers = 0
    for row in _rows(folder / "customers.csv"):
        add_customer(
            session=session,
            code=row["code"],
            name=row["name"],
            email=row.get("email") or None,
            phone=row.get("phone") or None,
            billing_address=row.get("billing_address") or None,
            shipping_address=row.get("shipping_address") or None,
            tax_id=row.get("tax_id") or None,
            terms_days=int(row.get("terms_days") or 30),
            credit_limit=parse_money(row["credit_limit"], digits)
            if row.get("credit_limit")
            else None,
        )
        customers += 1
    products = 0
    for row in _rows(folder / "products.csv"):
        service = (row.get("service") or "").strip().lower() in {"1", "true", "yes"}
        add_product(
            session=session,
            sku=row["sku"],
            name=row["name"],
            price=parse_money(row["unit_price"], digits),
            tax_rate=parse_pct(row.get("tax_rate") or "0"),
            stock=parse_qty(row["stock"]) if row.get("stock") and not service else None,
            service=service,
        )
        products += 1
    return customers, products
