"""SPEC rule 15: a return (RMA) covers at most what was shipped and not yet returned;
requested → authorized → received → resolved (credit memo or replacement), or rejected."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import Refund, StockMove
from ordercli.services.inventory import catalog, stock
from ordercli.services.sales import fulfilment, invoicing
from ordercli.services.settlement import payments, returns
from ordercli.views import sales as views
from ordercli.views.settlement import credit_memo_view, return_view

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def request(uow, order: str, lines: dict, reason: str = "damaged in transit") -> str:
    with uow() as session:
        rma = returns.request_return(
            session=session,
            order_number=order,
            lines=[(sku, D(qty)) for sku, qty in lines.items()],
            reason=reason,
        )
        return rma.number


def rma_of(uow, number: str = "RMA-00001") -> dict:
    with uow(write=False) as session:
        return return_view(session, returns.get_return(session=session, number=number))


def desk_moves(uow) -> list[tuple[str, int, str]]:
    with uow(write=False) as session:
        desk = catalog.get_product(session=session, sku="DESK-OAK")
        return list(
            session.exec(
                select(StockMove.kind, StockMove.qty, StockMove.reference)
                .where(StockMove.product_id == desk.id)
                .order_by(StockMove.id)
            )
        )


@pytest.fixture
def shipped(invoiced):
    """SO-00001: 2 oak desks and 2 lamps to ACME, shipped and invoiced as INV-00001
    (desk 581.91 each, lamps 59.44 each). Oak desks on hand: 10."""
    number, _ = invoiced("ACME", [("DESK-OAK", "2"), ("LAMP-LED", "2")], ship=True)
    return number


# What can be asked back -----------------------------------------------------------


def test_a_return_covers_at_most_what_was_shipped(make_order, uow, refused):
    number = make_order("ACME", [("DESK-OAK", "3")])
    refused(
        RuleViolation,
        f"cannot return 1 × DESK-OAK on {number}: shipped 0, returned 0, left 0",
        lambda s: returns.request_return(
            session=s, order_number=number, lines=[("DESK-OAK", D(1))], reason="r"
        ),
    )
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number, lines=[("DESK-OAK", D(2))])
    refused(
        RuleViolation,
        f"cannot return 3 × DESK-OAK on {number}: shipped 2, returned 0, left 2",
        lambda s: returns.request_return(
            session=s, order_number=number, lines=[("DESK-OAK", D(3))], reason="r"
        ),
    )
    assert request(uow, number, {"DESK-OAK": "2"}) == "RMA-00001"
    view = rma_of(uow)
    assert (view["status"], view["order"], view["customer"], view["reason"]) == (
        "requested",
        number,
        "ACME",
        "damaged in transit",
    )
    assert [(ln["sku"], ln["qty"]) for ln in view["lines"]] == [("DESK-OAK", D(2))]


def test_open_returns_count_against_what_can_be_asked_back(shipped, uow, refused, ledger_ok):
    request(uow, shipped, {"DESK-OAK": "1"})
    with uow() as session:
        returns.authorize_return(session=session, number="RMA-00001")
    request(uow, shipped, {"DESK-OAK": "1"})
    refused(
        RuleViolation,
        f"cannot return 1 × DESK-OAK on {shipped}: shipped 2, returned 0, on open returns 2, "
        "left 0",
        lambda s: returns.request_return(
            session=s, order_number=shipped, lines=[("DESK-OAK", D(1))], reason="r"
        ),
    )
    # A rejected return no longer holds its quantity; a received one counts as returned.
    with uow() as session:
        returns.reject_return(session=session, number="RMA-00002", reason="not ours")
        returns.receive_return(session=session, number="RMA-00001")
    assert rma_of(uow, "RMA-00002")["status"] == "rejected"
    refused(
        RuleViolation,
        f"cannot return 2 × DESK-OAK on {shipped}: shipped 2, returned 1, left 1",
        lambda s: returns.request_return(
            session=s, order_number=shipped, lines=[("DESK-OAK", D(2))], reason="r"
        ),
    )
    assert request(uow, shipped, {"DESK-OAK": "1"}) == "RMA-00003"
    ledger_ok()


@pytest.mark.parametrize(
    ("lines", "reason", "error", "message"),
    [
        ([("CHAIR-ERGO", D(1))], "r", RuleViolation, "SO-00001 has no line for CHAIR-ERGO"),
        ([], "r", InvalidInput, "a return needs at least one --line SKU=QTY"),
        ([("DESK-OAK", D(1))], "  ", InvalidInput, "reason must not be empty"),
    ],
)
def test_return_requests_that_make_no_sense_are_refused(
    shipped, refused, lines, reason, error, message
):
    refused(
        error,
        message,
        lambda s: returns.request_return(
            session=s, order_number=shipped, lines=lines, reason=reason
        ),
    )


# Every transition ------------------------------------------------------------------

ACTIONS = {
    "authorize": lambda s: returns.authorize_return(session=s, number="RMA-00001"),
    "reject": lambda s: returns.reject_return(session=s, number="RMA-00001"),
    "receive": lambda s: returns.receive_return(session=s, number="RMA-00001"),
    "resolve": lambda s: returns.resolve_return(session=s, number="RMA-00001", credit_memo=True),
}
ALLOWED = {
    "requested": {"authorize": "authorized", "reject": "rejected"},
    "authorized": {"receive": "received", "reject": "rejected"},
    "received": {"resolve": "resolved"},
    "resolved": {},
    "rejected": {},
}
PATH = {
    "requested": [],
    "authorized": ["authorize"],
    "received": ["authorize", "receive"],
    "resolved": ["authorize", "receive", "resolve"],
    "rejected": ["reject"],
}
REFUSALS = {
    ("requested", "receive"): "cannot receive RMA-00001: it is requested, not yet authorized",
    ("requested", "resolve"): (
        "cannot resolve RMA-00001: it is requested; the goods must be received first"
    ),
    ("authorized", "resolve"): (
        "cannot resolve RMA-00001: it is authorized; the goods must be received first"
    ),
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_every_transition_is_allowed_or_refused(shipped, uow, unchanged, ledger_ok, state):
    request(uow, shipped, {"DESK-OAK": "1"})
    for action in PATH[state]:
        with uow() as session:
            ACTIONS[action](session)
    assert rma_of(uow)["status"] == state
    for action, perform in ACTIONS.items():
        if action in ALLOWED[state]:
            continue
        with unchanged(), pytest.raises(RuleViolation) as info, uow() as session:
            perform(session)
        expected = REFUSALS.get((state, action), f"cannot {action} RMA-00001: it is {state}")
        assert str(info.value).startswith(expected), (state, action, str(info.value))
    for action, after in ALLOWED[state].items():
        with uow() as session:
            ACTIONS[action](session)
        assert rma_of(uow)["status"] == after
        break  # one allowed move per ledger; the others are reached by other states
    ledger_ok()


def test_a_requested_return_can_be_rejected_at_once(shipped, uow, events_of):
    request(uow, shipped, {"DESK-OAK": "1"})
    with uow() as session:
        returns.reject_return(session=session, number="RMA-00001", reason="past 30 days")
    assert rma_of(uow)["status"] == "rejected"
    assert events_of("RMA-00001") == [
        ("requested", f"return RMA-00001 requested for {shipped}: damaged in transit"),
        ("rejected", "return RMA-00001 rejected: past 30 days"),
    ]


# Receiving ----------------------------------------------------------------------------


def test_receiving_with_restock_puts_the_goods_back(shipped, uow, stock_of, order_state, ledger_ok):
    request(uow, shipped, {"DESK-OAK": "2", "LAMP-LED": "1"})
    with uow() as session:
        returns.authorize_return(session=session, number="RMA-00001")
        returns.receive_return(session=session, number="RMA-00001", restock=True)
    assert stock_of("DESK-OAK") == (D(12), D(0))
    assert desk_moves(uow)[-1] == ("return", 2000, "RMA-00001")
    lines = order_state(shipped)["lines"]
    assert [(ln["qty_shipped"], ln["qty_returned"]) for ln in lines] == [(D(2), D(2)), (D(2), D(1))]
    assert rma_of(uow)["restock"] is True
    ledger_ok()


def test_receiving_without_restock_counts_the_goods_returned(
    shipped, uow, stock_of, order_state, ledger_ok
):
    request(uow, shipped, {"DESK-OAK": "1"})
    moves = desk_moves(uow)
    with uow() as session:
        returns.authorize_return(session=session, number="RMA-00001")
        returns.receive_return(session=session, number="RMA-00001")
    assert stock_of("DESK-OAK") == (D(10), D(0))
    assert desk_moves(uow) == moves
    assert order_state(shipped)["lines"][0]["qty_returned"] == D(1)
    assert rma_of(uow)["restock"] is False
    ledger_ok()


# Resolving by credit memo ---------------------------------------------------------------


def received(uow, order: str, lines: dict) -> str:
    number = request(uow, order, lines)
    with uow() as session:
        returns.authorize_return(session=session, number=number)
        returns.receive_return(session=session, number=number, restock=True)
    return number


def test_resolving_by_credit_memo_credits_the_returned_goods(shipped, uow, ledger_ok, order_state):
    received(uow, shipped, {"DESK-OAK": "1"})
    with uow() as session:
        rma, memos, shipment = returns.resolve_return(
            session=session, number="RMA-00001", credit_memo=True
        )
        memo = credit_memo_view(session, memos[0])
        assert shipment is None and len(memos) == 1
    assert (memo["number"], memo["invoice"], memo["return"]) == (
        "CM-00001",
        "INV-00001",
        "RMA-00001",
    )
    assert [(ln["sku"], ln["qty"], ln["net"], ln["tax"]) for ln in memo["lines"]] == [
        ("DESK-OAK", D(1), D("489.00"), D("92.91"))
    ]
    assert memo["reason"] == "return RMA-00001: damaged in transit"
    view = rma_of(uow)
    assert (view["status"], view["resolution"], view["credit_memos"], view["replacement"]) == (
        "resolved",
        "credit_memo",
        ["CM-00001"],
        None,
    )
    line = order_state(shipped)["lines"][0]
    # The goods came back once: the memo credits them without restocking them again.
    assert (line["qty_credited"], line["qty_returned"]) == (D(1), D(1))
    with uow(write=False) as session:
        invoice = invoicing.get_invoice(session=session, number="INV-00001")
        assert invoice.credited == 58191
    ledger_ok()


def test_a_return_across_two_invoices_gets_a_memo_per_invoice(make_order, uow, ledger_ok):
    number = make_order("ACME", [("DESK-OAK", "3")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number)
        invoicing.create_invoice(session=session, order_number=number, lines=[("DESK-OAK", D(1))])
        invoicing.create_invoice(session=session, order_number=number)
        payments.record_payment(session=session, customer_code="ACME", amount=D("1745.73"))
    received(uow, number, {"DESK-OAK": "3"})
    with uow() as session:
        _, memos, _ = returns.resolve_return(
            session=session, number="RMA-00001", credit_memo=True, settlement="refund"
        )
        got = [(m.number, m.total, m.released, m.settlement) for m in memos]
        invoice_numbers = [credit_memo_view(session, m)["invoice"] for m in memos]
    assert got == [
        ("CM-00001", 58191, 58191, "refund"),
        ("CM-00002", 116382, 116382, "refund"),
    ]
    assert invoice_numbers == ["INV-00001", "INV-00002"]
    with uow(write=False) as session:
        refunds = session.exec(select(Refund.number, Refund.amount).order_by(Refund.id)).all()
    assert refunds == [("RF-00001", 58191), ("RF-00002", 116382)]
    balances = ledger_ok()
    assert balances["cash"] == 0 and balances["receivable"] == 0


def test_a_return_of_goods_not_invoiced_cannot_be_credited(make_order, uow, refused):
    number = make_order("ACME", [("DESK-OAK", "2")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number)
    received(uow, number, {"DESK-OAK": "1"})
    refused(
        RuleViolation,
        "cannot credit return RMA-00001: DESK-OAK was invoiced and not yet credited only 0, "
        "1 returned",
        lambda s: returns.resolve_return(session=s, number="RMA-00001", credit_memo=True),
    )
    assert rma_of(uow)["status"] == "received"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "resolve with either --credit-memo or --replace"),
        ({"credit_memo": True, "replace": True}, "resolve with either --credit-memo or --replace"),
        (
            {"replace": True, "settlement": "refund"},
            "--refund/--store-credit go with --credit-memo, not --replace",
        ),
    ],
)
def test_resolving_needs_one_way(shipped, uow, refused, kwargs, message):
    received(uow, shipped, {"DESK-OAK": "1"})
    refused(
        InvalidInput,
        message,
        lambda s: returns.resolve_return(session=s, number="RMA-00001", **kwargs),
    )


# Resolving by replacement ------------------------------------------------------------------


@pytest.fixture
def no_desk_available(shipped, uow, make_order, stock_of):
    """RMA-00001 for one desk of SO-00001 received (not restocked); SO-00002 reserves the
    10 desks left, so none is available."""
    number = request(uow, shipped, {"DESK-OAK": "1"})
    with uow() as session:
        returns.authorize_return(session=session, number=number)
        returns.receive_return(session=session, number=number)
    make_order("BRIGHT", [("DESK-OAK", "10")])
    assert stock_of("DESK-OAK") == (D(10), D(10))


def test_a_replacement_needs_available_stock(no_desk_available, uow, refused, stock_of):
    refused(
        RuleViolation,
        "cannot replace 1 × DESK-OAK: only 0 available (on hand and not reserved)",
        lambda s: returns.resolve_return(session=s, number="RMA-00001", replace=True),
    )
    with uow() as session:
        stock.receive_stock(session=session, sku="DESK-OAK", qty=D(1))
    assert stock_of("DESK-OAK") == (D(11), D(10))


def test_a_replacement_ships_again_without_counting_twice(
    no_desk_available, shipped, uow, stock_of, order_state, ledger_ok
):
    with uow() as session:
        stock.receive_stock(session=session, sku="DESK-OAK", qty=D(1))
        rma, memos, shipment = returns.resolve_return(
            session=session, number="RMA-00001", replace=True, carrier="DHL", tracking="JD01"
        )
        sent = views.shipment_view(session, shipment)
    assert memos == []
    assert (sent["number"], sent["order"], sent["carrier"], sent["tracking"]) == (
        "SH-00002",
        shipped,
        "DHL",
        "JD01",
    )
    assert [(ln["sku"], ln["qty"]) for ln in sent["lines"]] == [("DESK-OAK", D(1))]
    assert stock_of("DESK-OAK") == (D(10), D(10))
    assert desk_moves(uow)[-1] == ("replace", -1000, "SH-00002")
    view = order_state(shipped)
    line = view["lines"][0]
    assert (line["qty"], line["qty_shipped"], line["qty_returned"]) == (D(2), D(2), D(1))
    assert view["fulfilment_status"] == "shipped"
    assert (rma_of(uow)["resolution"], rma_of(uow)["replacement"]) == ("replacement", "SH-00002")
    # Nothing was credited: the invoice still stands in full.
    with uow(write=False) as session:
        assert invoicing.get_invoice(session=session, number="INV-00001").credited == 0
    # The replacement can itself come back: it was shipped and not yet returned.
    assert request(uow, shipped, {"DESK-OAK": "2"}) == "RMA-00002"
    ledger_ok()
