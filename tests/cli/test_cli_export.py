"""`ordercli export …` end to end: every kind in every format holds what the ledger
holds; dates, money and formula cells; hledger and beancount files the real tools
accept, with the trial balance's balances; errors; files written whole or not at all."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from ordercli.domain.cells import restore

TODAY = "2027-06-30"
KINDS = ("invoices", "invoice-lines", "payments", "credit-memos", "orders", "journal")
TABULAR = ("csv", "jsonl", "xlsx")

# The columns of each export: the contract accountants and `import orders` rely on.
HEADERS = {
    "invoices": "number order customer customer_name issue_date due_date status currency "
    "subtotal tax total paid credited balance terms discounted written_off prepaid "
    "next_due_date",
    "invoice-lines": "invoice issue_date customer position sku description qty unit unit_price "
    "discount_pct tax_rate net tax total qty_credited net_credited tax_credited",
    "payments": "number customer customer_name received_on method reference amount applied "
    "unapplied currency",
    "credit-memos": "number invoice order customer issue_date settlement restock reason "
    "subtotal tax total rebate_settlement",
    "orders": "order_ref customer_code order_date sku qty unit_price discount_pct tax_rate "
    "confirm prices_include_tax number status position description unit net tax total "
    "price_source doc_discount",
    "journal": "entry date source_kind source_number memo account_code account_name debit "
    "credit customer invoice",
}
HEADERS = {kind: names.split() for kind, names in HEADERS.items()}
MONEY = set(
    "subtotal tax total paid credited balance unit_price net net_credited tax_credited amount "
    "applied unapplied debit credit doc_discount discounted written_off prepaid".split()
)
DECIMALS = {"qty", "qty_credited", "discount_pct", "tax_rate"}
DATES = {"issue_date", "due_date", "received_on", "order_date", "date", "next_due_date"}
INTEGERS = {"position", "entry"}
FLAGS = {"restock", "confirm", "prices_include_tax"}
TEXT_COLUMNS = {
    kind: [c for c in names if c not in MONEY | DECIMALS | DATES | INTEGERS | FLAGS]
    for kind, names in HEADERS.items()
}

HLEDGER = shutil.which("hledger")
BEAN_CHECK = shutil.which("bean-check") or (
    str(Path(sys.executable).with_name("bean-check"))
    if Path(sys.executable).with_name("bean-check").exists()
    else None
)
needs_hledger = pytest.mark.skipif(HLEDGER is None, reason="hledger is not installed")
needs_bean_check = pytest.mark.skipif(
    BEAN_CHECK is None, reason="bean-check is not installed (pip install beancount)"
)


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


BOOKS = """
2027-03-01 customer add =HYPERLINK("x") --code EVIL --terms 30
2027-03-01 product add +MUG @home_mug --price 10 --tax-rate 19
2027-03-01 order new ACME --date 2027-03-01
2027-03-01 order add-line SO-00001 DESK-OAK 4
2027-03-01 order add-line SO-00001 INSTALL 2.5
2027-03-01 order confirm SO-00001 --override-credit test
2027-03-01 invoice create SO-00001 --partial --line DESK-OAK=2
2027-03-15 invoice create SO-00001 --date 2027-03-15
2027-03-10 payment record ACME 500.00 --invoice INV-00001 --date 2027-03-10
2027-03-11 payment record ACME 0.01 --invoice INV-00001 --reference +1 --date 2027-03-11
2027-03-12 credit-memo create INV-00001 --amount 10 --date 2027-03-12
2027-03-20 credit-memo create INV-00002 --line INSTALL=1 --reason =1+1 --date 2027-03-20
2027-04-01 order new EVIL --date 2027-04-01
2027-04-01 order add-line SO-00002 +MUG 3 --discount 10
2027-04-01 order confirm SO-00002
2027-04-02 invoice create SO-00002 --date 2027-04-02
2027-04-10 payment record EVIL 100 --reference=-2+3 --method @cash --date 2027-04-10
2027-04-20 payment refund EVIL 20 --date 2027-04-20
2027-05-01 order new NORD --date 2027-05-01
2027-05-01 order add-line SO-00003 LAMP-LED 1
2027-05-02 order new DUBLIN --date 2027-05-02
2027-05-02 order add-line SO-00004 CHAIR-VISIT 2.5
2027-05-02 order confirm SO-00004
2027-05-02 order hold SO-00004 check_address
2027-06-20 order new MUELLER --date 2027-06-20
2027-06-20 order add-line SO-00005 LAMP-LED 1
2027-06-20 order confirm SO-00005
2027-06-20 invoice create SO-00005 --date 2027-06-20
2027-06-25 order new BRIGHT --date 2027-06-25
2027-06-25 order add-line SO-00006 LAMP-LED 2 --discount 12.5
2027-06-25 order confirm SO-00006
2027-06-25 invoice create SO-00006 --date 2027-06-25
2027-06-26 payment record BRIGHT 18.88 --date 2027-06-26
2027-06-26 shipment create SO-00006 --date 2027-06-26
2027-06-27 credit-memo create INV-00005 --line LAMP-LED=1 --restock --date 2027-06-27
"""


def build_books(cli) -> None:
    """Every kind of document, dated March to June 2027 (each step run on its day),
    with text a spreadsheet would run as a formula ('_' stands for a space)."""
    for step in BOOKS.strip().splitlines():
        day, *args = step.split()
        cli.ok(*(arg.replace("_", " ") for arg in args), env=on(day))


@pytest.fixture
def books(shop, ledger_state):
    """INV-00001 (ACME, 03-01, overdue: PAY-00001, PAY-00002 '+1', CM-00001 by amount),
    INV-00002 (ACME, 03-15, overdue, CM-00002 '=1+1' credits an hour of INSTALL),
    INV-00003 (EVIL '=HYPERLINK("x")', 3 × '+MUG' '@home mug', paid by PAY-00003
    '-2+3' '@cash', RF-00001 pays 20 of the rest back), INV-00004 (MUELLER, open),
    INV-00005 (BRIGHT, partially paid by PAY-00004, CM-00003 restocks a lamp);
    SO-00003 is a draft, SO-00004 on hold."""
    ledger_state("export-books", build_books)
    return shop


def export(cli, kind: str, *args: str, env: dict | None = None) -> bytes:
    result = cli.run("export", kind, *args, env=env)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    assert result.stderr == ""
    return result.stdout_bytes


# Readers: every format back into rows of CSV text, to compare them with each other.


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def read_jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def read_xlsx(data: bytes) -> tuple[list[str], list[tuple]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    width = len(rows[0])
    # Empty cells at the end of a row are not written, so not read back either.
    return list(rows[0]), [row + (None,) * (width - len(row)) for row in rows[1:]]


def cells_of_xlsx(data: bytes):
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return list(sheet.iter_rows())


def xlsx_record(rows, index: int) -> dict:
    """Row ``index`` of ``cells_of_xlsx`` by column name (empty trailing cells left out)."""
    return dict(zip([c.value for c in rows[0]], rows[index], strict=False))


def csv_text_of(name: str, value, digits: int = 2) -> str:
    """A JSON Lines or XLSX value as the CSV writes it (text not yet neutralised)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in DATES:
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if name in MONEY and not isinstance(value, str):
        return f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-digits)):f}"
    if name in DECIMALS and not isinstance(value, str):
        number = Decimal(str(value))
        return f"{number.quantize(Decimal(1)) if number == number.to_integral() else number}"
    return str(value)


