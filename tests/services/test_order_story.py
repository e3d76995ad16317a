"""`order explain` and `order track` as services: the numbers behind every status,
what holds an order up, the next commands, and the customer's view (SPEC rules 6–9,
11–16). Expected figures are worked out by hand or read from the documents' own
views (what `order show --json` and `invoice show --json` print), never from the
code under test.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from ordercli.domain.errors import NotFound
from ordercli.reports import order_story
from ordercli.services.inventory import stock
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import payments, returns
from ordercli.views import sales as views

TODAY = "2026-03-10"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


@pytest.fixture
def story(uow):
    def read(number: str) -> dict:
        with uow(write=False) as session:
            return order_story.explain_order(session=session, number=number)

    return read


@pytest.fixture
def tracking(uow):
    def read(number: str) -> dict:
        with uow(write=False) as session:
            return order_story.track_order(session=session, number=number)

    return read


@pytest.fixture
def invoice_state(uow):
    def read(number: str) -> dict:
        with uow(write=False) as session:
            return views.invoice_view(
                session, invoicing.get_invoice(session=session, number=number)
            )

    return read


def commands(doc: dict) -> list[str]:
    return [step["command"] for step in doc["next"]]


def kinds(doc: dict) -> list[str]:
    return [blocker["kind"] for blocker in doc["blocked_by"]]


def same_counts_as_order_show(doc: dict, shown: dict) -> None:
    """Every line's quantities equal those `order show --json` prints."""
    assert [line["sku"] for line in doc["lines"]] == [line["sku"] for line in shown["lines"]]
    for mine, theirs in zip(doc["lines"], shown["lines"], strict=True):
        assert mine["ordered"] == theirs["qty"]
        assert mine["invoiced"] == theirs["qty_invoiced"]
        assert mine["shipped"] == theirs["qty_shipped"]
        assert mine["credited"] == theirs["qty_credited"]
        assert mine["returned"] == theirs["qty_returned"]
        assert mine["replaced"] == theirs["qty_replaced"]
        assert mine["backordered"] == theirs["qty_backordered"]
    for key in ("status", "billing_status", "fulfilment_status"):
        assert doc[key] == shown[key]
        assert doc["explanations"][key].startswith(f"{shown[key]}: ")


def test_draft_order(make_order, story, order_state):
    number = make_order("ACME", [("DESK-OAK", "4"), ("INSTALL", "2.5")], confirm=False)
    doc = story(number)
    same_counts_as_order_show(doc, order_state(number))
    assert doc["status"] == "draft"
    assert doc["explanations"] == {
        "status": "draft: not confirmed yet; a draft can be edited freely and cannot be "
        "invoiced or shipped (rule 6)",
        "billing_status": "not_invoiced: nothing invoiced yet (0 of 4 DESK-OAK, "
        "0 of 2.5 INSTALL) (rule 8)",
        # a service is delivered by invoicing it, never shipped (rule 12)
        "fulfilment_status": "not_shipped: nothing shipped or delivered yet (0 of 4 DESK-OAK, "
        "0 of 2.5 INSTALL) (rules 8, 12)",
    }
    assert kinds(doc) == ["draft"]
    assert [(ln["state"], ln["reserved"]) for ln in doc["lines"]] == [
        ("draft", Decimal(0)),
        ("draft", Decimal(0)),
    ]
    assert commands(doc) == [
        f"ordercli order confirm {number}",
        f"ordercli order cancel {number}",
    ]
    # 4 × 489.00 × 1.19 = 2327.64; 2.5 × 65.00 × 1.19 = 193.38 (rounded at the line)
    assert doc["total"] == Decimal("2521.02") == order_state(number)["total"]
    assert doc["invoices"] == [] and doc["open_balance"] == Decimal("0.00")


def test_empty_draft_needs_a_line(make_order, story):
    number = make_order("ACME", [], confirm=False)
    doc = story(number)
    assert kinds(doc) == ["draft", "no_lines"]
    assert doc["explanations"]["billing_status"] == "not_invoiced: the order has no lines (rule 8)"
    assert commands(doc) == [
        f"ordercli order add-line {number} SKU QTY",
        f"ordercli order cancel {number}",
    ]


