"""Payment terms templates (SPEC ``terms``, rules 11 and 20): adding and reading them,
a customer's default, an order's and an invoice's override, and every refusal
leaving the ledger as it was."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import Customer, InvoiceInstalment, PaymentTermsSplit, SalesOrder
from ordercli.services.parties import customers, payment_terms
from ordercli.services.sales import fulfilment, invoicing, order_terms, ordering
from ordercli.views import sales as sales_views
from ordercli.views.parties import customer_view
from ordercli.views.terms import terms_view, terms_views
from tests.services.conftest import add_lines

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def add(uow, code: str, days="30", splits=None, discount=None, description=None) -> dict:
    with uow() as session:
        head = payment_terms.add_terms(
            session=session,
            code=code,
            days=days,
            splits=splits,
            discount=discount,
            description=description,
        )
        return terms_view(session, head)


@pytest.fixture
def templates(seeded, uow):
    """NET30, HALF (50@0, 50@30) and EARLY (2 % within 10 days, net 30)."""
    add(uow, "net30", description="Net 30 days")
    add(uow, "HALF", splits=["50@0", "50@30"])
    add(uow, "EARLY", discount="2@10")


def invoice_view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return sales_views.invoice_view(
            session, invoicing.get_invoice(session=session, number=number)
        )


# --- templates ----------------------------------------------------------------------


def test_a_template_is_stored_with_its_splits_and_an_event(seeded, uow, events_of):
    view = add(
        uow,
        "half30",
        splits=["50@0", "50@30"],
        discount="2@10",
        description="  Half now, half in a month ",
    )
    assert view == {
        "code": "HALF30",
        "description": "Half now, half in a month",
        "days": 30,
        "splits": [{"pct": D(50), "days": 0}, {"pct": D(50), "days": 30}],
        "discount_pct": D(2),
        "discount_days": 10,
        "text": "2 % within 10 days, 50 % at 0 days, 50 % at 30 days",
        "customer_count": 0,
    }
    with uow(write=False) as session:
        rows = session.exec(select(PaymentTermsSplit).order_by(PaymentTermsSplit.position)).all()
    assert [(r.position, r.pct, r.days) for r in rows] == [(1, 500000, 0), (2, 500000, 30)]
    ((action, message),) = events_of("HALF30")
    assert action == "created"
    assert message == (
        "payment terms HALF30 added: 2 % within 10 days, 50 % at 0 days, 50 % at 30 days"
    )


def test_splits_in_one_option_and_odd_percentages(seeded, uow):
    view = add(uow, "THIRDS", days="60", splits=["33.3333@0,33.3333@30", "33.3334@60"])
    assert [s["pct"] for s in view["splits"]] == [D("33.3333"), D("33.3333"), D("33.3334")]
    assert add(uow, "COD", days="0")["text"] == "net 0 days"


def test_get_list_and_count_customers(templates, uow):
    with uow() as session:
        customers.edit_customer(session=session, code="ACME", changes={"terms_code": "half"})
        customers.edit_customer(session=session, code="BRIGHT", changes={"terms_code": "HALF"})
    with uow(write=False) as session:
        assert payment_terms.get_terms(session=session, code=" half ").code == "HALF"
        listed = terms_views(session, payment_terms.list_terms(session=session))
    assert [(v["code"], v["customer_count"]) for v in listed] == [
        ("EARLY", 0),
        ("HALF", 2),
        ("NET30", 0),
    ]


@pytest.mark.parametrize(
    ("code", "days", "splits", "discount", "message"),
    [
        ("X", "30", ["50@0", "40@30"], None, "--split percentages add up to 90 %, not 100 %"),
        ("X", "30", ["60@0", "50@30"], None, "--split percentages add up to 110 %, not 100 %"),
        (
            "X",
            "30",
            ["50@30", "50@0"],
            None,
            "--split instalments must be given in due order, each on a later day (got days 30, 0)",
        ),
        (
            "X",
            "30",
            ["50@30", "50@30"],
            None,
            "--split instalments must be given in due order, each on a later day (got days 30, 30)",
        ),
        (
            "X",
            "30",
            ["50@0", "50@20"],
            None,
            "the last --split is due after 20 days but --days is 30",
        ),
        ("X", "10", None, "2@20", "--discount window of 20 days is longer than the 10 days to pay"),
        (
            "X",
            "30",
            None,
            "0@10",
            "--discount '0@10': the percentage must be above 0 and below 100",
        ),
        (
            "X",
            "30",
            None,
            "100@10",
            "--discount '100@10': the percentage must be above 0 and below 100",
        ),
        ("X", "30", None, "2", "--discount '2' must look like PCT@DAYS, e.g. 50@30"),
        (
            "X",
            "30",
            ["0@0", "100@30"],
            None,
            "--split '0@0': an instalment's percentage must be above 0",
        ),
        (
            "X",
            "30",
            ["-50@0", "150@30"],
            None,
            "--split percentage '-50' must be between 0 and 100",
        ),
        ("X", "30", ["abc@0"], None, "--split percentage 'abc' is not a number"),
        (
            "X",
            "30",
            ["100@-1"],
            None,
            "--split days '-1' must be a whole number of days (0 or more)",
        ),
        ("X", "-5", None, None, "--days '-5' must be a whole number of days (0 or more)"),
        ("X", "", None, None, "--days '' must be a whole number of days (0 or more)"),
        ("X", "2.5", None, None, "--days '2.5' must be a whole number of days (0 or more)"),
        (
            "X",
            "99999999999999999999",
            None,
            None,
            "--days '99999999999999999999' is more than 3660 days",
        ),
        ("", "30", None, None, "payment terms code must not be empty"),
        ("   ", "30", None, None, "payment terms code must not be empty"),
        ("NET 30", "30", None, None, "payment terms code 'NET 30' must not contain spaces"),
        (
            "A" * 41,
            "30",
            None,
            None,
            "payment terms code 'AAAAAAAAAAAAAAAAAAAA'… is longer than 40",
        ),
    ],
)
def test_refusals_change_nothing(seeded, refused, code, days, splits, discount, message):
    refused(
        InvalidInput,
        message,
        lambda s: payment_terms.add_terms(
            session=s, code=code, days=days, splits=splits, discount=discount
        ),
    )


def test_a_code_is_added_once_whatever_its_case(templates, refused):
    error = refused(
        RuleViolation,
        "payment terms NET30 already exist",
        lambda s: payment_terms.add_terms(session=s, code="Net30", days="14"),
    )
    assert error.hint == "`ordercli terms show NET30` shows them; choose another code"


def test_an_unknown_code_is_not_found(templates, refused):
    error = refused(
        NotFound,
        "no payment terms 'NET99'",
        lambda s: payment_terms.get_terms(session=s, code="NET99"),
    )
    assert error.hint == "`ordercli terms list` shows the payment terms"
    refused(
        InvalidInput,
        "payment terms code is empty",
        lambda s: payment_terms.get_terms(session=s, code=" "),
    )


# --- customers ----------------------------------------------------------------------


def test_a_customer_takes_a_template_and_its_days(templates, uow, events_of):
    with uow() as session:
        customer = customers.add_customer(
            session=session, name="Gamma GmbH", code="GAMMA", terms_code="half"
        )
        view = customer_view(session, customer)
    assert (view["terms"], view["terms_days"]) == ("HALF", 30)
    assert view["terms_text"] == "50 % at 0 days, 50 % at 30 days"
    with uow() as session:
        customers.edit_customer(session=session, code="GAMMA", changes={"terms_code": "EARLY"})
        customer = customers.edit_customer(
            session=session, code="GAMMA", changes={"terms_code": None, "terms_days": 14}
        )
        view = customer_view(session, customer)
    assert (view["terms"], view["terms_days"]) == (None, 14)
    assert events_of("GAMMA")[-1] == ("edited", "customer GAMMA: changed terms, terms_days")


def test_days_that_disagree_with_the_template_are_refused(templates, uow, refused):
    refused(
        InvalidInput,
        "payment terms 14 days disagree with terms NET30 (net 30 days)",
        lambda s: customers.add_customer(
            session=s, name="Gamma", code="GAMMA", terms_days=14, terms_code="NET30"
        ),
    )
    with uow() as session:
        customers.edit_customer(session=session, code="ACME", changes={"terms_code": "NET30"})
    refused(
        InvalidInput,
        "customer ACME has a payment terms template; its invoices follow it, not --terms 14",
        lambda s: customers.edit_customer(session=s, code="ACME", changes={"terms_days": 14}),
    )
    refused(
        NotFound,
        "no payment terms 'NOPE'",
        lambda s: customers.edit_customer(session=s, code="ACME", changes={"terms_code": "NOPE"}),
    )
    refused(
        NotFound,
        "no payment terms 'NOPE'",
        lambda s: customers.add_customer(session=s, name="Gamma", terms_code="NOPE"),
    )


# --- orders and invoices ------------------------------------------------------------


def order(uow, customer="ACME", terms=None, confirm=True, on=date(2026, 3, 1)) -> str:
    with uow() as session:
        made = ordering.new_order(
            session=session, customer_code=customer, terms=terms, order_date=on
        )
        add_lines(session, made.number, [("DESK-OAK", "2")])
        if confirm:
            ordering.confirm_order(session=session, number=made.number, override_credit="test")
        return made.number


def invoice(uow, number: str, terms=None, on=date(2026, 3, 2)) -> dict:
    with uow() as session:
        made = invoicing.create_invoice(
            session=session, order_number=number, issue_date=on, terms=terms
        )
        return sales_views.invoice_view(session, made)


def test_terms_come_from_invoice_then_order_then_customer_then_days(templates, uow):
    with uow() as session:
        customers.edit_customer(session=session, code="ACME", changes={"terms_code": "EARLY"})
    plain = invoice(uow, order(uow, customer="BRIGHT"))  # BRIGHT: 14 days, no template
    assert (plain["terms"], plain["due_date"]) == (None, date(2026, 3, 16))
    assert plain["terms_text"] == "net 14 days, due 2026-03-16"
    from_customer = invoice(uow, order(uow))
    assert from_customer["terms"] == "EARLY"
    assert from_customer["early_discount_until"] == date(2026, 3, 12)
    from_order = invoice(uow, order(uow, terms="half"))
    assert from_order["terms"] == "HALF"
    assert [(s["due_date"], s["amount"]) for s in from_order["schedule"]] == [
        (date(2026, 3, 2), D("581.91")),
        (date(2026, 4, 1), D("581.91")),
    ]
    from_invoice = invoice(uow, order(uow, terms="HALF"), terms="net30")
    assert (from_invoice["terms"], from_invoice["due_date"]) == ("NET30", date(2026, 4, 1))
    assert len(from_invoice["schedule"]) == 1


def test_invoice_all_takes_the_terms_given(templates, uow):
    order(uow, customer="ACME")
    order(uow, customer="BRIGHT", terms="NET30")
    with uow() as session:
        issued = invoicing.invoice_all(session=session, terms="half", issue_date=date(2026, 3, 2))
        views = sales_views.invoice_views(session, issued)
    assert [(v["customer"], v["terms"], len(v["schedule"])) for v in views] == [
        ("ACME", "HALF", 2),
        ("BRIGHT", "HALF", 2),
    ]
    with uow(write=False) as session:
        amounts = session.exec(select(InvoiceInstalment.amount)).all()
    assert sum(amounts) == sum(int(v["total"] * 100) for v in views)


def test_an_unknown_invoice_terms_code_issues_nothing(templates, uow, refused):
    number = order(uow)
    refused(
        NotFound,
        "no payment terms 'NET99'",
        lambda s: invoicing.create_invoice(session=s, order_number=number, terms="NET99"),
    )
    refused(
        NotFound,
        "no payment terms 'NET99'",
        lambda s: invoicing.invoice_all(session=s, terms="NET99"),
    )
    refused(
        NotFound,
        "no payment terms 'NET99'",
        lambda s: ordering.new_order(session=s, customer_code="ACME", terms="NET99"),
    )


def test_order_terms_set_changed_and_cleared_with_events(templates, uow, events_of, order_state):
    number = order(uow, confirm=False)
    with uow() as session:
        order_terms.set_order_terms(session=session, number=number, code="half")
    assert order_state(number)["terms"] == "HALF"
    with uow() as session:
        order_terms.set_order_terms(session=session, number=number, code="NET30")
        order_terms.set_order_terms(session=session, number=number, code=None)
    assert order_state(number)["terms"] is None
    assert [m for a, m in events_of(number) if a == "terms_changed"] == [
        f"order {number}: payment terms set to HALF; invoices issued from now on take them",
        f"order {number}: payment terms set to NET30 (were HALF); invoices issued from now on "
        "take them",
        f"order {number}: payment terms NET30 taken off; invoices issued from now on take the "
        "customer's terms",
    ]


def test_order_terms_affect_invoices_issued_from_then_on(templates, uow):
    number = order(uow)
    with uow() as session:
        first = invoicing.create_invoice(
            session=session,
            order_number=number,
            lines=[("DESK-OAK", D(1))],
            issue_date=date(2026, 3, 2),
        )
        order_terms.set_order_terms(session=session, number=number, code="HALF")
        second = invoicing.create_invoice(
            session=session, order_number=number, issue_date=date(2026, 3, 2)
        )
        views = sales_views.invoice_views(session, [first, second])
    assert [v["terms"] for v in views] == [None, "HALF"]


def test_order_terms_refusals(templates, uow, refused):
    number = order(uow, terms="HALF")
    refused(
        RuleViolation,
        f"order {number} already has payment terms HALF",
        lambda s: order_terms.set_order_terms(session=s, number=number, code="half"),
    )
    refused(
        NotFound,
        "no payment terms 'NOPE'",
        lambda s: order_terms.set_order_terms(session=s, number=number, code="NOPE"),
    )
    plain = order(uow, confirm=False)
    refused(
        RuleViolation,
        f"order {plain} has no payment terms of its own to clear",
        lambda s: order_terms.set_order_terms(session=s, number=plain, code=None),
    )
    refused(
        NotFound,
        "no order 'SO-99999'",
        lambda s: order_terms.set_order_terms(session=s, number="SO-99999", code="HALF"),
    )
    with uow() as session:
        ordering.cancel_order(session=session, number=plain)
    refused(
        RuleViolation,
        f"cannot change the payment terms of order {plain}: it is cancelled",
        lambda s: order_terms.set_order_terms(session=s, number=plain, code="HALF"),
    )
    with uow() as session:
        fulfilment.create_shipment(session=session, order_number=number)
        invoicing.create_invoice(session=session, order_number=number)
        status = session.exec(select(SalesOrder.status).where(SalesOrder.number == number)).one()
    assert status == "completed"
    refused(
        RuleViolation,
        f"cannot change the payment terms of order {number}: it is completed: fully invoiced "
        "and shipped",
        lambda s: order_terms.set_order_terms(session=s, number=number, code=None),
    )


def test_a_held_order_may_change_terms(templates, uow, order_state):
    number = order(uow)
    with uow() as session:
        ordering.hold_order(session=session, number=number, reason="waiting for PO")
        order_terms.set_order_terms(session=session, number=number, code="EARLY")
    assert order_state(number)["terms"] == "EARLY"


def test_customer_terms_days_stay_meaningful(templates, uow):
    with uow() as session:
        customers.edit_customer(session=session, code="BRIGHT", changes={"terms_code": "HALF"})
        days = session.exec(select(Customer.terms_days).where(Customer.code == "BRIGHT")).one()
    assert days == 30
