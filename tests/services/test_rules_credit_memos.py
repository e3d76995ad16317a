"""SPEC rule 14: credit memos credit at most what was invoiced and not yet credited,
per line and in total; a fully credited invoice nets to exactly zero; settlement as
refund or store credit; ``--restock`` takes back at most what was shipped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import Refund, StockMove
from ordercli.services.inventory import catalog
from ordercli.services.sales import fulfilment, invoicing
from ordercli.services.settlement import credit_memos, payments
from ordercli.views import sales as views
from ordercli.views.settlement import credit_memo_view, refund_view

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def credit(uow, invoice: str, lines: dict | None = None, **kw) -> dict:
    """``credit(uow, "INV-00001", {"DESK-OAK": "1"}, settlement="refund")`` → the memo's view."""
    requests = [(sku, D(qty)) for sku, qty in lines.items()] if lines else None
    with uow() as session:
        memo = credit_memos.create_credit_memo(
            session=session, invoice_number=invoice, lines=requests, **kw
        )
        return credit_memo_view(session, memo)


def invoice_of(uow, number: str = "INV-00001") -> dict:
    with uow(write=False) as session:
        return views.invoice_view(session, invoicing.get_invoice(session=session, number=number))


def amounts(view: dict) -> list[tuple]:
    """A memo's (or invoice's) lines as (sku, qty, net, tax)."""
    return [(ln["sku"], ln["qty"], ln["net"], ln["tax"]) for ln in view["lines"]]


def pay(uow, customer: str, amount: str, invoice: str) -> None:
    with uow() as session:
        payments.record_payment(
            session=session, customer_code=customer, amount=D(amount), invoices=[(invoice, None)]
        )


@pytest.fixture
def item(seeded, uow):
    """``item(price, tax)``: a catalog item ``ITEM`` at that price and tax rate."""

    def make(price: str, tax: str) -> str:
        with uow() as session:
            catalog.add_product(
                session=session, sku="ITEM", name="Item", price=D(price), tax_rate=D(tax)
            )
        return "ITEM"

    return make


@pytest.fixture
def desk_and_lamps(invoiced):
    """INV-00001 to ACME: 3 oak desks at 12.5 % off (1283.63 + 243.89) and 2 lamps
    (99.90 + 18.98), total 1646.40."""
    invoiced("ACME", [("DESK-OAK", "3", None, "12.5"), ("LAMP-LED", "2")])


# Whole lines, partial lines, and the last credit taking the remainder -----------


def test_crediting_a_whole_line_copies_its_amounts(desk_and_lamps, uow, ledger_ok):
    billed = invoice_of(uow)
    assert amounts(billed) == [
        ("DESK-OAK", D(3), D("1283.63"), D("243.89")),
        ("LAMP-LED", D(2), D("99.90"), D("18.98")),
    ]
    memo = credit(uow, "INV-00001", {"DESK-OAK": "3"})
    assert memo["number"] == "CM-00001"
    assert amounts(memo) == [("DESK-OAK", D(3), D("1283.63"), D("243.89"))]
    assert (memo["subtotal"], memo["tax"], memo["total"]) == (
        D("1283.63"),
        D("243.89"),
        D("1527.52"),
    )
    after = invoice_of(uow)
    assert (after["credited"], after["balance"]) == (D("1527.52"), D("118.88"))
    assert [
        (ln["qty_credited"], ln["net_credited"], ln["tax_credited"]) for ln in after["lines"]
    ] == [
        (D(3), D("1283.63"), D("243.89")),
        (D(0), D(0), D(0)),
    ]
    ledger_ok()


def test_crediting_a_partly_invoiced_line_copies_the_invoice_line(make_order, uow, ledger_ok):
    number = make_order("ACME", [("DESK-OAK", "3", None, "12.5")])
    with uow() as session:
        first = invoicing.create_invoice(
            session=session, order_number=number, lines=[("DESK-OAK", D(1))]
        )
        invoicing.create_invoice(session=session, order_number=number)
        assert first.number == "INV-00001"
    # 1 × 427.875 → 427.88, tax 81.30; the second invoice took the rest of the line.
    assert amounts(invoice_of(uow, "INV-00002")) == [("DESK-OAK", D(2), D("855.75"), D("162.59"))]
    memo = credit(uow, "INV-00002", {"DESK-OAK": "2"})
    assert amounts(memo) == [("DESK-OAK", D(2), D("855.75"), D("162.59"))]
    assert invoice_of(uow, "INV-00002")["balance"] == D(0)
    assert invoice_of(uow, "INV-00001")["credited"] == D(0)
    ledger_ok()


