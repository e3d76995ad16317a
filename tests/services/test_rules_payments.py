"""SPEC rules 11 (statuses from balance and due date), 13 (payments and their
allocations, unapplied credit, refunds) and 16 (exposure after payments and credits)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.books import chronology
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import Allocation, Payment, Refund
from ordercli.services.parties import customers
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import credit_memos, payments
from ordercli.views import parties as parties_views
from ordercli.views import sales as sales_views
from ordercli.views.settlement import payment_view

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def pay(uow, customer: str, amount: str, *invoices: str, **kw) -> dict:
    """``pay(uow, "ACME", "500.00", "INV-00001", "INV-00002=20")`` → the payment's view."""
    specs = payments.parse_invoice_specs(list(invoices), 2)
    with uow() as session:
        payment = payments.record_payment(
            session=session, customer_code=customer, amount=D(amount), invoices=specs, **kw
        )
        return payment_view(session, payment)


def invoice_of(uow, number: str) -> dict:
    with uow(write=False) as session:
        return sales_views.invoice_view(
            session, invoicing.get_invoice(session=session, number=number)
        )


def allocations(view: dict) -> list[tuple[str, Decimal]]:
    return [(a["invoice"], a["amount"]) for a in view["allocations"]]


def build_three_invoices(engine) -> None:
    """ACME (30 days) owes three invoices whose due dates run opposite to their numbers
    for the first two; BRIGHT owes one of its own.

    Numbers and dates run apart as in a ledger written before rule 4a held invoice
    numbers to date order (``latest_in_series`` is blinded while it is built): money
    must still settle the oldest due date first there."""
    with pytest.MonkeyPatch.context() as patch, unit_of_work(engine) as session:
        patch.setattr(chronology, "latest_in_series", lambda session, series: None)
        for customer, sku, qty, issued in [
            ("ACME", "DESK-OAK", "1", date(2026, 3, 5)),  # INV-00001 581.91, due 04-04
            ("ACME", "CHAIR-ERGO", "1", date(2026, 2, 1)),  # INV-00002 371.88, due 03-03
            ("ACME", "LAMP-LED", "2", date(2026, 2, 20)),  # INV-00003 118.88, due 03-22
            ("BRIGHT", "LAMP-LED", "1", date(2026, 1, 1)),  # INV-00004 59.44
        ]:
            order = ordering.new_order(session=session, customer_code=customer, order_date=issued)
            ordering.add_order_line(session=session, number=order.number, sku=sku, qty=D(qty))
            ordering.confirm_order(session=session, number=order.number)
            invoicing.create_invoice(session=session, order_number=order.number, issue_date=issued)


@pytest.fixture
def engine(ledger_from, ledger_templates, scenario_template, request):
    """A test using ``three_invoices`` starts from that scenario, made once; others as usual."""
    if "three_invoices" in request.fixturenames:
        source = scenario_template("three_invoices", build_three_invoices)
    else:
        source = ledger_templates["seeded" if "seeded" in request.fixturenames else "empty"]
    return ledger_from(source)


@pytest.fixture
def three_invoices(engine, uow):
    """INV-00001…INV-00003 of ACME, INV-00004 of BRIGHT (see ``build_three_invoices``)."""
    with uow(write=False) as session:
        invoices = invoicing.list_invoices(session=session, limit=None)
        found = [(inv.number, inv.issue_date, inv.due_date, inv.total) for inv in invoices]
    assert sorted(found) == [
        ("INV-00001", date(2026, 3, 5), date(2026, 4, 4), 58191),
        ("INV-00002", date(2026, 2, 1), date(2026, 3, 3), 37188),
        ("INV-00003", date(2026, 2, 20), date(2026, 3, 22), 11888),
        ("INV-00004", date(2026, 1, 1), date(2026, 1, 15), 5944),
    ]


# Rule 13: allocations --------------------------------------------------------