def rows_by(rows: list[dict], *keys: str) -> dict:
    return {tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row for row in rows}


# --- every kind in every format ---------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_csv_jsonl_and_xlsx_hold_the_same_rows(books, kind):
    from ordercli.domain.cells import neutralise

    as_csv = read_csv(export(books, kind))
    assert list(as_csv[0]) == HEADERS[kind]
    assert len(as_csv) >= 3
    as_jsonl = read_jsonl(export(books, kind, "--format", "jsonl"))
    header, as_xlsx = read_xlsx(export(books, kind, "--format", "xlsx"))
    assert header == HEADERS[kind]
    assert [list(row) for row in as_jsonl] == [HEADERS[kind]] * len(as_csv)
    text_columns = set(TEXT_COLUMNS[kind])
    from_jsonl = [
        {
            k: neutralise(csv_text_of(k, v)) if k in text_columns else csv_text_of(k, v)
            for k, v in row.items()
        }
        for row in as_jsonl
    ]
    from_xlsx = [
        {k: csv_text_of(k, v) for k, v in zip(header, row, strict=True)} for row in as_xlsx
    ]
    assert from_jsonl == as_csv
    assert from_xlsx == as_csv


def test_invoices_hold_what_invoice_show_holds(books):
    rows = rows_by(read_csv(export(books, "invoices")), "number")
    assert list(rows) == [f"INV-0000{n}" for n in range(1, 6)]
    for number, row in rows.items():
        shown = books.ok("invoice", "show", number)
        for key in HEADERS["invoices"][:14]:
            if key != "customer_name":
                assert restore(row[key]) == shown[key], (number, key)
        # Rule 20's columns: the terms (empty without a template), what was settled other
        # than by payment or credit, and the earliest instalment with something open.
        assert (row["terms"] or None) == shown["terms"], number
        for key in ("discounted", "written_off", "prepaid"):
            assert restore(row[key]) == shown[key], (number, key)
        open_dues = [s["due_date"] for s in shown["schedule"] if s["open"] != "0.00"]
        assert (row["next_due_date"] or None) == (open_dues[0] if open_dues else None), number
        name = books.ok("customer", "show", shown["customer"])["name"]
        assert restore(row["customer_name"]) == name
    assert {n: r["status"] for n, r in rows.items()} == {
        "INV-00001": "overdue",
        "INV-00002": "overdue",
        "INV-00003": "paid",
        "INV-00004": "open",
        "INV-00005": "partially_paid",
    }
    assert rows["INV-00003"]["customer_name"] == '\'=HYPERLINK("x")'


def test_invoice_status_is_the_status_of_the_day_the_export_runs(books):
    early = rows_by(read_csv(export(books, "invoices", env=on("2027-03-31"))), "number")
    assert early["INV-00001"]["status"] == "partially_paid"  # due 03-31: not yet overdue
    late = rows_by(read_csv(export(books, "invoices", env=on("2027-04-01"))), "number")
    assert late["INV-00001"]["status"] == "overdue"