@pytest.mark.parametrize(
    ("price", "discount", "tax", "line", "credits"),
    [
        # 3 × 0.10 at 19 %: each unit 0.10 + 0.019 → 0.02, and they add up.
        ("0.10", None, "19", ("0.30", "0.06"), [("0.10", "0.02")] * 3),
        # 3 × 0.10 at 15 %: tax 0.045 → 0.05, each unit's 0.015 → 0.02; the last takes 0.01.
        ("0.10", None, "15", ("0.30", "0.05"), [("0.10", "0.02")] * 2 + [("0.10", "0.01")]),
        # 3 × 0.99 − 12.5 %: 2.59875 → 2.60, tax 0.49; a unit 0.86625 → 0.87, tax 0.17.
        (
            "0.99",
            "12.5",
            "19",
            ("2.60", "0.49"),
            [("0.87", "0.17")] * 2 + [("0.86", "0.15")],
        ),
    ],
)
def test_credited_one_by_one_an_invoice_nets_to_exactly_zero(
    item, invoiced, uow, ledger_ok, price, discount, tax, line, credits
):
    sku = item(price, tax)
    invoiced("MUELLER", [(sku, "3", None, discount)])
    billed = invoice_of(uow)
    assert (billed["subtotal"], billed["tax"]) == (D(line[0]), D(line[1]))
    got = []
    for _ in range(3):
        memo = credit(uow, "INV-00001", {sku: "1"})
        got.append((memo["subtotal"], memo["tax"]))
        after = invoice_of(uow)["lines"][0]
        # Never above the invoiced line, at every step.
        assert after["net_credited"] <= after["net"] and after["tax_credited"] <= after["tax"]
    assert got == [(D(n), D(t)) for n, t in credits]
    after = invoice_of(uow)
    assert (after["credited"], after["balance"], after["paid"]) == (billed["total"], D(0), D(0))
    line_after = after["lines"][0]
    assert (line_after["qty_credited"], line_after["net_credited"], line_after["tax_credited"]) == (
        D(3),
        D(line[0]),
        D(line[1]),
    )
    balances = ledger_ok()
    # Revenue and tax charged and credited cancel out to the cent.
    assert balances["revenue"] + balances["refunds"] == 0
    assert balances["sales_tax"] == 0 and balances["receivable"] == 0


def test_two_then_everything_left_nets_to_zero(item, invoiced, uow, ledger_ok):
    sku = item("0.99", "19")
    invoiced("MUELLER", [(sku, "3", None, "12.5")])
    first = credit(uow, "INV-00001", {sku: "2"})
    assert (first["subtotal"], first["tax"]) == (D("1.73"), D("0.33"))  # 1.7325, 0.3287
    rest = credit(uow, "INV-00001")
    assert amounts(rest) == [(sku, D(1), D("0.87"), D("0.16"))]
    assert invoice_of(uow)["balance"] == D(0)
    ledger_ok()


def test_crediting_more_than_is_left_on_a_line_is_refused(item, invoiced, uow, refused):
    sku = item("0.10", "15")
    invoiced("MUELLER", [(sku, "3")])
    credit(uow, "INV-00001", {sku: "2"})
    refused(
        RuleViolation,
        f"cannot credit 2 × {sku} on INV-00001: invoiced 3, already credited 2, left 1",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[(sku, D(2))]
        ),
    )
    credit(uow, "INV-00001", {sku: "1"})
    refused(
        RuleViolation,
        "nothing left to credit on INV-00001: it is fully credited",
        lambda s: credit_memos.create_credit_memo(session=s, invoice_number="INV-00001"),
    )
    refused(
        RuleViolation,
        f"cannot credit 0.5 × {sku} on INV-00001: invoiced 3, already credited 3, left 0",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[(sku, D("0.5"))]
        ),
    )