def test_without_invoices_the_oldest_due_date_is_paid_first(three_invoices, uow, ledger_ok):
    view = pay(uow, "ACME", "500.00")
    assert view["number"] == "PAY-00001"
    assert allocations(view) == [
        ("INV-00002", D("371.88")),
        ("INV-00003", D("118.88")),
        ("INV-00001", D("9.24")),
    ]
    assert view["unapplied"] == D("0.00")
    desk, chair, lamps = (invoice_of(uow, n) for n in ("INV-00001", "INV-00002", "INV-00003"))
    assert (chair["paid"], chair["balance"], chair["status"]) == (D("371.88"), D(0), "paid")
    assert (lamps["paid"], lamps["balance"], lamps["status"]) == (D("118.88"), D(0), "paid")
    assert (desk["paid"], desk["balance"], desk["status"]) == (
        D("9.24"),
        D("572.67"),
        "partially_paid",
    )
    # Another customer's invoice is never touched.
    assert invoice_of(uow, "INV-00004")["paid"] == D(0)
    balances = ledger_ok()
    assert balances["receivable"] == D("572.67") + D("59.44")
    assert balances["cash"] == D("500.00")


def test_a_small_payment_goes_to_the_oldest_invoice_only(three_invoices, uow, ledger_ok):
    view = pay(uow, "ACME", "100.00")
    assert allocations(view) == [("INV-00002", D("100.00"))]
    chair = invoice_of(uow, "INV-00002")
    # Due 2026-03-03, today is 03-10: partly paid and late is overdue.
    assert (chair["paid"], chair["balance"], chair["status"]) == (
        D("100.00"),
        D("271.88"),
        "overdue",
    )
    ledger_ok()


def test_overpayment_is_kept_as_unapplied_credit(three_invoices, uow, ledger_ok):
    view = pay(uow, "ACME", "2000.00", reference="TRX-1")
    assert [inv for inv, _ in allocations(view)] == ["INV-00002", "INV-00003", "INV-00001"]
    assert sum(amount for _, amount in allocations(view)) == D("1072.67")
    assert view["unapplied"] == D("927.33")
    for number in ("INV-00001", "INV-00002", "INV-00003"):
        assert invoice_of(uow, number)["balance"] == D(0)
    balances = ledger_ok()
    assert balances["customer_credit"] == D("-927.33")
    assert balances["cash"] == D("2000.00")
    with uow(write=False) as session:
        acme = parties_views.customer_view(
            session, customers.get_customer(session=session, code="ACME")
        )
    assert (acme["open_invoices"], acme["unapplied_credit"], acme["balance"]) == (
        D(0),
        D("927.33"),
        D("-927.33"),
    )


def test_named_invoices_with_amounts_are_paid_exactly_that(three_invoices, uow, ledger_ok):
    view = pay(uow, "ACME", "300.00", "INV-00001=100.00", "inv-00003")
    assert allocations(view) == [("INV-00001", D("100.00")), ("INV-00003", D("118.88"))]
    assert view["unapplied"] == D("81.12")
    assert invoice_of(uow, "INV-00001")["balance"] == D("481.91")
    assert invoice_of(uow, "INV-00002")["paid"] == D(0)  # older, but not named
    ledger_ok()


def test_a_named_invoice_takes_what_the_payment_has(three_invoices, uow, ledger_ok):
    view = pay(uow, "ACME", "50.00", "INV-00001")
    assert allocations(view) == [("INV-00001", D("50.00"))]
    assert view["unapplied"] == D("0.00")
    ledger_ok()


def test_an_allocation_of_exactly_the_balance_is_accepted(three_invoices, uow, ledger_ok):
    view = pay(uow, "ACME", "371.88", "INV-00002=371.88")
    assert allocations(view) == [("INV-00002", D("371.88"))]
    assert invoice_of(uow, "INV-00002")["status"] == "paid"
    ledger_ok()


def test_a_payment_dated_before_an_invoice_does_not_settle_it(three_invoices, uow, ledger_ok):
    # INV-00001 was issued 2026-03-05: money received on 03-01 passes it by.
    view = pay(uow, "ACME", "600.00", received_on=date(2026, 3, 1))
    assert allocations(view) == [("INV-00002", D("371.88")), ("INV-00003", D("118.88"))]
    assert view["unapplied"] == D("109.24")
    assert invoice_of(uow, "INV-00001")["paid"] == D(0)
    ledger_ok()


def test_a_payment_dated_before_a_named_invoice_is_refused(three_invoices, refused):
    refused(
        RuleViolation,
        "a payment dated 2026-03-01 cannot settle INV-00001, issued 2026-03-05",
        lambda s: payments.record_payment(
            session=s,
            customer_code="ACME",
            amount=D(10),
            invoices=[("INV-00001", None)],
            received_on=date(2026, 3, 1),
        ),
    )


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_payment_must_be_positive(three_invoices, refused, amount):
    refused(
        InvalidInput,
        f"payment amount {amount} must be greater than zero",
        lambda s: payments.record_payment(session=s, customer_code="ACME", amount=D(amount)),
    )


