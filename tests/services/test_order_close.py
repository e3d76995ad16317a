"""`order close` (short-close the rest) and `order reopen` (SPEC rules 7, 8, 9, 10, 16).

Expected figures are worked out by hand from the sample catalog: DESK-OAK 489.00,
CHAIR-ERGO 312.50, LAMP-LED 49.95, DESK-STAND 729.00 (5 on hand), all at 19 %;
INSTALL is a service at 65.00 an hour, 19 %.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import OrderLine, SalesOrder
from ordercli.reports import order_story
from ordercli.services.parties import customers
from ordercli.services.sales import (
    closing,
    fulfilment,
    invoicing,
    ordering,
    picking,
    shipment_reversal,
)
from ordercli.services.settlement import credit_memos, payments
from tests.services.conftest import dec

REASON = "customer needs no more"


@pytest.fixture
def ship(uow):
    def run(number: str, *lines: tuple[str, str]) -> str:
        with uow() as session:
            specs = [(sku, dec(qty)) for sku, qty in lines] or None
            return fulfilment.create_shipment(
                session=session, order_number=number, lines=specs
            ).number

    return run


@pytest.fixture
def invoice(uow):
    def run(number: str, *lines: tuple[str, str]) -> dict:
        with uow() as session:
            specs = [(sku, dec(qty)) for sku, qty in lines] or None
            made = invoicing.create_invoice(session=session, order_number=number, lines=specs)
            return {"number": made.number, "subtotal": made.subtotal, "tax": made.tax}

    return run


@pytest.fixture
def close(uow):
    def run(number: str, reason: str | None = REASON) -> None:
        with uow() as session:
            closing.close_order(session=session, number=number, reason=reason)

    return run


@pytest.fixture
def reopen(uow):
    def run(number: str, override: str | None = None) -> None:
        with uow() as session:
            closing.reopen_order(session=session, number=number, override_credit=override)

    return run


@pytest.fixture
def exposure(uow):
    def read(code: str) -> Decimal:
        with uow(write=False) as session:
            customer = customers.get_customer(session=session, code=code)
            return ordering.credit_exposure(session=session, customer=customer)

    return read


def counters(state: dict) -> list[tuple]:
    return [
        (ln["sku"], ln["qty"], ln["qty_invoiced"], ln["qty_shipped"], ln["qty_closed"])
        for ln in state["lines"]
    ]


def test_close_a_partly_shipped_and_invoiced_order(
    make_order, ship, invoice, close, order_state, stock_of, events_of, ledger_ok
):
    number = make_order("ACME", [("DESK-OAK", "10"), ("CHAIR-ERGO", "4"), ("INSTALL", "3")])
    ship(number, ("DESK-OAK", "4"), ("CHAIR-ERGO", "2"))
    invoice(number, ("DESK-OAK", "6"), ("INSTALL", "1"))
    # reserved what is still to ship: 10 − 4 desks, 4 − 2 chairs
    assert stock_of("DESK-OAK") == (Decimal(8), Decimal(6))
    assert stock_of("CHAIR-ERGO") == (Decimal(38), Decimal(2))

    close(number)

    state = order_state(number)
    # desks: 6 invoiced, 4 shipped → 4 neither; chairs: 2 shipped → 2 neither; INSTALL 2
    assert counters(state) == [
        ("DESK-OAK", 10, 6, 4, 4),
        ("CHAIR-ERGO", 4, 0, 2, 2),
        ("INSTALL", 3, 1, 0, 2),
    ]
    assert (state["status"], state["close_reason"]) == ("confirmed", REASON)
    # the 2 desks invoiced and not shipped stay reserved; the chairs' reservation is gone
    assert stock_of("DESK-OAK") == (Decimal(8), Decimal(2))
    assert stock_of("CHAIR-ERGO") == (Decimal(38), Decimal(0))
    assert events_of(number)[-1] == (
        "closed",
        f"closed: {REASON}; 4 × DESK-OAK, 2 × CHAIR-ERGO, 2 × INSTALL will not be shipped "
        "or invoiced; still to invoice 2 × CHAIR-ERGO; still to ship 2 × DESK-OAK",
    )
    ledger_ok()

    # what was shipped must still be invoiced, what was invoiced still shipped
    second = invoice(number)
    assert (second["subtotal"], second["tax"]) == (62500, 11875)  # 2 × 312.50, 19 %
    ship(number)
    state = order_state(number)
    assert counters(state) == [
        ("DESK-OAK", 10, 6, 6, 4),
        ("CHAIR-ERGO", 4, 2, 2, 2),
        ("INSTALL", 3, 1, 0, 2),
    ]
    assert (state["status"], state["billing_status"], state["fulfilment_status"]) == (
        "completed",
        "invoiced",
        "shipped",
    )
    assert stock_of("DESK-OAK") == (Decimal(6), Decimal(0))
    ledger_ok()


def test_close_completes_an_order_with_nothing_else_open(
    make_order, ship, invoice, close, order_state, stock_of, events_of, ledger_ok
):
    number = make_order("ACME", [("DESK-OAK", "5"), ("INSTALL", "2")])
    ship(number, ("DESK-OAK", "3"))
    invoice(number, ("DESK-OAK", "3"), ("INSTALL", "0.5"))
    close(number, "  rest out of production  ")
    state = order_state(number)
    assert (state["status"], state["close_reason"]) == ("completed", "rest out of production")
    assert (state["billing_status"], state["fulfilment_status"]) == ("invoiced", "shipped")
    assert counters(state) == [("DESK-OAK", 5, 3, 3, 2), ("INSTALL", 2, 0.5, 0, 1.5)]
    assert stock_of("DESK-OAK") == (Decimal(9), Decimal(0))
    assert events_of(number)[-2:] == [
        (
            "closed",
            "closed: rest out of production; 2 × DESK-OAK, 1.5 × INSTALL will not be "
            "shipped or invoiced",
        ),
        (
            "completed",
            f"order {number} completed: short-closed, everything not closed is fully "
            "invoiced and shipped",
        ),
    ]
    ledger_ok()


def test_closed_quantities_are_neither_invoiced_nor_shipped(
    make_order, ship, invoice, close, refused
):
    number = make_order("ACME", [("DESK-OAK", "10"), ("CHAIR-ERGO", "4")])
    ship(number, ("DESK-OAK", "4"))
    invoice(number, ("DESK-OAK", "6"), ("CHAIR-ERGO", "1"))
    close(number)

    def invoice_desk(session):
        invoicing.create_invoice(
            session=session, order_number=number, lines=[("DESK-OAK", Decimal(1))]
        )

    refused(
        RuleViolation,
        f"cannot invoice 1 × DESK-OAK on {number}: ordered 10, already invoiced 6, "
        "off the order 4, left 0",
        invoice_desk,
    )

    def ship_chair(session):
        fulfilment.create_shipment(
            session=session, order_number=number, lines=[("CHAIR-ERGO", Decimal(2))]
        )

    refused(
        RuleViolation,
        f"cannot ship 2 × CHAIR-ERGO on {number}: ordered 4, already shipped 0, "
        "off the order 3, left 1",
        ship_chair,
    )


def test_a_closed_rest_is_invoiced_by_rule_10_and_adds_up(
    make_order, ship, invoice, close, exposure, uow, ledger_ok
):
    # 3 × 0.35 = 1.05 net, 19 % = 0.1995 → 0.20 tax: a line whose thirds do not add up
    number = make_order("MUELLER", [("LAMP-LED", "3", "0.35")])
    ship(number, ("LAMP-LED", "2"))
    first = invoice(number, ("LAMP-LED", "1"))
    assert (first["subtotal"], first["tax"]) == (35, 7)  # 0.0665 → 0.07
    close(number)  # 1 shipped and not invoiced stays to invoice; 1 is closed
    # the rest to invoice is priced on its own (0.35 + 0.07), not as what is left of
    # the line (1.25 − 0.42 = 0.83)
    assert exposure("MUELLER") == Decimal("0.84")
    second = invoice(number)
    assert (second["subtotal"], second["tax"]) == (35, 7)
    assert exposure("MUELLER") == Decimal("0.84")  # all of it on the two invoices now
    with uow(write=False) as session:
        line = session.exec(select(OrderLine)).one()
        order = session.exec(select(SalesOrder)).one()
        assert (line.net, line.tax, line.net_invoiced, line.tax_invoiced) == (105, 20, 70, 14)
        assert (line.qty_invoiced, line.qty_shipped, line.qty_closed) == (2000, 2000, 1000)
        assert order.status == "completed"
    ledger_ok()


def test_close_releases_exposure_and_reopen_takes_it_back(
    make_order, invoice, close, reopen, exposure, order_state, stock_of, events_of, ledger_ok
):
    # 10 × 49.95 = 499.50 + 94.91 tax = 594.41; 3 of them: 149.85 + 28.47 = 178.32
    number = make_order("ACME", [("LAMP-LED", "10")])
    invoice(number, ("LAMP-LED", "3"))
    assert exposure("ACME") == Decimal("594.41")
    close(number)
    assert exposure("ACME") == Decimal("178.32")
    assert stock_of("LAMP-LED") == (Decimal(100), Decimal(3))  # 3 invoiced, still to ship

    reopen(number)
    state = order_state(number)
    assert (state["status"], state["close_reason"]) == ("confirmed", None)
    assert counters(state) == [("LAMP-LED", 10, 3, 0, 0)]
    assert exposure("ACME") == Decimal("594.41")
    assert stock_of("LAMP-LED") == (Decimal(100), Decimal(10))
    assert events_of(number)[-1] == (
        "reopened",
        f"reopened: 7 × LAMP-LED back on the order (closed: {REASON})",
    )
    ledger_ok()


def test_reopen_a_completed_order(
    make_order, ship, invoice, close, reopen, order_state, stock_of, events_of, ledger_ok
):
    number = make_order("ACME", [("DESK-OAK", "5")])
    ship(number, ("DESK-OAK", "3"))
    invoice(number, ("DESK-OAK", "3"))
    close(number)
    assert order_state(number)["status"] == "completed"
    reopen(number)
    state = order_state(number)
    assert (state["status"], state["billing_status"], state["fulfilment_status"]) == (
        "confirmed",
        "partially_invoiced",
        "partially_shipped",
    )
    assert stock_of("DESK-OAK") == (Decimal(9), Decimal(2))
    assert events_of(number)[-1] == (
        "reopened",
        f"reopened: 2 × DESK-OAK back on the order (closed: {REASON}); confirmed again",
    )
    ledger_ok()
    # and it can be finished as ever: the last invoice takes what is left of the line
    ship(number)
    invoice(number)
    state = order_state(number)
    assert state["status"] == "completed"
    assert counters(state) == [("DESK-OAK", 5, 5, 5, 0)]
    ledger_ok()


def test_reopening_a_completed_order_backorders_what_stock_cannot_cover(
    make_order, ship, invoice, close, reopen, stock_of, uow, ledger_ok
):
    # DESK-STAND has 5 on hand: 5 of the 7 ship, the other 2 are short-closed and the
    # order completes. Reopened, the 2 are reserved again with no stock left for them.
    number = make_order("ACME", [("DESK-STAND", "7")])
    ship(number, ("DESK-STAND", "5"))
    invoice(number, ("DESK-STAND", "5"))
    close(number)
    reopen(number)
    assert stock_of("DESK-STAND") == (Decimal(0), Decimal(2))
    with uow(write=False) as session:
        line = session.exec(
            select(OrderLine).join(SalesOrder).where(SalesOrder.number == number)
        ).one()
        assert line.qty_backordered == 2000  # thousandths
    ledger_ok()


def test_reopen_keeps_the_credit_limit(
    make_order, ship, invoice, close, reopen, refused, events_of, exposure, ledger_ok
):
    # BRIGHT's limit is 15000.00. 20 × 729.00 = 14580.00 + 2770.20 = 17350.20, confirmed
    # with an override; 5 shipped and invoiced: 3645.00 + 692.55 = 4337.55
    number = make_order("BRIGHT", [("DESK-STAND", "20")])
    ship(number, ("DESK-STAND", "5"))
    invoice(number, ("DESK-STAND", "5"))
    close(number)
    assert exposure("BRIGHT") == Decimal("4337.55")

    refused(
        RuleViolation,
        f"cannot reopen {number}: BRIGHT would owe 17350.20 against a credit limit of "
        "15000.00 (exposure 4337.55 + the reopened rest 13012.65)",
        lambda session: closing.reopen_order(session=session, number=number),
    )
    reopen(number, "paid in advance")
    # the override, the reopening, then the 15 desks no stock is left for
    assert [action for action, _ in events_of(number)[-3:]] == [
        "credit_override",
        "reopened",
        "backorder",
    ]
    assert events_of(number)[-3][1].endswith("; reason: paid in advance")
    assert events_of(number)[-1][1] == "line 1 (DESK-STAND) is backordered 15"
    assert exposure("BRIGHT") == Decimal("17350.20")
    ledger_ok()


def test_close_refusals_change_nothing(make_order, ship, invoice, close, uow, refused):
    draft = make_order("ACME", [("DESK-OAK", "2")], confirm=False)
    untouched = make_order("ACME", [("DESK-OAK", "2")])
    held = make_order("ACME", [("DESK-OAK", "2")])
    cancelled = make_order("ACME", [("DESK-OAK", "2")])
    all_done = make_order("ACME", [("DESK-OAK", "5")])
    done = make_order("ACME", [("DESK-OAK", "1")])
    ship(all_done)
    invoice(all_done, ("DESK-OAK", "3"))
    ship(done)
    invoice(done)
    with uow() as session:
        ordering.hold_order(session=session, number=held, reason="awaiting prepayment")
        ordering.cancel_order(session=session, number=cancelled)

    def closes(number, reason=REASON):
        return lambda session: closing.close_order(session=session, number=number, reason=reason)

    refused(RuleViolation, f"cannot close {draft}: it is a draft; cancel it instead", closes(draft))
    refused(
        RuleViolation,
        f"cannot close {untouched}: nothing on it is invoiced or shipped yet; cancel it instead",
        closes(untouched),
    )
    refused(
        RuleViolation,
        f"cannot close {held}: it is on hold (awaiting prepayment); release it first",
        closes(held),
    )
    refused(RuleViolation, f"cannot close {cancelled}: it is cancelled", closes(cancelled))
    refused(
        RuleViolation,
        f"cannot close {all_done}: nothing is left that is neither invoiced nor shipped "
        "(still to invoice 2 × DESK-OAK)",
        closes(all_done),
    )
    refused(
        RuleViolation, f"cannot close {done}: it is completed: nothing is left open", closes(done)
    )
    refused(InvalidInput, "close reason must not be empty", closes(all_done, "  "))
    refused(InvalidInput, "close reason is required", closes(all_done, None))


def test_reopen_refusals_change_nothing(make_order, ship, invoice, close, uow, refused):
    draft = make_order("ACME", [("DESK-OAK", "2")], confirm=False)
    confirmed = make_order("ACME", [("DESK-OAK", "2")])
    closed_then_held = make_order("ACME", [("DESK-OAK", "2")])
    cancelled = make_order("ACME", [("DESK-OAK", "2")])
    invoice(closed_then_held, ("DESK-OAK", "1"))
    close(closed_then_held)
    with uow() as session:
        ordering.hold_order(session=session, number=closed_then_held, reason="dispute")
        ordering.cancel_order(session=session, number=cancelled)

    def reopens(number):
        return lambda session: closing.reopen_order(session=session, number=number)

    refused(
        RuleViolation, f"cannot reopen {draft}: it is a draft, not short-closed", reopens(draft)
    )
    refused(
        RuleViolation, f"cannot reopen {confirmed}: it was not short-closed", reopens(confirmed)
    )
    refused(RuleViolation, f"cannot reopen {cancelled}: it is cancelled", reopens(cancelled))
    refused(
        RuleViolation,
        f"cannot reopen {closed_then_held}: it is on hold (dispute); release it first",
        reopens(closed_then_held),
    )


# --- order explain and order track ------------------------------------------------


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


def steps(doc: dict) -> dict[str, str]:
    return {step["command"]: step["why"] for step in doc["next"]}


def test_explain_and_track_a_short_closed_order(
    make_order, ship, invoice, close, reopen, story, tracking
):
    number = make_order("ACME", [("DESK-OAK", "5"), ("INSTALL", "2")])
    ship(number, ("DESK-OAK", "3"))
    invoice(number, ("DESK-OAK", "3"))
    close_step = f"ordercli order close {number} --reason REASON"
    assert steps(story(number))[close_step] == (
        "short-close the rest: 2 × DESK-OAK, 2 × INSTALL would be neither shipped nor invoiced"
    )

    close(number)
    doc = story(number)
    assert doc["status"] == "completed"
    assert doc["explanations"]["status"] == (
        f"completed: the rest was short-closed ({REASON}) and every line is fully invoiced "
        "and its goods fully shipped; its services were delivered by invoicing them "
        "(rules 8, 12)"
    )
    assert doc["explanations"]["billing_status"] == (
        "invoiced: every line fully invoiced (3 of 3 DESK-OAK, 0 of 0 INSTALL) (rule 8)"
    )
    desk = doc["lines"][0]
    assert (desk["closed"], desk["reserved"], desk["state"]) == (Decimal(2), Decimal(0), "done")
    assert desk["why"] == (
        "3 of 5 invoiced; 3 of 5 shipped; 2 short-closed: neither to invoice nor to ship"
    )
    assert close_step not in steps(doc)
    assert steps(doc)[f"ordercli order reopen {number}"] == (
        f"reopen it: 2 × DESK-OAK, 2 × INSTALL back to invoice and ship (closed: {REASON})"
    )
    told = tracking(number)
    assert told["status_text"] == "shipped; closed: the rest will not be delivered"
    assert (told["closed"], told["coming"], told["to_deliver"]) == (True, [], [])

    reopen(number)
    doc = story(number)
    assert close_step in steps(doc)
    assert f"ordercli order reopen {number}" not in steps(doc)
    told = tracking(number)
    assert told["status_text"] == "partly shipped; the rest is on its way"
    assert [(item["sku"], item["qty"]) for item in told["coming"]] == [("DESK-OAK", 2)]
    assert [(item["sku"], item["qty"]) for item in told["to_deliver"]] == [("INSTALL", 2)]


def test_explain_names_every_correction(make_order, ship, invoice, story, tracking, uow):
    # 10 × 49.95; 6 invoiced: 299.70 + 56.94 = 356.64
    number = make_order("ACME", [("LAMP-LED", "10")])
    ship(number, ("LAMP-LED", "4"))
    invoice(number, ("LAMP-LED", "6"))
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=Decimal("356.64"),
            invoices=[("INV-00001", None)],
        )
    why = steps(story(number))
    assert why["ordercli payment void PAY-00001 --reason REASON"] == (
        "payment PAY-00001 (on INV-00001) can be voided if it was recorded in error: its "
        "money comes off the invoices again (rule 13)"
    )
    assert why["ordercli invoice cancel INV-00001 --reason REASON"] == (
        "INV-00001 billed in error? cancelling it credits it whole and reopens its "
        "quantities for invoicing (rule 14)"
    )
    assert why["ordercli shipment reverse SH-00001 --reason REASON"] == (
        "if SH-00001 was recorded in error: its goods back to stock, open to ship again"
    )

    with uow() as session:
        credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            lines=[("LAMP-LED", Decimal(2))],
            kind="rebill",
        )
        credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            lines=[("LAMP-LED", Decimal(1))],
            kind="not_delivered",
        )
    doc = story(number)
    why = steps(doc)
    # a credited invoice is corrected by further credit memos, not cancelled whole
    assert "ordercli invoice cancel INV-00001 --reason REASON" not in why
    # 6 invoiced, 2 of them credited as billed in error: 4 stand invoiced, 6 to invoice
    assert why[f"ordercli invoice create {number}"] == (
        "invoice what is not invoiced yet: 6 × LAMP-LED (2 × LAMP-LED credited on CM-00001 "
        "as billed in error)"
    )
    assert doc["lines"][0]["why"] == (
        "4 of 10 invoiced; 4 of 10 shipped; 3 credited; 2 credited as billed in error, open "
        "to invoice again; 1 credited as not to be delivered; 5 reserved for it"
    )
    # 10 − 4 shipped − 1 not to be delivered
    assert [(item["sku"], item["qty"]) for item in tracking(number)["coming"]] == [("LAMP-LED", 5)]


def test_closed_quantities_are_not_picked_or_waiting(make_order, ship, invoice, close, uow):
    number = make_order("ACME", [("DESK-OAK", "10"), ("CHAIR-ERGO", "4")])
    ship(number, ("CHAIR-ERGO", "2"))
    invoice(number, ("DESK-OAK", "6"))
    close(number)  # 4 desks and 2 chairs closed; 6 desks invoiced, still to ship
    with uow(write=False) as session:
        picks = picking.pick_list(session=session)
    assert [(line["sku"], line["qty"]) for line in picks["lines"]] == [("DESK-OAK", 6)]


def test_a_short_closed_order_whose_shipment_was_reversed_can_be_cancelled(
    make_order, ship, close, uow, order_state, stock_of, ledger_ok
):
    """Found by the corrections machine: once its only shipment is reversed, nothing on a
    short-closed order stands invoiced or shipped, so it may be cancelled (rule 7); the
    closed rest stays on record and `check` accepts it."""
    number = make_order("ACME", [("DESK-OAK", "2"), ("INSTALL", "1")])
    shipment = ship(number, ("DESK-OAK", "2"))
    close(number)
    with uow() as session:
        shipment_reversal.reverse_shipment(session=session, number=shipment, reason="scanned twice")
    with uow() as session:
        ordering.cancel_order(session=session, number=number)
    state = order_state(number)
    assert state["status"] == "cancelled"
    assert [line["qty_closed"] for line in state["lines"]] == [Decimal(0), Decimal(1)]
    assert stock_of("DESK-OAK") == (Decimal(12), Decimal(0))
    ledger_ok()