def test_invoice_lines_hold_what_invoice_show_holds(books):
    rows = read_csv(export(books, "invoice-lines"))
    expected = []
    for number in ("INV-00001", "INV-00002", "INV-00003", "INV-00004", "INV-00005"):
        shown = books.ok("invoice", "show", number)
        for line in shown["lines"]:
            expected.append(
                {
                    "invoice": number,
                    "issue_date": shown["issue_date"],
                    "customer": shown["customer"],
                    "position": str(line["line"]),
                    **{k: line[k] for k in HEADERS["invoice-lines"][4:]},
                }
            )
    assert [{k: restore(v) for k, v in row.items()} for row in rows] == expected
    installation = rows_by(rows, "invoice", "sku")[("INV-00002", "INSTALL")]
    assert (installation["qty"], installation["qty_credited"]) == ("2.5", "1")
    assert (installation["net_credited"], installation["tax_credited"]) == ("65.00", "12.35")


def test_payments_hold_what_payment_show_holds(books):
    rows = rows_by(read_csv(export(books, "payments")), "number")
    assert list(rows) == ["PAY-00001", "PAY-00002", "PAY-00003", "PAY-00004"]
    for number, row in rows.items():
        shown = books.ok("payment", "show", number)
        assert row["received_on"] == shown["date"]
        for key in ("customer", "method", "reference", "amount", "unapplied", "currency"):
            assert restore(row[key]) == (shown[key] or ""), (number, key)
        applied = Decimal(shown["amount"]) - Decimal(shown["unapplied"])
        assert row["applied"] == f"{applied:f}"
    # PAY-00003: 100.00 received, 32.13 to INV-00003, 20.00 refunded, 47.87 left.
    assert (rows["PAY-00003"]["applied"], rows["PAY-00003"]["unapplied"]) == ("52.13", "47.87")


def test_credit_memos_hold_what_credit_memo_show_holds(books):
    rows = rows_by(read_csv(export(books, "credit-memos")), "number")
    assert list(rows) == ["CM-00001", "CM-00002", "CM-00003"]
    for number, row in rows.items():
        shown = books.ok("credit-memo", "show", number)
        for key in ("invoice", "order", "customer", "issue_date", "settlement", "total"):
            assert row[key] == shown[key], (number, key)
    assert (rows["CM-00002"]["subtotal"], rows["CM-00002"]["tax"]) == ("65.00", "12.35")
    assert [r["restock"] for r in rows.values()] == ["false", "false", "true"]
    assert [r["reason"] for r in rows.values()][1] == "'=1+1"


def test_orders_export_one_row_per_order_line_ready_for_import(books):
    rows = read_csv(export(books, "orders"))
    assert [(r["order_ref"], r["position"]) for r in rows] == [
        ("SO-00001", "1"),
        ("SO-00001", "2"),
        ("SO-00002", "1"),
        ("SO-00003", "1"),
        ("SO-00004", "1"),
        ("SO-00005", "1"),
        ("SO-00006", "1"),
    ]
    for row in rows:
        shown = books.ok("order", "show", row["number"])
        line = shown["lines"][int(row["position"]) - 1]
        assert row["customer_code"] == shown["customer"]
        assert row["order_date"] == shown["order_date"]
        assert row["status"] == shown["status"]
        for key in ("sku", "description", "qty", "unit_price", "discount_pct", "tax_rate"):
            assert restore(row[key]) == line[key], (row["number"], key)
        for key in ("net", "tax", "total"):
            assert row[key] == line[key]
    assert {r["number"]: r["confirm"] for r in rows} == {
        "SO-00001": "true",
        "SO-00002": "true",
        "SO-00003": "false",  # draft
        "SO-00004": "true",  # on hold: it was confirmed
        "SO-00005": "true",
        "SO-00006": "true",
    }
    assert rows[1]["qty"] == "2.5" and rows[6]["discount_pct"] == "12.5"


def test_orders_export_their_import_reference(books, engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE sales_order SET order_ref = 'SHOP-7' WHERE number = 'SO-00002'"))
    refs = [(r["order_ref"], r["number"]) for r in read_csv(export(books, "orders"))]
    assert ("SHOP-7", "SO-00002") in refs and ("SO-00001", "SO-00001") in refs


def test_journal_lines_add_up_to_the_trial_balance(books):
    rows = read_csv(export(books, "journal"))
    debit, credit = defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        debit[row["account_code"]] += Decimal(row["debit"])
        credit[row["account_code"]] += Decimal(row["credit"])
    trial = books.ok("report", "trial-balance")
    assert {a["code"]: (a["debit"], a["credit"]) for a in trial["accounts"]} == {
        code: (f"{debit[code]:.2f}", f"{credit[code]:.2f}")
        for code in (
            "1000",
            "1200",
            "2200",
            "2300",
            "2400",
            "4000",
            "4100",
            "4200",
            "4300",
            "4800",
            "6800",
            "6900",
        )
    }
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    first = [r for r in rows if r["source_number"] == "INV-00001"]
    assert [
        (r["account_code"], r["debit"], r["credit"], r["customer"], r["invoice"]) for r in first
    ] == [
        ("1200", "1163.82", "0.00", "ACME", "INV-00001"),
        ("4000", "0.00", "978.00", "", ""),
        ("2200", "0.00", "185.82", "", ""),
    ]
    assert first[0]["memo"] == "invoice INV-00001 to ACME"
    assert first[0]["account_name"] == "Accounts receivable"


# --- dates, money and cells --------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "date_column"),
    [
        ("invoices", "number", "issue_date"),
        ("invoice-lines", "invoice", "issue_date"),
        ("payments", "number", "received_on"),
        ("credit-memos", "number", "issue_date"),
        ("orders", "number", "order_date"),
        ("journal", "source_number", "date"),
    ],
)
def test_from_and_to_select_by_the_documents_date_inclusive(books, kind, key, date_column):
    everything = read_csv(export(books, kind))
    window = read_csv(export(books, kind, "--from", "2027-03-15", "--to", "2027-04-10"))
    expected = [r for r in everything if "2027-03-15" <= r[date_column] <= "2027-04-10"]
    assert window == expected
    assert expected and len(expected) < len(everything)
    assert read_csv(export(books, kind, "--from", "2027-06-26")) == [
        r for r in everything if r[date_column] >= "2027-06-26"
    ]
    assert read_csv(export(books, kind, "--to", "2027-03-01")) == [
        r for r in everything if r[date_column] <= "2027-03-01"
    ]