def test_an_allocation_above_the_balance_is_refused(three_invoices, refused):
    refused(
        RuleViolation,
        "cannot allocate 371.89 to INV-00002: its balance is 371.88",
        lambda s: payments.record_payment(
            session=s,
            customer_code="ACME",
            amount=D(1000),
            invoices=[("INV-00002", D("371.89"))],
        ),
    )


def test_an_allocation_above_a_partly_paid_balance_is_refused(three_invoices, uow, refused):
    pay(uow, "ACME", "300.00", "INV-00002")
    refused(
        RuleViolation,
        "cannot allocate 100.00 to INV-00002: its balance is 71.88",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(100), invoices=[("INV-00002", D("100.00"))]
        ),
    )


def test_another_customers_invoice_is_refused(three_invoices, refused):
    refused(
        RuleViolation,
        "invoice INV-00004 belongs to another customer, not ACME",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(10), invoices=[("INV-00004", None)]
        ),
    )


def test_a_paid_invoice_takes_no_more(three_invoices, uow, refused):
    pay(uow, "ACME", "118.88", "INV-00003")
    refused(
        RuleViolation,
        "invoice INV-00003 has nothing left to pay",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(10), invoices=[("INV-00003", None)]
        ),
    )


def test_a_fully_credited_invoice_takes_no_payment(three_invoices, uow, refused):
    with uow() as session:
        credit_memos.create_credit_memo(session=session, invoice_number="INV-00003")
    assert invoice_of(uow, "INV-00003")["balance"] == D(0)
    refused(
        RuleViolation,
        "invoice INV-00003 has nothing left to pay",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(10), invoices=[("INV-00003", None)]
        ),
    )


def test_a_payment_that_cannot_reach_a_named_invoice_is_refused(three_invoices, refused):
    refused(
        RuleViolation,
        "payment of 100 does not reach INV-00003: the invoices named before it take all of it",
        lambda s: payments.record_payment(
            session=s,
            customer_code="ACME",
            amount=D(100),
            invoices=[("INV-00002", None), ("INV-00003", None)],
        ),
    )


def test_named_amounts_beyond_the_payment_are_refused(three_invoices, refused):
    """Regression: INV-00003=50 used to be cut down silently to the 20 that was left."""
    refused(
        RuleViolation,
        "cannot allocate 50 to INV-00003: only 20.00 of the payment of 100 is left",
        lambda s: payments.record_payment(
            session=s,
            customer_code="ACME",
            amount=D(100),
            invoices=[("INV-00002", D(80)), ("INV-00003", D(50))],
        ),
    )


def test_the_same_reference_is_not_recorded_twice(three_invoices, uow, refused):
    pay(uow, "ACME", "10.00", reference="TRX-881")
    refused(
        RuleViolation,
        "ACME already has payment PAY-00001 with reference 'TRX-881'; not recording it twice",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(10), reference="TRX-881"
        ),
    )
    # Another customer may use the same bank reference.
    assert pay(uow, "BRIGHT", "10.00", reference="TRX-881")["number"] == "PAY-00002"


def test_unknown_customer_and_invoice_are_not_found(three_invoices, refused):
    refused(
        NotFound,
        "no customer 'NOBODY'",
        lambda s: payments.record_payment(session=s, customer_code="NOBODY", amount=D(1)),
    )
    refused(
        NotFound,
        "no invoice 'INV-09999'",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(1), invoices=[("INV-09999", None)]
        ),
    )


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["INV-00001", "inv-00001=5"], "invoice inv-00001 is named twice"),
        (["INV-00001=0"], "amount for INV-00001 must be greater than zero"),
        (["=5"], "--invoice '=5' must look like INV-00001 or INV-00001=AMOUNT"),
    ],
)
def test_invoice_specs_that_make_no_sense_are_refused(specs, message):
    with pytest.raises(InvalidInput) as info:
        payments.parse_invoice_specs(specs, 2)
    assert str(info.value) == message


