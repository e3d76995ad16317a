"""Deposits (down payments), SPEC rule 20: a deposit invoice before delivery, what is
paid on it deducted from the order's later invoices, and corrections that keep the
books right (``services/sales/deposits.py``, ``deposit_deductions.py``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from ordercli.books import checks, journal
from ordercli.db.engine import unit_of_work
from ordercli.db.queries import invoice_balance
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import CreditMemoLine, Invoice, InvoiceAdjustment, InvoiceLine
from ordercli.reports import order_story
from ordercli.reports import sales as sales_report
from ordercli.services.sales import closing, deposits, fulfilment, invoicing, ordering
from ordercli.services.settlement import credit_memos, payment_corrections, payments
from ordercli.views import sales as views

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


# --- helpers ---------------------------------------------------------------------------


def deposit(uow, order: str, amount: str, **kw) -> dict:
    with uow() as session:
        invoice = deposits.create_deposit_invoice(
            session=session, order_number=order, deposit=amount, **kw
        )
        return views.invoice_view(session, invoice)


def invoice(uow, order: str, lines: dict | None = None) -> dict:
    with uow() as session:
        issued = invoicing.create_invoice(
            session=session,
            order_number=order,
            lines=None if lines is None else [(sku, D(qty)) for sku, qty in lines.items()],
        )
        return views.invoice_view(session, issued)


def ship(uow, order: str, lines: dict | None = None) -> None:
    with uow() as session:
        fulfilment.create_shipment(
            session=session,
            order_number=order,
            lines=None if lines is None else [(sku, D(qty)) for sku, qty in lines.items()],
        )


def pay(uow, customer: str, amount: str, number: str) -> str:
    with uow() as session:
        return payments.record_payment(
            session=session, customer_code=customer, amount=D(amount), invoices=[(number, None)]
        ).number


def view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.invoice_view(session, invoicing.get_invoice(session=session, number=number))


def order_view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.order_view(session, ordering.get_order(session=session, number=number))


def books(engine) -> dict[str, Decimal]:
    """``ordercli check`` is clean, the trial balance is zero, receivables are the open
    balances (prepaid counted) and the advances hold the deposits' net not yet credited
    or deducted. The balances by role (debit − credit)."""
    with unit_of_work(engine, write=False) as session:
        report = checks.run_checks(session=session)
        trial = journal.trial_balance(session=session)
        open_balance = session.exec(select(invoice_balance())).all()
        advances = session.execute(
            text(
                "SELECT COALESCE(SUM(v.subtotal), 0) "
                "- COALESCE((SELECT SUM(m.subtotal) FROM credit_memo m JOIN invoice d "
                "ON d.id = m.invoice_id WHERE d.kind = 'deposit'), 0) "
                "- COALESCE((SELECT SUM(net) FROM invoice_adjustment "
                "WHERE kind = 'deposit'), 0) FROM invoice v WHERE v.kind = 'deposit'"
            )
        ).scalar_one()
    assert (report["ok"], report["problems"]) == (True, [])
    assert trial["total_debit"] == trial["total_credit"]
    balances = {a["role"]: a["balance"] for a in trial["accounts"]}
    assert sum(balances.values()) == 0
    assert balances["receivable"] == D(sum(open_balance)) / 100
    assert -balances["customer_advances"] == D(int(advances)) / 100
    return balances


@pytest.fixture
def desks(make_order):
    """SO-00001 to ACME: 2 oak desks at 500.00 (19 %): 1000.00 + 190.00 = 1190.00."""
    return make_order("ACME", [("DESK-OAK", "2", "500.00")])


# --- the deposit invoice ---------------------------------------------------------------


def test_a_percentage_deposit_is_an_invoice_of_its_own(desks, uow, engine, order_state):
    doc = deposit(uow, desks, "30%")
    assert (doc["number"], doc["kind"], doc["order"], doc["status"]) == (
        "INV-00001",
        "deposit",
        desks,
        "open",
    )
    assert (doc["subtotal"], doc["tax"], doc["total"]) == (D("300.00"), D("57.00"), D("357.00"))
    (line,) = doc["lines"]
    assert (line["sku"], line["qty"], line["unit"], line["unit_price"], line["tax_rate"]) == (
        "DEPOSIT",
        D(1),
        "C62",
        D("300.00"),
        D(19),
    )
    assert line["description"] == f"Down payment 30 % on {desks}"
    assert [s["amount"] for s in doc["schedule"]] == [D("357.00")]
    with uow(write=False) as session:
        (row,) = session.exec(select(InvoiceLine)).all()
        assert (row.order_line_id, row.product_id, row.qty) == (None, None, 1000)
    # The order's quantities are not invoiced by it.
    state = order_state(desks)
    assert state["billing_status"] == "not_invoiced"
    assert state["lines"][0]["qty_invoiced"] == D(0)
    assert state["deposits"] == [
        {
            "invoice": "INV-00001",
            "amount": D("357.00"),
            "paid": D("0.00"),
            "deducted": D("0.00"),
            "credited": D("0.00"),
            "cancelled": False,
        }
    ]
    balances = books(engine)
    assert balances["customer_advances"] == D("-300.00")
    assert balances["sales_tax"] == D("-57.00")
    assert balances["revenue"] == D(0)


def test_a_deposit_is_spread_over_the_order_tax_rates(make_order, uow, engine):
    order = make_order("ACME", [("DESK-OAK", "2", "500.00"), ("PLANT-FICUS", "1", "100.00")])
    # 1190.00 at 19 % and 107.00 at 7 %: 30 % of 1297.00 is 389.10, in proportion.
    doc = deposit(uow, order, "30 %")
    assert [(ln["tax_rate"], ln["net"], ln["tax"]) for ln in doc["lines"]] == [
        (D(7), D("30.00"), D("2.10")),
        (D(19), D("300.00"), D("57.00")),
    ]
    assert doc["total"] == D("389.10")
    # An amount is spread the same way, largest remainder: the parts add up exactly.
    other = deposit(uow, order, "100.01")
    assert other["total"] == D("100.01")
    assert sum(ln["net"] + ln["tax"] for ln in other["lines"]) == D("100.01")
    assert other["lines"][0]["description"] == f"Down payment on {order}"
    books(engine)


def test_a_deposit_takes_the_order_terms_without_early_discount(desks, uow, engine):
    from ordercli.services.parties import payment_terms

    with uow() as session:
        payment_terms.add_terms(
            session=session, code="SPLIT", days=30, splits=["50@0", "50@30"], discount="2@10"
        )
    doc = deposit(uow, desks, "357.00", terms="SPLIT")
    assert doc["terms"] == "SPLIT"
    assert [s["amount"] for s in doc["schedule"]] == [D("178.50"), D("178.50")]
    assert doc["early_discount_pct"] is None
    books(engine)


@pytest.mark.parametrize(
    ("amount", "kind", "message"),
    [
        (
            "",
            InvalidInput,
            "--deposit is empty: give a percentage of the order's total (30%) or an amount "
            "including tax (300.00)",
        ),
        ("0%", InvalidInput, "--deposit percentage '0%' must be above 0"),
        ("0", InvalidInput, "--deposit amount '0' must be greater than zero"),
        ("-5", InvalidInput, "--deposit amount '-5' must not be negative"),
        ("101%", InvalidInput, "--deposit percentage '101%' must be between 0 and 100"),
        ("abc", InvalidInput, "--deposit amount 'abc' is not a number"),
        ("1.001", InvalidInput, "--deposit amount '1.001' has more than 2 decimal places"),
        ("1e40", InvalidInput, "--deposit amount '1e40' is too large"),
        (
            "1190.01",
            RuleViolation,
            "cannot invoice a deposit of 1190.01 on SO-00001: it has 1190.00 left to invoice; "
            "at most 1190.00",
        ),
    ],
)
def test_bad_deposits_are_refused(desks, refused, amount, kind, message):
    refused(
        kind,
        message,
        lambda s: deposits.create_deposit_invoice(session=s, order_number=desks, deposit=amount),
    )


def test_deposits_stay_within_what_is_left_to_invoice(desks, uow, refused):
    deposit(uow, desks, "50%")
    ship(uow, desks, {"DESK-OAK": "1"})
    invoice(uow, desks, {"DESK-OAK": "1"})  # 595.00, nothing paid: nothing deducted
    refused(
        RuleViolation,
        "cannot invoice a deposit of 0.01 on SO-00001: it has 595.00 left to invoice, and "
        "deposit(s) INV-00001 still stand for 595.00; at most 0.00",
        lambda s: deposits.create_deposit_invoice(session=s, order_number=desks, deposit="0.01"),
    )


def test_a_deposit_needs_a_confirmed_order(make_order, uow, refused):
    draft = make_order("ACME", [("DESK-OAK", "1")], confirm=False)
    refused(
        RuleViolation,
        "cannot invoice a deposit on SO-00001: it is a draft; confirm it first",
        lambda s: deposits.create_deposit_invoice(session=s, order_number=draft, deposit="10%"),
    )
    refused(
        NotFound,
        "no order 'SO-99999'",
        lambda s: deposits.create_deposit_invoice(
            session=s, order_number="SO-99999", deposit="10%"
        ),
    )
    held = make_order("ACME", [("DESK-OAK", "1")])
    with uow() as session:
        ordering.hold_order(session=session, number=held, reason="credit check")
    refused(
        RuleViolation,
        "cannot invoice a deposit on SO-00002: it is on hold (credit check); release it first",
        lambda s: deposits.create_deposit_invoice(session=s, order_number=held, deposit="10%"),
    )


def test_a_deposit_is_dated_like_every_invoice(desks, refused):
    refused(
        InvalidInput,
        "invoice date 2026-03-11 is in the future (today is 2026-03-10)",
        lambda s: deposits.create_deposit_invoice(
            session=s, order_number=desks, deposit="10%", issue_date=date(2026, 3, 11)
        ),
    )
    refused(
        NotFound,
        "no payment terms 'NOPE'",
        lambda s: deposits.create_deposit_invoice(
            session=s, order_number=desks, deposit="10%", terms="NOPE"
        ),
    )


# --- deductions ------------------------------------------------------------------------


def test_done_when_deposit_paid_then_two_partial_invoices(desks, uow, engine, events_of):
    """Order 1000 + tax, 30 % deposit invoiced and paid, shipped and invoiced in two
    parts: the first invoice deducts the deposit, what is due adds up to the order
    total less the deposit."""
    dep = deposit(uow, desks, "30%")
    pay(uow, "ACME", "357.00", dep["number"])
    ship(uow, desks, {"DESK-OAK": "1"})
    first = invoice(uow, desks, {"DESK-OAK": "1"})
    assert (first["total"], first["prepaid"], first["balance"]) == (
        D("595.00"),
        D("357.00"),
        D("238.00"),
    )
    assert first["deposits_deducted"] == [
        {
            "number": "DA-00001",
            "deposit_invoice": dep["number"],
            "date": date(2026, 3, 10),
            "amount": D("357.00"),
            "net": D("300.00"),
            "tax": D("57.00"),
        }
    ]
    assert [s["open"] for s in first["schedule"]] == [D("238.00")]
    assert view(uow, dep["number"])["deducted_on"][0]["invoice"] == first["number"]
    books(engine)
    ship(uow, desks)
    second = invoice(uow, desks)
    assert (second["total"], second["prepaid"], second["balance"]) == (
        D("595.00"),
        D("0.00"),
        D("595.00"),
    )
    assert first["balance"] + second["balance"] == D("1190.00") - D("357.00")
    balances = books(engine)
    assert balances["customer_advances"] == D(0)
    assert balances["revenue"] == D("-1000.00")
    assert balances["sales_tax"] == D("-190.00")
    assert order_view(uow, desks)["status"] == "completed"
    assert [a for a, _ in events_of("DA-00001")] == ["deposit_deducted"]


def test_a_deposit_larger_than_an_invoice_is_deducted_over_several(desks, uow, engine):
    dep = deposit(uow, desks, "80%")  # 952.00
    pay(uow, "ACME", "952.00", dep["number"])
    first = invoice(uow, desks, {"DESK-OAK": "1"})
    assert (first["prepaid"], first["balance"], first["status"]) == (
        D("595.00"),
        D("0.00"),
        "paid",
    )
    second = invoice(uow, desks)
    assert (second["prepaid"], second["balance"]) == (D("357.00"), D("238.00"))
    # The last deduction takes what is left: the deductions add up to the deposit.
    nets = [d["net"] for d in first["deposits_deducted"] + second["deposits_deducted"]]
    taxes = [d["tax"] for d in first["deposits_deducted"] + second["deposits_deducted"]]
    assert (sum(nets), sum(taxes)) == (D("800.00"), D("152.00"))
    assert order_view(uow, desks)["deposits"][0]["deducted"] == D("952.00")
    assert books(engine)["customer_advances"] == D(0)


def test_only_what_was_paid_is_deducted_oldest_deposit_first(desks, uow, engine):
    a = deposit(uow, desks, "100.00")
    b = deposit(uow, desks, "200.00")
    pay(uow, "ACME", "150.00", b["number"])
    pay(uow, "ACME", "40.00", a["number"])
    first = invoice(uow, desks, {"DESK-OAK": "1"})
    assert [(d["deposit_invoice"], d["amount"]) for d in first["deposits_deducted"]] == [
        (a["number"], D("40.00")),
        (b["number"], D("150.00")),
    ]
    pay(uow, "ACME", "60.00", a["number"])  # the rest of A, later: the next invoice takes it
    second = invoice(uow, desks)
    assert [(d["deposit_invoice"], d["amount"]) for d in second["deposits_deducted"]] == [
        (a["number"], D("60.00")),
    ]
    assert view(uow, b["number"])["balance"] == D("50.00")  # unpaid: never deducted
    books(engine)


def test_an_unpaid_deposit_is_not_deducted_and_is_cancelled(desks, uow, engine):
    dep = deposit(uow, desks, "30%")
    whole = invoice(uow, desks)
    assert (whole["prepaid"], whole["deposits_deducted"]) == (D("0.00"), [])
    with uow() as session:
        memo = credit_memos.cancel_invoice(
            session=session, invoice_number=dep["number"], reason="paid with the invoice"
        )
        assert (memo.total, memo.applied, memo.released) == (35700, 35700, 0)
    assert view(uow, dep["number"])["status"] == "cancelled"
    assert books(engine)["customer_advances"] == D(0)


def test_invoice_all_reads_the_deposits_of_a_batch_in_one_query(make_order, uow, engine):
    orders = [make_order("ACME", [("LAMP-LED", "2")]) for _ in range(3)]
    for order in orders:
        dep = deposit(uow, order, "10%")
        pay(uow, "ACME", str(dep["total"]), dep["number"])
    statements = []

    def seen(conn, cursor, statement, *args):
        if "invoice_adjustment" in statement and "deposit_invoice_id" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with uow() as session:
            issued = invoicing.invoice_all(session=session)
            assert [i.prepaid for i in issued] == [1189, 1189, 1189]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1
    books(engine)


# --- corrections -----------------------------------------------------------------------


def test_cancelling_a_paid_deposit_gives_the_money_back_as_credit(desks, uow, engine):
    dep = deposit(uow, desks, "30%")
    pay(uow, "ACME", "357.00", dep["number"])
    with uow() as session:
        memo = credit_memos.cancel_invoice(
            session=session, invoice_number=dep["number"], reason="order changed"
        )
        assert (memo.applied, memo.released, memo.credit_left) == (0, 35700, 35700)
        (line,) = session.exec(select(CreditMemoLine)).all()
        assert (line.order_line_id, line.effect, line.qty) == (None, "none", 1000)
    balances = books(engine)
    assert balances["customer_advances"] == D(0)
    assert balances["customer_credit"] == D("-357.00")
    assert balances["refunds"] == D(0)
    # Nothing is left for the next invoice to deduct.
    assert invoice(uow, desks)["prepaid"] == D("0.00")
    books(engine)


def test_a_deposit_partly_deducted_credits_only_the_rest(desks, uow, engine, refused):
    dep = deposit(uow, desks, "80%")  # 952.00, 800.00 + 152.00
    pay(uow, "ACME", "952.00", dep["number"])
    ship(uow, desks, {"DESK-OAK": "1"})
    invoice(uow, desks, {"DESK-OAK": "1"})  # deducts 595.00
    number = dep["number"]
    refused(
        RuleViolation,
        f"cannot cancel {number}: 595.00 of it was deducted from INV-00002 already",
        lambda s: credit_memos.cancel_invoice(session=s, invoice_number=number, reason="x"),
    )
    refused(
        RuleViolation,
        f"cannot credit 357.01 on {number}: 595.00 of it was deducted from INV-00002 already; "
        "at most 357.00 can be credited",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=number, amount=D("357.01")
        ),
    )
    refused(
        InvalidInput,
        f"{number} is a deposit invoice: it is credited by --amount or whole, not by --line, "
        "--kind, --restock or a rebate",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=number, lines=[("DESK-OAK", D(1))]
        ),
    )
    refused(
        InvalidInput,
        "credit amount -1 must be greater than zero",
        lambda s: credit_memos.create_credit_memo(session=s, invoice_number=number, amount=D("-1")),
    )
    # The order is short-closed: the rest of the deposit goes back as store credit.
    with uow() as session:
        closing.close_order(session=session, number=desks, reason="customer cancelled the rest")
    with uow() as session:
        part = credit_memos.create_credit_memo(
            session=session, invoice_number=number, amount=D("100.00")
        )
        rest = credit_memos.create_credit_memo(session=session, invoice_number=number)
        assert (part.total, rest.total) == (10000, 25700)
        assert part.released + rest.released == 35700
    refused(
        RuleViolation,
        f"nothing left to credit on {number}: 595.00 of it was deducted from INV-00002 already",
        lambda s: credit_memos.create_credit_memo(session=s, invoice_number=number),
    )
    balances = books(engine)
    assert balances["customer_advances"] == D(0)  # its net and tax used up to the cent
    assert balances["customer_credit"] == D("-357.00")


def test_crediting_an_invoice_gives_back_its_deducted_deposit(desks, uow, engine):
    dep = deposit(uow, desks, "30%")
    pay(uow, "ACME", "357.00", dep["number"])
    whole = invoice(uow, desks)  # 1190.00, prepaid 357.00
    pay(uow, "ACME", "800.00", whole["number"])  # 33.00 still open
    with uow() as session:
        memo = credit_memos.cancel_invoice(
            session=session, invoice_number=whole["number"], reason="wrong prices"
        )
        # 33.00 off the balance, 800.00 paid back, then the 357.00 of the deposit.
        assert (memo.applied, memo.released) == (3300, 115700)
    after = view(uow, whole["number"])
    assert (after["paid"], after["prepaid"], after["balance"]) == (D("0.00"), D("0.00"), D(0))
    balances = books(engine)
    assert balances["customer_credit"] == D("-1157.00")
    assert balances["customer_advances"] == D(0)


def test_a_partial_credit_takes_paid_money_first_then_the_deposit(desks, uow, engine):
    dep = deposit(uow, desks, "30%")
    pay(uow, "ACME", "357.00", dep["number"])
    whole = invoice(uow, desks)
    pay(uow, "ACME", "833.00", whole["number"])  # paid in full
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number=whole["number"], amount=D("900.00")
        )
    after = view(uow, whole["number"])
    assert (after["paid"], after["prepaid"]) == (D("0.00"), D("290.00"))
    books(engine)


def test_a_payment_deducted_as_a_deposit_cannot_be_voided(desks, uow, engine, refused):
    dep = deposit(uow, desks, "30%")
    payment = pay(uow, "ACME", "357.00", dep["number"])
    invoice(uow, desks, {"DESK-OAK": "1"})
    refused(
        RuleViolation,
        f"cannot take 357.00 off {dep['number']}: 357.00 paid on it was deducted as a down "
        "payment from INV-00002",
        lambda s: payment_corrections.void_payment(session=s, number=payment, reason="error"),
    )
    books(engine)


def test_a_payment_on_a_deposit_not_yet_deducted_can_be_voided(desks, uow, engine):
    dep = deposit(uow, desks, "30%")
    payment = pay(uow, "ACME", "357.00", dep["number"])
    with uow() as session:
        payment_corrections.void_payment(session=session, number=payment, reason="bounced")
    assert invoice(uow, desks)["prepaid"] == D("0.00")
    books(engine)


def test_an_order_with_a_deposit_is_cancelled_after_the_deposit(desks, uow, refused):
    dep = deposit(uow, desks, "30%")
    error = refused(
        RuleViolation,
        f"cannot cancel {desks}: deposit invoice {dep['number']} is not cancelled",
        lambda s: ordering.cancel_order(session=s, number=desks),
    )
    assert error.hint == f"`ordercli invoice cancel {dep['number']} --reason …` cancels it first"
    with uow(write=False) as session:
        steps = order_story.explain_order(session=session, number=desks)["next"]
    assert any(step["command"].startswith("ordercli invoice cancel") for step in steps)
    with uow() as session:
        credit_memos.cancel_invoice(session=session, invoice_number=dep["number"], reason="off")
    with uow() as session:
        ordering.cancel_order(session=session, number=desks)
    assert order_view(uow, desks)["status"] == "cancelled"


def test_a_deposit_is_no_sale(desks, uow):
    dep = deposit(uow, desks, "30%")
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number=dep["number"], amount=D("10.00")
        )
    with uow(write=False) as session:
        report = sales_report.sales_report(session=session)
    assert report["totals"]["total"] == D(0)


# --- check finds what is wrong ---------------------------------------------------------


def problems(engine) -> list[str]:
    with unit_of_work(engine, write=False) as session:
        return [
            p["check"] for p in checks.run_checks(session=session)["problems"] if p["rule"] == "20"
        ]


def test_check_names_a_deduction_above_what_was_paid(desks, uow, engine):
    dep = deposit(uow, desks, "30%")
    pay(uow, "ACME", "357.00", dep["number"])
    invoice(uow, desks)
    with engine.begin() as connection:
        connection.execute(text("UPDATE invoice SET paid = 100 WHERE kind = 'deposit'"))
    assert (
        "a deposit's deductions never exceed what was paid on it, nor with its credits its total"
        in problems(engine)
    )


def test_check_names_advances_that_do_not_match(desks, uow, engine):
    deposit(uow, desks, "30%")
    with engine.begin() as connection:
        connection.execute(text("UPDATE invoice_line SET order_line_id = 1"))
        connection.execute(
            text(
                "UPDATE journal_line SET invoice_id = NULL WHERE account_id = "
                "(SELECT id FROM account WHERE role = 'customer_advances')"
            )
        )
    found = problems(engine)
    assert "customer advances equal each deposit's net less what was credited and deducted" in (
        found
    )
    assert (
        "a deposit invoice's lines have no order line, a standard invoice's lines have one" in found
    )


def test_adjustments_and_advances_name_their_invoices(desks, uow):
    dep = deposit(uow, desks, "30%")
    pay(uow, "ACME", "357.00", dep["number"])
    invoice(uow, desks)
    with uow(write=False) as session:
        (row,) = session.exec(select(InvoiceAdjustment)).all()
        assert (row.kind, row.amount, row.net, row.tax, row.reason) == (
            "deposit",
            35700,
            30000,
            5700,
            f"down payment {dep['number']}",
        )
        kinds = dict(session.exec(select(Invoice.number, Invoice.kind)).all())
        assert kinds == {dep["number"]: "deposit", "INV-00002": "standard"}
        deposit_id = session.exec(select(Invoice.id).where(Invoice.kind == "deposit")).one()
        # Every advance posting (issued, then deducted) names the deposit invoice.
        advances = session.execute(
            text(
                "SELECT l.invoice_id, l.debit, l.credit FROM journal_line l JOIN account a "
                "ON a.id = l.account_id WHERE a.role = 'customer_advances' ORDER BY l.id"
            )
        ).all()
        assert [tuple(r) for r in advances] == [(deposit_id, 0, 30000), (deposit_id, 30000, 0)]