def test_draft_over_the_credit_limit(make_order, story, uow):
    # BRIGHT's limit is 15000.00; 20 × 729.00 = 14580.00 + 19% tax 2770.20 = 17350.20
    number = make_order("BRIGHT", [("DESK-STAND", "20")], confirm=False)
    with uow(write=False) as session:
        customer = customers.get_customer(session=session, code="BRIGHT")
        before = ordering.credit_exposure(session=session, customer=customer)
    assert before == Decimal("0.00")
    doc = story(number)
    credit = next(b for b in doc["blocked_by"] if b["kind"] == "credit_limit")
    assert (credit["exposure"], credit["limit"], credit["order_total"]) == (
        Decimal("0.00"),
        Decimal("15000.00"),
        Decimal("17350.20"),
    )
    assert credit["message"] == (
        "confirming would take BRIGHT's exposure to 17350.20 against a credit limit of "
        "15000.00 (open invoices and confirmed orders 0.00 + this order 17350.20) (rule 16)"
    )
    assert commands(doc)[0] == f"ordercli order confirm {number} --override-credit REASON"


def test_draft_within_the_credit_limit_counts_confirmed_orders(make_order, story):
    # 8 × 729.00 × 1.19 = 6940.08 confirmed, then 9 more: 7807.59; 14747.67 <= 15000
    make_order("BRIGHT", [("DESK-STAND", "8")])
    within = make_order("BRIGHT", [("DESK-STAND", "9")], confirm=False)
    assert "credit_limit" not in kinds(story(within))
    # one more desk is 867.51: 6940.08 + 8675.10 = 15615.18 > 15000
    over = make_order("BRIGHT", [("DESK-STAND", "10")], confirm=False)
    credit = next(b for b in story(over)["blocked_by"] if b["kind"] == "credit_limit")
    assert (credit["exposure"], credit["order_total"]) == (Decimal("6940.08"), Decimal("8675.10"))


def test_confirmed_and_backordered(make_order, story, order_state, stock_of):
    number = make_order("ACME", [("DESK-STAND", "7"), ("INSTALL", "3")])
    assert stock_of("DESK-STAND") == (Decimal(5), Decimal(7))
    doc = story(number)
    same_counts_as_order_show(doc, order_state(number))
    line = doc["lines"][0]
    assert (line["reserved"], line["backordered"], line["state"]) == (
        Decimal(7),
        Decimal(2),
        "backordered",
    )
    assert line["why"] == (
        "0 of 7 invoiced; 0 of 7 shipped; 7 reserved for it; "
        "2 backordered: DESK-STAND has 5 on hand, -2 available"
    )
    service = doc["lines"][1]
    assert (service["reserved"], service["state"]) == (Decimal(0), "to_invoice")
    assert (
        service["why"]
        == "0 of 3 h invoiced; 0 of 3 h delivered (a service: invoicing it delivers it)"
    )
    assert doc["blocked_by"] == [
        {
            "kind": "backorder",
            "message": "backordered 2 × DESK-STAND on line 1: 5 on hand, -2 available",
            "line": 1,
            "sku": "DESK-STAND",
            "qty": Decimal(2),
            "on_hand": Decimal(5),
            "available": Decimal(-2),
        }
    ]
    assert commands(doc) == [
        f"ordercli invoice create {number}",
        f"ordercli ship {number} --line DESK-STAND=5",
        "ordercli stock receive DESK-STAND 2",
        f"ordercli order cancel {number}",
    ]
    assert doc["explanations"]["status"].startswith(
        "confirmed: confirmed on 2026-03-10; not completed while 2 of 2 line(s) are still "
        "to invoice and 1 to ship (rules 8, 12: completed = every line fully invoiced and its "
        "goods shipped; invoicing a service delivers it)"
    )


