"""The same services on PostgreSQL (SPEC: "the same code runs on PostgreSQL").

Runs only when ``ORDERCLI_TEST_PG_URL`` names a database these tests may wipe, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``. Every test starts from an empty
``public`` schema. The tests share that one database, so each holds an exclusive
``flock`` on a lock file for its whole run: under pytest-xdist (``-n auto``, plain
``load`` distribution) they still never overlap, whichever workers they land on.
"""

from __future__ import annotations

import os
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import service_workers as workers
from sqlalchemy import event, text
from sqlmodel import select

from ordercli.db.engine import HEAD_REVISION, unit_of_work
from ordercli.domain.errors import RuleViolation
from ordercli.models import Invoice, NumberSeries, Product
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.views import sales as views

PG_URL = os.environ.get("ORDERCLI_TEST_PG_URL", "")
LOCK_FILE = Path(tempfile.gettempdir()) / "ordercli-test-postgres.lock"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="set ORDERCLI_TEST_PG_URL to run PostgreSQL tests"),
]

D = Decimal


def test_core_lifecycle_on_postgres(pg_engine):
    with unit_of_work(pg_engine, write=False) as session:
        revision = session.connection().execute(text("SELECT version_num FROM alembic_version"))
        assert revision.scalar() == HEAD_REVISION
    with unit_of_work(pg_engine) as session:
        customers.add_customer(session=session, name="Acme", code="ACME", terms_days=14)
        catalog.add_product(
            session=session,
            sku="DESK",
            name="Desk",
            price=D("348.35"),
            tax_rate=D(22),
            stock=D(20),
        )
        catalog.add_product(
            session=session,
            sku="INSTALL",
            name="Installation",
            price=D(65),
            tax_rate=D(19),
            service=True,
        )
        order = ordering.new_order(session=session, customer_code="ACME")
        ordering.add_order_line(
            session=session, number=order.number, sku="DESK", qty=D(16), discount=D(4)
        )
        ordering.add_order_line(session=session, number=order.number, sku="INSTALL", qty=D(2))
        ordering.confirm_order(session=session, number=order.number)
    number = order.number
    with unit_of_work(pg_engine) as session:
        desk = catalog.get_product(session=session, sku="DESK")
        assert (desk.on_hand, desk.reserved) == (20000, 16000)
        first = invoicing.create_invoice(
            session=session, order_number=number, lines=[("DESK", D(5))]
        )
        view = views.invoice_view(session, first)
    assert view["number"] == "INV-00001"
    assert (view["lines"][0]["net"], view["lines"][0]["tax"]) == (D("1672.08"), D("367.86"))
    assert (view["due_date"] - view["issue_date"]).days == 14
    # A refusal changes nothing and uses up no number.
    with pytest.raises(RuleViolation) as info:
        with unit_of_work(pg_engine) as session:
            invoicing.create_invoice(session=session, order_number=number, lines=[("DESK", D(12))])
    assert str(info.value) == (
        f"cannot invoice 12 × DESK on {number}: ordered 16, already invoiced 5, left 11"
    )
    with unit_of_work(pg_engine) as session:
        shipment = fulfilment.create_shipment(
            session=session, order_number=number, lines=[("DESK", D(10))], carrier="DHL"
        )
        second = invoicing.create_invoice(session=session, order_number=number)
        assert (shipment.number, second.number) == ("SH-00001", "INV-00002")
    with unit_of_work(pg_engine, write=False) as session:
        order_view = views.order_view(session, ordering.get_order(session=session, number=number))
        desk = catalog.get_product(session=session, sku="DESK")
        invoices = session.exec(select(Invoice).order_by(Invoice.id)).all()
    assert (order_view["status"], order_view["billing_status"]) == ("confirmed", "invoiced")
    assert order_view["fulfilment_status"] == "partially_shipped"
    assert (desk.on_hand, desk.reserved) == (10000, 6000)
    # Partial invoices add up to the order to the cent.
    assert sum(inv.subtotal for inv in invoices) == 535066 + 13000
    assert sum(inv.tax for inv in invoices) == 117715 + 2470
    with pytest.raises(RuleViolation) as info:
        with unit_of_work(pg_engine) as session:
            fulfilment.create_shipment(session=session, order_number=number, lines=[("DESK", D(7))])
    assert str(info.value) == (
        f"cannot ship 7 × DESK on {number}: ordered 16, already shipped 10, left 6"
    )
    with unit_of_work(pg_engine) as session:
        fulfilment.create_shipment(session=session, order_number=number)
        fulfilment.deliver_shipment(session=session, number="SH-00001")
    with unit_of_work(pg_engine, write=False) as session:
        order_view = views.order_view(session, ordering.get_order(session=session, number=number))
        desk = catalog.get_product(session=session, sku="DESK")
    assert (order_view["status"], order_view["fulfilment_status"]) == ("completed", "shipped")
    assert (desk.on_hand, desk.reserved) == (4000, 0)