def test_a_refused_payment_uses_no_number(three_invoices, uow, refused):
    refused(
        RuleViolation,
        "cannot allocate 400.00 to INV-00002: its balance is 371.88",
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(400), invoices=[("INV-00002", D("400.00"))]
        ),
    )
    assert pay(uow, "ACME", "1.00")["number"] == "PAY-00001"


# Rule 13: unapplied credit used later, and paid back --------------------------


@pytest.fixture
def acme_credit(three_invoices, uow):
    """ACME paid INV-00002 and INV-00003 and keeps 109.24 of credit."""
    view = pay(uow, "ACME", "600.00", "INV-00002", "INV-00003")
    assert view["unapplied"] == D("109.24")
    return view


def test_credit_is_applied_to_a_later_invoice(acme_credit, uow, ledger_ok):
    with uow() as session:
        used = payments.apply_credit(
            session=session, customer_code="ACME", invoice_number="INV-00001", amount=D("100.00")
        )
        assert [(a.amount, a.at_receipt) for a in used] == [(10000, False)]
    assert invoice_of(uow, "INV-00001")["balance"] == D("481.91")
    with uow(write=False) as session:
        view = payment_view(session, payments.get_payment(session=session, number="PAY-00001"))
    assert view["unapplied"] == D("9.24")
    assert allocations(view) == [
        ("INV-00002", D("371.88")),
        ("INV-00003", D("118.88")),
        ("INV-00001", D("100.00")),
    ]
    assert ledger_ok()["customer_credit"] == D("-9.24")
    # Without an amount it takes all that is left of the credit.
    with uow() as session:
        payments.apply_credit(session=session, customer_code="ACME", invoice_number="INV-00001")
    assert invoice_of(uow, "INV-00001")["balance"] == D("472.67")
    assert ledger_ok()["customer_credit"] == D(0)


def test_credit_applied_without_amount_stops_at_the_balance(three_invoices, uow, ledger_ok):
    pay(uow, "ACME", "500.00", "INV-00003=18.88")  # 481.12 of credit
    with uow() as session:
        payments.apply_credit(session=session, customer_code="ACME", invoice_number="INV-00003")
    assert invoice_of(uow, "INV-00003")["balance"] == D(0)
    assert ledger_ok()["customer_credit"] == D("-381.12")


def test_applying_credit_beyond_what_there_is_is_refused(acme_credit, refused):
    refused(
        RuleViolation,
        "ACME has only 109.24 of unapplied credit, not 109.25",
        lambda s: payments.apply_credit(
            session=s, customer_code="ACME", invoice_number="INV-00001", amount=D("109.25")
        ),
    )


def test_applying_credit_beyond_the_balance_is_refused(three_invoices, uow, refused):
    pay(uow, "ACME", "1000.00", "INV-00003=100.00")  # 18.88 left on INV-00003
    refused(
        RuleViolation,
        "cannot apply 20.00 to INV-00003: its balance is 18.88",
        lambda s: payments.apply_credit(
            session=s, customer_code="ACME", invoice_number="INV-00003", amount=D("20.00")
        ),
    )


def test_applying_credit_that_does_not_exist_is_refused(three_invoices, refused):
    refused(
        RuleViolation,
        "ACME has no unapplied credit",
        lambda s: payments.apply_credit(
            session=s, customer_code="ACME", invoice_number="INV-00001"
        ),
    )


def test_credit_goes_only_to_the_customers_own_open_invoices(acme_credit, refused):
    refused(
        RuleViolation,
        "invoice INV-00004 belongs to another customer, not ACME",
        lambda s: payments.apply_credit(
            session=s, customer_code="ACME", invoice_number="INV-00004"
        ),
    )
    refused(
        RuleViolation,
        "invoice INV-00002 has nothing left to pay",
        lambda s: payments.apply_credit(
            session=s, customer_code="ACME", invoice_number="INV-00002"
        ),
    )
    refused(
        InvalidInput,
        "amount 0 must be greater than zero",
        lambda s: payments.apply_credit(
            session=s, customer_code="ACME", invoice_number="INV-00001", amount=D(0)
        ),
    )


def test_credit_cannot_be_used_or_refunded_before_it_was_received(acme_credit, refused):
    """PAY-00001 came in on 2026-03-10: its credit did not exist the day before."""
    refused(
        RuleViolation,
        "ACME has no unapplied credit on 2026-03-09",
        lambda s: payments.apply_credit(
            session=s,
            customer_code="ACME",
            invoice_number="INV-00001",
            applied_on=date(2026, 3, 9),
        ),
    )
    refused(
        RuleViolation,
        "ACME has no unapplied credit to refund on 2026-03-09",
        lambda s: payments.refund_customer(
            session=s, customer_code="ACME", refunded_on=date(2026, 3, 9)
        ),
    )


