"""Exports as a service: exact decimal text without floats, ledger account names both
hledger and beancount accept, the invoice status rule in SQL, streaming in constant
memory with a fixed number of queries, XLSX sheets that respect Excel's row limit, and
files written whole or not at all."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, insert, select

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    decimal_text,
    from_minor,
    money_str,
    money_text,
    pct_from_db,
    pct_text,
    qty_from_db,
    qty_str,
    qty_text,
)
from ordercli.io import exports, files
from ordercli.io.exports import queries, tabular
from ordercli.io.exports.ledger_formats import account_component, ledger_accounts
from ordercli.models import Account, JournalEntry, JournalLine
from ordercli.services.sales import invoicing
from ordercli.services.settlement import payments

D = Decimal
BEANCOUNT_COMPONENT = re.compile(r"^[A-Z0-9][A-Za-z0-9-]*$")


class Sink(io.RawIOBase):
    """A binary stream that keeps only the number of bytes written."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


# --- decimal text ------------------------------------------------------------------


@given(st.integers(min_value=-(10**18), max_value=10**18), st.integers(0, 3))
def test_money_text_is_the_ledgers_decimal_exactly(units, digits):
    assert money_text(units, digits) == money_str(from_minor(units, digits), digits)


@given(st.integers(min_value=0, max_value=10**15))
def test_quantities_and_percentages_drop_trailing_zeros(units):
    assert qty_text(units) == qty_str(qty_from_db(units))
    assert pct_text(units) == f"{pct_from_db(units):f}"


@pytest.mark.parametrize(
    ("units", "digits", "trim", "text"),
    [
        (123450, 2, False, "1234.50"),
        (-5, 2, False, "-0.05"),
        (0, 2, False, "0.00"),
        (1982, 0, False, "1982"),
        (1234, 3, False, "1.234"),
        (3000, 3, True, "3"),
        (2500, 3, True, "2.5"),
        (1, 3, True, "0.001"),
        (190000, 4, True, "19"),
        (125000, 4, True, "12.5"),
    ],
)
def test_decimal_text_examples(units, digits, trim, text):
    assert decimal_text(units, digits, trim=trim) == text


# --- ledger account names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "component"),
    [
        ("1200 Accounts receivable", "1200-Accounts-Receivable"),
        ("1200 Créances clients", "1200-Creances-Clients"),
        ("2200 Straße & Söhne: TVA/ÜSt.", "2200-Strasse-Sohne-TVA-USt"),
        ("AR Forderungen aus L+L", "AR-Forderungen-Aus-L-L"),
        ("ab æøå Œuvre", "Ab-Aeoa-OEuvre"),
        ("売上高", ""),
    ],
)
def test_account_components_are_ascii_words_joined_by_dashes(text, component):
    assert account_component(text) == component


def test_ledger_account_names_are_valid_unique_and_typed():
    accounts = ledger_accounts(
        [
            ("1000", "Bank", "asset", "cash"),
            ("1200", "Créances clients", "asset", "receivable"),
            ("2200.1", "TVA", "liability", "sales_tax"),
            ("2200-1", "TVA", "liability", "customer_credit"),
            ("4000", "売上高", "revenue", "revenue"),
            ("売", "返品", "revenue", "refunds"),
        ]
    )
    assert {code: (a.path, a.type) for code, a in accounts.items()} == {
        "1000": ("Assets:1000-Bank", "A"),
        "1200": ("Assets:1200-Creances-Clients", "A"),
        "2200.1": ("Liabilities:2200-1-TVA", "L"),
        "2200-1": ("Liabilities:2200-1-TVA-2", "L"),
        "4000": ("Income:4000", "R"),
        "売": ("Income:Refunds", "R"),
    }
    for account in accounts.values():
        root, leaf = account.path.split(":")
        assert BEANCOUNT_COMPONENT.match(leaf), account.path
        assert account.path.isascii()


# --- the invoice status in SQL -------------------------------------------------------


def test_the_exported_status_is_the_status_rule_on_every_day(invoiced, uow, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-31")
    invoiced("ACME", [("LAMP-LED", "2")], issue_date=date(2026, 3, 1))  # due 03-31
    invoiced("BRIGHT", [("LAMP-LED", "1")], issue_date=date(2026, 3, 1))  # due 03-15
    invoiced("ACME", [("MAT-CHAIR", "1")], issue_date=date(2026, 3, 2))
    with uow() as session:
        payments.record_payment(
            session=session, customer_code="ACME", amount=D("20.00"), invoices=[("INV-00001", None)]
        )
        payments.record_payment(
            session=session, customer_code="ACME", amount=D("46.41"), invoices=[("INV-00003", None)]
        )
    seen = set()
    for day in ("2026-03-14", "2026-03-15", "2026-03-16", "2026-03-31", "2026-04-01"):
        monkeypatch.setenv("ORDERCLI_TODAY", day)
        out = io.BytesIO()
        with uow(write=False) as session:
            exports.export(session=session, kind="invoices", fmt="jsonl", out=out)
            expected = {
                invoice.number: invoicing.status_of(invoice).value
                for invoice in invoicing.list_invoices(session=session, limit=None)
            }
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
        assert {row["number"]: row["status"] for row in rows} == expected, day
        seen |= set(expected.values())
    assert seen == {"open", "partially_paid", "paid", "overdue"}


# --- streaming --------------------------------------------------------------------


def add_journal(engine, entries: int) -> None:
    """``entries`` balanced invoice-like entries of three lines, straight into the tables."""
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Account.role, Account.id)).all())
        first = conn.execute(select(JournalEntry.id).order_by(JournalEntry.id.desc())).first()
        start = (first[0] if first else 0) + 1
        day = date(2026, 1, 1)
        created = datetime(2026, 1, 1, tzinfo=UTC)
        conn.execute(
            insert(JournalEntry.__table__),
            [
                {
                    "id": start + n,
                    "entry_date": day + timedelta(days=n % 365),
                    "source_kind": "invoice",
                    "source_number": f"BULK-{n:06d}",
                    "memo": f"bulk entry {n}",
                    "created_at": created,
                }
                for n in range(entries)
            ],
        )
        conn.execute(
            insert(JournalLine.__table__),
            [
                line
                for n in range(entries)
                for line in (
                    {
                        "entry_id": start + n,
                        "account_id": ids["receivable"],
                        "debit": 11900,
                        "credit": 0,
                    },
                    {
                        "entry_id": start + n,
                        "account_id": ids["revenue"],
                        "debit": 0,
                        "credit": 10000,
                    },
                    {
                        "entry_id": start + n,
                        "account_id": ids["sales_tax"],
                        "debit": 0,
                        "credit": 1900,
                    },
                )
            ],
        )