def test_stock_received_clears_the_backorder(make_order, story, uow):
    number = make_order("ACME", [("DESK-STAND", "7")])
    with uow() as session:
        stock.receive_stock(session=session, sku="DESK-STAND", qty=Decimal(2))
    doc = story(number)
    assert doc["blocked_by"] == [] and doc["lines"][0]["state"] == "to_invoice_and_ship"
    assert f"ordercli ship {number}" in commands(doc)


def test_partially_invoiced_and_shipped(make_order, story, order_state, invoice_state, uow):
    number = make_order("ACME", [("DESK-OAK", "5"), ("INSTALL", "2")])
    with uow() as session:
        invoicing.create_invoice(
            session=session, order_number=number, lines=[("DESK-OAK", Decimal(2))]
        )
        fulfilment.create_shipment(
            session=session,
            order_number=number,
            lines=[("DESK-OAK", Decimal(3))],
            carrier="DHL",
            tracking="JD0146000038",
        )
    doc = story(number)
    shown = order_state(number)
    same_counts_as_order_show(doc, shown)
    assert doc["explanations"]["billing_status"] == (
        "partially_invoiced: 2 of 5 DESK-OAK invoiced; line 2 (INSTALL) not invoiced, "
        "0 of 2 (rules 8, 9)"
    )
    assert doc["explanations"]["fulfilment_status"] == (
        "partially_shipped: 3 of 5 DESK-OAK shipped; line 2 (INSTALL) not delivered, "
        "0 of 2 (rules 8, 9, 12)"
    )
    assert doc["lines"][0]["reserved"] == Decimal(2)  # 5 ordered − 3 shipped
    invoice = invoice_state("INV-00001")
    assert doc["invoices"] == [
        {
            "number": "INV-00001",
            "issue_date": date(2026, 3, 10),
            "due_date": invoice["due_date"],
            "total": invoice["total"],
            "paid": invoice["paid"],
            "credited": invoice["credited"],
            "balance": invoice["balance"],
            "status": invoice["status"],
        }
    ]
    assert invoice["balance"] == Decimal("1163.82")  # 2 × 489.00 × 1.19
    assert doc["open_balance"] == invoice["balance"]
    assert commands(doc) == [
        f"ordercli invoice create {number}",
        f"ordercli ship {number}",
        f"ordercli order close {number} --reason REASON",
        "ordercli shipment deliver SH-00001",
        "ordercli shipment reverse SH-00001 --reason REASON",
        "ordercli payment record ACME 1163.82 --invoice INV-00001",
        "ordercli credit-memo create INV-00001",
        "ordercli invoice cancel INV-00001 --reason REASON",
        f"ordercli return request {number} --line DESK-OAK=3 --reason REASON",
    ]
    why = {step["command"]: step["why"] for step in doc["next"]}
    assert why[f"ordercli invoice create {number}"] == (
        "invoice what is not invoiced yet: 3 × DESK-OAK, 2 × INSTALL; invoicing a service "
        "delivers it"
    )
    assert why["ordercli payment record ACME 1163.82 --invoice INV-00001"] == (
        "INV-00001 has 1163.82 open, due 2026-04-09"
    )
    # of 5 desks 2 are invoiced and 3 shipped: 2 are neither
    assert why[f"ordercli order close {number} --reason REASON"] == (
        "short-close the rest: 2 × DESK-OAK, 2 × INSTALL would be neither shipped nor invoiced"
    )


def test_unused_credit_can_pay_the_invoice(make_order, story, uow):
    number = make_order("ACME", [("LAMP-LED", "2")])
    with uow() as session:
        payments.record_payment(session=session, customer_code="ACME", amount=Decimal("50.00"))
        invoicing.create_invoice(session=session, order_number=number)
    doc = story(number)
    assert "ordercli payment apply ACME --invoice INV-00001" in commands(doc)
    # 2 × 49.95 × 1.19 = 118.88
    assert "ordercli payment record ACME 118.88 --invoice INV-00001" in commands(doc)


