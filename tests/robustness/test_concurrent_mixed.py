"""Several people working one ledger at once: shipments, invoices, credit memos and
payments issued by N OS processes together (SPEC rule 2, rule 13).

``tests/services/test_concurrency.py`` has N processes issuing invoices only; here
each worker (``mixed_workers.mixed_work``) runs the whole after-sale cycle on its own
orders through the command line, and pays a shared customer's invoices oldest first,
so the workers meet on the number series, the journal, the stock of one product and
one customer's invoices. Afterwards: every document is there once, the numbers of
each kind run 1…n without a gap, no worker saw an error (a ``database is locked``
would be one: writers must wait their turn) and ``ordercli check`` is clean.

The same runs on PostgreSQL when ``ORDERCLI_TEST_PG_URL`` is set.
"""

from __future__ import annotations

import json

import mixed_workers as mixed
import pytest
import service_workers as workers
from sqlalchemy import text
from typer.testing import CliRunner

from ordercli.cli.app import app
from ordercli.db.engine import unit_of_work

SIZES = [(4, 10), pytest.param(8, 100, marks=pytest.mark.soak, id="soak-8x100")]
# kind of number series → table holding its documents
TABLES = {
    "shipment": "shipment",
    "invoice": "invoice",
    "credit_memo": "credit_memo",
    "payment": "payment",
    "order": "sales_order",
}


def run_mixed(url: str, processes: int, per_process: int) -> tuple[list[str], list[tuple]]:
    orders = mixed.prepare_mixed(url, processes * per_process, owed_invoices=processes)
    jobs = [(url, orders[i::processes], i + 1) for i in range(processes)]
    return orders, workers.spawn_all(mixed.mixed_work, jobs)


def series(engine) -> dict[str, tuple[str, int, int]]:
    with unit_of_work(engine, write=False) as session:
        rows = session.connection().execute(
            text("SELECT kind, prefix, width, next_value FROM number_series")
        )
        return {kind: (prefix, width, next_value) for kind, prefix, width, next_value in rows}


def numbers_of(engine, table: str) -> list[str]:
    with unit_of_work(engine, write=False) as session:
        return list(
            session.connection()
            .execute(text(f"SELECT number FROM {table} ORDER BY id"))  # noqa: S608 - fixed names
            .scalars()
        )


def check_clean(url: str) -> None:
    result = CliRunner().invoke(app, ["--db", url, "check", "--json"])
    problems = json.loads(result.stdout)["problems"] if result.stdout.strip() else result.stderr
    assert problems == [], "\n".join(map(str, problems))
    assert result.exit_code == 0, result.stderr


def check_mixed(engine, url: str, orders: list[str], reports: list[tuple], processes: int):
    # No worker saw an error: no "database is locked", no refusal, nothing unexpected.
    assert [errors for _, _, errors in reports] == [[]] * processes
    given: dict[str, list[str]] = {kind: [] for kind in ("shipment", "invoice", "credit_memo")}
    given["payment"] = []
    for _, issued, _ in reports:
        for kind, numbers in issued.items():
            assert numbers == sorted(numbers), f"{kind} numbers not rising within a worker"
            given[kind] += numbers
    per_worker = [len(orders[i::processes]) for i in range(processes)]
    expected = {
        "shipment": len(orders),
        "invoice": processes + len(orders),  # RACE2's prepared invoices come first
        "credit_memo": sum(n // mixed.CREDIT_EVERY for n in per_worker),
        "payment": len(orders) + sum(n // mixed.OLDEST_FIRST_EVERY for n in per_worker),
        "order": processes + len(orders),
    }
    kinds = series(engine)
    for kind, table in TABLES.items():
        prefix, width, next_value = kinds[kind]
        found = numbers_of(engine, table)
        contiguous = [f"{prefix}{n:0{width}d}" for n in range(1, expected[kind] + 1)]
        # Every number once, none skipped, in commit order, and the counter just past them.
        assert found == contiguous, f"{kind}: {len(found)} documents, not 1…{expected[kind]}"
        assert next_value == expected[kind] + 1
        if kind in given:
            prepared = found[: expected[kind] - len(given[kind])]
            assert sorted(prepared + given[kind]) == contiguous
    with unit_of_work(engine, write=False) as session:
        connection = session.connection()
        statuses = connection.execute(
            text(
                "SELECT status, COUNT(*) FROM sales_order o JOIN customer c "
                "ON c.id = o.customer_id WHERE c.code = :code GROUP BY status"
            ),
            {"code": mixed.CUSTOMER},
        ).all()
        assert statuses == [("completed", len(orders))]
        on_hand = connection.execute(
            text(
                "SELECT SUM(qty) FROM stock_move m JOIN product p ON p.id = m.product_id "
                "WHERE p.sku = 'BOX'"
            )
        ).scalar()
        assert int(on_hand) == 10 * 1000  # qty in thousandths: the 10 spare boxes are left
    check_clean(url)
    return expected


def report(database: str, processes: int, per_process: int, expected: dict) -> None:
    documents = sum(expected[kind] for kind in ("shipment", "invoice", "credit_memo", "payment"))
    print(
        f"concurrent mixed ({database}): {processes} writers × {per_process} orders: "
        f"{expected['shipment']} shipments, {expected['invoice']} invoices, "
        f"{expected['credit_memo']} credit memos, {expected['payment']} payments "
        f"({documents} documents) each present once, numbers contiguous per kind, "
        "0 errors reached a user, check clean"
    )


@pytest.mark.parametrize(("processes", "per_process"), SIZES)
@pytest.mark.sqlite_only("the SQLite variant; the PostgreSQL one follows")
def test_writers_mixing_documents_on_sqlite(engine, processes, per_process):
    url = engine.url.render_as_string(hide_password=False)
    orders, reports = run_mixed(url, processes, per_process)
    expected = check_mixed(engine, url, orders, reports, processes)
    assert integrity_ok(engine)
    report("SQLite", processes, per_process, expected)


def integrity_ok(engine) -> bool:
    with unit_of_work(engine, write=False) as session:
        return session.connection().execute(text("PRAGMA integrity_check")).scalar() == "ok"


@pytest.mark.postgres
@pytest.mark.parametrize(("processes", "per_process"), SIZES)
def test_writers_mixing_documents_on_postgresql(pg_engine, processes, per_process):
    url = pg_engine.url.render_as_string(hide_password=False)
    orders, reports = run_mixed(url, processes, per_process)
    expected = check_mixed(pg_engine, url, orders, reports, processes)
    report("PostgreSQL", processes, per_process, expected)
