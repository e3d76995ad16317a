"""Every released schema upgrades to this one without losing a row.

``tests/fixtures/ledger-<revision>.db`` is the demo ledger as each release
left it (0001: release 0.1, 0002: release 0.2; 0004: the demo plus a second
warehouse, imports, a replacement shipment, `invoice create --all`, payments,
credit memos and refunds, made by ``tests/fixtures/build-ledger-0004.sh``).
Each is copied, opened by this ordercli (which upgrades it), and compared row
by row with what it held; every check passes on it, the hash chains that
0005 adds included.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import ordercli.db.engine
from ordercli.books import checks, journal
from ordercli.db.engine import HEAD_REVISION, open_ledger, resolve_location, unit_of_work

pytestmark = pytest.mark.sqlite_only("upgrades the SQLite ledgers of earlier releases")

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("ledger-*.db"))


def _tables(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'"
            )
        ]
        found = {}
        for name in names:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            quoted = ", ".join(f'"{c}"' for c in columns)
            found[name] = (columns, conn.execute(f'SELECT {quoted} FROM "{name}"').fetchall())
        return found
    finally:
        conn.close()


def _revision(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(params=FIXTURES, ids=[p.stem for p in FIXTURES])
def release(request, tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(request.param, path)
    before = _tables(path)
    url = resolve_location(str(path))
    try:
        yield path, before, open_ledger(url)
    finally:
        ordercli.db.engine.forget_ledger(url)


def test_there_is_a_fixture_per_released_schema():
    assert [p.stem for p in FIXTURES] == ["ledger-0001", "ledger-0002", "ledger-0004"]


def test_the_0004_fixture_holds_every_kind_of_record():
    """Guards the tests above: the 0004 ledger is at 0004 and holds what it should."""
    path = next(p for p in FIXTURES if p.stem == "ledger-0004")
    assert _revision(path) == "0004"
    conn = sqlite3.connect(path)
    try:
        counts = {
            what: conn.execute(query).fetchone()[0]
            for what, query in {
                "invoices": "SELECT COUNT(*) FROM invoice",
                "shipments": "SELECT COUNT(*) FROM shipment",
                "replacements": "SELECT COUNT(*) FROM shipment WHERE return_id IS NOT NULL",
                "payments": "SELECT COUNT(*) FROM payment",
                "credit memos": "SELECT COUNT(*) FROM credit_memo",
                "refunds": "SELECT COUNT(*) FROM refund",
                "returns": "SELECT COUNT(*) FROM rma",
                "imported orders": "SELECT COUNT(*) FROM sales_order WHERE order_ref IS NOT NULL",
                "warehouses": "SELECT COUNT(*) FROM warehouse",
                "billing agreements": "SELECT COUNT(*) FROM billing_agreement",
            }.items()
        }
    finally:
        conn.close()
    assert counts == {
        "invoices": 13,
        "shipments": 6,
        "replacements": 1,
        "payments": 5,
        "credit memos": 3,
        "refunds": 2,
        "returns": 2,
        "imported orders": 8,
        "warehouses": 2,
        "billing agreements": 1,
    }


def test_every_row_survives(release, request):
    path, before, _ = release
    assert _revision(path) == HEAD_REVISION
    after = _tables(path)
    for table, (columns, rows) in before.items():
        assert table in after, f"table {table} lost"
        new_columns, new_rows = after[table]
        keep = [new_columns.index(c) for c in columns]
        survived = [tuple(row[i] for i in keep) for row in new_rows]
        if table in {"number_series", "setting"}:
            assert set(rows) <= set(survived)  # a revision may add series and settings
        elif table in {"journal_entry", "journal_line", "account"}:
            assert set(rows) <= set(survived)  # 0002 posts the journal of 0.1 invoices
        else:
            assert sorted(survived, key=repr) == sorted(rows, key=repr), table
    kept = sum(len(rows) for _, rows in before.values())
    fixture = Path(request.node.callspec.params["release"]).name
    print(f"\nupgrade: {fixture} to schema {HEAD_REVISION}, all {kept} rows kept")


def test_the_upgraded_ledger_passes_every_check(release):
    _, _, engine = release
    with unit_of_work(engine, write=False) as session:
        report = checks.run_checks(session=session)
        trial = journal.trial_balance(session=session)
    assert (report["ok"], report["problems"]) == (True, [])
    assert trial["total_debit"] == trial["total_credit"]


def test_the_upgraded_ledger_takes_an_import(release, tmp_path, monkeypatch):
    path, _, _ = release
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-11-22")
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_ref,customer_code,order_date,sku,qty,unit_price,discount_pct,confirm\n"
        "UP-1,ACME,2026-11-20,LAMP-LED,2,49.95,0,true\n"
    )
    from ordercli.io.imports import import_file

    engine = open_ledger(resolve_location(str(path)))
    with unit_of_work(engine) as session:
        result = import_file(session=session, kind="orders", path=orders)
    assert (result.errors, result.created, result.confirmed) == ([], 1, 1)
    with unit_of_work(engine, write=False) as session:
        assert checks.run_checks(session=session)["ok"]