def test_a_window_with_nothing_in_it_gives_just_the_header(books):
    data = export(books, "invoices", "--from", "2030-01-01")
    assert data.decode() == ",".join(HEADERS["invoices"]) + "\r\n"
    assert export(books, "payments", "--from", "2030-01-01", "--format", "jsonl") == b""
    header, rows = read_xlsx(export(books, "orders", "--from", "2030-01-01", "--format", "xlsx"))
    assert (header, rows) == (HEADERS["orders"], [])


def test_formula_text_is_neutralised_in_csv_and_xlsx_and_kept_in_jsonl(books):
    row = rows_by(read_csv(export(books, "payments")), "number")["PAY-00003"]
    assert (row["customer_name"], row["reference"], row["method"]) == (
        '\'=HYPERLINK("x")',
        "'-2+3",
        "'@cash",
    )
    assert rows_by(read_csv(export(books, "payments")), "number")["PAY-00002"]["reference"] == "'+1"
    line = read_csv(export(books, "invoice-lines", "--from", "2027-04-02", "--to", "2027-04-02"))
    assert (line[0]["sku"], line[0]["description"]) == ("'+MUG", "'@home mug")
    raw = read_jsonl(export(books, "payments", "--format", "jsonl"))[2]
    assert (raw["customer_name"], raw["reference"], raw["method"]) == (
        '=HYPERLINK("x")',
        "-2+3",
        "@cash",
    )
    header, rows = read_xlsx(export(books, "payments", "--format", "xlsx"))
    cells = dict(zip(header, rows[2], strict=True))
    assert (cells["customer_name"], cells["reference"], cells["method"]) == (
        '\'=HYPERLINK("x")',
        "'-2+3",
        "'@cash",
    )
    assert restore(cells["customer_name"]) == '=HYPERLINK("x")'


def test_text_starting_with_a_tab_or_carriage_return_is_neutralised(books, engine):
    # The services trim such text away; older or imported data may still hold it.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE invoice_line SET description = :d WHERE sku = 'LAMP-LED'"), {"d": "\tlamp"}
        )
        conn.execute(
            text("UPDATE invoice_line SET description = :d WHERE sku = 'DESK-OAK'"), {"d": "\rdesk"}
        )
    rows = read_csv(export(books, "invoice-lines"))
    assert {r["description"] for r in rows if r["sku"] in ("LAMP-LED", "DESK-OAK")} == {
        "'\tlamp",
        "'\rdesk",
    }
    header, cells = read_xlsx(export(books, "invoice-lines", "--format", "xlsx"))
    descriptions = {dict(zip(header, row, strict=True))["description"] for row in cells}
    # A bare carriage return may come back as a line feed (XML end-of-line handling, by
    # the parser openpyxl picks); either way the apostrophe stays first.
    assert "'\tlamp" in descriptions
    assert {"'\ndesk", "'\rdesk"} & descriptions
    raw = {
        r["description"] for r in read_jsonl(export(books, "invoice-lines", "--format", "jsonl"))
    }
    assert {"\tlamp", "\rdesk"} <= raw


def test_xlsx_cells_are_numbers_and_dates_with_formats(books):
    rows = cells_of_xlsx(export(books, "invoices", "--format", "xlsx"))
    assert [c.value for c in rows[0]] == HEADERS["invoices"]
    assert all(c.font.b for c in rows[0])
    first = xlsx_record(rows, 1)
    assert first["issue_date"].is_date and first["issue_date"].value == datetime(2027, 3, 1)
    assert first["issue_date"].number_format == "yyyy-mm-dd"
    assert first["total"].data_type == "n" and first["total"].value == pytest.approx(1163.82)
    assert first["total"].number_format == "#,##0.00"
    assert first["number"].data_type == "s"
    lines = cells_of_xlsx(export(books, "invoice-lines", "--format", "xlsx"))
    qty = xlsx_record(lines, 3)["qty"]
    assert (qty.data_type, qty.value) == ("n", 2.5)
    memos = cells_of_xlsx(export(books, "credit-memos", "--format", "xlsx"))
    assert xlsx_record(memos, 1)["restock"].value is False


