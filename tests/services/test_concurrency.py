"""SPEC rule 2 with several processes writing one SQLite ledger at once, and the
BEGIN IMMEDIATE design of ``ordercli.db`` that makes it safe.

The workers live in ``service_workers.py`` and run as 'spawn' processes: real OS
processes with their own connections, as several terminals would be.
"""

from __future__ import annotations

import multiprocessing

import pytest
import service_workers as workers
from sqlmodel import select

import ordercli.db.engine
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import LedgerUnavailable
from ordercli.models import Invoice, NumberSeries, SalesOrder, StockMove
from ordercli.services.inventory import catalog
from ordercli.services.sales import ordering

RESULT_TIMEOUT = workers.RESULT_TIMEOUT
BETWEEN_TIMEOUT = 1.5  # how long the first worker waits for a second that cannot come


def issue_concurrently(url: str, processes: int, per_process: int) -> list[list[str]]:
    """Prepare one order per invoice, then let ``processes`` workers invoice them at once.

    Returns each worker's invoice numbers in the order it issued them.
    """
    orders = workers.prepare(url, processes * per_process)
    jobs = [(url, orders[i::processes]) for i in range(processes)]
    reports = workers.spawn_all(workers.issue_invoices, jobs)
    for _, issued, _ in reports:
        assert len(issued) == per_process
    return [[invoice for invoice, _ in issued] for _, issued, _ in reports]


def check_ledger(engine, expected: list[str]) -> None:
    with unit_of_work(engine, write=False) as session:
        invoices = session.exec(select(Invoice).order_by(Invoice.id)).all()
        assert sorted(inv.number for inv in invoices) == expected
        # The numbers were handed out in commit order, and each order was invoiced once.
        assert [inv.number for inv in invoices] == expected
        assert len({inv.order_id for inv in invoices}) == len(expected)
        assert session.get(NumberSeries, "invoice").next_value == len(expected) + 1
        orders = session.exec(select(SalesOrder)).all()
        assert {
            ordering.billing_status(ordering.order_lines(session=session, order=o)) for o in orders
        } == {"invoiced"}


@pytest.mark.parametrize(
    ("processes", "per_process"),
    [(4, 15), pytest.param(8, 100, marks=pytest.mark.soak, id="soak-8x100")],
)
def test_processes_issuing_at_once_get_every_number_once(engine, processes, per_process):
    url = engine.url.render_as_string(hide_password=False)
    by_worker = issue_concurrently(url, processes, per_process)
    total = processes * per_process
    expected = [f"INV-{n:05d}" for n in range(1, total + 1)]
    assert sorted(n for numbers in by_worker for n in numbers) == expected
    for numbers in by_worker:  # each process sees its own numbers rise
        assert numbers == sorted(numbers)
    check_ledger(engine, expected)
    print(
        f"\nwriters: {processes} processes issued {total} invoices at once: "
        f"INV-00001..{expected[-1]}, each once, no gap, no error"
    )


def test_processes_shipping_at_once_never_ship_more_than_on_hand(engine, uow):
    url = engine.url.render_as_string(hide_password=False)
    orders = workers.prepare_stock_race(url, orders=12, on_hand=7)
    reports = workers.spawn_all(workers.ship_orders, [(url, orders[i::3]) for i in range(3)])
    outcomes = [outcome for _, done, _ in reports for outcome in done]
    shipped = sorted(shipment for _, what, shipment in outcomes if what == "shipped")
    refused = [message for _, what, message in outcomes if what == "refused"]
    assert shipped == [f"SH-{n:05d}" for n in range(1, 8)]
    assert len(refused) == 5
    assert all(message.endswith(": only 0 on hand there") for message in refused), refused
    with uow(write=False) as session:
        box = catalog.get_product(session=session, sku="BOX")
        assert (box.on_hand, box.reserved) == (0, 5000)
        moved = session.exec(select(StockMove.qty).where(StockMove.product_id == box.id)).all()
        assert sum(moved) == 0 and len(moved) == 8


def run_read_then_write(engine, *, write: bool) -> list[tuple[str, bool | None, str | None]]:
    url = engine.url.render_as_string(hide_password=False)
    orders = workers.prepare(url, 2)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    between = ctx.Barrier(2, timeout=BETWEEN_TIMEOUT)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=workers.read_then_write,
            args=(url, order, write, start, between, results),
            daemon=True,
        )
        for order in orders
    ]
    for proc in procs:
        proc.start()
    try:
        reports = sorted(results.get(timeout=RESULT_TIMEOUT) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=RESULT_TIMEOUT)
    return reports


@pytest.mark.sqlite_only("SQLite locking: BEGIN IMMEDIATE and the busy timeout")
def test_read_then_write_in_two_processes_both_succeed(engine):
    """Regression: with a deferred BEGIN the second writer fails at once with
    "database is locked"; BEGIN IMMEDIATE makes it wait its turn instead."""
    reports = run_read_then_write(engine, write=True)
    assert [error for _, _, error in reports] == [None, None]
    # The second could not even read while the first was inside: they never met.
    assert [met for _, met, _ in reports] == [False, False]
    check_ledger(engine, ["INV-00001", "INV-00002"])


@pytest.mark.sqlite_only("SQLite locking: BEGIN IMMEDIATE and the busy timeout")
def test_without_begin_immediate_the_same_work_fails(engine):
    """The control experiment, proving the test above would catch a regression: with a
    deferred BEGIN (a read-only unit of work) both read, meet, and one write is refused."""
    reports = run_read_then_write(engine, write=False)
    assert [met for _, met, _ in reports] == [True, True]
    errors = sorted(error or "" for _, _, error in reports)
    assert errors[0] == ""
    assert errors[1].startswith("LedgerUnavailable: the ledger ")
    assert "is locked by another process" in errors[1]
    with unit_of_work(engine, write=False) as session:
        assert [inv.number for inv in session.exec(select(Invoice))] == ["INV-00001"]


@pytest.mark.sqlite_only("SQLite locking: BEGIN IMMEDIATE and the busy timeout")
def test_a_ledger_locked_past_the_busy_timeout_is_unavailable(engine, uow, monkeypatch):
    """Exit 3 path: another command holds the write lock longer than the busy timeout."""
    monkeypatch.setenv("ORDERCLI_BUSY_TIMEOUT", "0.2")
    engine.dispose()  # connections opened from now on wait at most 0.2 s
    with uow() as holder:
        holder.exec(select(NumberSeries)).all()  # BEGIN IMMEDIATE: the write lock is held
        with pytest.raises(LedgerUnavailable) as info:
            with uow() as waiter:
                waiter.exec(select(NumberSeries)).all()
    assert info.value.exit_code == 3
    assert str(info.value) == (
        f"the ledger {ordercli.db.engine.describe_location(str(engine.url))} is locked by another "
        "process (waited 0.2s)"
    )
    assert info.value.hint == "try again when the other command has finished"
