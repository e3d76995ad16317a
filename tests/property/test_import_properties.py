"""Imports under random input (SPEC "Documents and imports", rules 2, 3, 10).

* ``line_amounts_units`` (the importer's integer arithmetic) equals ``line_net`` /
  ``line_tax`` and an independent ``Fraction`` computation of rule 10.
* Random orders files (CSV or JSON Lines, any delimiter, line ending, BOM) import
  with every line priced by rule 10 and order totals the sums of rounded lines
  (checked with integer arithmetic that does not use the product's money code);
  a dry run predicts the real run; a second run changes nothing.
* One bad row anywhere in a random good file is reported on its own line and
  nothing is written.
* Customer names survive CSV quoting and an export's formula neutralisation.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ordercli.db.engine import unit_of_work
from ordercli.domain.cells import neutralise, restore
from ordercli.domain.money import (
    from_minor,
    line_amounts,
    line_amounts_units,
    line_net,
    line_tax,
    pct_from_db,
    qty_from_db,
    to_minor,
)
from ordercli.io.imports import import_file

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ORDER_COLUMNS = [
    "order_ref",
    "customer_code",
    "order_date",
    "sku",
    "qty",
    "unit_price",
    "discount_pct",
    "tax_rate",
    "confirm",
]
# Customers without a credit limit (rule 16 is tested elsewhere), and every active SKU.
CUSTOMERS = ["MUELLER", "TOKYO", "SCHOOL"]
SKUS = [
    "DESK-OAK",
    "DESK-STAND",
    "CHAIR-ERGO",
    "LAMP-LED",
    "CABLE-TRAY",
    "PLANT-FICUS",
    "COFFEE-KG",
    "INSTALL",
    "DELIVERY",
]

qty_st = st.one_of(
    st.integers(min_value=1, max_value=20_000),  # up to 20 units, in thousandths
    st.sampled_from([1, 5, 125, 333, 1000, 2500]),
)
price_st = st.one_of(
    st.integers(min_value=0, max_value=10**7), st.sampled_from([1, 5, 35, 4995, 48900])
)
pct_st = st.one_of(
    st.integers(min_value=0, max_value=100 * 10**4),
    st.sampled_from([0, 50 * 10**4, 333_333, 125_000, 100 * 10**4]),
)
tax_st = st.one_of(st.none(), st.sampled_from([0, 7 * 10**4, 19 * 10**4, 165_000]), pct_st)


def half_up(value: Fraction) -> int:
    """A non-negative fraction rounded half-up to an integer."""
    assert value >= 0
    return int((value * 2 + 1) // 2)


def rule_10(qty: int, price: int, discount: int, rate: int) -> tuple[int, int]:
    """Net and tax in cents from database units, exactly as SPEC rule 10 says."""
    net = half_up(Fraction(qty, 1000) * price * (1 - Fraction(discount, 100 * 10**4)))
    return net, half_up(net * Fraction(rate, 100 * 10**4))


# --- the importer's integer arithmetic ---------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    qty=st.integers(min_value=1, max_value=10**12 - 1),
    price=st.integers(min_value=0, max_value=10**15 - 1),
    discount=st.integers(min_value=0, max_value=100 * 10**4),
    rate=st.integers(min_value=0, max_value=100 * 10**4),
)
@example(qty=3000, price=35, discount=50 * 10**4, rate=19 * 10**4)  # 0.525 → 0.53
@example(qty=1, price=5, discount=0, rate=0)  # 0.005 → 0.01
@example(qty=13000, price=5, discount=10 * 10**4, rate=7 * 10**4)
def test_line_amounts_units_equal_line_net_and_line_tax(qty, price, discount, rate):
    units = line_amounts_units(qty, price, discount, rate)
    net = line_net(qty_from_db(qty), from_minor(price), pct_from_db(discount))
    tax = line_tax(net, pct_from_db(rate))
    assert units == (to_minor(net), to_minor(tax))
    assert units == rule_10(qty, price, discount, rate)


@settings(max_examples=50, deadline=None)
@given(
    qty=st.integers(min_value=1, max_value=10**12 - 1),
    price=st.integers(min_value=0, max_value=10**15 - 1),
    discount=st.integers(min_value=0, max_value=100 * 10**4),
    rate=st.integers(min_value=0, max_value=100 * 10**4),
)
@example(qty=1000, price=11900, discount=0, rate=19 * 10**4)  # 119.00 → 100.00 + 19.00
@example(qty=1000, price=1, discount=0, rate=100 * 10**4)  # 0.01 ÷ 2 = 0.005 → 0.01
def test_gross_line_amounts_units_equal_line_amounts(qty, price, discount, rate):
    """Rule 19 in the importer's integers: net = gross ÷ (1 + rate) half-up, tax the rest."""
    net, tax = line_amounts_units(qty, price, discount, rate, gross=True)
    exact = line_amounts(
        qty_from_db(qty), from_minor(price), pct_from_db(discount), pct_from_db(rate), gross=True
    )
    assert (net, tax) == (to_minor(exact[0]), to_minor(exact[1]))
    assert net >= 0 and tax >= 0
    assert net + tax == rule_10(qty, price, discount, 0)[0]


