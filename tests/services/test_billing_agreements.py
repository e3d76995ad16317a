"""SPEC rule 17: a billing agreement belongs to one customer, can be attached to their
orders, lists the orders that used it, and once cancelled cannot be attached."""

from __future__ import annotations

import pytest

from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.services.parties import billing_agreements as agreements
from ordercli.services.parties import customers
from ordercli.services.sales import ordering
from ordercli.views.settlement import agreement_view


def add(uow, customer="ACME", method="direct debit", reference="MANDATE-7") -> str:
    with uow() as session:
        return agreements.add_agreement(
            session=session, customer_code=customer, method=method, reference=reference
        ).number


def agreement(uow, number="BA-00001") -> dict:
    with uow(write=False) as session:
        return agreement_view(session, agreements.get_agreement(session=session, number=number))


def new_order(uow, customer="ACME", billing_agreement="BA-00001") -> str:
    with uow() as session:
        return ordering.new_order(
            session=session, customer_code=customer, billing_agreement=billing_agreement
        ).number


def test_an_agreement_lists_the_orders_that_use_it(seeded, uow, order_state, events_of, ledger_ok):
    assert add(uow) == "BA-00001"
    view = agreement(uow)
    assert (view["customer"], view["method"], view["reference"], view["status"]) == (
        "ACME",
        "direct debit",
        "MANDATE-7",
        "active",
    )
    assert view["orders"] == []
    assert new_order(uow) == "SO-00001"
    assert new_order(uow, billing_agreement=None) == "SO-00002"
    assert new_order(uow, billing_agreement="ba-00001") == "SO-00003"
    assert agreement(uow)["orders"] == ["SO-00001", "SO-00003"]
    assert order_state("SO-00001")["billing_agreement"] == "BA-00001"
    assert order_state("SO-00002")["billing_agreement"] is None
    assert events_of("SO-00001")[0] == (
        "created",
        "order SO-00001 opened for ACME under billing agreement BA-00001",
    )
    ledger_ok()


def test_another_customers_agreement_is_refused(seeded, uow, refused):
    add(uow)
    refused(
        RuleViolation,
        "billing agreement BA-00001 belongs to another customer, not BRIGHT",
        lambda s: ordering.new_order(
            session=s, customer_code="BRIGHT", billing_agreement="BA-00001"
        ),
    )
    # The refusal used no order number.
    assert new_order(uow) == "SO-00001"


def test_a_cancelled_agreement_cannot_be_attached_and_keeps_its_orders(seeded, uow, refused):
    add(uow)
    new_order(uow)
    with uow() as session:
        agreements.cancel_agreement(session=session, number="BA-00001")
    view = agreement(uow)
    assert view["status"] == "cancelled" and view["cancelled_at"] is not None
    assert view["orders"] == ["SO-00001"]
    refused(
        RuleViolation,
        "billing agreement BA-00001 is cancelled and cannot be attached",
        lambda s: ordering.new_order(session=s, customer_code="ACME", billing_agreement="BA-00001"),
    )
    refused(
        RuleViolation,
        "billing agreement BA-00001 is already cancelled",
        lambda s: agreements.cancel_agreement(session=s, number="BA-00001"),
    )


def test_the_same_arrangement_is_active_once(seeded, uow, refused):
    add(uow)
    refused(
        RuleViolation,
        "ACME already has active agreement BA-00001 for direct debit MANDATE-7",
        lambda s: agreements.add_agreement(
            session=s, customer_code="ACME", method="direct debit", reference="MANDATE-7"
        ),
    )
    # Another customer, or another reference, is another arrangement.
    assert add(uow, customer="BRIGHT") == "BA-00002"
    assert add(uow, reference="MANDATE-8") == "BA-00003"
    with uow() as session:
        agreements.cancel_agreement(session=session, number="BA-00001")
    assert add(uow) == "BA-00004"


def test_an_inactive_customer_gets_no_agreement(seeded, uow, refused):
    with uow() as session:
        customers.set_customer_active(session=session, code="ACME", active=False)
    refused(
        RuleViolation,
        "customer ACME is inactive",
        lambda s: agreements.add_agreement(
            session=s, customer_code="ACME", method="card", reference="tok_1"
        ),
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": " "}, InvalidInput, "method must not be empty"),
        ({"reference": None}, InvalidInput, "reference is required"),
        ({"customer_code": "NOBODY"}, NotFound, "no customer 'NOBODY'"),
    ],
)
def test_an_agreement_needs_a_customer_method_and_reference(
    seeded, refused, kwargs, error, message
):
    fields = {"customer_code": "ACME", "method": "card", "reference": "tok_1"} | kwargs
    refused(error, message, lambda s: agreements.add_agreement(session=s, **fields))


def test_unknown_agreements_are_not_found(seeded, refused):
    refused(
        NotFound,
        "no billing agreement 'BA-00009'",
        lambda s: ordering.new_order(session=s, customer_code="ACME", billing_agreement="BA-00009"),
    )
    refused(
        NotFound,
        "no billing agreement 'BA-00009'",
        lambda s: agreements.cancel_agreement(session=s, number="BA-00009"),
    )


def test_agreements_are_listed_by_customer_and_status(seeded, uow):
    add(uow)
    add(uow, customer="BRIGHT")
    add(uow, reference="MANDATE-8")
    with uow() as session:
        agreements.cancel_agreement(session=session, number="BA-00003")
    with uow(write=False) as session:

        def numbers(**kw):
            return [a.number for a in agreements.list_agreements(session=session, **kw)]

        assert numbers() == ["BA-00003", "BA-00002", "BA-00001"]
        assert numbers(customer="ACME") == ["BA-00003", "BA-00001"]
        assert numbers(customer="ACME", status="active") == ["BA-00001"]
        assert numbers(status="cancelled") == ["BA-00003"]
        with pytest.raises(InvalidInput, match="unknown billing agreement status 'gone'"):
            numbers(status="gone")
