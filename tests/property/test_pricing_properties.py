"""Properties of gross prices and document discounts (SPEC rules 10 and 19, domain/money.py).

A line whose price includes tax splits its rounded gross amount into a net and a tax
that add up to it exactly; a net line's tax is its net × rate rounded. A document
discount spread as an amount adds up to the amount exactly and never takes more than
a line holds; as a percentage it is taken from each line on its own. However a
discounted line is split into invoice (or credit) portions, the portions add up to
the line to the cent and none is negative.

The references use ``fractions.Fraction`` and integers only, so they share nothing
with the product's ``Decimal`` code.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    from_minor,
    gross_price_units,
    line_amounts,
    line_amounts_units,
    net_price_units,
    pct_from_db,
    portion_units,
    qty_from_db,
    share_units,
    spread_discount,
    to_minor,
)

PCT_WHOLE = 100 * 10**4  # 100 % in ten-thousandths of a percent
PROPERTY = settings(max_examples=300, deadline=None)

digits_st = st.integers(min_value=0, max_value=3)
qty_st = st.integers(min_value=1, max_value=10**7)  # up to 10,000 units, in thousandths
price_st = st.integers(min_value=0, max_value=10**8)
discount_st = st.one_of(st.just(0), st.integers(min_value=0, max_value=PCT_WHOLE))
rate_st = st.sampled_from([0, 70000, 190000, 200000, 77000, 123456, PCT_WHOLE])
amounts_st = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12)


def half_up(value: Fraction) -> int:
    """A non-negative fraction rounded half-up to a whole number."""
    assert value >= 0
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def own_amount(qty: int, price: int, discount: int) -> int:
    """Rule 10 in minor units from database units: qty × price × (1 − discount)."""
    return half_up(Fraction(qty, 1000) * price * Fraction(PCT_WHOLE - discount, PCT_WHOLE))


def decimals(qty: int, price: int, discount: int, rate: int, digits: int):
    return qty_from_db(qty), from_minor(price, digits), pct_from_db(discount), pct_from_db(rate)


@st.composite
def priced_line(draw):
    """A line in database units and a document discount share no larger than its amount."""
    qty, price, discount = draw(qty_st), draw(price_st), draw(discount_st)
    amount = own_amount(qty, price, discount)
    share = draw(st.one_of(st.just(0), st.just(amount), st.integers(0, amount)))
    return qty, price, discount, draw(rate_st), share


# --- one line ---------------------------------------------------------------------------------


@PROPERTY
@given(line=priced_line(), digits=digits_st)
@example(line=(1000, 1, 0, 190000, 0), digits=2)  # 0.01 gross: all net, no tax
@example(line=(1000, 119, 0, 190000, 0), digits=2)  # 1.19 gross at 19 %: 1.00 + 0.19
@example(line=(3000, 333, 1000, 70000, 1), digits=2)
def test_a_gross_line_splits_its_amount_exactly(line, digits):
    qty, price, discount, rate, share = line
    net, tax = line_amounts(
        *decimals(qty, price, discount, rate, digits),
        gross=True,
        doc_discount=from_minor(share, digits),
        minor_digits=digits,
    )
    gross = own_amount(qty, price, discount) - share
    net_units, tax_units = to_minor(net, digits), to_minor(tax, digits)
    assert net_units + tax_units == gross
    assert net_units >= 0 and tax_units >= 0
    # net = gross ÷ (1 + rate) rounded half-up (rule 19)
    assert net_units == half_up(Fraction(gross * PCT_WHOLE, PCT_WHOLE + rate))
    if share == 0:
        assert line_amounts_units(qty, price, discount, rate, gross=True) == (net_units, tax_units)


@PROPERTY
@given(line=priced_line(), digits=digits_st)
def test_a_net_line_taxes_its_discounted_amount(line, digits):
    qty, price, discount, rate, share = line
    net, tax = line_amounts(
        *decimals(qty, price, discount, rate, digits),
        doc_discount=from_minor(share, digits),
        minor_digits=digits,
    )
    net_units, tax_units = to_minor(net, digits), to_minor(tax, digits)
    assert net_units == own_amount(qty, price, discount) - share >= 0
    assert tax_units == half_up(Fraction(net_units * rate, PCT_WHOLE)) >= 0
    if share == 0:
        assert line_amounts_units(qty, price, discount, rate) == (net_units, tax_units)


@PROPERTY
@given(price=price_st, rate=rate_st)
def test_a_net_price_survives_adding_and_taking_out_tax(price, rate):
    gross = gross_price_units(price, rate)
    assert gross == half_up(Fraction(price * (PCT_WHOLE + rate), PCT_WHOLE))
    assert net_price_units(gross, rate) == price
    assert net_price_units(price, rate) == half_up(Fraction(price * PCT_WHOLE, PCT_WHOLE + rate))


# --- spreading a document discount ------------------------------------------------------------


@st.composite
def lines_and_amount(draw):
    # Small amounts too, so ties and lines of a cent or nothing come up often.
    small = st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=12)
    amounts = draw(st.one_of(amounts_st, small))
    whole = sum(amounts)
    amount = draw(st.one_of(st.just(whole), st.just(min(whole, 1)), st.integers(0, whole)))
    return amounts, amount


@PROPERTY
@given(case=lines_and_amount())
@example(case=([1, 1, 1], 2))  # a tie: the earlier lines take the cents
@example(case=([0, 0], 0))
@example(case=([5, 0, 7], 12))
def test_an_amount_discount_adds_up_exactly_and_fairly(case):
    amounts, amount = case
    shares = spread_discount(amounts, amount=amount)
    assert len(shares) == len(amounts)
    assert sum(shares) == amount
    whole = sum(amounts)
    for share, line in zip(shares, amounts, strict=True):
        assert 0 <= share <= line
        # Within one minor unit of the exact proportional share, below or above.
        exact = Fraction(line * amount, whole) if whole else Fraction(0)
        assert abs(share - exact) < 1
    # Monotone: a larger line never gets a smaller share (its exact share is larger, so
    # its floor is at least as large, and on an equal floor its remainder is larger and
    # takes a cent first). Equal lines differ by at most one cent, the earlier first.
    for i, a in enumerate(amounts):
        for j, b in enumerate(amounts):
            if a > b:
                assert shares[i] >= shares[j], (amounts, shares)
            if a == b and i < j:
                assert shares[j] <= shares[i] <= shares[j] + 1, (amounts, shares)


@PROPERTY
@given(amounts=amounts_st, extra=st.integers(min_value=1, max_value=10**6))
def test_an_amount_discount_larger_than_the_lines_is_refused(amounts, extra):
    with pytest.raises(InvalidInput):
        spread_discount(amounts, amount=sum(amounts) + extra)


def test_no_discount_on_no_amount():
    assert spread_discount([0, 0, 0], amount=0) == [0, 0, 0]
    assert spread_discount([0, 0, 0], amount=None) == [0, 0, 0]
    assert spread_discount([0, 0, 0], pct=PCT_WHOLE) == [0, 0, 0]
    assert spread_discount([], amount=0) == []


@PROPERTY
@given(amounts=amounts_st, pct=discount_st)
def test_a_percent_discount_is_taken_from_each_line(amounts, pct):
    shares = spread_discount(amounts, pct=pct)
    assert shares == [half_up(Fraction(a * pct, PCT_WHOLE)) for a in amounts]
    assert all(0 <= share <= a for share, a in zip(shares, amounts, strict=True))


# --- portions of a discounted line ------------------------------------------------------------


@st.composite
def split(draw, qty: int):
    """Cut ``qty`` thousandths into positive portions, in whole units when it is whole."""
    step = 1000 if qty % 1000 == 0 and draw(st.booleans()) else 1
    units = qty // step
    cuts = draw(st.lists(st.integers(1, max(units - 1, 1)), max_size=6, unique=True))
    cuts = sorted(c for c in cuts if 0 < c < units)
    return [(b - a) * step for a, b in zip([0, *cuts], [*cuts, units], strict=True)]


@PROPERTY
@given(line=priced_line(), gross=st.booleans(), digits=digits_st, data=st.data())
def test_portions_of_a_discounted_line_add_up_to_it(line, gross, digits, data):
    """The way ``issue_invoices`` and credit memos split a line: each portion takes its
    pro-rata share of the line's document discount (``share_units``) and is priced by
    rules 10/19; the one that completes the line takes what is left."""
    qty, price, discount, rate, share = line
    net, tax = line_amounts(
        *decimals(qty, price, discount, rate, digits),
        gross=gross,
        doc_discount=from_minor(share, digits),
        minor_digits=digits,
    )
    line_net, line_tax = to_minor(net, digits), to_minor(tax, digits)
    parts = data.draw(split(qty), label="portions")
    assert sum(parts) == qty
    assert_portions_add_up(line, gross, digits, parts, (line_net, line_tax))


def assert_portions_add_up(line, gross, digits, parts, expected) -> None:
    qty, price, discount, rate, share = line
    line_net, line_tax = expected
    taken_net = taken_tax = taken_qty = 0
    for part in parts:
        taken_qty += part
        p_net, p_tax = portion_units(
            qty=part,
            unit_price=price,
            discount=discount,
            tax_rate=rate,
            net_left=line_net - taken_net,
            tax_left=line_tax - taken_tax,
            completes=taken_qty == qty,
            gross=gross,
            doc_discount=share_units(share, part, qty),
            minor_digits=digits,
        )
        assert p_net >= 0 and p_tax >= 0, (part, p_net, p_tax)
        taken_net += p_net
        taken_tax += p_tax
    assert (taken_net, taken_tax) == (line_net, line_tax)


@pytest.mark.parametrize("gross", [False, True])
def test_tiny_portions_of_a_line_discounted_to_nothing(gross):
    # 3 × 0.01 less a 0.03 discount: every portion's share eats it whole.
    assert_portions_add_up((3000, 1, 0, 190000, 3), gross, 2, [1000, 1000, 1000], (0, 0))
    # 3 × 0.01 less 0.01: the shares of a third round to nothing, the last takes the rest.
    assert_portions_add_up((3000, 1, 0, 190000, 1), gross, 2, [1000, 1000, 1000], (2, 0))


@PROPERTY
@given(
    line=priced_line(),
    gross=st.booleans(),
    held=st.tuples(st.integers(0, 10**9), st.integers(0, 10**8)),
    data=st.data(),
)
def test_credits_of_whatever_an_invoice_line_holds_add_up_to_it(line, gross, held, data):
    """A credit memo credits an invoice line by the same portions, against what the
    invoice line holds, which need not be its own formula (a completing or clamped
    portion): the credits still add up to it exactly, none negative, so a fully
    credited invoice nets to zero."""
    parts = data.draw(split(line[0]), label="credits")
    assert_portions_add_up(line, gross, 2, parts, held)


@PROPERTY
@given(amount=st.integers(0, 10**9), whole=st.integers(1, 10**7), data=st.data())
def test_portion_shares_of_a_discount_stay_within_it(amount, whole, data):
    part = data.draw(st.integers(0, whole), label="part")
    share = share_units(amount, part, whole)
    assert 0 <= share <= amount
    assert share == half_up(Fraction(amount * part, whole))
    assert share_units(amount, whole, whole) == amount


def test_decimal_and_integer_gross_lines_agree_on_a_known_case():
    # 3 × 9.99 gross at 19 %, 10 % off: 26.97 gross → 22.66 net + 4.31 tax.
    assert line_amounts(Decimal(3), Decimal("9.99"), Decimal(10), Decimal(19), gross=True) == (
        Decimal("22.66"),
        Decimal("4.31"),
    )
    assert line_amounts_units(3000, 999, 100000, 190000, gross=True) == (2266, 431)
