"""`import customers|products|orders` at the service level (SPEC "Documents and imports").

Every test writes its file into ``tmp_path`` and runs
``import_file(session=…, kind=…, path=…)`` in one unit of work, as the command does.
Expected amounts are computed here with ``Decimal`` from SPEC rule 10, never with
the product's money code. ``ORDERCLI_TODAY`` is fixed to 2026-06-15.
"""

from __future__ import annotations

import json
import os
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
from ordercli.domain.errors import InvalidInput
from ordercli.io.demo import sample_data_dir
from ordercli.io.imports import ImportResult, import_file
from ordercli.models import Customer, NumberSeries, Product, SalesOrder
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import invoicing, ordering
from ordercli.views import sales as views

TODAY = "2026-06-15"
ORDER_HEADER = "order_ref,customer_code,order_date,sku,qty,unit_price,discount_pct,tax_rate,confirm"
GOOD = "G1,ACME,2026-06-01,LAMP-LED,2,49.95,0,,false"
CENT = Decimal("0.01")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def write(folder: Path, name: str, body: str | bytes, *, newline: str = "\n") -> Path:
    path = folder / name
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_bytes(body.replace("\n", newline).encode("utf-8"))
    return path


def orders_csv(*rows: str) -> str:
    return "\n".join([ORDER_HEADER, *rows]) + "\n"


@pytest.fixture
def run(uow):
    """``run(kind, path, fmt=None, dry_run=False)`` → the ImportResult, committed."""

    def go(kind: str, path: Path, fmt: str | None = None, dry_run: bool = False) -> ImportResult:
        with uow() as session:
            return import_file(session=session, kind=kind, path=path, fmt=fmt, dry_run=dry_run)

    return go


@pytest.fixture
def refused_rows(run, unchanged):
    """``refused_rows(kind, path)`` → {line: [messages]}: the file is refused, nothing written."""

    def go(kind: str, path: Path, fmt: str | None = None) -> dict[int, list[str]]:
        with unchanged():
            result = run(kind, path, fmt=fmt)
        assert result.errors, "the file was accepted"
        assert (result.created, result.updated) == (0, 0)
        by_line: dict[int, list[str]] = {}
        for problem in result.errors:
            by_line.setdefault(problem.line, []).append(problem.message)
        return by_line

    return go


@pytest.fixture
def file_refused(uow, unchanged):
    """``file_refused(kind, path)`` → the InvalidInput message of an unreadable file."""

    def go(kind: str, path: Path, fmt: str | None = None) -> str:
        with unchanged():
            with pytest.raises(InvalidInput) as info:
                with uow() as session:
                    import_file(session=session, kind=kind, path=path, fmt=fmt)
        return str(info.value)

    return go


def count_orders(uow) -> int:
    with uow(write=False) as session:
        return len(session.exec(select(SalesOrder)).all())