def test_jsonl_money_and_quantities_are_strings_dates_iso(books):
    line = read_jsonl(export(books, "invoice-lines", "--format", "jsonl"))[2]
    assert line["qty"] == "2.5" and line["unit_price"] == "65.00" and line["tax_rate"] == "19"
    assert line["position"] == 2 and line["issue_date"] == "2027-03-15"
    memo = read_jsonl(export(books, "credit-memos", "--format", "jsonl"))[1]
    assert memo["restock"] is False and memo["total"] == "77.35"
    journal = read_jsonl(export(books, "journal", "--format", "jsonl"))
    assert journal[1]["customer"] is None and isinstance(journal[0]["entry"], int)


# --- hledger and beancount -------------------------------------------------------


def trial_balances(cli, as_of: str | None = None) -> dict[str, Decimal]:
    args = ("--as-of", as_of) if as_of else ()
    trial = cli.ok("report", "trial-balance", *args)
    return {a["code"]: Decimal(a["balance"]) for a in trial["accounts"] if Decimal(a["balance"])}


def account_codes(path: Path) -> dict[str, str]:
    """hledger account name → account code, from the file's own declarations."""
    return {
        line.split()[1]: line.split("code:")[1].split(",")[0].strip()
        for line in path.read_text().splitlines()
        if line.startswith("account ")
    }


def hledger(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HLEDGER, *args], capture_output=True, text=True, timeout=60)


def hledger_balances(path: Path) -> dict[str, Decimal]:
    result = hledger("-f", str(path), "bal", "--flat", "-N", "-O", "csv")
    assert result.returncode == 0, result.stderr
    codes = account_codes(path)
    balances = {}
    for row in list(csv.reader(io.StringIO(result.stdout)))[1:]:
        name, amount = row
        number = amount.split()[0] if amount.strip() not in ("0", "") else "0"
        if Decimal(number):
            balances[codes[name]] = Decimal(number)
    return balances


def check_hledger(path: Path) -> None:
    for args in (
        ["check"],
        ["check", "--strict"],
        ["check", "-s", "ordereddates", "uniqueleafnames"],
    ):
        result = hledger("-f", str(path), *args)
        assert result.returncode == 0, (args, result.stderr, path.read_text())


def bean_check(path: Path) -> None:
    result = subprocess.run([BEAN_CHECK, str(path)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), path.read_text()


def beancount_balances(path: Path) -> dict[str, Decimal]:
    from beancount import loader
    from beancount.core import data

    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    codes = {e.account: e.meta["code"] for e in entries if isinstance(e, data.Open)}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                totals[codes[posting.account]] += posting.units.number
    return {code: amount for code, amount in totals.items() if amount}


@needs_hledger
def test_hledger_journal_passes_hledger_check_and_balances_as_the_trial_balance(books, tmp_path):
    path = tmp_path / "books.journal"
    result = books.run("export", "journal", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"wrote 35 journal lines to {path}"
    check_hledger(path)
    assert hledger_balances(path) == trial_balances(books)
    content = path.read_text()
    assert "commodity 1000.00 EUR" in content
    assert "account Assets:1200-Accounts-Receivable  ; type:A, code:1200" in content
    assert "account Income:4000-Sales-Revenue  ; type:R" in content
    assert "account Liabilities:2200-Sales-Tax-Payable  ; type:L" in content
    assert (
        "2027-03-01 * (INV-00001) ACME | invoice INV-00001 to ACME  ; source:INV-00001" in content
    )
    # hledger sees the customer as payee and the document number as code.
    payees = hledger("-f", str(path), "payees")
    assert "EVIL" in payees.stdout.split() and "ACME" in payees.stdout.split()
    register = hledger("-f", str(path), "reg", "tag:customer=EVIL", "-O", "csv")
    assert register.returncode == 0 and "INV-00003" in register.stdout


@needs_hledger
def test_hledger_descriptions_survive_semicolons_pipes_and_newlines(books, tmp_path, engine):
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE journal_entry SET memo = :m WHERE source_number = 'PAY-00001'"),
            {"m": 'paid; in "full" | thanks\nnext line\\'},
        )
    path = tmp_path / "books.hledger"
    assert books.run("export", "journal", "-o", str(path)).exit_code == 0
    check_hledger(path)
    described = hledger("-f", str(path), "print", "code:PAY-00001")
    assert 'ACME | paid, in "full" / thanks next line\\' in described.stdout
    assert hledger_balances(path) == trial_balances(books)
    beancount = tmp_path / "books.beancount"
    assert books.run("export", "journal", "-o", str(beancount)).exit_code == 0
    if BEAN_CHECK:
        bean_check(beancount)
        from beancount import loader

        entries, _, _ = loader.load_file(str(beancount))
        narrations = [getattr(e, "narration", None) for e in entries]
        assert 'paid; in "full" | thanks next line\\' in narrations


@needs_bean_check
def test_beancount_file_passes_bean_check_and_balances_as_the_trial_balance(books, tmp_path):
    path = tmp_path / "books.beancount"
    assert books.run("export", "journal", "-o", str(path)).exit_code == 0
    bean_check(path)
    assert beancount_balances(path) == trial_balances(books)
    content = path.read_text()
    assert 'option "operating_currency" "EUR"' in content
    assert "2027-03-01 open Assets:1200-Accounts-Receivable EUR" in content
    assert '2027-04-02 * "EVIL" "invoice INV-00003 to EVIL"' in content
    assert '  source: "INV-00003"' in content


@needs_hledger
@needs_bean_check
@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2027-03-15", "2027-04-10"), ("2027-04-20", None), (None, "2027-03-10")],
)
def test_a_period_opens_with_earlier_balances_and_ends_at_the_trial_balance(
    books, tmp_path, date_from, date_to
):
    window = [
        *(["--from", date_from] if date_from else []),
        *(["--to", date_to] if date_to else []),
    ]
    journal, beancount = tmp_path / "p.journal", tmp_path / "p.bean"
    assert books.run("export", "journal", *window, "-o", str(journal)).exit_code == 0
    assert books.run("export", "journal", *window, "-o", str(beancount)).exit_code == 0
    check_hledger(journal)
    bean_check(beancount)
    expected = trial_balances(books, as_of=date_to)
    assert hledger_balances(journal) == expected
    assert beancount_balances(beancount) == expected
    if date_from:
        assert (
            f"{date_from} * opening balances | all entries before {date_from}"
            in journal.read_text()
        )
        assert f"{date_from} open Assets:1000-Bank-And-Cash EUR" in beancount.read_text()