def test_on_hold(make_order, story, order_state, uow):
    number = make_order("ACME", [("DESK-OAK", "1")])
    with uow() as session:
        ordering.hold_order(session=session, number=number, reason="awaiting prepayment")
    doc = story(number)
    same_counts_as_order_show(doc, order_state(number))
    assert doc["hold_reason"] == "awaiting prepayment"
    assert doc["explanations"]["status"] == (
        "on_hold: held (awaiting prepayment) while it was confirmed; nothing is confirmed, "
        "invoiced or shipped until it is released (rule 7)"
    )
    assert kinds(doc) == ["on_hold"]
    assert doc["lines"][0]["state"] == "on_hold" and doc["lines"][0]["reserved"] == 1
    assert commands(doc) == [f"ordercli order release {number}", f"ordercli order cancel {number}"]


def test_a_held_draft_is_still_a_draft(make_order, story, uow):
    number = make_order("ACME", [("DESK-OAK", "1")], confirm=False)
    with uow() as session:
        ordering.hold_order(session=session, number=number, reason="check address")
    doc = story(number)
    assert kinds(doc) == ["on_hold", "draft"]
    assert doc["lines"][0]["reserved"] == 0
    assert commands(doc)[0] == f"ordercli order release {number}"


def completed_order(make_order, uow) -> str:
    number = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "1")])
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number)
        fulfilment.create_shipment(session=session, order_number=number, carrier="UPS")
        fulfilment.deliver_shipment(session=session, number="SH-00001")
        payments.record_payment(
            session=session, customer_code="ACME", amount=Decimal("1241.18"), invoices=None
        )
    return number


def test_completed_and_paid(make_order, story, order_state, invoice_state, uow):
    number = completed_order(make_order, uow)
    # 2 × 489.00 × 1.19 = 1163.82 + 65.00 × 1.19 = 77.35 → 1241.17; one cent left over
    assert invoice_state("INV-00001")["balance"] == Decimal("0.00")
    doc = story(number)
    same_counts_as_order_show(doc, order_state(number))
    assert doc["status"] == "completed"
    assert doc["explanations"]["status"] == (
        "completed: every line is fully invoiced and its goods fully shipped; its services "
        "were delivered by invoicing them (rules 8, 12)"
    )
    assert kinds(doc) == ["nothing_left"]
    assert {ln["state"] for ln in doc["lines"]} == {"done"}
    assert commands(doc) == [
        "ordercli shipment reverse SH-00001 --reason REASON",
        "ordercli payment void PAY-00001 --reason REASON",
        "ordercli credit-memo create INV-00001",
        "ordercli invoice cancel INV-00001 --reason REASON",
        f"ordercli return request {number} --line DESK-OAK=2 --reason REASON",
    ]


def test_cancelled(make_order, story, order_state, uow):
    number = make_order("ACME", [("DESK-OAK", "3")])
    with uow() as session:
        ordering.cancel_order(session=session, number=number, reason="duplicate")
    doc = story(number)
    same_counts_as_order_show(doc, order_state(number))
    assert kinds(doc) == ["cancelled"] and doc["next"] == []
    assert doc["lines"][0]["state"] == "cancelled" and doc["lines"][0]["reserved"] == 0


def returned_and_credited(make_order, uow) -> str:
    number = completed_order(make_order, uow)
    with uow() as session:
        returns.request_return(
            session=session,
            order_number=number,
            lines=[("DESK-OAK", Decimal(1))],
            reason="scratched top",
        )
        returns.authorize_return(session=session, number="RMA-00001")
        returns.receive_return(session=session, number="RMA-00001", restock=True)
        returns.resolve_return(session=session, number="RMA-00001", credit_memo=True)
    return number


def test_returned_and_credited(make_order, story, order_state, invoice_state, uow):
    number = returned_and_credited(make_order, uow)
    doc = story(number)
    shown = order_state(number)
    same_counts_as_order_show(doc, shown)
    desk = doc["lines"][0]
    assert (desk["returned"], desk["credited"]) == (Decimal(1), Decimal(1))
    assert desk["why"] == "2 of 2 invoiced; 2 of 2 shipped; 1 credited; 1 returned"
    invoice = invoice_state("INV-00001")
    assert invoice["credited"] == Decimal("581.91")  # 489.00 × 1.19
    assert doc["invoices"][0]["credited"] == invoice["credited"]
    # a return holds the shipment's goods and a credit memo the invoice: neither is
    # reversed or cancelled whole any more
    assert commands(doc) == [
        "ordercli payment void PAY-00001 --reason REASON",
        "ordercli credit-memo create INV-00001",
        f"ordercli return request {number} --line DESK-OAK=1 --reason REASON",
    ]