def test_a_line_the_invoice_does_not_hold_is_refused(desk_and_lamps, refused):
    refused(
        RuleViolation,
        "invoice INV-00001 has no line for CHAIR-ERGO",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[("CHAIR-ERGO", D(1))]
        ),
    )
    refused(
        NotFound,
        "no product 'NOPE'",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[("NOPE", D(1))]
        ),
    )
    refused(
        NotFound,
        "no invoice 'INV-00009'",
        lambda s: credit_memos.create_credit_memo(session=s, invoice_number="INV-00009"),
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"lines": [("DESK-OAK", D(1))], "amount": D(10)},
            "credit either --line quantities or an --amount, not both",
        ),
        (
            {"amount": D(10), "restock": True},
            "--restock needs --line quantities: an --amount credits no goods",
        ),
        ({"amount": D(0)}, "credit amount 0 must be greater than zero"),
        ({"amount": D("-1")}, "credit amount -1 must be greater than zero"),
        ({"settlement": "cash"}, "settlement 'cash' must be refund or store_credit"),
    ],
)
def test_credit_requests_that_make_no_sense_are_refused(desk_and_lamps, refused, kwargs, message):
    refused(
        InvalidInput,
        message,
        lambda s: credit_memos.create_credit_memo(session=s, invoice_number="INV-00001", **kwargs),
    )


def test_a_credit_memo_dated_before_its_invoice_is_refused(desk_and_lamps, refused):
    refused(
        RuleViolation,
        "credit memo dated 2026-03-09 cannot come before invoice INV-00001, dated 2026-03-10",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", issue_date=date(2026, 3, 9)
        ),
    )


# Credit by amount ----------------------------------------------------------------


@pytest.fixture
def desk_and_two_lamps(invoiced):
    """INV-00001: a desk 489.00 + 92.91 and two lamps 99.90 + 18.98, total 700.79."""
    invoiced("ACME", [("DESK-OAK", "1"), ("LAMP-LED", "2")])


def test_credit_by_amount_is_spread_over_the_lines(desk_and_two_lamps, uow, ledger_ok):
    memo = credit(uow, "INV-00001", amount=D("100.00"))
    # In proportion to what each line has left: 83.04 and 16.96, tax inside at 19 %.
    assert amounts(memo) == [
        ("DESK-OAK", D(0), D("69.78"), D("13.26")),
        ("LAMP-LED", D(0), D("14.25"), D("2.71")),
    ]
    assert (memo["subtotal"], memo["tax"], memo["total"]) == (D("84.03"), D("15.97"), D(100))
    assert invoice_of(uow)["balance"] == D("600.79")
    ledger_ok()
    # What is left, to the cent, takes every line to exactly what it invoiced.
    rest = credit(uow, "INV-00001", amount=D("600.79"))
    assert amounts(rest) == [
        ("DESK-OAK", D(0), D("419.22"), D("79.65")),
        ("LAMP-LED", D(0), D("85.65"), D("16.27")),
    ]
    after = invoice_of(uow)
    assert after["balance"] == D(0) and after["credited"] == D("700.79")
    assert [(ln["net_credited"], ln["tax_credited"]) for ln in after["lines"]] == [
        (D("489.00"), D("92.91")),
        (D("99.90"), D("18.98")),
    ]
    ledger_ok()


def test_credit_by_amount_never_exceeds_what_is_left(desk_and_two_lamps, uow, refused):
    refused(
        RuleViolation,
        "cannot credit 700.80 on INV-00001: only 700.79 is invoiced and not yet credited",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", amount=D("700.80")
        ),
    )
    credit(uow, "INV-00001", {"LAMP-LED": "2"})
    refused(
        RuleViolation,
        "cannot credit 581.92 on INV-00001: only 581.91 is invoiced and not yet credited",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", amount=D("581.92")
        ),
    )
    # All of the rest goes to the desk line alone.
    memo = credit(uow, "INV-00001", amount=D("581.91"))
    assert amounts(memo) == [("DESK-OAK", D(0), D("489.00"), D("92.91"))]