def test_database_constraints_hold_on_postgres(pg_engine):
    with unit_of_work(pg_engine) as session:
        customers.add_customer(session=session, name="Acme", code="ACME")
        catalog.add_product(session=session, sku="DESK", name="Desk", price=D(10), stock=D(1))
    with pytest.raises(RuleViolation, match="ck_product_on_hand_not_negative"):
        with unit_of_work(pg_engine) as session:
            session.connection().execute(text("UPDATE product SET on_hand = -1"))
    with pytest.raises(
        RuleViolation, match="^the ledger refused the change: FOREIGN KEY constraint failed$"
    ):
        with unit_of_work(pg_engine) as session:
            session.connection().execute(
                text(
                    "INSERT INTO sales_order (number, customer_id, status, order_date, "
                    "subtotal, tax, total, created_at) VALUES ('SO-X', 9999, 'draft', "
                    "'2026-01-01', 0, 0, 0, now())"
                )
            )
    with unit_of_work(pg_engine, write=False) as session:
        assert catalog.get_product(session=session, sku="DESK").on_hand == 1000


def test_processes_issuing_at_once_on_postgres_get_every_number_once(pg_engine):
    processes, per_process = 4, 15
    orders = workers.prepare(PG_URL, processes * per_process)
    jobs = [(PG_URL, orders[i::processes]) for i in range(processes)]
    reports = workers.spawn_all(workers.issue_invoices, jobs)
    total = processes * per_process
    expected = [f"INV-{n:05d}" for n in range(1, total + 1)]
    assert sorted(number for _, issued, _ in reports for number, _ in issued) == expected
    for _, issued, _ in reports:
        numbers = [number for number, _ in issued]
        assert numbers == sorted(numbers) and len(numbers) == per_process
    with unit_of_work(pg_engine, write=False) as session:
        invoices = session.exec(select(Invoice)).all()
        assert sorted(inv.number for inv in invoices) == expected
        assert len({inv.order_id for inv in invoices}) == total
        assert session.get(NumberSeries, "invoice").next_value == total + 1


def test_processes_shipping_at_once_on_postgres_never_ship_more_than_on_hand(pg_engine):
    orders = workers.prepare_stock_race(PG_URL, orders=12, on_hand=7)
    reports = workers.spawn_all(workers.ship_orders, [(PG_URL, orders[i::3]) for i in range(3)])
    outcomes = [outcome for _, done, _ in reports for outcome in done]
    shipped = sorted(shipment for _, what, shipment in outcomes if what == "shipped")
    assert shipped == [f"SH-{n:05d}" for n in range(1, 8)]
    assert [what for _, what, _ in outcomes].count("refused") == 5
    with unit_of_work(pg_engine, write=False) as session:
        box = catalog.get_product(session=session, sku="BOX")
        assert (box.on_hand, box.reserved) == (0, 5000)


def interleaved(engine, first, meanwhile) -> None:
    """Run ``first`` in a unit of work; right after it has read a product row (and before
    it writes), start ``meanwhile`` in another thread and unit of work: the interleaving two
    users at two terminals can produce, made deterministic. With the row locked by
    ``first``, ``meanwhile`` must wait for it to commit and then see its writes."""
    started: list[threading.Thread] = []
    errors: list[BaseException] = []

    def other_user_work():
        try:
            with unit_of_work(engine) as other:
                meanwhile(other)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with unit_of_work(engine) as session:

        @event.listens_for(session, "loaded_as_persistent")
        def other_user(_session, instance):
            if isinstance(instance, Product) and not started:
                thread = threading.Thread(target=other_user_work)
                started.append(thread)
                thread.start()

        first(session)
    assert started, "the interleaving never happened"
    started[0].join(timeout=60)
    assert not started[0].is_alive(), "the other user never got the row lock"
    assert not errors, errors


@pytest.fixture
def two_desk_orders(pg_engine):
    with unit_of_work(pg_engine) as session:
        customers.add_customer(session=session, name="Acme", code="ACME")
        catalog.add_product(session=session, sku="DESK", name="Desk", price=D(10), stock=D(50))
        for qty in (3, 4):
            order = ordering.new_order(session=session, customer_code="ACME")
            ordering.add_order_line(session=session, number=order.number, sku="DESK", qty=D(qty))
            ordering.confirm_order(session=session, number=order.number)
    return pg_engine


def desk_stock(engine) -> tuple[int, int, int]:
    """On hand and reserved of DESK, and what its open order lines still have to ship."""
    with unit_of_work(engine, write=False) as session:
        desk = catalog.get_product(session=session, sku="DESK")
        to_ship = session.connection().execute(
            text("SELECT sum(qty - qty_shipped) FROM order_line WHERE product_id = :p"),
            {"p": desk.id},
        )
        return desk.on_hand, desk.reserved, to_ship.scalar()


def test_interleaved_shipments_on_postgres_see_each_others_stock(two_desk_orders):
    engine = two_desk_orders
    interleaved(
        engine,
        lambda s: fulfilment.create_shipment(
            session=s, order_number="SO-00001", lines=[("DESK", D(1))]
        ),
        lambda s: fulfilment.create_shipment(
            session=s, order_number="SO-00002", lines=[("DESK", D(2))]
        ),
    )
    assert desk_stock(engine) == (47000, 4000, 4000)


def test_interleaved_line_edits_on_postgres_keep_every_reservation(two_desk_orders):
    engine = two_desk_orders
    assert desk_stock(engine) == (50000, 7000, 7000)
    interleaved(
        engine,
        lambda s: ordering.edit_order_line(session=s, number="SO-00001", line_ref="1", qty=D(5)),
        lambda s: ordering.edit_order_line(session=s, number="SO-00002", line_ref="1", qty=D(10)),
    )
    # 5 + 10 reserved for 5 + 10 to ship; the lost update leaves 5 + 4 reserved.
    assert desk_stock(engine) == (50000, 15000, 15000)