def peak_memory(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


LINES = 24_000
BOUND = 8_000_000  # bytes; the rows themselves, held at once, take several times this


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "hledger", "beancount"])
@pytest.mark.sqlite_only("memory bounds fit sqlite3; psycopg buffers are C memory")
def test_exports_stream_in_constant_memory(engine, uow, fmt):
    add_journal(engine, LINES // 3)
    with uow(write=False) as session:  # warm up: imports, compiled statements
        exports.export(
            session=session, kind="journal", fmt=fmt, date_to=date(2026, 1, 1), out=Sink()
        )
    sink = Sink()
    counted = []

    def run() -> None:
        with uow(write=False) as session:
            counted.append(exports.export(session=session, kind="journal", fmt=fmt, out=sink))

    peak = peak_memory(run)
    assert counted == [LINES]
    assert sink.size > 1_500_000
    assert peak < BOUND, f"{fmt}: peak {peak:,} bytes"

    def materialise() -> None:
        with uow(write=False) as session:
            session.connection().execute(queries.journal().query).all()

    assert peak_memory(materialise) > 2 * BOUND  # so the bound above can fail


@pytest.mark.parametrize("kind", exports.KINDS)
def test_an_export_runs_a_fixed_number_of_queries(engine, uow, invoiced, kind):
    def statements(fmt: str) -> int:
        seen = []

        def listener(conn, cursor, statement, *_):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            with uow(write=False) as session:
                exports.export(session=session, kind=kind, fmt=fmt, out=Sink())
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    invoiced("ACME", [("LAMP-LED", "1")])
    few = statements("csv")
    for _ in range(6):
        invoiced("BRIGHT", [("LAMP-LED", "1"), ("MAT-CHAIR", "2")])
    assert statements("csv") == few
    if kind == "journal":
        assert statements("hledger") == statements("beancount")


def test_a_long_xlsx_export_continues_on_new_sheets(engine, uow, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(tabular, "SHEET_ROWS", 5)  # a header and four rows per sheet
    add_journal(engine, 3)
    out = io.BytesIO()
    with uow(write=False) as session:
        assert exports.export(session=session, kind="journal", fmt="xlsx", out=out) == 9
    book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert book.sheetnames == ["journal", "journal (2)", "journal (3)"]
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert [len(rows) for rows in sheets] == [5, 5, 2]
    assert all(rows[0][:2] == ("entry", "date") for rows in sheets)
    assert [row[3] for rows in sheets for row in rows[1:]] == ["BULK-000000"] * 3 + [
        "BULK-000001"
    ] * 3 + ["BULK-000002"] * 3


def test_exports_are_read_only(engine, uow, invoiced, unchanged, tmp_path):
    invoiced("ACME", [("LAMP-LED", "1")])
    with unchanged():
        for kind in exports.KINDS:
            with uow(write=False) as session:
                exports.export(session=session, kind=kind, out=tmp_path / f"{kind}.csv")


# --- files ---------------------------------------------------------------------------


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    target = tmp_path / "out.csv"
    with files.atomic_file(target) as handle:
        handle.write(b"complete\n")
        assert not target.exists()  # nothing visible until the end
    assert target.read_bytes() == b"complete\n"
    with pytest.raises(RuntimeError), files.atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_write_error_becomes_one_clear_refusal(tmp_path):
    target = tmp_path / "full.csv"
    with pytest.raises(InvalidInput) as info, files.atomic_file(target) as handle:
        handle.write(b"x")
        raise OSError(28, "No space left on device")
    assert info.value.message == f"cannot write {target}: No space left on device"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kind", "fmt", "path", "expected"),
    [
        ("invoices", None, None, "csv"),
        ("invoices", None, "a.JSONL", "jsonl"),
        ("invoices", "XLSX", "a.xlsx", "xlsx"),
        ("invoices", "jsonl", "a.out", "jsonl"),
        ("journal", None, "a.bean", "beancount"),
        ("journal", None, "a.hledger", "hledger"),
        ("journal", "hledger", None, "hledger"),
    ],
)
def test_the_format_is_given_or_inferred(kind, fmt, path, expected):
    assert exports.resolve_format(kind, fmt, Path(path) if path else None) == expected


def test_row_labels_count_in_words():
    assert exports.rows_label("invoices", 1234) == "1,234 invoices"
    assert exports.rows_label("invoice-lines", 1) == "1 invoice line"
    assert exports.rows_label("orders", 0) == "0 order lines"
