"""Rule 16 on a growing confirmed order; settings that would rewrite amounts."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ordercli.books import numbering, settings
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import ordering


@pytest.fixture
def limited(uow):
    with uow() as session:
        customers.add_customer(session=session, name="Limited", code="LIM", credit_limit=D(100))
        catalog.add_product(
            session=session, sku="S", name="Service hour", price=D(10), service=True
        )
        order = ordering.new_order(session=session, customer_code="LIM")
        ordering.add_order_line(session=session, number=order.number, sku="S", qty=D(5))
        ordering.confirm_order(session=session, number=order.number)
    return "SO-00001"


def test_adding_past_the_limit_to_a_confirmed_order_is_refused(uow, unchanged, limited):
    with unchanged(), pytest.raises(RuleViolation) as info, uow() as session:
        ordering.add_order_line(session=session, number=limited, sku="S", qty=D(10))
    assert info.value.message == (
        "cannot add a line to SO-00001: LIM would owe 150.00 against a credit limit of "
        "100.00 (exposure 50.00 + this line 100.00)"
    )


def test_growing_a_line_past_the_limit_is_refused_and_shrinking_is_not(uow, unchanged, limited):
    with unchanged(), pytest.raises(RuleViolation, match=r"this change 60\.00"), uow() as s:
        ordering.edit_order_line(session=s, number=limited, line_ref="1", qty=D(11))
    with uow() as session:
        line = ordering.edit_order_line(session=session, number=limited, line_ref="1", qty=D(3))
        assert line.qty == 3000


def test_an_override_is_logged(uow, limited):
    from ordercli.books.events import events_for

    with uow() as session:
        ordering.add_order_line(
            session=session, number=limited, sku="S", qty=D(10), override_credit="pays upfront"
        )
        order = ordering.get_order(session=session, number=limited)
        messages = [
            e.message
            for e in events_for(session=session, order_id=order.id, quote_id=None)
            if e.action == "credit_override"
        ]
    assert messages and messages[-1].endswith("reason: pays upfront")


def test_currency_cannot_change_under_credit_limits(uow, unchanged):
    with uow() as session:
        customers.add_customer(session=session, name="A", code="A", credit_limit=D(5000))
    with unchanged(), pytest.raises(RuleViolation, match="cannot change the currency"), uow() as s:
        settings.set_currency(session=s, code="JPY")


def test_a_prefix_belongs_to_one_series(uow, unchanged):
    with unchanged(), pytest.raises(InvalidInput, match="already used by the invoice"), uow() as s:
        numbering.set_series(session=s, kind="order", prefix="INV-", width=None)
    with unchanged(), pytest.raises(InvalidInput, match="nothing to change"), uow() as s:
        numbering.set_series(session=s, kind="order", prefix=None, width=None)