def net_tax(qty: str, price: str, discount: str, rate: str) -> tuple[Decimal, Decimal]:
    """SPEC rule 10, independently: net = qty × price × (1 − d), tax = net × rate, half-up."""
    raw = Decimal(qty) * Decimal(price) * (1 - Decimal(discount) / 100)
    net = raw.quantize(CENT, rounding=ROUND_HALF_UP)
    tax = (net * Decimal(rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return net, tax


def has(message: str, *fragments: str) -> bool:
    return all(f.lower() in message.lower() for f in fragments)


# --- 1. every kind of bad order row, alone, with its line and a message naming it ----

BAD_ORDER_ROWS = {
    "unknown customer": (
        "B,NOPE,2026-06-01,LAMP-LED,1,49.95,0,,false",
        ["unknown customer", "NOPE"],
    ),
    "unknown sku": ("B,ACME,2026-06-01,NOPE-SKU,1,49.95,0,,false", ["unknown SKU", "NOPE-SKU"]),
    "inactive customer": ("B,SCHOOL,2026-06-01,LAMP-LED,1,49.95,0,,false", ["SCHOOL", "inactive"]),
    "inactive product": (
        "B,ACME,2026-06-01,PLANT-FICUS,1,59.00,0,,false",
        ["PLANT-FICUS", "inactive"],
    ),
    "negative qty": (
        "B,ACME,2026-06-01,LAMP-LED,-1,49.95,0,,false",
        ["qty", "-1", "greater than zero"],
    ),
    "zero qty": (
        "B,ACME,2026-06-01,LAMP-LED,0,49.95,0,,false",
        ["qty", "'0'", "greater than zero"],
    ),
    "text qty": ("B,ACME,2026-06-01,LAMP-LED,two,49.95,0,,false", ["qty", "two", "not a number"]),
    "qty decimals": (
        "B,ACME,2026-06-01,LAMP-LED,1.2345,49.95,0,,false",
        ["qty", "1.2345", "decimal places"],
    ),
    "month 13": (
        "B,ACME,2026-13-01,LAMP-LED,1,49.95,0,,false",
        ["order_date", "2026-13-01", "not a date"],
    ),
    "yesterday": (
        "B,ACME,yesterday,LAMP-LED,1,49.95,0,,false",
        ["order_date", "yesterday", "not a date"],
    ),
    "future date": (
        "B,ACME,2026-06-16,LAMP-LED,1,49.95,0,,false",
        ["order_date", "2026-06-16", "future"],
    ),
    "empty customer": ("B,,2026-06-01,LAMP-LED,1,49.95,0,,false", ["customer_code", "empty"]),
    "empty sku": ("B,ACME,2026-06-01,  ,1,49.95,0,,false", ["sku", "empty"]),
    "empty qty": ("B,ACME,2026-06-01,LAMP-LED,,49.95,0,,false", ["qty", "empty"]),
    # An empty unit_price is priced by rule 19 (tests/services/test_import_orders_pricing.py).
    "empty date": ("B,ACME,,LAMP-LED,1,49.95,0,,false", ["order_date", "empty"]),
    "empty ref": (",ACME,2026-06-01,LAMP-LED,1,49.95,0,,false", ["order_ref", "empty"]),
    "discount over 100": (
        "B,ACME,2026-06-01,LAMP-LED,1,49.95,100.5,,false",
        ["discount_pct", "100.5"],
    ),
    "negative discount": ("B,ACME,2026-06-01,LAMP-LED,1,49.95,-5,,false", ["discount_pct", "-5"]),
    "tax rate over 100": ("B,ACME,2026-06-01,LAMP-LED,1,49.95,0,150,false", ["tax_rate", "150"]),
    "negative price": (
        "B,ACME,2026-06-01,LAMP-LED,1,-49.95,0,,false",
        ["unit_price", "-49.95", "negative"],
    ),
    "qty 1e400": ("B,ACME,2026-06-01,LAMP-LED,1e400,49.95,0,,false", ["qty", "1e400", "too large"]),
    "price 1e400": ("B,ACME,2026-06-01,LAMP-LED,1,1e400,0,,false", ["unit_price", "too large"]),
    "price 40 digits": (
        "B,ACME,2026-06-01,LAMP-LED,1," + "9" * 40 + ",0,,false",
        ["unit_price", "9" * 40, "too large"],
    ),
    "qty 40 digits": (
        "B,ACME,2026-06-01,LAMP-LED," + "1" * 40 + ",49.95,0,,false",
        ["qty", "too large"],
    ),
    "line total too large": (
        "B,ACME,2026-06-01,LAMP-LED,999999999,9999999999.99,0,,false",
        ["too large"],
    ),
    "price decimals": (
        "B,ACME,2026-06-01,LAMP-LED,1,49.955,0,,false",
        ["unit_price", "49.955", "decimal places"],
    ),
    "price not a number": (
        "B,ACME,2026-06-01,LAMP-LED,1,cheap,0,,false",
        ["unit_price", "cheap", "not a number"],
    ),
    "price NaN": ("B,ACME,2026-06-01,LAMP-LED,1,NaN,0,,false", ["unit_price", "NaN"]),
    "confirm not boolean": (
        "B,ACME,2026-06-01,LAMP-LED,1,49.95,0,,maybe",
        ["confirm", "maybe", "true or false"],
    ),
    "too few fields": ("B,ACME,2026-06-01,LAMP-LED,1,49.95", ["6 fields", "header has 9"]),
    "too many fields": (
        "B,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false,x",
        ["10 fields", "header has 9"],
    ),
    "ref with a space": ("B 1,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false", ["order_ref", "spaces"]),
}


@pytest.mark.parametrize("case", list(BAD_ORDER_ROWS), ids=list(BAD_ORDER_ROWS))
def test_bad_order_row_is_reported_on_its_line(case, tmp_path, seeded, uow, refused_rows):
    row, fragments = BAD_ORDER_ROWS[case]
    with uow() as session:
        customers.set_customer_active(session=session, code="SCHOOL", active=False)
        catalog.edit_product(session=session, sku="PLANT-FICUS", changes={"active": False})
    path = write(tmp_path, "orders.csv", orders_csv(GOOD, row, GOOD.replace("G1", "G2")))
    errors = refused_rows("orders", path)
    assert set(errors) == {3}, errors
    assert any(has(m, *fragments) for m in errors[3]), errors


def test_every_bad_row_of_a_file_is_reported(tmp_path, seeded, refused_rows):
    """A file with many bad rows lists every one of them, not just the first."""
    bad = [row for case, (row, _) in BAD_ORDER_ROWS.items() if "inactive" not in case]
    rows = []
    expected = set()
    for row in bad:
        rows.append(GOOD.replace("G1", f"OK{len(rows)}"))
        rows.append(row.replace("B,", f"B{len(rows)},", 1) if row.startswith("B,") else row)
        expected.add(len(rows) + 1)
    errors = refused_rows("orders", write(tmp_path, "orders.csv", orders_csv(*rows)))
    assert set(errors) == expected


def test_rows_of_one_order_must_agree(tmp_path, seeded, refused_rows):
    path = write(
        tmp_path,
        "orders.csv",
        orders_csv(
            "W7,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
            "W7,acme,2026-06-01,DESK-OAK,1,489.00,0,,false",  # same customer, other case: fine
            "W7,BRIGHT,2026-06-01,LAMP-LED,1,49.95,0,,false",
            "W7,ACME,2026-06-02,LAMP-LED,1,49.95,0,,false",
            "W7,ACME,2026-06-01,LAMP-LED,1,49.95,0,,true",
        ),
    )
    errors = refused_rows("orders", path)
    assert set(errors) == {4, 5, 6}
    assert has(errors[4][0], "W7", "line 2", "ACME", "BRIGHT")
    assert has(errors[5][0], "W7", "2026-06-01", "2026-06-02")
    assert has(errors[6][0], "W7", "confirm")


# --- rule 16: credit limits of confirmed orders -------------------------------


def test_confirmed_order_over_the_credit_limit_is_refused(tmp_path, seeded, refused_rows, run):
    # CAFE has a credit limit of 2000.00; 5 × DESK-OAK at 489.00 + 19 % is 2909.55.
    over = "C1,CAFE,2026-06-01,DESK-OAK,5,489.00,0,,true"
    errors = refused_rows("orders", write(tmp_path, "o.csv", orders_csv(GOOD, over)))
    assert set(errors) == {3}
    assert has(errors[3][0], "CAFE", "credit limit", "2000.00", "2909.55")
    # The same order as a draft is not confirmed, so no limit applies.
    result = run("orders", write(tmp_path, "d.csv", orders_csv(over.replace("true", "false"))))
    assert (result.errors, result.created, result.confirmed) == ([], 1, 0)


def test_credit_limit_counts_earlier_orders_of_the_file_and_of_the_ledger(
    tmp_path, seeded, make_order, refused_rows
):
    # One DESK-OAK for CAFE is 581.91; 3 of them fit in 2000.00, a 4th does not.
    rows = [f"C{i},CAFE,2026-06-01,DESK-OAK,1,489.00,0,,true" for i in range(1, 5)]
    errors = refused_rows("orders", write(tmp_path, "a.csv", orders_csv(*rows)))
    assert set(errors) == {5}
    assert has(errors[5][0], "C4", "credit limit")
    # A confirmed, not yet invoiced order in the ledger counts too.
    make_order("CAFE", [("DESK-OAK", "3")])  # 1745.73
    errors = refused_rows("orders", write(tmp_path, "b.csv", orders_csv(rows[0])))
    assert set(errors) == {2}
    assert has(errors[2][0], "CAFE", "2327.64")


# --- customers and products ------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["X1,Foo", "x1,Bar"], {3: ["x1", "line 2"]}),
        (["ÄPFEL,Äpfel", "äpfel,Apfel"], {3: ["äpfel", "line 2"]}),
        (["Y1,Bad\x01name"], {2: ["name", "control characters"]}),
        (["Y2,Bad\x1b[31mred"], {2: ["name", "control characters"]}),
        (["Y3," + "n" * 10_000], {2: ["name", "longer than"]}),
        (["Y4,", "Y5,   "], {2: ["name", "empty"], 3: ["name", "empty"]}),
        ([",Nobody"], {2: ["code", "empty"]}),
        (["Y6 X,Spaced"], {2: ["code", "spaces"]}),
    ],
    ids=[
        "dup",
        "dup-accents",
        "control",
        "escape",
        "10k-name",
        "empty-name",
        "empty-code",
        "space",
    ],
)
def test_bad_customer_rows(rows, expected, tmp_path, seeded, refused_rows):
    body = "code,name\n" + "\n".join(rows) + "\n"
    errors = refused_rows("customers", write(tmp_path, "c.csv", body))
    assert set(errors) == set(expected)
    for line, fragments in expected.items():
        assert any(has(m, *fragments) for m in errors[line]), errors


