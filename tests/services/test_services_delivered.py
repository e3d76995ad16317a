"""Services are delivered, not shipped (SPEC rule 12, the product line, rules 8, 14, 15).

A service line (hours of installation, a delivery fee) is never shipped, picked,
packed or returned: invoicing it is what delivers it. An order is completed when
its goods are shipped and every line is invoiced. Expected figures are worked out
by hand from the sample catalog: DESK-OAK 489.00 (12 on hand), INSTALL 65.00 an
hour, DELIVERY 45.00, DESIGN 95.00 an hour, all at 19 % tax.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import col, select

import ordercli.db.engine
from ordercli.books import checks
from ordercli.books.clock import now, today
from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
from ordercli.documents.context import packing_slip_context
from ordercli.domain.errors import RuleViolation
from ordercli.domain.states import fulfilled_qty, line_finished, qty_to_fulfil
from ordercli.models import Event, OrderLine, Rma, RmaLine, SalesOrder, ShipmentLine
from ordercli.reports import dashboard, matrix, order_story
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.sales.picking import pick_list
from ordercli.services.settlement import credit_memos, returns

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def completed_events(uow, number: str) -> list[str]:
    with uow(write=False) as session:
        return list(
            session.exec(
                select(Event.message).where(
                    Event.subject_number == number, Event.action == "completed"
                )
            )
        )


def shipped_skus(uow, shipment: str) -> list[tuple[str, Decimal]]:
    with uow(write=False) as session:
        found = fulfilment.get_shipment(session=session, number=shipment)
        return [
            (line.sku, Decimal(line.qty) / 1000)
            for line in fulfilment.shipment_lines(session=session, shipment=found)
        ]


# --- the definition -------------------------------------------------------------------


def _line(qty=3000, invoiced=0, shipped=0, credited=0, reopened=0, cancelled=0, closed=0):
    return SimpleNamespace(
        qty=qty,
        qty_invoiced=invoiced,
        qty_shipped=shipped,
        qty_credited=credited,
        qty_reopened=reopened,
        qty_cancelled=cancelled,
        qty_closed=closed,
    )


def test_goods_are_fulfilled_by_shipping_services_by_invoicing():
    # 3 ordered, 2 invoiced, 1 credited as not to be delivered, 0 shipped (thousandths)
    credited = _line(invoiced=2000, credited=1000, cancelled=1000)
    assert fulfilled_qty(credited, service=False) == 0
    assert fulfilled_qty(credited, service=True) == 1000
    # a service shipped by an older ordercli is still fulfilled by its invoices only
    assert fulfilled_qty(_line(shipped=3000), service=True) == 0
    assert qty_to_fulfil(credited, service=True) == 2000
    # goods credited as not to be delivered leave the order too (rule 14)
    assert qty_to_fulfil(credited, service=False) == 2000
    assert qty_to_fulfil(_line(invoiced=2000, credited=1000, reopened=1000), service=False) == 3000
    assert line_finished(_line(invoiced=3000), service=True)
    assert line_finished(_line(invoiced=3000, credited=1000, cancelled=1000), service=True)
    assert not line_finished(_line(invoiced=2000, shipped=3000), service=True)
    assert not line_finished(_line(invoiced=3000), service=False)
    assert line_finished(_line(invoiced=3000, shipped=3000), service=False)
    # short-closed: what is neither invoiced nor shipped is no longer owed
    assert line_finished(_line(invoiced=1000, shipped=1000, closed=2000), service=False)
    # billed in error and credited: it stands uninvoiced again
    assert not line_finished(
        _line(invoiced=2000, shipped=3000, credited=1000, reopened=1000), service=False
    )


# --- shipping takes goods only ----------------------------------------------------------


def test_ship_without_lines_takes_only_the_goods(make_order, uow, order_state, stock_of):
    number = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "3")])
    with uow() as session:
        shipment = fulfilment.create_shipment(session=session, order_number=number).number
    assert shipped_skus(uow, shipment) == [("DESK-OAK", Decimal(2))]
    lines = order_state(number)["lines"]
    assert [(ln["sku"], ln["qty_shipped"], ln["qty_fulfilled"]) for ln in lines] == [
        ("DESK-OAK", Decimal(2), Decimal(2)),
        ("INSTALL", Decimal(0), Decimal(0)),
    ]
    assert stock_of("DESK-OAK") == (Decimal(10), Decimal(0))
    assert order_state(number)["status"] == "confirmed"  # INSTALL is not invoiced yet


def test_shipping_a_service_is_refused(make_order, refused):
    number = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "3")])
    error = refused(
        RuleViolation,
        f"cannot ship INSTALL on {number}: it is a service, delivered by invoicing it, "
        "never shipped",
        lambda s: fulfilment.create_shipment(
            session=s,
            order_number=number,
            lines=[("DESK-OAK", Decimal(1)), ("install", Decimal(1))],
        ),
    )
    assert (
        error.hint == f"`ordercli invoice create {number} --partial --line INSTALL=QTY` delivers it"
    )


def test_an_order_of_services_alone_has_nothing_to_ship(make_order, refused):
    number = make_order("ACME", [("INSTALL", "3"), ("DELIVERY", "1")])
    error = refused(
        RuleViolation,
        f"nothing to ship on {number}: it holds only services, which are delivered by "
        "invoicing them, never shipped",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )
    assert error.hint == f"`ordercli invoice create {number}` delivers them"


def test_when_the_goods_are_shipped_only_services_are_left(make_order, uow, refused):
    number = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "2")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number)
    error = refused(
        RuleViolation,
        f"nothing left to ship on {number}: its goods are fully shipped, and services are "
        "delivered by invoicing them, never shipped",
        lambda s: fulfilment.create_shipment(session=s, order_number=number),
    )
    assert error.hint == f"`ordercli invoice create {number}` delivers them"


# --- completion ---------------------------------------------------------------------------


def test_goods_and_services_complete_once_shipped_and_invoiced(make_order, uow, order_state):
    # shipped first, then one invoice completes it (the invoicing path)
    shipped_first = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "3")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=shipped_first)
    assert order_state(shipped_first)["fulfilment_status"] == "partially_shipped"
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=shipped_first)
    state = order_state(shipped_first)
    assert (state["status"], state["billing_status"], state["fulfilment_status"]) == (
        "completed",
        "invoiced",
        "shipped",
    )
    assert completed_events(uow, shipped_first) == [
        f"order {shipped_first} completed: fully invoiced and shipped"
    ]
    # invoiced first: the service is delivered, the order waits for its goods (the
    # shipping path completes it)
    invoiced_first = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "3")])
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=invoiced_first)
    state = order_state(invoiced_first)
    assert (state["status"], state["fulfilment_status"]) == ("confirmed", "partially_shipped")
    assert [ln["qty_fulfilled"] for ln in state["lines"]] == [Decimal(0), Decimal(3)]
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=invoiced_first)
    assert order_state(invoiced_first)["status"] == "completed"
    assert completed_events(uow, invoiced_first) == [
        f"order {invoiced_first} completed: fully invoiced and shipped"
    ]


def test_an_order_of_services_alone_completes_by_invoicing(make_order, uow, order_state):
    number = make_order("ACME", [("INSTALL", "3"), ("DESIGN", "2")])
    with uow() as session:
        invoicing.create_invoice(
            session=session, order_number=number, lines=[("INSTALL", Decimal(1))]
        )
    state = order_state(number)
    assert (state["status"], state["billing_status"], state["fulfilment_status"]) == (
        "confirmed",
        "partially_invoiced",
        "partially_shipped",
    )
    assert [ln["qty_fulfilled"] for ln in state["lines"]] == [Decimal(1), Decimal(0)]
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
    state = order_state(number)
    assert (state["status"], state["fulfilment_status"]) == ("completed", "shipped")
    assert [ln["qty_shipped"] for ln in state["lines"]] == [Decimal(0), Decimal(0)]
    assert completed_events(uow, number) == [
        f"order {number} completed: fully invoiced, its services delivered"
    ]


def test_invoicing_everything_completes_orders_whose_goods_are_shipped(
    make_order, uow, order_state
):
    services = make_order("ACME", [("DELIVERY", "1")])
    shipped = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "1")])
    waiting = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "1")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=shipped)
        invoicing.invoice_all(session=session)
    assert [order_state(n)["status"] for n in (services, shipped, waiting)] == [
        "completed",
        "completed",
        "confirmed",
    ]


def test_editing_a_line_completes_an_order_left_with_services_invoiced(
    make_order, uow, order_state
):
    # 3 of 4 desks shipped and invoiced, the 3 hours invoiced; the fourth desk is dropped
    number = make_order("ACME", [("DESK-OAK", "4"), ("INSTALL", "3")])
    with uow() as session:
        fulfilment.create_shipment(
            session=session, order_number=number, lines=[("DESK-OAK", Decimal(3))]
        )
        invoicing.create_invoice(
            session=session,
            order_number=number,
            lines=[("DESK-OAK", Decimal(3)), ("INSTALL", Decimal(3))],
        )
    assert order_state(number)["status"] == "confirmed"
    with uow() as session:
        ordering.edit_order_line(session=session, number=number, line_ref="1", qty=Decimal(3))
    assert order_state(number)["status"] == "completed"


# --- credits and returns ------------------------------------------------------------------


def test_a_credited_service_is_not_delivered(make_order, uow, order_state, ledger_ok):
    number = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "3")])
    with uow() as session:
        invoice = invoicing.create_invoice(
            session=session, order_number=number, lines=[("INSTALL", Decimal(2))]
        ).number
        credit_memos.create_credit_memo(
            session=session,
            invoice_number=invoice,
            lines=[("INSTALL", Decimal(1))],
            reason="one hour not worked",
            kind="not_delivered",  # rule 14: it leaves the order (rebill would reopen it)
        )
    install = order_state(number)["lines"][1]
    # invoiced 2, credited 1: what invoicing delivered is the 1 hour still billed
    assert (install["qty_invoiced"], install["qty_credited"], install["qty_fulfilled"]) == (
        Decimal(2),
        Decimal(1),
        Decimal(1),
    )
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
        fulfilment.create_shipment(session=session, order_number=number)
    state = order_state(number)
    assert (state["status"], state["fulfilment_status"]) == ("completed", "shipped")
    assert state["lines"][1]["qty_fulfilled"] == Decimal(2)  # 3 invoiced − 1 credited
    ledger_ok()


def test_restocking_a_credited_service_moves_no_stock(make_order, uow, order_state, ledger_ok):
    number = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "2")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number)
        invoice = invoicing.create_invoice(session=session, order_number=number).number
        credit_memos.create_credit_memo(session=session, invoice_number=invoice, restock=True)
    desk, install = order_state(number)["lines"]
    assert (desk["qty_returned"], install["qty_returned"]) == (Decimal(1), Decimal(0))
    assert install["qty_fulfilled"] == Decimal(0)  # fully credited: nothing delivered
    ledger_ok()


def test_returning_a_service_is_refused(make_order, uow, refused):
    number = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "2")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number)
        invoicing.create_invoice(session=session, order_number=number)
    error = refused(
        RuleViolation,
        f"cannot return INSTALL on {number}: it is a service, delivered by invoicing it; "
        "a service is never returned",
        lambda s: returns.request_return(
            session=s,
            order_number=number,
            lines=[("DESK-OAK", Decimal(1)), ("INSTALL", Decimal(1))],
            reason="wrong finish",
        ),
    )
    assert error.hint == "a credit memo corrects a service billed in error or not delivered"


# --- order track and order explain ------------------------------------------------------


def track(uow, number: str) -> dict:
    with uow(write=False) as session:
        return order_story.track_order(session=session, number=number)


def explain(uow, number: str) -> dict:
    with uow(write=False) as session:
        return order_story.explain_order(session=session, number=number)


def listed(items: list[dict]) -> list[tuple[str, Decimal]]:
    return [(item["sku"], item["qty"]) for item in items]


def test_track_tells_a_service_as_delivered_never_on_its_way(make_order, uow):
    number = make_order("ACME", [("DESK-OAK", "1"), ("INSTALL", "3")])
    doc = track(uow, number)
    assert doc["status_text"] == "confirmed; being prepared"
    assert (listed(doc["coming"]), listed(doc["to_deliver"]), doc["delivered"]) == (
        [("DESK-OAK", Decimal(1))],
        [("INSTALL", Decimal(3))],
        [],
    )
    with uow() as session:
        invoicing.create_invoice(
            session=session, order_number=number, lines=[("INSTALL", Decimal(2))]
        )
    doc = track(uow, number)
    assert doc["status_text"] == "partly delivered; the rest is still to come"
    assert (listed(doc["delivered"]), listed(doc["to_deliver"])) == (
        [("INSTALL", Decimal(2))],
        [("INSTALL", Decimal(1))],
    )
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number, carrier="DHL")
    doc = track(uow, number)
    assert doc["status_text"] == "shipped; services still to be delivered"
    assert [listed(s["items"]) for s in doc["shipped"]] == [[("DESK-OAK", Decimal(1))]]
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
    assert track(uow, number)["status_text"] == "shipped"
    with uow() as session:
        fulfilment.deliver_shipment(session=session, number="SH-00001")
    doc = track(uow, number)
    assert (doc["status_text"], doc["coming"], doc["to_deliver"]) == ("delivered", [], [])
    assert listed(doc["delivered"]) == [("INSTALL", Decimal(3))]


def test_track_an_order_of_services_alone(make_order, uow):
    number = make_order("ACME", [("DESIGN", "2")])
    doc = track(uow, number)
    assert (doc["status_text"], doc["has_goods"], doc["shipped"], doc["coming"]) == (
        "confirmed; being prepared",
        False,
        [],
        [],
    )
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
    doc = track(uow, number)
    assert (doc["status_text"], listed(doc["delivered"]), doc["to_deliver"]) == (
        "delivered",
        [("DESIGN", Decimal(2))],
        [],
    )


def test_explain_an_order_of_services_alone(make_order, uow):
    number = make_order("ACME", [("INSTALL", "3"), ("DELIVERY", "1")])
    doc = explain(uow, number)
    assert [line["state"] for line in doc["lines"]] == ["to_invoice", "to_invoice"]
    assert all("delivered" in line["why"] and "shipped" not in line["why"] for line in doc["lines"])
    steps = [step["command"] for step in doc["next"]]
    assert steps == [f"ordercli invoice create {number}", f"ordercli order cancel {number}"]
    assert doc["next"][0]["why"].endswith("; invoicing a service delivers it")
    assert doc["explanations"]["fulfilment_status"].startswith(
        "not_shipped: nothing delivered yet ("
    )
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
    doc = explain(uow, number)
    assert (doc["status"], doc["fulfilment_status"]) == ("completed", "shipped")
    assert doc["explanations"]["status"] == (
        "completed: every line is fully invoiced, which delivered its services (rules 8, 12)"
    )
    assert doc["explanations"]["fulfilment_status"].startswith(
        "shipped: every line fully delivered"
    )
    assert [(line["state"], line["fulfilled"]) for line in doc["lines"]] == [
        ("done", Decimal(3)),
        ("done", Decimal(1)),
    ]
    assert not any(
        "ship" in step["command"] or "return request" in step["command"] for step in doc["next"]
    )


# --- pick lists ---------------------------------------------------------------------------


def test_the_pick_list_never_lists_services(make_order, uow):
    make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "3")])
    make_order("BRIGHT", [("DELIVERY", "1")])
    with uow(write=False) as session:
        picks = pick_list(session=session)
    assert [entry["sku"] for entry in picks["lines"]] == ["DESK-OAK"]
    assert picks["short"] == []


# --- reports ------------------------------------------------------------------------------


def test_reports_count_a_service_as_to_invoice_never_to_ship(make_order, uow):
    make_order("ACME", [("INSTALL", "3")])
    make_order("ACME", [("DESK-OAK", "1"), ("DELIVERY", "1")])
    with uow(write=False) as session:
        rows = {r["state"]: r["total"] for r in matrix.order_matrix(session=session)["rows"]}
        board = dashboard.dashboard(session=session)
    assert (rows["to_ship"], rows["to_invoice"]) == (1, 2)  # the desk; both services
    assert (board["to_ship"]["orders"], board["to_ship"]["lines"]) == (1, 1)
    assert (board["to_invoice"]["orders"], board["to_invoice"]["lines"]) == (2, 3)


# --- an older ledger, whose shipments hold services -----------------------------------------


@pytest.fixture
def older_ledger(tmp_path):
    """The 0.4 demo ledger (``ledger-0004.db``), upgraded: SH-00002 shipped 2 × DESK-OAK
    and 2.5 h INSTALL on SO-00001, which is completed."""
    path = tmp_path / "ledger.db"
    shutil.copyfile(FIXTURES / "ledger-0004.db", path)
    url = resolve_location(str(path))
    try:
        yield open_ledger(url)
    finally:
        ordercli.db.engine.forget_ledger(url)


@pytest.mark.sqlite_only("upgrades a SQLite ledger of an earlier release")
def test_an_older_ledger_with_shipped_services_stays_clean(older_ledger):
    with unit_of_work(older_ledger, write=False) as session:
        report = checks.run_checks(session=session)
        slip = packing_slip_context(session, "SH-00002")
        story = order_story.track_order(session=session, number="SO-00001")
        explained = order_story.explain_order(session=session, number="SO-00001")
    assert (report["ok"], report["problems"]) == (True, [])
    assert [line["sku"] for line in slip["shipment"]["lines"]] == ["DESK-OAK"]
    assert all(
        item["sku"] != "INSTALL" for shipment in story["shipped"] for item in shipment["items"]
    )
    assert [(item["sku"], item["qty"]) for item in story["delivered"]] == [
        ("INSTALL", Decimal("2.5"))
    ]
    assert story["to_deliver"] == []
    install = next(line for line in explained["lines"] if line["sku"] == "INSTALL")
    assert (install["state"], install["fulfilled"]) == ("done", Decimal("2.5"))
    # the service shipped long ago is never offered back as a return
    assert not any("INSTALL" in step["command"] for step in explained["next"])


@pytest.mark.sqlite_only("upgrades a SQLite ledger of an earlier release")
def test_a_return_holding_a_service_is_credited_never_replaced(older_ledger, fingerprint):
    """A return an older ordercli took for a shipped service cannot be sent again."""
    with unit_of_work(older_ledger) as session:
        order = session.exec(select(SalesOrder).where(SalesOrder.number == "SO-00001")).one()
        install = session.exec(
            select(OrderLine)
            .join(ShipmentLine, col(ShipmentLine.order_line_id) == OrderLine.id)
            .where(OrderLine.order_id == order.id, ShipmentLine.sku == "INSTALL")
        ).first()
        assert order.id is not None and install is not None and install.id is not None
        rma = Rma(
            number="RMA-00090",
            order_id=order.id,
            customer_id=order.customer_id,
            status="received",
            reason="installation redone",
            requested_on=today(),
            created_at=now(),
            updated_at=now(),
        )
        session.add(rma)
        session.flush()
        assert rma.id is not None
        session.add(
            RmaLine(
                rma_id=rma.id,
                order_line_id=install.id,
                position=1,
                product_id=install.product_id,
                sku="INSTALL",
                description=install.description,
                unit=install.unit,
                qty=1000,
            )
        )
    before = fingerprint(older_ledger)
    with pytest.raises(RuleViolation) as info:
        with unit_of_work(older_ledger) as session:
            returns.resolve_return(session=session, number="RMA-00090", replace=True)
    assert info.value.message == (
        "cannot replace RMA-00090 by a shipment: INSTALL is a service, delivered by "
        "invoicing, never shipped"
    )
    assert info.value.hint == "`ordercli return resolve RMA-00090 --credit-memo`"
    assert fingerprint(older_ledger) == before
    with unit_of_work(older_ledger, write=False) as session:
        story = order_story.explain_order(session=session, number="SO-00001")
    commands = [step["command"] for step in story["next"]]
    assert "ordercli return resolve RMA-00090 --credit-memo" in commands
    assert "ordercli return resolve RMA-00090 --replace" not in commands