def test_quantities_after_an_amount_still_end_at_zero(desk_and_two_lamps, uow, ledger_ok):
    credit(uow, "INV-00001", amount=D("0.07"))
    credit(uow, "INV-00001", {"LAMP-LED": "1"})
    credit(uow, "INV-00001", {"DESK-OAK": "1", "LAMP-LED": "1"})
    after = invoice_of(uow)
    assert (after["credited"], after["balance"]) == (D("700.79"), D(0))
    for line in after["lines"]:
        assert (line["net_credited"], line["tax_credited"]) == (line["net"], line["tax"])
    ledger_ok()


# Settlement ---------------------------------------------------------------------


def test_a_credit_on_an_unpaid_invoice_lowers_its_balance(desk_and_two_lamps, uow, ledger_ok):
    memo = credit(uow, "INV-00001", {"LAMP-LED": "2"}, settlement="refund")
    assert (memo["applied_to_invoice"], memo["released"], memo["refunds"]) == (
        D("118.88"),
        D(0),
        [],
    )
    view = invoice_of(uow)
    assert (view["paid"], view["credited"], view["balance"]) == (D(0), D("118.88"), D("581.91"))
    with uow(write=False) as session:
        assert session.exec(select(Refund)).all() == []
    ledger_ok()


def test_a_credit_on_a_paid_invoice_becomes_store_credit(desk_and_two_lamps, uow, ledger_ok):
    pay(uow, "ACME", "700.79", "INV-00001")
    memo = credit(uow, "INV-00001", {"LAMP-LED": "2"})
    assert memo["settlement"] == "store_credit"
    assert (memo["applied_to_invoice"], memo["released"], memo["store_credit_left"]) == (
        D(0),
        D("118.88"),
        D("118.88"),
    )
    view = invoice_of(uow)
    # The credit lowers what counts as paid; the balance stays settled.
    assert (view["paid"], view["credited"], view["balance"], view["status"]) == (
        D("581.91"),
        D("118.88"),
        D(0),
        "paid",
    )
    balances = ledger_ok()
    assert balances["customer_credit"] == D("-118.88")
    assert balances["cash"] == D("700.79")


def test_a_credit_on_a_paid_invoice_refunded(desk_and_two_lamps, uow, ledger_ok):
    pay(uow, "ACME", "700.79", "INV-00001")
    memo = credit(uow, "INV-00001", {"LAMP-LED": "2"}, settlement="refund", method="card")
    assert (memo["released"], memo["refunded"], memo["store_credit_left"]) == (
        D("118.88"),
        D("118.88"),
        D(0),
    )
    assert memo["refunds"] == ["RF-00001"]
    with uow(write=False) as session:
        refund = refund_view(session, session.exec(select(Refund)).one())
    assert (refund["number"], refund["amount"], refund["credit_memo"], refund["method"]) == (
        "RF-00001",
        D("118.88"),
        "CM-00001",
        "card",
    )
    assert invoice_of(uow)["paid"] == D("581.91")
    balances = ledger_ok()
    assert balances["customer_credit"] == 0
    assert balances["cash"] == D("700.79") - D("118.88")


def test_a_credit_on_a_partly_paid_invoice_splits(desk_and_two_lamps, uow, ledger_ok):
    pay(uow, "ACME", "500.00", "INV-00001")  # balance 200.79
    memo = credit(uow, "INV-00001", {"DESK-OAK": "1"}, settlement="refund")
    assert (memo["total"], memo["applied_to_invoice"], memo["released"]) == (
        D("581.91"),
        D("200.79"),
        D("381.12"),
    )
    view = invoice_of(uow)
    assert (view["paid"], view["credited"], view["balance"]) == (
        D("118.88"),
        D("581.91"),
        D(0),
    )
    with uow(write=False) as session:
        assert session.exec(select(Refund.number, Refund.amount)).all() == [("RF-00001", 38112)]
    ledger_ok()


def test_store_credit_from_a_memo_pays_another_invoice(
    desk_and_two_lamps, invoiced, uow, ledger_ok
):
    pay(uow, "ACME", "700.79", "INV-00001")
    credit(uow, "INV-00001", {"LAMP-LED": "1"})  # 59.44 of store credit
    invoiced("ACME", [("MAT-CHAIR", "1")])  # INV-00002: 39.00 + 7.41
    with uow() as session:
        payments.apply_credit(session=session, customer_code="ACME", invoice_number="INV-00002")
    assert invoice_of(uow, "INV-00002")["status"] == "paid"
    with uow(write=False) as session:
        memo = credit_memo_view(
            session, credit_memos.get_credit_memo(session=session, number="CM-00001")
        )
    assert memo["store_credit_left"] == D("59.44") - D("46.41")
    assert ledger_ok()["customer_credit"] == -(D("59.44") - D("46.41"))


