"""Order lines priced from anything the parsers accept (SPEC rules 3, 10; errors.py).

``parse_qty`` accepts up to 10^9 units and ``parse_money`` up to 10^13 in a
two-digit currency. Whatever a user types that the parsers accept, adding the
line either works — with rule 10's exact amounts, checked by
``LedgerKit.check_ledger`` — or is refused with an ``InvalidInput`` /
``RuleViolation`` that leaves the ledger unchanged. Any other exception is a bug
(the CLI reports it as "unexpected").
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import parse_money, parse_pct, parse_qty
from ordercli.services.sales.ordering import add_order_line, new_order

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def add_line_or_refuse(kit, qty_text, price_text, discount_text):
    qty = parse_qty(qty_text)
    price = parse_money(price_text)
    discount = parse_pct(discount_text)
    with kit.ledger() as engine:
        with unit_of_work(engine) as session:
            number = new_order(session=session, customer_code="MUELLER").number
        before = kit.fingerprint(engine)
        try:
            with unit_of_work(engine) as session:
                add_order_line(
                    session=session,
                    number=number,
                    sku="LAMP-LED",
                    qty=qty,
                    price=price,
                    discount=discount,
                )
        except (InvalidInput, RuleViolation):
            assert kit.fingerprint(engine) == before
        else:
            kit.check_ledger(engine)


@SETTINGS
@given(
    qty=st.integers(min_value=1, max_value=10**7),  # up to 10 000 units, in thousandths
    price=st.integers(min_value=0, max_value=10**8),  # up to 1 000 000.00
    discount=st.integers(min_value=0, max_value=100 * 10**4),
)
def test_everyday_lines_are_priced_exactly(ledger_kit, qty, price, discount):
    kit = ledger_kit
    add_line_or_refuse(kit, kit.qty_text(qty), kit.money_text(price), kit.pct_text(discount))


@SETTINGS
@given(
    qty=st.integers(min_value=1, max_value=10**12 - 1),
    price=st.integers(min_value=0, max_value=10**15 - 1),
    discount=st.integers(min_value=0, max_value=100 * 10**4),
)
# Once raised OverflowError from SQLite (a 10^22-cent line): now refused as too large.
@example(qty=999_999_999_000, price=999_999_999_999_999, discount=0)
def test_any_parsed_line_is_priced_or_refused(ledger_kit, qty, price, discount):
    kit = ledger_kit
    add_line_or_refuse(kit, kit.qty_text(qty), kit.money_text(price), kit.pct_text(discount))


def test_overflow_example_is_within_the_parsers_limits():
    """The explicit example above is input a user can type: the parsers accept it."""
    assert parse_qty("999999999") == Decimal("999999999")
    assert parse_money("9999999999999.99") == Decimal("9999999999999.99")