@pytest.mark.parametrize(
    ("row", "fragments"),
    [
        ("Z,Zed,,,,,,abc,", ["terms_days", "abc"]),
        ("Z,Zed,,,,,,-1,", ["terms_days", "-1"]),
        ("Z,Zed,,,,,,,-100.00", ["credit_limit", "negative"]),
        ("Z,Zed,,,,,,,1.234", ["credit_limit", "decimal places"]),
        ("Z,Zed,not-an-email,,,,,,", ["not-an-email"]),
        ('Z,Zed,,,"' + "x" * 10_000 + '",,,,', ["billing_address", "longer than"]),
    ],
    ids=[
        "terms-text",
        "terms-negative",
        "limit-negative",
        "limit-decimals",
        "email",
        "10k-address",
    ],
)
def test_bad_customer_values(row, fragments, tmp_path, seeded, refused_rows):
    header = "code,name,email,phone,billing_address,shipping_address,tax_id,terms_days,credit_limit"
    body = f"{header}\nOK1,Fine,,,,,,,\n{row}\n"
    errors = refused_rows("customers", write(tmp_path, "c.csv", body))
    assert set(errors) == {3}, errors
    assert any(has(m, *fragments) for m in errors[3]), errors


@pytest.mark.parametrize(
    ("row", "line_fragments"),
    [
        ("SVC1,Service,10.00,,5,yes", ["SVC1", "service", "stock"]),
        ("INSTALL,Installation (per hour),65.00,19,,no", ["INSTALL", "service", "cannot change"]),
        ('DESK-OAK,"Oak desk, 160 × 80 cm",489.00,19,,yes', ["DESK-OAK", "cannot change"]),
        ("NEW-1,New,-1.00,19,,", ["unit_price", "negative"]),
        ("NEW-1,New,1.001,19,,", ["unit_price", "decimal places"]),
        ("NEW-1,New,1.00,101,,", ["tax_rate", "101"]),
        ("NEW-1,New,1.00,19,-2,", ["stock", "-2"]),
        ("NEW-1,New,1.00,19,1.0005,", ["stock", "decimal places"]),
        ("NEW-1,New,1.00,19,,perhaps", ["service", "perhaps"]),
        ("NEW-1,,1.00,19,,", ["name", "empty"]),
        ("NEW-1,New,,19,,", ["unit_price", "empty"]),
    ],
)
def test_bad_product_rows(row, line_fragments, tmp_path, seeded, refused_rows):
    body = f"sku,name,unit_price,tax_rate,stock,service\nOK-1,Fine,1.00,19,1,no\n{row}\n"
    errors = refused_rows("products", write(tmp_path, "p.csv", body))
    assert set(errors) == {3}, errors
    assert any(has(m, *line_fragments) for m in errors[3]), errors


def test_duplicate_sku_in_one_file_case_insensitive(tmp_path, seeded, refused_rows):
    body = (
        "sku,name,unit_price\nÉCRAN-27,Écran 27,199.00\nLAMP-X,Lamp,1.00\n"
        "écran-27,Écran 27 bis,199.00\nlamp-x,Lamp,1.00\n"
    )
    errors = refused_rows("products", write(tmp_path, "p.csv", body))
    assert set(errors) == {4, 5}
    assert has(errors[4][0], "écran-27", "line 2")
    assert has(errors[5][0], "lamp-x", "line 3")


# --- 2. all or nothing -----------------------------------------------------------


def big_orders_file(bad_at: int | None = None, count: int = 500) -> str:
    """``count`` good rows, two lines per order, for MUELLER (no credit limit)."""
    prices = {"LAMP-LED": "49.95", "CHAIR-VISIT": "79.90", "CABLE-TRAY": "24.90"}
    prices |= {"INSTALL": "65.00", "COFFEE-KG": "21.40"}
    skus = list(prices)
    rows = []
    for i in range(count):
        sku, n = skus[i % len(skus)], i // 2
        rows.append(f"WEB-{n:04d},MUELLER,2026-05-{1 + n % 28:02d},{sku},1,{prices[sku]},0,,false")
    if bad_at is not None:
        rows.insert(bad_at, "WEB-BAD,MUELLER,2026-05-01,LAMP-LED,1,49.95,0,,sometimes")
    return orders_csv(*rows)


def test_one_bad_row_among_500_writes_nothing(tmp_path, seeded, uow, run, fingerprint, engine):
    before = fingerprint(engine)
    result = run("orders", write(tmp_path, "big.csv", big_orders_file(bad_at=321)))
    assert [(p.line, "sometimes" in p.message) for p in result.errors] == [(323, True)]
    assert result.created == 0
    assert fingerprint(engine) == before  # orders, lines, events and number series
    result = run("orders", write(tmp_path, "big-fixed.csv", big_orders_file()))
    assert (result.errors, result.created, result.lines_created) == ([], 250, 500)
    # No number was consumed by the refused run: the first order is SO-00001.
    with uow(write=False) as session:
        numbers = session.exec(select(SalesOrder.number).order_by(SalesOrder.id)).all()
        series = session.get(NumberSeries, "order")
    assert numbers == [f"SO-{i:05d}" for i in range(1, 251)]
    assert series.next_value == 251