# --restock -----------------------------------------------------------------------


@pytest.fixture
def two_of_three_shipped(make_order, uow, stock_of):
    """SO-00001: 3 oak desks, 2 shipped (12 → 10 on hand, 1 reserved), all 3 invoiced."""
    number = make_order("ACME", [("DESK-OAK", "3")])
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number, lines=[("DESK-OAK", D(2))])
        invoicing.create_invoice(session=session, order_number=number)
    assert stock_of("DESK-OAK") == (D(10), D(1))
    return number


def test_restock_is_capped_by_what_was_shipped(two_of_three_shipped, uow, refused, stock_of):
    refused(
        RuleViolation,
        "cannot restock 3 × DESK-OAK: only 2 shipped and not yet returned",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[("DESK-OAK", D(3))], restock=True
        ),
    )
    assert stock_of("DESK-OAK") == (D(10), D(1))


def test_restock_takes_the_goods_back(
    two_of_three_shipped, uow, refused, stock_of, order_state, ledger_ok
):
    memo = credit(uow, "INV-00001", {"DESK-OAK": "2"}, restock=True)
    assert memo["restock"] is True
    assert stock_of("DESK-OAK") == (D(12), D(1))
    with uow(write=False) as session:
        desk = catalog.get_product(session=session, sku="DESK-OAK")
        moves = session.exec(
            select(StockMove.kind, StockMove.qty, StockMove.reference)
            .where(StockMove.product_id == desk.id)
            .order_by(StockMove.id)
        ).all()
    assert moves[-1] == ("credit_restock", 2000, "CM-00001")
    line = order_state(two_of_three_shipped)["lines"][0]
    assert (line["qty_shipped"], line["qty_credited"], line["qty_returned"]) == (D(2), D(2), D(2))
    # Nothing shipped is left to take back, but the last desk can still be credited.
    refused(
        RuleViolation,
        "cannot restock 1 × DESK-OAK: only 0 shipped and not yet returned",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[("DESK-OAK", D(1))], restock=True
        ),
    )
    credit(uow, "INV-00001", {"DESK-OAK": "1"})
    assert stock_of("DESK-OAK") == (D(12), D(1))
    assert invoice_of(uow)["balance"] == D(0)
    ledger_ok()


def test_restock_leaves_goods_on_an_open_return_to_the_return(
    two_of_three_shipped, uow, refused, stock_of, ledger_ok
):
    from ordercli.services.settlement import returns

    with uow() as session:
        rma = returns.request_return(
            session=session,
            order_number=two_of_three_shipped,
            lines=[("DESK-OAK", D(2))],
            reason="wrong size",
        )
        returns.authorize_return(session=session, number=rma.number)
    refused(
        RuleViolation,
        "cannot restock 1 × DESK-OAK: only 0 shipped and not yet returned (2 more on open returns)",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00001", lines=[("DESK-OAK", D(1))], restock=True
        ),
    )
    with uow() as session:
        returns.receive_return(session=session, number="RMA-00001", restock=True)
    assert stock_of("DESK-OAK") == (D(12), D(1))
    ledger_ok()


def test_restocking_a_service_moves_no_stock(invoiced, uow, order_state, ledger_ok):
    # a service is never shipped: invoicing it delivered it, and completed the order
    number, _ = invoiced("ACME", [("INSTALL", "2")])
    assert order_state(number)["status"] == "completed"
    memo = credit(uow, "INV-00001", {"INSTALL": "2"}, restock=True)
    assert memo["total"] == D("154.70")
    with uow(write=False) as session:
        install = catalog.get_product(session=session, sku="INSTALL")
        assert session.exec(select(StockMove).where(StockMove.product_id == install.id)).all() == []
    line = order_state(number)["lines"][0]
    # credited in full: nothing of it counts as delivered any more (rule 14)
    assert (line["qty_returned"], line["qty_credited"], line["qty_fulfilled"]) == (D(0), D(2), D(0))
    ledger_ok()
