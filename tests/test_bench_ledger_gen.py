"""The bench's ledger generator makes a ledger ordercli accepts, and reports read it right.

A tiny ledger (2,000 order lines over three years) from ``bench/ledger_gen.py``:
``ordercli check`` finds nothing wrong with it, it holds every kind of
document the benchmarks lean on, the same seed gives the same ledger, and a
few report figures equal sums computed here with plain SQL, from the
documents' own headers where the reports read lines or the journal. No
timing is asserted anywhere.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections import defaultdict
from contextlib import closing
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work

pytestmark = pytest.mark.sqlite_only("the bench generator writes a SQLite ledger file")

GENERATOR = Path(__file__).resolve().parents[1] / "bench" / "ledger_gen.py"
LINES = 2000
SEED = 4


def _load_generator():
    spec = importlib.util.spec_from_file_location("bench_ledger_gen", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ledger_gen = _load_generator()
TODAY = ledger_gen.LEDGER_END


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "tiny.db"
    ledger_gen.build_ledger(path, LINES, seed=SEED, check=False, log=lambda *_: None)
    return path


@pytest.fixture
def session(ledger, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY.isoformat())
    url = resolve_location(str(ledger))
    try:
        with unit_of_work(open_ledger(url), write=False) as session:
            yield session
    finally:
        forget_ledger(url)


def _rows(ledger: Path, sql: str, params=()) -> list[tuple]:
    with closing(sqlite3.connect(ledger)) as connection:
        return connection.execute(sql, params).fetchall()


def _one(ledger: Path, sql: str, params=()):
    return _rows(ledger, sql, params)[0][0]


def _money(units: int) -> Decimal:
    return Decimal(units).scaleb(-2)


def test_ordercli_check_finds_nothing_wrong(session):
    from ordercli.books.checks import run_checks

    result = run_checks(session=session)

    assert result["problems"] == []
    assert result["ok"] is True


def test_it_holds_every_kind_of_document_with_gapless_numbers(ledger):
    assert _one(ledger, "SELECT COUNT(*) FROM order_line") == LINES
    statuses = dict(_rows(ledger, "SELECT status, COUNT(*) FROM sales_order GROUP BY status"))
    assert {"draft", "confirmed", "completed", "cancelled"} <= set(statuses)
    for table, prefix, kind in [
        ("sales_order", "SO-", "order"),
        ("invoice", "INV-", "invoice"),
        ("shipment", "SH-", "shipment"),
        ("payment", "PAY-", "payment"),
        ("credit_memo", "CM-", "credit_memo"),
    ]:
        numbers = sorted(
            int(number.removeprefix(prefix))
            for (number,) in _rows(ledger, f"SELECT number FROM {table}")
        )
        assert numbers, table
        assert numbers == list(range(1, len(numbers) + 1)), table
        next_value = _one(ledger, "SELECT next_value FROM number_series WHERE kind = ?", (kind,))
        assert next_value == len(numbers) + 1, kind
    # Invoices paid in two parts, customer credit, open balances and orders shipped
    # in two parts.
    assert (
        _one(
            ledger,
            "SELECT COUNT(*) FROM (SELECT invoice_id FROM allocation WHERE invoice_id IS NOT NULL "
            "GROUP BY invoice_id HAVING COUNT(*) > 1)",
        )
        > 0
    )
    assert (
        _one(
            ledger,
            "SELECT (SELECT COUNT(*) FROM payment WHERE unapplied > 0) "
            "+ (SELECT COUNT(*) FROM credit_memo WHERE credit_left > 0)",
        )
        > 0
    )
    assert _one(ledger, "SELECT COUNT(*) FROM invoice WHERE total - paid - credited > 0") > 0
    assert (
        _one(
            ledger,
            "SELECT COUNT(*) FROM (SELECT order_id FROM shipment GROUP BY order_id "
            "HAVING COUNT(*) > 1)",
        )
        > 0
    )
    # Every journal line of the receivable account names its invoice and customer.
    assert (
        _one(
            ledger,
            "SELECT COUNT(*) FROM journal_line l JOIN account a ON a.id = l.account_id "
            "WHERE a.role = 'receivable' AND (l.invoice_id IS NULL OR l.customer_id IS NULL)",
        )
        == 0
    )


def test_the_same_seed_gives_the_same_ledger(ledger, tmp_path):
    again = tmp_path / "again.db"
    ledger_gen.build_ledger(again, LINES, seed=SEED, check=False, log=lambda *_: None)

    for table in ("sales_order", "order_line", "invoice", "payment", "journal_line", "event"):
        query = f"SELECT * FROM {table} ORDER BY id"
        assert _rows(again, query) == _rows(ledger, query), table


def test_aging_equals_invoice_balances_by_days_past_due(ledger, session):
    from ordercli.reports.receivables import aging

    expected: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
    for code, due, balance in _rows(
        ledger,
        "SELECT c.code, v.due_date, v.total - v.paid - v.credited FROM invoice v "
        "JOIN customer c ON c.id = v.customer_id WHERE v.total - v.paid - v.credited <> 0",
    ):
        late = (TODAY - date.fromisoformat(due)).days
        bucket = (
            0 if late <= 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4
        )
        expected[code][bucket] += balance

    report = aging(session=session)

    keys = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")
    found = {row["customer"]: [row[k] for k in keys] for row in report["customers"]}
    assert found == {code: [_money(v) for v in values] for code, values in expected.items()}
    assert report["totals"]["total"] == _money(sum(sum(v) for v in expected.values()))


def test_sales_by_month_equals_invoice_and_credit_memo_headers(ledger, session):
    from ordercli.reports.sales import sales_report

    net: dict[str, int] = defaultdict(int)
    tax: dict[str, int] = defaultdict(int)
    for month, subtotal, tax_total in _rows(
        ledger, "SELECT substr(issue_date, 1, 7), subtotal, tax FROM invoice"
    ):
        net[month] += subtotal
        tax[month] += tax_total
    for month, subtotal, tax_total in _rows(
        ledger, "SELECT substr(issue_date, 1, 7), subtotal, tax FROM credit_memo"
    ):
        net[month] -= subtotal
        tax[month] -= tax_total

    report = sales_report(session=session, by="month")

    found = {row["key"]: (row["net"], row["tax"]) for row in report["rows"] if row["key"] in net}
    assert found == {month: (_money(net[month]), _money(tax[month])) for month in net}
    assert report["totals"]["net"] == _money(sum(net.values()))


def test_trial_balance_equals_journal_sums_and_balances(ledger, session):
    from ordercli.books.journal import trial_balance

    expected = {
        code: (_money(debit), _money(credit))
        for code, debit, credit in _rows(
            ledger,
            "SELECT a.code, COALESCE(SUM(l.debit), 0), COALESCE(SUM(l.credit), 0) FROM account a "
            "LEFT JOIN journal_line l ON l.account_id = a.id GROUP BY a.code",
        )
    }
    open_balances = _one(ledger, "SELECT SUM(total - paid - credited) FROM invoice")

    report = trial_balance(session=session)

    assert {a["code"]: (a["debit"], a["credit"]) for a in report["accounts"]} == expected
    assert report["total_debit"] == report["total_credit"]
    receivable = next(a for a in report["accounts"] if a["role"] == "receivable")
    assert receivable["balance"] == _money(open_balances)


def test_matrix_and_status_count_the_order_lines(ledger, session):
    from ordercli.reports.dashboard import dashboard
    from ordercli.reports.matrix import order_matrix

    by_status = dict(
        _rows(
            ledger,
            "SELECT o.status, COUNT(*) FROM order_line l "
            "JOIN sales_order o ON o.id = l.order_id GROUP BY o.status",
        )
    )
    drafts = _one(ledger, "SELECT COUNT(*) FROM sales_order WHERE status = 'draft'")
    week_ago = (TODAY - timedelta(days=7)).isoformat()
    old_cancelled = _one(
        ledger,
        "SELECT COUNT(*) FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        "WHERE o.status = 'cancelled' AND l.last_state_change < ?",
        (week_ago,),
    )

    matrix = order_matrix(session=session)
    status = dashboard(session=session)

    rows = {row["state"]: row for row in matrix["rows"]}
    assert matrix["totals"]["total"] == LINES
    assert rows["draft"]["total"] == by_status.get("draft", 0)
    assert rows["cancelled"]["total"] == by_status.get("cancelled", 0)
    assert rows["cancelled"]["over_7_days"] == old_cancelled
    assert status["to_confirm"]["orders"] == drafts