# --- random orders files ---------------------------------------------------------


@st.composite
def orders_st(draw):
    orders = []
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        head = {
            "order_ref": f"R-{n}-{draw(st.sampled_from(['a', 'B', 'web']))}",
            "customer_code": draw(st.sampled_from(CUSTOMERS + ["mueller", "Tokyo"])),
            "order_date": draw(st.sampled_from(["2024-02-29", "2025-12-31", "2026-01-05"])),
            "confirm": draw(st.booleans()),
        }
        lines = [
            {
                "sku": draw(st.sampled_from(SKUS)),
                "qty": draw(qty_st),
                "unit_price": draw(price_st),
                "discount_pct": draw(st.one_of(st.none(), pct_st)),
                "tax_rate": draw(tax_st),
            }
            for _ in range(draw(st.integers(min_value=1, max_value=4)))
        ]
        orders.append((head, lines))
    return orders


def units_text(units: int, places: int) -> str:
    whole, frac = divmod(units, 10**places)
    return f"{whole}.{frac:0{places}d}" if places else str(whole)


def rows_of(orders) -> list[dict[str, str]]:
    """Every line as the text cells a shop file holds (empty = not given)."""
    rows = []
    for head, lines in orders:
        for line in lines:
            rows.append(
                {
                    "order_ref": head["order_ref"],
                    "customer_code": head["customer_code"],
                    "order_date": head["order_date"],
                    "sku": line["sku"],
                    "qty": units_text(line["qty"], 3),
                    "unit_price": units_text(line["unit_price"], 2),
                    "discount_pct": ""
                    if line["discount_pct"] is None
                    else units_text(line["discount_pct"], 4),
                    "tax_rate": "" if line["tax_rate"] is None else units_text(line["tax_rate"], 4),
                    "confirm": "true" if head["confirm"] else "false",
                }
            )
    return rows


dialect_st = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["csv", "jsonl"]),
        "delimiter": st.sampled_from([",", ";", "\t", "|"]),
        "newline": st.sampled_from(["\n", "\r\n", "\r"]),
        "bom": st.booleans(),
        "quote_all": st.booleans(),
    }
)


JSON_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
NUMBERS = {"qty", "unit_price", "discount_pct", "tax_rate"}


def json_value(key: str, value: str) -> str:
    """A cell as JSON: null, a boolean, a number literal (read back exactly), or a string."""
    if value == "":
        return "null"
    if key == "confirm" and value in {"true", "false"}:
        return value
    if key in NUMBERS and JSON_NUMBER.fullmatch(value):
        return value
    return json.dumps(value)


def file_bytes(rows: list[dict[str, str]], dialect: dict) -> tuple[str, bytes]:
    if dialect["format"] == "jsonl":
        text = "".join(
            "{"
            + ", ".join(f"{json.dumps(k)}: {json_value(k, v)}" for k, v in row.items())
            + "}"
            + dialect["newline"]
            for row in rows
        )
        name = "orders.jsonl"
    else:
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=dialect["delimiter"],
            lineterminator=dialect["newline"],
            quoting=csv.QUOTE_ALL if dialect["quote_all"] else csv.QUOTE_MINIMAL,
        )
        writer.writerow(ORDER_COLUMNS)
        for row in rows:
            writer.writerow([row[c] for c in ORDER_COLUMNS])
        text = out.getvalue()
        name = "orders.csv"
    return name, (b"\xef\xbb\xbf" if dialect["bom"] else b"") + text.encode()


def run_import(engine, kind: str, path: Path, dry_run: bool = False):
    with unit_of_work(engine) as session:
        return import_file(session=session, kind=kind, path=path, dry_run=dry_run)