def test_credit_is_paid_back_as_a_refund(acme_credit, uow, ledger_ok):
    with uow() as session:
        refund = payments.refund_customer(session=session, customer_code="ACME", amount=D(9))
        assert (refund.number, refund.amount) == ("RF-00001", 900)
    assert ledger_ok()["customer_credit"] == D("-100.24")
    with uow() as session:
        refund = payments.refund_customer(session=session, customer_code="ACME")
        assert (refund.number, refund.amount) == ("RF-00002", 10024)
    balances = ledger_ok()
    assert balances["customer_credit"] == D(0)
    assert balances["cash"] == D("600.00") - D("109.24")
    with uow(write=False) as session:
        view = payment_view(session, payments.get_payment(session=session, number="PAY-00001"))
        refunds = session.exec(select(Refund.number, Refund.amount)).all()
    assert view["unapplied"] == D(0)
    assert view["refunds"] == [
        {"refund": "RF-00001", "amount": D("9.00")},
        {"refund": "RF-00002", "amount": D("100.24")},
    ]
    assert sorted(refunds) == [("RF-00001", 900), ("RF-00002", 10024)]


def test_refunds_beyond_the_credit_are_refused(three_invoices, uow, refused):
    refused(
        RuleViolation,
        "ACME has no unapplied credit to refund",
        lambda s: payments.refund_customer(session=s, customer_code="ACME"),
    )
    pay(uow, "ACME", "5.00", "INV-00001=1.00")
    refused(
        RuleViolation,
        "cannot refund 4.01 to ACME: their unapplied credit is 4.00",
        lambda s: payments.refund_customer(session=s, customer_code="ACME", amount=D("4.01")),
    )
    refused(
        InvalidInput,
        "refund amount must be greater than zero",
        lambda s: payments.refund_customer(session=s, customer_code="ACME", amount=D(0)),
    )


def test_transactions_list_every_money_movement(acme_credit, uow):
    with uow() as session:
        payments.apply_credit(
            session=session, customer_code="ACME", invoice_number="INV-00001", amount=D(100)
        )
        payments.refund_customer(session=session, customer_code="ACME")
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00002", amount=D("50.00")
        )
    with uow(write=False) as session:
        moves = payments.transactions(session=session, customer="ACME")
    got = sorted((m["type"], m["number"], m["amount"], m["invoice"]) for m in moves)
    assert got == [
        ("credit_applied", "PAY-00001", D("100.00"), "INV-00001"),
        ("payment", "PAY-00001", D("600.00"), None),
        ("refund", "RF-00001", D("-9.24"), None),
        ("store_credit", "CM-00001", D("50.00"), "INV-00002"),
    ]
    assert [m["type"] for m in moves] == ["store_credit", "refund", "credit_applied", "payment"]


@pytest.mark.parametrize("kind", ["refund", "credit_applied", "store_credit"])
def test_transactions_of_one_type(acme_credit, uow, kind):
    """Regression: every type but the first of the UNION failed with AttributeError."""
    with uow() as session:
        payments.apply_credit(
            session=session, customer_code="ACME", invoice_number="INV-00001", amount=D(100)
        )
        payments.refund_customer(session=session, customer_code="ACME")
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00002", amount=D("50.00")
        )
    with uow(write=False) as session:
        moves = payments.transactions(session=session, kind=kind)
    expected = {"refund": "RF-00001", "credit_applied": "PAY-00001", "store_credit": "CM-00001"}
    assert [(m["type"], m["number"]) for m in moves] == [(kind, expected[kind])]


def test_every_allocation_keeps_within_its_invoice(three_invoices, uow, ledger_ok):
    pay(uow, "ACME", "200.00")
    pay(uow, "ACME", "250.00", "INV-00002")
    pay(uow, "ACME", "1000.00")
    with uow(write=False) as session:
        rows = session.exec(select(Allocation.invoice_id, Allocation.amount)).all()
        unapplied = session.exec(select(Payment.number, Payment.unapplied)).all()
    per_invoice: dict[int, int] = {}
    for invoice_id, amount in rows:
        per_invoice[invoice_id] = per_invoice.get(invoice_id, 0) + amount
    assert per_invoice == {2: 37188, 3: 11888, 1: 58191}
    assert sorted(unapplied) == [("PAY-00001", 0), ("PAY-00002", 7812), ("PAY-00003", 29921)]
    ledger_ok()