def test_open_returns_move_on(make_order, story, uow):
    number = completed_order(make_order, uow)
    with uow() as session:
        returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", Decimal(2))], reason="x"
        )
    doc = story(number)
    # both desks are on the open return, and a service is never returned: nothing
    # else is left to ask back
    assert commands(doc)[-2:] == [
        "ordercli return authorize RMA-00001",
        "ordercli return reject RMA-00001",
    ]
    assert not any("return request" in command for command in commands(doc))
    with uow() as session:
        returns.authorize_return(session=session, number="RMA-00001")
    assert "ordercli return receive RMA-00001 --restock" in commands(story(number))
    with uow() as session:
        returns.receive_return(session=session, number="RMA-00001")
    assert {
        "ordercli return resolve RMA-00001 --credit-memo",
        "ordercli return resolve RMA-00001 --replace",
    } <= set(commands(story(number)))


def test_unknown_order(seeded, uow):
    for read in (order_story.explain_order, order_story.track_order, order_story.order_timeline):
        with uow(write=False) as session, pytest.raises(NotFound, match="no order 'SO-09999'"):
            read(session=session, number="SO-09999")


def test_explain_and_track_change_nothing(make_order, uow, unchanged):
    number = returned_and_credited(make_order, uow)
    backordered = make_order("ACME", [("DESK-STAND", "9")])
    draft = make_order("BRIGHT", [("DESK-STAND", "30")], confirm=False)
    with unchanged():
        for order in (number, backordered, draft):
            with uow() as session:  # a writing unit of work: it must still write nothing
                order_story.explain_order(session=session, number=order)
                order_story.track_order(session=session, number=order)
                order_story.order_timeline(session=session, number=order)
                assert not session.new and not session.dirty and not session.deleted


def _statements(engine, action) -> int:
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def test_a_fixed_number_of_queries_however_big_the_order(seeded, uow, engine):
    skus = ["CHAIR-ERGO", "CHAIR-VISIT", "LAMP-LED", "MONITOR-ARM", "SHELF-WALL", "MAT-CHAIR"]
    numbers = []
    for lines in (skus[:1], skus):
        with uow() as session:
            order = ordering.new_order(session=session, customer_code="ACME")
            for sku in lines:
                ordering.add_order_line(
                    session=session, number=order.number, sku=sku, qty=Decimal(2)
                )
            ordering.confirm_order(session=session, number=order.number, override_credit="t")
            for _ in range(2):
                invoicing.create_invoice(
                    session=session, order_number=order.number, lines=[(lines[0], Decimal(1))]
                )
                fulfilment.create_shipment(
                    session=session, order_number=order.number, lines=[(lines[0], Decimal(1))]
                )
            numbers.append(order.number)

    def cost(read, number) -> int:
        def run():
            with uow(write=False) as session:
                read(session=session, number=number)

        return _statements(engine, run)

    for read in (order_story.explain_order, order_story.track_order):
        small, big = cost(read, numbers[0]), cost(read, numbers[1])
        assert small == big, (read.__name__, small, big)
        assert big <= 13, (read.__name__, big)  # 13: the schedules, read once (rule 20)