# --- 3. idempotent re-import -------------------------------------------------------


def test_same_orders_file_twice_creates_nothing_the_second_time(
    tmp_path, seeded, run, fingerprint, engine, ledger_ok
):
    path = write(tmp_path, "o.csv", big_orders_file(count=40))
    first = run("orders", path)
    assert (first.errors, first.created, first.skipped) == ([], 20, 0)
    before = fingerprint(engine)
    second = run("orders", path)
    assert (second.errors, second.created, second.skipped, second.lines_created) == ([], 0, 20, 0)
    assert fingerprint(engine) == before
    ledger_ok()


def test_sample_files_imported_again_change_nothing(tmp_path, seeded, run, fingerprint, engine):
    """The seeded ledger was loaded from sample_data/ through the importer."""
    before = fingerprint(engine)
    for kind, count in (("customers", 12), ("products", 16)):
        result = run(kind, sample_data_dir() / f"{kind}.csv")
        assert (result.errors, result.created, result.updated, result.skipped) == ([], 0, 0, count)
    assert fingerprint(engine) == before


def test_modified_customers_file_updates_only_what_changed(tmp_path, seeded, uow, run):
    with uow(write=False) as session:
        acme = customers.get_customer(session=session, code="ACME").model_dump()
    body = (
        "code,name,email,phone,credit_limit\n"
        "acme,Acme Office Supplies Ltd,new-ap@acme-office.example,,\n"  # email only; empty cells
        "BRIGHT,Bright Spaces Interiors GmbH,,,\n"  # nothing differs
        "NEWCO,New Co,,,100.00\n"
    )
    result = run("customers", write(tmp_path, "c.csv", body))
    assert (result.errors, result.created, result.updated, result.skipped) == ([], 1, 1, 1)
    with uow(write=False) as session:
        after = customers.get_customer(session=session, code="ACME").model_dump()
        newco = customers.get_customer(session=session, code="NEWCO")
    changed = {k for k in acme if acme[k] != after[k]}
    assert changed == {"email"}
    assert after["email"] == "new-ap@acme-office.example"
    assert after["phone"] == acme["phone"] and after["credit_limit"] == acme["credit_limit"]
    assert (newco.name, newco.credit_limit, newco.active) == ("New Co", 10000, True)
    # Imported again: nothing to do.
    again = run("customers", write(tmp_path, "c.csv", body))
    assert (again.created, again.updated, again.skipped) == (0, 0, 3)


def test_reimported_product_with_other_stock_keeps_its_stock(tmp_path, seeded, uow, run, stock_of):
    body = 'sku,name,unit_price,tax_rate,stock\nDESK-OAK,"Oak desk, 160 × 80 cm",489.00,19,99\n'
    before = stock_of("DESK-OAK")
    result = run("products", write(tmp_path, "p.csv", body))
    assert (result.errors, result.created, result.updated, result.skipped) == ([], 0, 0, 1)
    assert stock_of("DESK-OAK") == before == (Decimal(12), Decimal(0))
    # A price change updates, stock is still not touched.
    result = run("products", write(tmp_path, "p.csv", body.replace("489.00", "499.00")))
    assert (result.created, result.updated, result.skipped) == (0, 1, 0)
    with uow(write=False) as session:
        product = session.exec(select(Product).where(Product.sku == "DESK-OAK")).one()
    assert (product.unit_price, product.on_hand) == (49900, 12000)


def test_new_product_gets_its_opening_stock(tmp_path, seeded, run, stock_of, ledger_ok):
    body = "sku,name,unit_price,tax_rate,stock\nNEW-1,New thing,10.00,7,2.5\nNEW-2,Other,1.00,,\n"
    result = run("products", write(tmp_path, "p.csv", body))
    assert (result.errors, result.created) == ([], 2)
    assert stock_of("NEW-1") == (Decimal("2.5"), Decimal(0))
    assert stock_of("NEW-2") == (Decimal(0), Decimal(0))
    ledger_ok()


def test_hand_entered_order_named_by_its_number_is_skipped(tmp_path, seeded, make_order, run, uow):
    number = make_order("ACME", [("LAMP-LED", "2")], confirm=False)
    assert number == "SO-00001"
    # As `export orders` writes a hand-entered order: order_ref is its number.
    path = write(
        tmp_path, "o.csv", orders_csv(f"{number},ACME,2026-06-01,LAMP-LED,2,49.95,0,19,false")
    )
    result = run("orders", path)
    assert (result.errors, result.created, result.skipped) == ([], 0, 1)
    assert count_orders(uow) == 1


# --- 4. confirm=true: confirmed, reserved, backordered, logged, invoiceable ---------


def test_confirmed_import_reserves_backorders_and_can_be_invoiced(
    tmp_path, seeded, uow, run, stock_of, order_state, events_of, ledger_ok
):
    # DESK-STAND has 5 on hand: 7 leaves 2 backordered. INSTALL is a service.
    path = write(
        tmp_path,
        "o.csv",
        orders_csv(
            "C1,ACME,2026-06-01,DESK-STAND,7,729.00,0,,true",
            "C1,ACME,2026-06-01,INSTALL,2,65.00,0,,true",
            "D1,ACME,2026-06-01,DESK-OAK,1,489.00,0,,false",
        ),
    )
    result = run("orders", path)
    assert (result.errors, result.created, result.confirmed, result.lines_created) == ([], 2, 1, 3)
    assert stock_of("DESK-STAND") == (Decimal(5), Decimal(7))
    assert stock_of("INSTALL") == (Decimal(0), Decimal(0))
    assert stock_of("DESK-OAK") == (Decimal(12), Decimal(0))  # a draft reserves nothing
    view = order_state("SO-00001")
    assert view["status"] == "confirmed" and view["order_ref"] == "C1"
    assert [(ln["sku"], ln["qty_backordered"]) for ln in view["lines"]] == [
        ("DESK-STAND", Decimal(2)),
        ("INSTALL", Decimal(0)),
    ]
    assert order_state("SO-00002")["status"] == "draft"
    actions = [action for action, _ in events_of("SO-00001")]
    assert actions[:2] == ["created", "confirmed"]
    assert [action for action, _ in events_of("SO-00002")] == ["created"]
    ledger_ok()
    with uow() as session:
        invoice = invoicing.create_invoice(session=session, order_number="SO-00001")
        so = ordering.get_order(session=session, number="SO-00001")
        assert invoice.total == so.total
    ledger_ok()