# Rule 11: statuses after real payments and credits ---------------------------


def test_status_follows_payments_credits_and_the_due_date(three_invoices, uow, monkeypatch):
    assert invoice_of(uow, "INV-00001")["status"] == "open"
    pay(uow, "ACME", "81.91", "INV-00001")
    view = invoice_of(uow, "INV-00001")
    assert (view["status"], view["paid"], view["credited"], view["balance"]) == (
        "partially_paid",
        D("81.91"),
        D(0),
        D("500.00"),
    )
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00001", amount=D("100.00")
        )
    view = invoice_of(uow, "INV-00001")
    assert (view["paid"], view["credited"], view["balance"]) == (D("81.91"), D(100), D(400))
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-04-05")  # the day after it was due
    assert invoice_of(uow, "INV-00001")["status"] == "overdue"
    pay(uow, "ACME", "400.00", "INV-00001")
    assert invoice_of(uow, "INV-00001")["status"] == "paid"


# Rule 16: exposure after payments and credit memos ---------------------------


@pytest.fixture
def wien_owes(make_order, uow):
    """WIEN (limit 3000.00) owes INV-00001 of 2327.64 and has a draft of 743.75."""
    first = make_order("WIEN", [("DESK-OAK", "4")])
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=first)
    return make_order("WIEN", [("CHAIR-ERGO", "2")], confirm=False)


def test_a_payment_lowers_the_exposure(wien_owes, uow, refused, order_state):
    refused(
        RuleViolation,
        f"cannot confirm {wien_owes}: WIEN would owe 3071.39 against a credit limit of 3000.00 "
        "(exposure 2327.64 + this order 743.75)",
        lambda s: ordering.confirm_order(session=s, number=wien_owes),
    )
    pay(uow, "WIEN", "71.38")
    refused(
        RuleViolation,
        f"cannot confirm {wien_owes}: WIEN would owe 3000.01 against a credit limit of 3000.00 "
        "(exposure 2256.26 + this order 743.75)",
        lambda s: ordering.confirm_order(session=s, number=wien_owes),
    )
    pay(uow, "WIEN", "0.01")
    with uow() as session:
        ordering.confirm_order(session=session, number=wien_owes)
    assert order_state(wien_owes)["status"] == "confirmed"
    with uow(write=False) as session:
        wien = customers.get_customer(session=session, code="WIEN")
        assert ordering.credit_exposure(session=session, customer=wien) == D("3000.00")


def test_a_credit_memo_lowers_the_exposure(wien_owes, uow, order_state):
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            lines=[("DESK-OAK", D(1))],
            kind="not_delivered",
        )
        wien = customers.get_customer(session=session, code="WIEN")
        # One desk of four credited: 489.00 + 92.91.
        assert ordering.credit_exposure(session=session, customer=wien) == D("1745.73")
        ordering.confirm_order(session=session, number=wien_owes)
    assert order_state(wien_owes)["status"] == "confirmed"


def test_a_credit_billed_again_keeps_the_exposure(wien_owes, uow):
    """Credited as billed in error (the default), the desk is to be invoiced again: what
    leaves the open balance comes back as unbilled order value (rule 16)."""
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00001", lines=[("DESK-OAK", D(1))]
        )
        wien = customers.get_customer(session=session, code="WIEN")
        assert ordering.credit_exposure(session=session, customer=wien) == D("2327.64")


def test_credit_released_as_store_credit_does_not_lower_the_exposure(wien_owes, uow, refused):
    """The exposure is open balances plus unbilled orders (rule 16); credit the customer
    holds is not taken off it."""
    pay(uow, "WIEN", "2327.64")
    with uow() as session:
        memo = credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            lines=[("DESK-OAK", D(4))],
            kind="not_delivered",
        )
        assert (memo.applied, memo.released, memo.credit_left) == (0, 232764, 232764)
        wien = customers.get_customer(session=session, code="WIEN")
        assert ordering.credit_exposure(session=session, customer=wien) == D(0)