def test_track_tells_the_customer_what_shipped_what_comes_and_what_is_owed(
    make_order, tracking, invoice_state, uow, monkeypatch
):
    number = make_order(
        "ACME", [("DESK-STAND", "7"), ("INSTALL", "2")], order_date=date(2026, 1, 5)
    )
    with uow() as session:
        invoicing.create_invoice(
            session=session,
            order_number=number,
            lines=[("DESK-STAND", Decimal(3))],
            issue_date=date(2026, 1, 5),
        )
        fulfilment.create_shipment(
            session=session,
            order_number=number,
            lines=[("DESK-STAND", Decimal(3))],
            carrier="DHL",
            tracking="JD0146000038",
            ship_date=date(2026, 3, 2),
        )
        fulfilment.deliver_shipment(session=session, number="SH-00001")
        ordering.hold_order(session=session, number=number, reason="customer is a fraud risk")
    doc = tracking(number)
    invoice = invoice_state("INV-00001")
    assert invoice["due_date"] == date(2026, 2, 4) and invoice["status"] == "overdue"
    assert doc["order"] == number
    assert doc["customer"] == "Acme Office Supplies Ltd"
    assert doc["placed"] == date(2026, 1, 5)
    assert doc["status_text"] == "on hold; we will be in touch"
    assert doc["shipped"] == [
        {
            "shipment": "SH-00001",
            "date": date(2026, 3, 2),
            "carrier": "DHL",
            "tracking": "JD0146000038",
            "delivered": True,
            "delivered_on": date(2026, 3, 10),
            "replacement": False,
            "items": [
                {
                    "sku": "DESK-STAND",
                    "description": "Electric standing desk",
                    "qty": Decimal(3),
                    "unit": "C62",
                }
            ],
        }
    ]
    # 4 desks left: 5 on hand − 3 shipped = 2 for them, 2 wait for stock
    assert doc["coming"] == [
        {
            "sku": "DESK-STAND",
            "description": "Electric standing desk",
            "qty": Decimal(4),
            "unit": "C62",
            "waiting_for_stock": True,
            "waiting_qty": Decimal(2),
        },
    ]
    # the installation is never on its way: invoicing it is what delivers it
    assert (doc["has_goods"], doc["delivered"]) == (True, [])
    assert [(item["sku"], item["qty"]) for item in doc["to_deliver"]] == [("INSTALL", Decimal(2))]
    assert doc["owed"] == {
        "total": invoice["balance"],
        "invoices": [
            {
                "number": "INV-00001",
                "due_date": invoice["due_date"],
                "balance": invoice["balance"],
                "overdue": True,
            }
        ],
    }
    assert invoice["balance"] == Decimal("2602.53")  # 3 × 729.00 × 1.19
    assert doc["invoiced"]["total"] == invoice["total"]
    text = json.dumps(doc, default=str)
    assert "fraud" not in text and "rule" not in text and "reserved" not in text
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-02-01")
    assert tracking(number)["owed"]["invoices"][0]["overdue"] is False


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ("draft", "received, not yet confirmed"),
        ("confirmed", "confirmed; being prepared"),
        ("backordered", "confirmed; waiting for stock"),
        ("partly", "partly shipped; the rest is on its way"),
        ("shipped", "shipped"),
        ("delivered", "delivered"),
        ("cancelled", "cancelled"),
    ],
)
def test_track_status_text(make_order, tracking, uow, build, expected):
    sku = "DESK-STAND" if build == "backordered" else "DESK-OAK"
    number = make_order("ACME", [(sku, "6")], confirm=build != "draft")
    with uow() as session:
        if build in ("partly", "shipped", "delivered"):
            qty = Decimal(2 if build == "partly" else 6)
            fulfilment.create_shipment(session=session, order_number=number, lines=[(sku, qty)])
        if build == "delivered":
            fulfilment.deliver_shipment(session=session, number="SH-00001")
        if build == "cancelled":
            ordering.cancel_order(session=session, number=number)
    doc = tracking(number)
    assert doc["status_text"] == expected
    if build == "cancelled":
        assert doc["coming"] == []


def test_track_lists_returns_in_customer_words(make_order, tracking, uow):
    number = returned_and_credited(make_order, uow)
    with uow() as session:
        returns.request_return(
            session=session, order_number=number, lines=[("DESK-OAK", Decimal(1))], reason="x"
        )
    assert [
        (r["number"], r["status_text"], r["in_progress"], r["items"][0]["qty"])
        for r in tracking(number)["returns"]
    ] == [
        ("RMA-00001", "done: credited", False, Decimal(1)),
        ("RMA-00002", "requested; we will confirm it shortly", True, Decimal(1)),
    ]