# --- 5. totals follow rule 10 --------------------------------------------------------


def test_imported_totals_follow_rule_10(tmp_path, seeded, run, order_state, ledger_ok):
    rows = [
        # ref, sku, qty, price, discount, tax column, product's rate
        ("T1", "CABLE-TRAY", "3", "0.35", "50", "", "19"),  # 0.525 → 0.53 (half-up, not even)
        ("T1", "DESK-OAK", "1", "489.00", "", "7", "19"),  # tax_rate column overrides 19
        ("T1", "COFFEE-KG", "1.125", "21.40", "12.5", "", "7"),  # 21.065625 → 21.07
        ("T1", "LAMP-LED", "7", "49.95", "33.3333", "0", "19"),
        ("T1", "INSTALL", "2.5", "65.00", "", "16", "19"),
        ("T2", "CHAIR-VISIT", "0.001", "79.90", "", "", "19"),
        ("T2", "PLANT-FICUS", "13", "0.05", "10", "", "7"),  # 0.585 → 0.59, tax 0.0413 → 0.04
    ]
    body = orders_csv(
        *(
            f"{ref},MUELLER,2026-06-01,{sku},{qty},{price},{disc},{rate},false"
            for ref, sku, qty, price, disc, rate, _ in rows
        )
    )
    result = run("orders", write(tmp_path, "o.csv", body))
    assert (result.errors, result.created) == ([], 2)
    for number, ref in (("SO-00001", "T1"), ("SO-00002", "T2")):
        view = order_state(number)
        mine = [r for r in rows if r[0] == ref]
        expected_lines = [
            net_tax(qty, price, disc or "0", rate or product_rate)
            for _, _, qty, price, disc, rate, product_rate in mine
        ]
        got = [(ln["net"], ln["tax"]) for ln in view["lines"]]
        assert got == expected_lines
        assert [ln["tax_rate"] for ln in view["lines"]] == [
            Decimal(rate or product_rate) for *_, rate, product_rate in mine
        ]
        subtotal = sum(n for n, _ in expected_lines)
        tax = sum(t for _, t in expected_lines)
        assert (view["subtotal"], view["tax"], view["total"]) == (subtotal, tax, subtotal + tax)
    assert order_state("SO-00001")["lines"][0]["net"] == Decimal("0.53")
    ledger_ok()


# --- 6. dialects -----------------------------------------------------------------------

DIALECT_ROWS = [
    ("K1", "ACME", "2026-06-01", "DESK-OAK", "2", "489.00", "10"),
    ("K1", "ACME", "2026-06-01", "LAMP-LED", "1.5", "49.95", ""),
    ("K2", "BRIGHT", "2026-06-02", "COFFEE-KG", "3", "21.40", "2.5"),
]


def dialect_file(delimiter: str, decimal_comma: bool = False) -> str:
    header = [
        "order_ref",
        "customer_code",
        "order_date",
        "sku",
        "qty",
        "unit_price",
        "discount_pct",
    ]
    lines = [delimiter.join(header)]
    for row in DIALECT_ROWS:
        cells = list(row)
        if decimal_comma:
            cells = [c.replace(".", ",") if i >= 4 else c for i, c in enumerate(cells)]
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"


def dialect_expectation() -> list:
    return [
        (ref, net_tax(qty, price, disc or "0", "7" if sku == "COFFEE-KG" else "19"))
        for ref, _, _, sku, qty, price, disc in DIALECT_ROWS
    ]


def imported_lines(uow) -> list:
    with uow(write=False) as session:
        found = []
        for o in session.exec(select(SalesOrder).order_by(SalesOrder.id)).all():
            view = views.order_view(session, o)
            found += [(view["order_ref"], (ln["net"], ln["tax"])) for ln in view["lines"]]
        return found


@pytest.mark.parametrize(
    ("delimiter", "decimal_comma", "newline", "bom"),
    [
        (",", False, "\n", False),
        (",", False, "\r\n", True),
        (",", False, "\r", False),
        (";", True, "\r\n", True),
        (";", False, "\n", False),
        ("\t", False, "\n", False),
        ("|", False, "\r", True),
    ],
    ids=[
        "comma",
        "comma-crlf-bom",
        "comma-cr",
        "semicolon-decimal-comma",
        "semicolon",
        "tab",
        "pipe-cr-bom",
    ],
)
def test_dialects(delimiter, decimal_comma, newline, bom, tmp_path, seeded, uow, run, ledger_ok):
    body = dialect_file(delimiter, decimal_comma).replace("\n", newline).encode()
    path = write(tmp_path, "o.csv", (b"\xef\xbb\xbf" if bom else b"") + body)
    result = run("orders", path)
    assert (result.errors, result.created, result.lines_created) == ([], 2, 3)
    assert imported_lines(uow) == dialect_expectation()
    ledger_ok()


QUOTED_ROWS = [
    "code,name,billing_address,phone",
    'Q1,"Comma, Inc.","1 Long Road{nl}Second line{nl}Third line",1',  # lines 2-4
    'Q2,"Say ""hi"" Ltd",,2',  # line 5
    "",  # line 6: blank, skipped
    "Q3,Bad\x01Name,,3",  # line 7
    'Q4,"Multi{nl}line name",,4',  # lines 8-9
    "Q5,,,5",  # line 10
]


def quoted_file(row_end: str, cell_newline: str = "\n") -> str:
    return row_end.join(QUOTED_ROWS).format(nl=cell_newline) + row_end