@needs_hledger
@needs_bean_check
def test_an_empty_journal_is_a_valid_declared_file(cli, tmp_path):
    journal, beancount = tmp_path / "empty.journal", tmp_path / "empty.beancount"
    assert cli.run("export", "journal", "-o", str(journal)).exit_code == 0
    assert cli.run("export", "journal", "-o", str(beancount)).exit_code == 0
    check_hledger(journal)
    bean_check(beancount)
    assert journal.read_text().count("\naccount ") == 12
    assert beancount.read_text().count(" open ") == 12
    assert read_csv(export(cli, "journal")) == []
    assert export(cli, "journal").decode() == ",".join(HEADERS["journal"]) + "\r\n"


@needs_hledger
@needs_bean_check
def test_renamed_accounts_with_accents_and_other_scripts_give_valid_names(books, tmp_path):
    books.ok("account", "set", "receivable", "--name", "Créances clients")
    books.ok("account", "set", "revenue", "--name", "売上高")
    books.ok("account", "set", "sales_tax", "--code", "2200.1", "--name", "Straße & Co: TVA/ÜSt")
    books.ok("account", "set", "customer_credit", "--code", "2200-1", "--name", "Straße Co TVA ÜSt")
    journal, beancount = tmp_path / "r.journal", tmp_path / "r.beancount"
    assert books.run("export", "journal", "-o", str(journal)).exit_code == 0
    assert books.run("export", "journal", "-o", str(beancount)).exit_code == 0
    check_hledger(journal)
    bean_check(beancount)
    content = journal.read_text()
    assert "account Assets:1200-Creances-Clients  ; type:A" in content
    assert "account Income:4000  ; type:R, code:4000" in content  # the name had no Latin
    # Codes 2200-1 and 2200.1 fold to the same name: the second (by code) gets a suffix.
    assert "account Liabilities:2200-1-Strasse-Co-TVA-USt  ; type:L, code:2200-1" in content
    assert "account Liabilities:2200-1-Strasse-Co-TVA-USt-2  ; type:L, code:2200.1" in content
    assert hledger_balances(journal) == trial_balances(books)
    assert beancount_balances(beancount) == trial_balances(books)


# --- a currency without minor units ---------------------------------------------------


def build_yen(cli) -> None:
    cli.ok("init", "--currency", "JPY")
    cli.ok("customer", "add", "Sakura Office", "--code", "SAKURA", "--terms", "30")
    cli.ok("product", "add", "TEA", "Green tea (kg)", "--price", "1201", "--tax-rate", "10")
    cli.ok("order", "new", "SAKURA")
    cli.ok("order", "add-line", "SO-00001", "TEA", "1.5")
    cli.ok("order", "confirm", "SO-00001")
    cli.ok("invoice", "create", "SO-00001")
    cli.ok("payment", "record", "SAKURA", "1000")


@needs_hledger
@needs_bean_check
def test_a_yen_ledger_exports_whole_yen(cli, tmp_path):
    build_yen(cli)
    (invoice,) = read_csv(export(cli, "invoices"))
    # 1.5 × 1201 = 1801.5 → 1802; tax 180.2 → 180.
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["balance"]) == (
        "1802",
        "180",
        "1982",
        "982",
    )
    assert invoice["currency"] == "JPY"
    (line,) = read_jsonl(export(cli, "invoice-lines", "--format", "jsonl"))
    assert (line["qty"], line["unit_price"], line["net"]) == ("1.5", "1201", "1802")
    cells = cells_of_xlsx(export(cli, "invoices", "--format", "xlsx"))
    total = xlsx_record(cells, 1)["total"]
    assert (total.value, total.number_format) == (1982, "#,##0")
    journal, beancount = tmp_path / "yen.journal", tmp_path / "yen.beancount"
    assert cli.run("export", "journal", "-o", str(journal)).exit_code == 0
    assert cli.run("export", "journal", "-o", str(beancount)).exit_code == 0
    assert "commodity 1000. JPY" in journal.read_text()
    assert "1982 JPY" in journal.read_text()
    check_hledger(journal)
    bean_check(beancount)
    assert hledger_balances(journal) == trial_balances(cli) == beancount_balances(beancount)
    assert trial_balances(cli)["1200"] == Decimal(982)


