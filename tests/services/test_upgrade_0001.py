"""A ledger made by the previous release (schema 0001) opened by this one.

``tests/fixtures/ledger-0001.db`` is the demo ledger of release 0.1: 12 customers,
16 products, SO-00001 for BRIGHT, INV-00001 (1105.63) and INV-00002 (3530.26), two
shipments. Opening it must migrate it to 0002 keeping every row, post the journal
entries of its invoices, pass ``ordercli check``, and take new documents.
"""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

import ordercli.db.engine
from ordercli.books import checks, journal
from ordercli.db.engine import HEAD_REVISION, open_ledger, resolve_location, unit_of_work

pytestmark = pytest.mark.sqlite_only("upgrades the SQLite ledger of release 0.1 in tests/fixtures")

D = Decimal
FIXTURE = Path(__file__).parent.parent / "fixtures" / "ledger-0001.db"
OLD_TABLES = (
    "customer",
    "product",
    "quote",
    "quote_line",
    "quote_note",
    "sales_order",
    "order_line",
    "invoice",
    "invoice_line",
    "shipment",
    "shipment_line",
    "stock_move",
    "event",
    "number_series",
    "setting",
)


def snapshot(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """The columns and rows of every table of release 0.1, read with sqlite3 itself."""
    with sqlite3.connect(path) as conn:
        found = {}
        for table in OLD_TABLES:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            found[table] = (columns, conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall())
    conn.close()
    return found


def rows_now(path: Path, table: str, columns: list[str]) -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT {names} FROM "{table}" ORDER BY 1').fetchall()
    finally:
        conn.close()


def revision(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def old_copy(ledger_path) -> Path:
    """A copy at ``ledger_path``, where the ``cli`` fixture looks."""
    path = ledger_path
    shutil.copyfile(FIXTURE, path)
    assert revision(path) == "0001"
    return path


@pytest.fixture
def before(old_copy) -> dict:
    found = snapshot(old_copy)
    counts = {table: len(rows) for table, (_, rows) in found.items()}
    assert {t: counts[t] for t in ("customer", "product", "sales_order", "invoice")} == {
        "customer": 12,
        "product": 16,
        "sales_order": 1,
        "invoice": 2,
    }
    assert (counts["shipment"], counts["event"]) == (2, 44)
    return found


@pytest.fixture
def upgraded(old_copy, before):
    url = resolve_location(str(old_copy))
    try:
        yield open_ledger(url)
    finally:
        ordercli.db.engine.forget_ledger(url)


def test_the_fixture_is_a_release_0_1_ledger(before, old_copy):
    """Guards the tests below: the copy really holds 0.1's schema and data."""
    assert revision(old_copy) == "0001"
    conn = sqlite3.connect(old_copy)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert {"invoice", "shipment"} <= tables
    assert not {"payment", "credit_memo", "journal_entry", "account"} & tables


def test_every_row_survives_the_upgrade(upgraded, old_copy, before):
    assert revision(old_copy) == HEAD_REVISION
    for table, (columns, rows) in before.items():
        if table == "number_series":
            continue  # checked below: it gains the new series
        if table == "setting":
            # A revision may add settings (0004: the default warehouse); none change.
            assert set(rows) <= set(rows_now(old_copy, table, columns)), table
            continue
        assert rows_now(old_copy, table, columns) == rows, table
    columns, rows = before["number_series"]
    now = rows_now(old_copy, "number_series", columns)
    assert [r for r in now if r in rows] == rows
    assert sorted(r[0] for r in now if r not in rows) == [
        "billing_agreement",
        "deposit_applied",
        "dunning_notice",
        "early_discount",
        "payment_void",
        "rebate_agreement",
        "rebate_settlement",
        "refund",
        "shipment_reversal",
        "write_off",
    ]


def test_old_invoices_get_their_journal_entries(upgraded, ledger_ok):
    balances = ledger_ok(upgraded)
    assert balances == {
        "cash": D(0),
        "receivable": D("4635.89"),  # 1105.63 + 3530.26, both unpaid
        "sales_tax": D("-740.19"),
        "customer_credit": D(0),
        "revenue": D("-3895.70"),
        "refunds": D(0),
        "rebates": D(0),
        "customer_advances": D(0),
        "early_discounts": D(0),
        "payment_differences": D(0),
        "bad_debts": D(0),
        "dunning_fees": D(0),
    }
    with unit_of_work(upgraded, write=False) as session:
        sources = session.connection().execute(
            text("SELECT source_kind, source_number, entry_date FROM journal_entry ORDER BY id")
        )
        assert [tuple(map(str, row)) for row in sources] == [
            ("invoice", "INV-00001", "2026-11-01"),
            ("invoice", "INV-00002", "2026-11-01"),
        ]


def test_the_upgraded_ledger_passes_its_checks(upgraded):
    with unit_of_work(upgraded, write=False) as session:
        report = checks.run_checks(session=session)
        trial = journal.trial_balance(session=session)
    assert (report["ok"], report["problems"]) == (True, [])
    assert trial["total_debit"] == trial["total_credit"] == D("4635.89")


def test_new_documents_work_on_the_upgraded_ledger(old_copy, before, cli, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-11-20")
    try:
        payment = cli.ok("payment", "record", "BRIGHT", "2000.00")
        assert (payment["number"], payment["unapplied"]) == ("PAY-00001", "0.00")
        assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [
            ("INV-00001", "1105.63"),
            ("INV-00002", "894.37"),
        ]
        memo = cli.ok("credit-memo", "create", "INV-00002", "--line", "CHAIR-ERGO=1", "--restock")
        assert (memo["number"], memo["total"], memo["settlement"]) == (
            "CM-00001",
            "371.88",
            "store_credit",
        )
        rma = cli.ok("return", "request", "SO-00001", "--line", "DESK-OAK=1", "--reason", "dent")
        assert (rma["number"], rma["status"]) == ("RMA-00001", "requested")
        invoice = cli.ok("invoice", "show", "INV-00002")
        assert (invoice["paid"], invoice["credited"], invoice["balance"]) == (
            "894.37",
            "371.88",
            "2264.01",
        )
        report = cli.ok("check")
        assert (report["ok"], report["problems"]) == (True, [])
        trial = cli.ok("report", "trial-balance")
        assert trial["total_debit"] == trial["total_credit"]
    finally:
        ordercli.db.engine.forget_ledger(resolve_location(str(old_copy)))
    assert rows_now(old_copy, "customer", before["customer"][0]) == before["customer"][1]


def test_the_old_ledger_is_backed_up_beside_itself_first(upgraded, old_copy, before):
    """Regression for the upgrade that failed on "FOREIGN KEY constraint failed": it now
    runs, and the ledger as 0.1 left it is kept as ``….schema-0001.bak``."""
    backup = Path(f"{old_copy}.schema-0001.bak")
    assert revision(old_copy) == HEAD_REVISION
    assert revision(backup) == "0001"
    assert snapshot(backup) == before
    # The migration turned foreign keys off for itself only: the ledger enforces them again.
    with unit_of_work(upgraded, write=False) as session:
        connection = session.connection()
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