@pytest.mark.parametrize("row_end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_quoted_fields_keep_later_line_numbers_right(row_end, tmp_path, seeded, uow, run):
    """Multi-line cells as spreadsheets write them (a bare LF inside the quotes)."""
    path = write(tmp_path, "c.csv", quoted_file(row_end).encode())
    result = run("customers", path)
    assert sorted((p.line, p.message.split()[0]) for p in result.errors) == [
        (7, "name"),
        (10, "name"),
    ]
    fixed = quoted_file(row_end).replace("Bad\x01Name", "Good Name").replace("Q5,,", "Q5,Five,")
    result = run("customers", write(tmp_path, "c.csv", fixed.encode()))
    assert (result.errors, result.created) == ([], 5)
    with uow(write=False) as session:
        q1 = customers.get_customer(session=session, code="Q1")
        q2 = customers.get_customer(session=session, code="Q2")
        q4 = customers.get_customer(session=session, code="Q4")
    assert q1.name == "Comma, Inc."
    assert q1.billing_address == "1 Long Road\nSecond line\nThird line"
    assert (q2.name, q4.name) == ('Say "hi" Ltd', "Multi\nline name")


@pytest.mark.parametrize("row_end", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_multiline_cells_with_the_files_own_line_endings(row_end, tmp_path, seeded, uow, run):
    body = quoted_file(row_end, cell_newline=row_end).replace("Bad\x01Name", "Good")
    result = run("customers", write(tmp_path, "c.csv", body.replace("Q5,,", "Q5,Five,").encode()))
    assert (result.errors, result.created) == ([], 5)
    with uow(write=False) as session:
        q1 = customers.get_customer(session=session, code="Q1")
    assert q1.billing_address.splitlines() == ["1 Long Road", "Second line", "Third line"]


def test_header_in_other_case_with_spaces_and_extra_columns(tmp_path, seeded, run, uow):
    body = (
        "Order Ref,CUSTOMER CODE, Order Date ,Sku,QTY,Unit Price,Discount-Pct,Channel,Notes\n"
        "H1,ACME,2026-06-01,LAMP-LED,1,49.95,,web,first\n"
    )
    result = run("orders", write(tmp_path, "o.csv", body))
    assert (result.errors, result.created) == ([], 1)
    assert result.ignored_columns == ["Channel", "Notes"]
    assert result.as_dict()["ignored_columns"] == ["Channel", "Notes"]


def test_blank_lines_are_skipped(tmp_path, seeded, run):
    body = orders_csv(
        "", GOOD, "   ", ",,,,,,,,", "", "BL2,ACME,2026-06-01,LAMP-LED,x,49.95,0,,false"
    )
    result = run("orders", write(tmp_path, "o.csv", body))
    assert [p.line for p in result.errors] == [7]


def test_header_only_file_creates_nothing(tmp_path, seeded, run, fingerprint, engine):
    before = fingerprint(engine)
    for kind, header in (
        ("orders", ORDER_HEADER),
        ("customers", "code,name"),
        ("products", "sku,name,unit_price"),
    ):
        result = run(kind, write(tmp_path, f"{kind}.csv", header + "\n"))
        assert (result.errors, result.created, result.skipped) == ([], 0, 0)
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    ("name", "body", "fmt", "fragments"),
    [
        ("empty.csv", b"", None, ["empty.csv", "empty"]),
        ("blank.csv", b"\n \n", None, ["blank.csv", "empty"]),
        ("u16.csv", "code,name\nA,B\n".encode("utf-16"), None, ["UTF-16"]),
        ("latin.csv", b"code,name\nA,Ok\nB,Caf\xe9\n", None, ["latin.csv", "line 3", "UTF-8"]),
        ("c.xlsx", b"code,name\nA,B\n", None, ["c.xlsx", ".csv", ".jsonl"]),
        ("c.csv", b"code,name\nA,B\n", "xml", ["xml"]),
        ("c.csv", b"name,email\nA,a@b.example\n", None, ["missing", "code"]),
        ("c.csv", b"code,name,Name\nA,B,C\n", None, ["name", "twice"]),
    ],
    ids=["empty", "blank", "utf16", "latin1", "extension", "format", "missing-column", "twice"],
)
def test_unreadable_files(name, body, fmt, fragments, tmp_path, seeded, file_refused):
    message = file_refused("customers", write(tmp_path, name, body), fmt=fmt)
    assert has(message, *fragments), message


@pytest.mark.parametrize(
    "newline",
    [
        b"\n",
        b"\r\n",
        b"\r",
    ],
    ids=["lf", "crlf", "cr"],
)
def test_not_utf8_names_its_line_whatever_the_line_ending(newline, tmp_path, seeded, file_refused):
    body = newline.join([b"code,name", b"A,Ok", b"B,Caf\xe9", b""])
    message = file_refused("customers", write(tmp_path, "latin.csv", body))
    assert "line 3" in message, message


def test_missing_required_column_imports_nothing(tmp_path, seeded, file_refused):
    body = "order_ref,customer_code,order_date,sku,unit_price\nM1,ACME,2026-06-01,LAMP-LED,49.95\n"
    message = file_refused("orders", write(tmp_path, "o.csv", body))
    assert has(message, "missing", "qty"), message


def test_directory_and_missing_file(tmp_path, seeded, file_refused):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert has(file_refused("orders", folder), "directory")
    assert has(file_refused("orders", tmp_path / "nope.csv"), "nope.csv")


def test_format_option_overrides_the_name(tmp_path, seeded, run):
    jsonl = '{"code": "FX1", "name": "Format Co"}\n'
    result = run("customers", write(tmp_path, "customers.csv", jsonl), fmt="jsonl")
    assert (result.errors, result.created) == ([], 1)
    result = run("customers", write(tmp_path, "customers.data", "code,name\nFX2,Two\n"), fmt="csv")
    assert (result.errors, result.created) == ([], 1)


# --- 7. JSON Lines ------------------------------------------------------------------


def test_jsonl_values_are_exact(tmp_path, seeded, run, order_state):
    body = (
        '{"order_ref": "J1", "customer_code": "ACME", "order_date": "2026-06-01", '
        '"sku": "LAMP-LED", "qty": 1.5, "unit_price": 49.95, "discount_pct": null, '
        '"tax_rate": null, "confirm": false}\n'
        "\n"
        '{"order_ref": "J1", "customer_code": "ACME", "order_date": "2026-06-01", '
        '"sku": "COFFEE-KG", "qty": "0.333", "unit_price": "21.40", "discount_pct": 12.5, '
        '"tax_rate": 16, "confirm": false}\n'
    )
    result = run("orders", write(tmp_path, "o.jsonl", body))
    assert (result.errors, result.created, result.lines_created) == ([], 1, 2)
    lines = order_state("SO-00001")["lines"]
    assert [(ln["qty"], ln["unit_price"], ln["discount_pct"], ln["tax_rate"]) for ln in lines] == [
        (Decimal("1.5"), Decimal("49.95"), Decimal(0), Decimal(19)),
        (Decimal("0.333"), Decimal("21.40"), Decimal("12.5"), Decimal(16)),
    ]
    assert [(ln["net"], ln["tax"]) for ln in lines] == [
        net_tax("1.5", "49.95", "0", "19"),
        net_tax("0.333", "21.40", "12.5", "16"),
    ]


def test_jsonl_bad_lines(tmp_path, seeded, refused_rows):
    base = (
        '"customer_code": "ACME", "order_date": "2026-06-01", '
        '"sku": "LAMP-LED", "unit_price": 49.95'
    )
    body = "\n".join(
        [
            '{"order_ref": "J1", "qty": 1, ' + base + "}",  # 1 fine
            "",  # 2 blank
            "[1, 2]",  # 3 not an object
            '{"order_ref": "J3", "qty": 1, ',  # 4 invalid JSON
            '{"order_ref": "J4", "qty": NaN, ' + base + "}",  # 5 NaN
            '{"order_ref": "J5", "qty": {"value": 1}, ' + base + "}",  # 6 nested
            '{"order_ref": "J6", "qty": 1, "confirm": 3, ' + base + "}",  # 7 not a boolean
            '"just text"',  # 8 not an object
            '{"order_ref": "J8", "qty": Infinity, ' + base + "}",  # 9
            '{"order_ref": "J9", "qty": 1, "confirm": "sure", ' + base + "}",  # 10
            '{"order_ref": "J10", ' + base + "}",  # 11 missing qty
            '{"order_ref": "J11", "qty": 1, "tax_rate": [19], ' + base + "}",  # 12 list
            '{"order_ref": "J12", "qty": 1e400, ' + base + "}",  # 13 huge
            '{"order_ref": "J13", "qty": -2, ' + base + "}",  # 14 negative
            '{"order_ref": "J14", "qty": 1, "confirm": true, ' + base + "}",  # 15 fine
        ]
    )
    errors = refused_rows("orders", write(tmp_path, "o.jsonl", body + "\n"))
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
    assert has(errors[3][0], "object")
    assert has(errors[4][0], "JSON")
    assert has(errors[6][0], "qty")
    assert has(errors[11][0], "qty")


def test_jsonl_strings_booleans_and_nulls(tmp_path, seeded, run, uow):
    body = (
        '{"code": "JS1", "name": "José Ñandú", "email": null, "phone": "", '
        '"terms_days": 14, "credit_limit": 1500.5}\n'
        '{"code": "JS2", "name": "株式会社テスト", "terms_days": "7", "credit_limit": null}\n'
    )
    result = run("customers", write(tmp_path, "c.jsonl", body))
    assert (result.errors, result.created) == ([], 2)
    with uow(write=False) as session:
        js1 = customers.get_customer(session=session, code="JS1")
        js2 = customers.get_customer(session=session, code="js2")
    assert (js1.name, js1.email, js1.phone, js1.terms_days, js1.credit_limit) == (
        "José Ñandú",
        None,
        None,
        14,
        150050,
    )
    assert (js2.name, js2.terms_days, js2.credit_limit) == ("株式会社テスト", 7, None)
    body = '{"sku": "SV-1", "name": "Support", "unit_price": 80, "service": true}\n'
    result = run("products", write(tmp_path, "p.jsonl", body))
    assert (result.errors, result.created) == ([], 1)
    with uow(write=False) as session:
        product = session.exec(select(Product).where(Product.sku == "SV-1")).one()
    assert (product.service, product.unit_price, product.on_hand) == (True, 8000, 0)


# --- 8. formula cells ---------------------------------------------------------------


def test_formula_cells_written_by_an_export_import_back(tmp_path, seeded, run, uow):
    body = (
        "code,name,billing_address,tax_id\n"
        'F1,"\'=HYPERLINK(""http://x.example"")",\'+1 Street,\'-5\n'
        "F2,'Tis the season,'@home,'plain\n"
    )
    result = run("customers", write(tmp_path, "c.csv", body))
    assert (result.errors, result.created) == ([], 2)
    with uow(write=False) as session:
        f1 = customers.get_customer(session=session, code="F1")
        f2 = customers.get_customer(session=session, code="F2")
    assert (f1.name, f1.billing_address, f1.tax_id) == (
        '=HYPERLINK("http://x.example")',
        "+1 Street",
        "-5",
    )
    assert (f2.name, f2.billing_address, f2.tax_id) == ("'Tis the season", "@home", "'plain")


# --- 9. dry run --------------------------------------------------------------------------


def test_dry_run_counts_what_a_real_run_does(tmp_path, seeded, run, fingerprint, engine):
    cases = [
        ("customers", "code,name,email\nACME,Acme Office Supplies Ltd,x@y.example\nDRY1,Dry,\n"),
        ("products", "sku,name,unit_price,stock\nDESK-OAK,Oak,489.00,1\nDRY-1,Dry,1.00,4\n"),
        ("orders", orders_csv(GOOD, "G2,ACME,2026-06-01,DESK-STAND,9,729.00,0,,true")),
    ]
    for kind, body in cases:
        path = write(tmp_path, f"{kind}.csv", body)
        before = fingerprint(engine)
        dry = run(kind, path, dry_run=True)
        assert fingerprint(engine) == before
        real = run(kind, path)
        dry_doc, real_doc = dry.as_dict(), real.as_dict()
        assert dry_doc.pop("dry_run") is True and real_doc.pop("dry_run") is False
        assert dry_doc == real_doc
        assert real.created >= 1 and not real.errors


def test_dry_run_of_a_bad_file_lists_the_errors(tmp_path, seeded, run, unchanged):
    path = write(tmp_path, "o.csv", orders_csv(GOOD, "X,NOPE,2026-06-01,LAMP-LED,1,1.00,0,,false"))
    with unchanged():
        result = run("orders", path, dry_run=True)
    assert [p.line for p in result.errors] == [3]


# --- 11. Unicode ----------------------------------------------------------------------


def test_accented_sku_matched_case_insensitively(tmp_path, seeded, run, order_state):
    result = run(
        "products",
        write(
            tmp_path,
            "p.csv",
            "sku,name,unit_price,tax_rate,stock\nÉCRAN-27,Écran 27 pouces,199.00,19,3\n",
        ),
    )
    assert (result.errors, result.created) == ([], 1)
    body = orders_csv("U1,mueller,2026-06-01,écran-27,1,199.00,0,,true")
    result = run("orders", write(tmp_path, "o.csv", body))
    assert (result.errors, result.created) == ([], 1)
    view = order_state("SO-00001")
    assert (view["customer"], view["lines"][0]["sku"]) == ("MUELLER", "ÉCRAN-27")
    # Imported again with the SKU in its own case: nothing new.
    again = run(
        "products",
        write(
            tmp_path, "p.csv", "sku,name,unit_price,tax_rate\nécran-27,Écran 27 pouces,199.00,19\n"
        ),
    )
    assert (again.errors, again.created, again.skipped) == ([], 0, 1)


def test_unicode_customer_names(tmp_path, seeded, run, uow):
    names = {"CJK1": "北京办公用品有限公司", "ACC1": "Ça Ölçer Åsa Ñoño", "EMO1": "Café ☕ Zürich"}
    body = "code,name\n" + "".join(f"{c},{n}\n" for c, n in names.items())
    result = run("customers", write(tmp_path, "c.csv", body))
    assert (result.errors, result.created) == ([], 3)
    with uow(write=False) as session:
        found = {c.code: c.name for c in session.exec(select(Customer)) if c.code in names}
    assert found == names


# --- 12. JSON Lines and CSV give the same ledger --------------------------------------

SAME_ORDERS = [
    {
        "order_ref": "S1",
        "customer_code": "MUELLER",
        "order_date": "2026-06-01",
        "sku": "DESK-OAK",
        "qty": "3",
        "unit_price": "489.00",
        "discount_pct": "7.5",
        "tax_rate": "",
        "confirm": "true",
    },
    {
        "order_ref": "S1",
        "customer_code": "MUELLER",
        "order_date": "2026-06-01",
        "sku": "INSTALL",
        "qty": "1.25",
        "unit_price": "65.00",
        "discount_pct": "",
        "tax_rate": "16",
        "confirm": "true",
    },
    {
        "order_ref": "S2",
        "customer_code": "TOKYO",
        "order_date": "2026-05-30",
        "sku": "COFFEE-KG",
        "qty": "0.75",
        "unit_price": "21.45",
        "discount_pct": "3",
        "tax_rate": "",
        "confirm": "false",
    },
]


def _ledger_rows(engine) -> list:
    with engine.connect() as conn:
        orders_ = conn.execute(
            text(
                "SELECT number, order_ref, customer_id, status, order_date, subtotal, tax, total "
                "FROM sales_order ORDER BY id"
            )
        ).all()
        lines = conn.execute(
            text(
                "SELECT order_id, position, product_id, qty, unit_price, discount, tax_rate, "
                "net, tax, qty_backordered FROM order_line ORDER BY order_id, position"
            )
        ).all()
        products = conn.execute(
            text("SELECT sku, on_hand, reserved FROM product ORDER BY id")
        ).all()
    return [orders_, lines, products]


@pytest.mark.sqlite_only("makes a second ledger by copying the SQLite template file")
def test_jsonl_and_csv_with_the_same_orders_give_the_same_ledger(
    tmp_path, seeded, run, engine, ledger_templates, ledger_ok
):
    csv_body = ORDER_HEADER + "\n" + "".join(",".join(o.values()) + "\n" for o in SAME_ORDERS)
    jsonl_body = "".join(
        json.dumps(
            {k: (None if v == "" else (v == "true") if k == "confirm" else v) for k, v in o.items()}
        )
        + "\n"
        for o in SAME_ORDERS
    )
    result = run("orders", write(tmp_path, "o.csv", csv_body))
    assert (result.errors, result.created) == ([], 2)
    from_csv = _ledger_rows(engine)
    ledger_ok()
    # A second ledger, from the same seeded template, loaded from JSON Lines.
    other = tmp_path / "other.db"
    shutil.copyfile(ledger_templates["seeded"], other)
    engine2 = open_ledger(resolve_location(str(other)))
    with unit_of_work(engine2) as session:
        result = import_file(
            session=session, kind="orders", path=write(tmp_path, "o.jsonl", jsonl_body)
        )
    assert (result.errors, result.created) == ([], 2)
    assert _ledger_rows(engine2) == from_csv
    ledger_ok(engine2)


# --- 13. PostgreSQL --------------------------------------------------------------------

PG_URL = os.environ.get("ORDERCLI_TEST_PG_URL", "")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="set ORDERCLI_TEST_PG_URL to run PostgreSQL tests")
def test_imports_on_postgres(tmp_path, ledger_ok, pg_engine):
    """Customers, products and orders on PostgreSQL; re-imported, nothing doubles."""
    engine = pg_engine
    orders_path = write(
        tmp_path,
        "o.csv",
        orders_csv(
            "P1,ACME,2026-06-01,DESK-STAND,7,729.00,0,,true",
            "P1,ACME,2026-06-01,INSTALL,2,65.00,5,,true",
            "P2,mueller,2026-06-02,écran-27,1,199.00,0,7,false",
            "P3,TOKYO,2026-06-03,COFFEE-KG,1.5,21.40,0,,true",
        ),
    )
    products_path = write(
        tmp_path,
        "extra.csv",
        "sku,name,unit_price,tax_rate,stock\nÉCRAN-27,Écran,199.00,19,3\n",
    )
    plan = [
        ("customers", sample_data_dir() / "customers.csv", 12),
        ("products", sample_data_dir() / "products.csv", 16),
        ("products", products_path, 1),
        ("orders", orders_path, 3),
    ]
    for kind, path, count in plan:
        with unit_of_work(engine) as session:
            result = import_file(session=session, kind=kind, path=path)
        assert (result.errors, result.created) == ([], count), (kind, result)
    ledger_ok(engine)
    for kind, path, count in plan:
        with unit_of_work(engine) as session:
            result = import_file(session=session, kind=kind, path=path)
        assert (result.errors, result.created, result.updated, result.skipped) == (
            [],
            0,
            0,
            count,
        ), (kind, result)
    with unit_of_work(engine, write=False) as session:
        numbers = session.exec(select(SalesOrder.number).order_by(SalesOrder.id)).all()
        stand = session.exec(select(Product).where(Product.sku == "DESK-STAND")).one()
    assert numbers == ["SO-00001", "SO-00002", "SO-00003"]
    assert (stand.on_hand, stand.reserved) == (5000, 7000)
    ledger_ok(engine)