# --- formats, files and errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("out.csv", lambda data: data.startswith(b"number,order")),
        ("out.CSV", lambda data: data.startswith(b"number,order")),
        ("out.jsonl", lambda data: json.loads(data.splitlines()[0])["number"] == "INV-00001"),
        ("out.xlsx", lambda data: data.startswith(b"PK")),
        ("out.txt", lambda data: data.startswith(b"number,order")),
    ],
)
def test_the_format_follows_the_file_extension(books, tmp_path, name, check):
    path = tmp_path / name
    result = books.run("export", "invoices", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"wrote 5 invoices to {path}\n"
    assert check(path.read_bytes())


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("books.journal", "; ordercli journal"),
        ("books.hledger", "; ordercli journal"),
        ("books.beancount", "; ordercli journal"),
        ("books.bean", "; ordercli journal"),
    ],
)
def test_ledger_formats_follow_the_file_extension(books, tmp_path, name, first):
    path = tmp_path / name
    assert books.run("export", "journal", "-o", str(path)).exit_code == 0
    content = path.read_text()
    assert content.startswith(first)
    assert ('option "operating_currency"' in content) == name.endswith((".beancount", ".bean"))
    assert ("\ncommodity 1000.00 EUR" in content) == name.endswith((".journal", ".hledger"))


def test_json_reports_the_file_written(books, tmp_path):
    path = tmp_path / "lines.jsonl"
    doc = books.ok("export", "invoice-lines", "-o", str(path))
    assert doc == {"file": str(path), "kind": "invoice-lines", "format": "jsonl", "rows": 6}
    assert len(path.read_text().splitlines()) == 6
    one = tmp_path / "memos.csv"
    result = books.run("export", "credit-memos", "--from", "2027-06-27", "-o", str(one))
    assert result.stderr == f"wrote 1 credit memo to {one}\n"


def test_xlsx_goes_to_stdout_when_piped(books):
    header, rows = read_xlsx(export(books, "payments", "--format", "xlsx"))
    assert header == HEADERS["payments"] and len(rows) == 4


def test_an_existing_file_is_replaced_whole_and_keeps_its_permissions(books, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    path = tmp_path / "invoices.csv"
    path.write_text("old content that is longer than nothing\n" * 100)
    path.chmod(0o640)
    assert books.run("export", "invoices", "--to", "2027-03-01", "-o", str(path)).exit_code == 0
    assert len(read_csv(path.read_bytes())) == 1
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invoices.csv"]


def test_a_failed_export_leaves_no_file_and_the_old_one_untouched(books, tmp_path, monkeypatch):
    from ordercli.io.exports import tabular

    def broken(out, columns, rows, **_):
        out.write(b"number,order\r\nINV-00001,SO-00001\r\n")
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(tabular.WRITERS, "csv", broken)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    fresh = tmp_path / "fresh.csv"
    result = books.run("export", "invoices", "-o", str(fresh))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unexpected RuntimeError: disk on fire")
    assert list(tmp_path.iterdir()) == []
    kept = tmp_path / "kept.csv"
    kept.write_text("the previous export\n")
    assert books.run("export", "invoices", "-o", str(kept)).exit_code == 1
    assert kept.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.csv"]


def test_export_changes_nothing_in_the_ledger(books, unchanged, tmp_path):
    with unchanged():
        for kind in KINDS:
            for fmt in TABULAR:
                assert books.run("export", kind, "--format", fmt).exit_code == 0
        assert books.run("export", "journal", "-o", str(tmp_path / "x.journal")).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["bills"],
            "error: unknown export 'bills' (one of invoices, invoice-lines, payments, "
            "credit-memos, orders, journal)",
        ),
        (
            ["invoices", "--format", "xml"],
            "error: unknown format 'xml' (one of csv, jsonl, xlsx, hledger, beancount)",
        ),
        (
            ["invoices", "--format", "hledger"],
            "error: hledger is a format for the journal; export invoices as csv, jsonl, xlsx",
        ),
        (
            ["payments", "-o", "p.beancount"],
            "error: beancount is a format for the journal; export payments as csv, jsonl, xlsx",
        ),
        (
            ["invoices", "--format", "csv", "-o", "x.xlsx"],
            "error: --format csv does not match the file name x.xlsx (xlsx)",
        ),
        (
            ["journal", "--format", "beancount", "-o", "x.journal"],
            "error: --format beancount does not match the file name x.journal (hledger)",
        ),
        (
            ["invoices", "--from", "2027-02-30"],
            "error: --from '2027-02-30' is not a date (use YYYY-MM-DD)",
        ),
        (["invoices", "--to", "soon"], "error: --to 'soon' is not a date (use YYYY-MM-DD)"),
        (
            ["invoices", "--from", "2027-04-01", "--to", "2027-03-01"],
            "error: --from 2027-04-01 is after --to 2027-03-01",
        ),
        (
            ["invoices", "--json"],
            "error: --json reports on a file written with -o; without -o stdout carries the export",
        ),
    ],
)
def test_bad_input_is_refused_with_one_line(books, args, message, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    assert books.fails("export", *args) == message
    assert list((tmp_path / "out").iterdir()) == []


def test_a_target_that_cannot_be_a_file_is_refused(books, tmp_path):
    assert books.fails("export", "invoices", "-o", str(tmp_path)) == (
        f"error: {tmp_path} is a directory; give a file name, e.g. {tmp_path / 'export.csv'}"
    )
    missing = tmp_path / "no" / "such" / "x.csv"
    assert books.fails("export", "invoices", "-o", str(missing)) == (
        f"error: cannot write {missing}: the directory {missing.parent} does not exist"
    )
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_directory_is_refused(books, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert books.fails("export", "invoices", "-o", str(locked / "x.csv")) == (
            f"error: cannot write {locked / 'x.csv'}: the directory {locked} is not writable"
        )
    finally:
        locked.chmod(0o700)


def test_refusals_come_before_the_ledger_is_opened(cli_at, tmp_path):
    nowhere = tmp_path / "not-yet.db"
    line = cli_at(nowhere).fails("export", "invoices", "-o", str(tmp_path / "x" / "y.csv"))
    assert line.startswith("error: cannot write")
    assert not nowhere.exists()


def test_xlsx_is_not_written_to_a_terminal(books, ledger_path):
    from ordercli.db.engine import dispose_all

    dispose_all()
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ordercli.cli.app", "--db", str(ledger_path)]
            + ["export", "invoices", "--format", "xlsx"],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "ORDERCLI_TODAY": TODAY},
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: not writing an XLSX file (binary) to the terminal",
        "hint: ordercli export invoices -o invoices.xlsx",
    ]