@SETTINGS
@given(orders=orders_st(), dialect=dialect_st)
def test_random_orders_files_import_exactly(ledger_kit, orders, dialect):
    kit = ledger_kit
    name, body = file_bytes(rows_of(orders), dialect)
    with tempfile.TemporaryDirectory() as folder, kit.ledger() as engine:
        path = Path(folder) / name
        path.write_bytes(body)
        before = kit.fingerprint(engine)
        dry = run_import(engine, "orders", path, dry_run=True)
        assert kit.fingerprint(engine) == before
        result = run_import(engine, "orders", path)
        assert result.errors == []
        expected_lines = sum(len(lines) for _, lines in orders)
        counts = (result.created, result.lines_created, result.confirmed, result.skipped)
        assert counts == (len(orders), expected_lines, sum(h["confirm"] for h, _ in orders), 0)
        assert (dry.created, dry.lines_created, dry.confirmed) == counts[:3]
        snap = kit.check_ledger(engine)
        assert list(snap.orders) == [f"SO-{i:05d}" for i in range(1, len(orders) + 1)]
        for number, (head, lines) in zip(snap.orders, orders, strict=True):
            row = snap.orders[number]
            assert row["order_ref"] == head["order_ref"]
            assert row["status"] == ("confirmed" if head["confirm"] else "draft")
            got = snap.lines[number]
            assert [ln["sku"] for ln in got] == [ln["sku"] for ln in lines]
            nets, taxes = [], []
            for stored, line in zip(got, lines, strict=True):
                rate = line["tax_rate"]
                if rate is None:
                    rate = kit.products[line["sku"]].tax_rate
                discount = line["discount_pct"] or 0
                net, tax = rule_10(line["qty"], line["unit_price"], discount, rate)
                assert (stored["qty"], stored["unit_price"]) == (line["qty"], line["unit_price"])
                assert (stored["discount"], stored["tax_rate"]) == (discount, rate)
                assert (stored["net"], stored["tax"]) == (net, tax)
                nets.append(net)
                taxes.append(tax)
            assert (row["subtotal"], row["tax"], row["total"]) == (
                sum(nets),
                sum(taxes),
                sum(nets) + sum(taxes),
            )
        # Idempotent: the same file again creates nothing and writes nothing.
        after = kit.fingerprint(engine)
        again = run_import(engine, "orders", path)
        assert (again.errors, again.created, again.skipped) == ([], 0, len(orders))
        assert kit.fingerprint(engine) == after


BAD_CELLS = {
    "qty": ["0", "-1", "1.0001", "ten", "1e400", ""],
    "unit_price": ["-0.01", "0.001", "NaN", "", "9" * 40],
    "discount_pct": ["100.01", "-1", "x"],
    "order_date": ["2026-02-30", "tomorrow", "2999-01-01", ""],
    "sku": ["NO-SUCH-SKU", ""],
    "customer_code": ["NOBODY", ""],
    "confirm": ["maybe", "2"],
}


@SETTINGS
@given(
    orders=orders_st(),
    position=st.integers(min_value=0, max_value=20),
    column=st.sampled_from(sorted(BAD_CELLS)),
    data=st.data(),
)
def test_one_bad_row_anywhere_is_reported_and_nothing_is_written(
    ledger_kit, orders, position, column, data
):
    kit = ledger_kit
    rows = rows_of(orders)
    bad = dict(rows[0], order_ref="BAD-ONE")
    bad[column] = data.draw(st.sampled_from(BAD_CELLS[column]))
    position = min(position, len(rows))
    rows.insert(position, bad)
    dialect = data.draw(dialect_st)
    name, body = file_bytes(rows, dialect)
    line = position + (1 if dialect["format"] == "jsonl" else 2)  # a CSV file has a header
    with tempfile.TemporaryDirectory() as folder, kit.ledger() as engine:
        path = Path(folder) / name
        path.write_bytes(body)
        before = kit.fingerprint(engine)
        result = run_import(engine, "orders", path)
        assert kit.fingerprint(engine) == before
        assert result.created == 0
        assert {p.line for p in result.errors} == {line}, result.errors


# --- customer names through CSV and an export's neutralisation ----------------------

name_st = (
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@pytest.mark.sqlite_only("exec_driver_sql with a literal %, which psycopg reads as a placeholder")
@SETTINGS
@given(
    names=st.lists(name_st, min_size=1, max_size=5),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
@example(
    names=['=HYPERLINK("x")', "'Tis", "@home", "-5", "+x", "a,b;c|d\te"],
    delimiter=",",
    newline="\n",
)
def test_customer_names_survive_csv_and_formula_neutralisation(
    ledger_kit, names, delimiter, newline
):
    kit = ledger_kit
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(["code", "name"])
    for i, name in enumerate(names):
        writer.writerow([f"PROP-{i}", neutralise(name)])
    with tempfile.TemporaryDirectory() as folder, kit.ledger() as engine:
        path = Path(folder) / "customers.csv"
        path.write_bytes(out.getvalue().encode())
        result = run_import(engine, "customers", path)
        assert (result.errors, result.created) == ([], len(names))
        with engine.connect() as conn:
            query = "SELECT code, name FROM customer WHERE code LIKE 'PROP-%'"
            stored = dict(conn.exec_driver_sql(query).all())
    assert stored == {f"PROP-{i}": name for i, name in enumerate(names)}


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=10))
@example(text="'=1")
@example(text="''@x")
def test_restore_undoes_neutralise(text):
    assert restore(neutralise(text)) == text
