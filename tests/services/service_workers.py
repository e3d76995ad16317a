"""Code run in separate OS processes by the concurrency tests (multiprocessing 'spawn').

Kept apart from the test modules so a child imports only ordercli, not pytest. Each
worker reports one tuple on the results queue and never raises, so the parent can
tell every failure from a crash.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import traceback
from decimal import Decimal

RESULT_TIMEOUT = 300  # seconds; only reached when a worker hangs, which fails the test


def spawn_all(target, jobs: list[tuple]) -> list[tuple]:
    """Parent side: one spawn process per job (its arguments), all released by one barrier.

    Returns each worker's ``(id, outcome, None)`` report; fails on any reported error.
    """
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, results), daemon=True) for args in jobs]
    for proc in procs:
        proc.start()
    try:
        reports = [results.get(timeout=RESULT_TIMEOUT) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=RESULT_TIMEOUT)
    errors = [error for _, _, error in reports if error]
    assert not errors, errors[0]
    assert [proc.exitcode for proc in procs] == [0] * len(procs)
    return reports


def prepare(url: str, count: int, customer: str = "ACME") -> list[str]:
    """One confirmed order per invoice to come: a service line, so stock is no limit."""
    from ordercli.db.engine import open_ledger, unit_of_work
    from ordercli.services.inventory import catalog
    from ordercli.services.parties import customers
    from ordercli.services.sales import ordering

    engine = open_ledger(url)
    with unit_of_work(engine) as session:
        if customers.find_customer(session=session, code=customer) is None:
            customers.add_customer(session=session, name=customer.title(), code=customer)
        if catalog.find_product(session=session, sku="HOUR") is None:
            catalog.add_product(
                session=session,
                sku="HOUR",
                name="Consulting hour",
                price=Decimal("95.00"),
                tax_rate=Decimal(19),
                service=True,
            )
        numbers = []
        for _ in range(count):
            order = ordering.new_order(session=session, customer_code=customer)
            ordering.add_order_line(
                session=session, number=order.number, sku="HOUR", qty=Decimal("1.5")
            )
            ordering.confirm_order(session=session, number=order.number)
            numbers.append(order.number)
    return numbers


def issue_invoices(url: str, orders: list[str], start, results) -> None:
    """Wait for every worker, then invoice each order in its own unit of work."""
    issued: list[tuple[str, str]] = []
    try:
        from ordercli.db.engine import open_ledger, unit_of_work
        from ordercli.services.sales import invoicing

        engine = open_ledger(url)
        start.wait()
        for number in orders:
            with unit_of_work(engine) as session:
                invoice = invoicing.create_invoice(session=session, order_number=number)
                issued.append((invoice.number, number))
        results.put((os.getpid(), issued, None))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put((os.getpid(), issued, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def read_then_write(url: str, order: str, write: bool, start, between, results) -> None:
    """One unit of work that reads, meets the other worker, then writes.

    ``between`` is a barrier with a timeout. With BEGIN IMMEDIATE the other worker
    cannot read before this one commits, so the barrier breaks and each goes on alone.
    """
    met = None
    try:
        from ordercli.db.engine import open_ledger, unit_of_work
        from ordercli.services.sales import invoicing, ordering

        engine = open_ledger(url)
        start.wait()
        with unit_of_work(engine, write=write) as session:
            ordering.get_order(session=session, number=order)
            try:
                between.wait()
                met = True
            except threading.BrokenBarrierError:
                met = False
            invoicing.create_invoice(session=session, order_number=order)
        results.put((order, met, None))
    except BaseException as exc:
        results.put((order, met, f"{type(exc).__name__}: {exc}"))


def prepare_stock_race(url: str, orders: int, on_hand: int) -> list[str]:
    """``orders`` confirmed orders of one BOX each, with only ``on_hand`` boxes in stock."""
    from ordercli.db.engine import open_ledger, unit_of_work
    from ordercli.services.inventory import catalog
    from ordercli.services.parties import customers
    from ordercli.services.sales import ordering

    engine = open_ledger(url)
    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Race", code="RACE")
        catalog.add_product(
            session=session, sku="BOX", name="Box", price=Decimal("5.00"), stock=Decimal(on_hand)
        )
        numbers = []
        for _ in range(orders):
            order = ordering.new_order(session=session, customer_code="RACE")
            ordering.add_order_line(session=session, number=order.number, sku="BOX", qty=Decimal(1))
            ordering.confirm_order(session=session, number=order.number)
            numbers.append(order.number)
    return numbers


def ship_orders(url: str, orders: list[str], start, results) -> None:
    """Try to ship each order in its own unit of work; report what shipped and what not."""
    outcomes: list[tuple[str, str, str]] = []
    try:
        from ordercli.db.engine import open_ledger, unit_of_work
        from ordercli.domain.errors import RuleViolation
        from ordercli.services.sales import fulfilment

        engine = open_ledger(url)
        start.wait()
        for number in orders:
            try:
                with unit_of_work(engine) as session:
                    shipment = fulfilment.create_shipment(
                        session=session, order_number=number, lines=[("BOX", Decimal(1))]
                    )
                    outcomes.append((number, "shipped", shipment.number))
            except RuleViolation as exc:
                outcomes.append((number, "refused", str(exc)))
        results.put((os.getpid(), outcomes, None))
    except BaseException as exc:
        results.put((os.getpid(), outcomes, f"{type(exc).__name__}: {exc}"))