@pytest.mark.parametrize(
    "args", [["--help"], ["export", "--help"], ["export", "journal", "--help"]]
)
def test_help_does_not_import_openpyxl(args):
    code = (
        "import sys\n"
        "from ordercli.cli.app import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('openpyxl' in sys.modules, 'sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False False"


def test_every_kind_is_a_command_with_help(cli):
    for kind in KINDS:
        result = cli.run("export", kind, "--help")
        assert result.exit_code == 0
        assert "Example: ordercli export" in result.stdout
    listing = cli.run("export", "--help").stdout
    assert all(kind in listing for kind in KINDS)


@pytest.mark.sqlite_only("exports the demo's SQLite ledger")
def test_demo_ledger_exports_every_kind(cli, cli_at, tmp_path):
    """The demo's books (invoices, payments, a refund, a return, store credit used,
    imported web-shop orders) hold the same documents as the ledger lists."""
    from ordercli.db.engine import dispose_all

    target = tmp_path / "demo.db"
    assert cli.run("demo", "--path", str(target)).exit_code == 0
    dispose_all()
    demo = cli_at(target)
    invoices = demo.ok("invoice", "list", "--all")
    orders = demo.ok("order", "list", "--all")
    rows = {kind: read_csv(export(demo, kind)) for kind in KINDS}
    assert {r["number"]: r["status"] for r in rows["invoices"]} == {
        i["number"]: i["status"] for i in invoices
    }
    lines = sum(len(demo.ok("invoice", "show", i["number"])["lines"]) for i in invoices)
    assert len(rows["invoice-lines"]) == lines
    assert len(rows["payments"]) == len(demo.ok("payment", "list", "--all"))
    assert len(rows["credit-memos"]) == len(demo.ok("credit-memo", "list", "--all"))
    assert sorted((r["number"], r["order_ref"], r["position"]) for r in rows["orders"]) == sorted(
        (o["number"], o["order_ref"] or o["number"], str(line["line"]))
        for o in orders
        for line in o["lines"]
    )
    trial = demo.ok("report", "trial-balance")
    assert f"{sum(Decimal(r['debit']) for r in rows['journal']):.2f}" == trial["total_debit"]
    if HLEDGER and BEAN_CHECK:
        journal, beancount = tmp_path / "demo.journal", tmp_path / "demo.beancount"
        assert demo.run("export", "journal", "-o", str(journal)).exit_code == 0
        assert demo.run("export", "journal", "-o", str(beancount)).exit_code == 0
        check_hledger(journal)
        bean_check(beancount)
        assert hledger_balances(journal) == trial_balances(demo) == beancount_balances(beancount)


# --- back in through `import orders` -----------------------------------------------


IMPORTED = (
    "order_ref customer_code order_date sku qty unit_price discount_pct tax_rate confirm "
    "prices_include_tax"
)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_exported_orders_import_into_another_ledger_unchanged(
    books, cli_at, tmp_path, _templates, fmt
):
    path = tmp_path / f"orders.{fmt}"
    assert books.run("export", "orders", "-o", str(path)).exit_code == 0
    # Re-importing into the same ledger finds every order already there.
    again = books.ok("import", "orders", str(path))
    assert (again["created"], again["errors"]) == (0, [])
    other = tmp_path / "other.db"
    shutil.copyfile(_templates["sample"], other)
    elsewhere = cli_at(other)
    for step in BOOKS.strip().splitlines()[:2]:  # the customer EVIL and the product +MUG
        day, *args = step.split()
        elsewhere.ok(*(arg.replace("_", " ") for arg in args), env=on(day))
    done = elsewhere.ok("import", "orders", str(path))
    assert (done["created"], done["errors"]) == (6, [])
    keys = [*IMPORTED.split(), "position", "description", "net", "tax", "total"]
    theirs = [{k: r[k] for k in keys} for r in read_csv(export(elsewhere, "orders"))]
    ours = [{k: r[k] for k in keys} for r in read_csv(export(books, "orders"))]
    assert sorted(theirs, key=str) == sorted(ours, key=str)
