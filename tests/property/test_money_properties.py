"""Properties of the exact money and quantity arithmetic (SPEC rule 10, domain/money.py).

The reference computations here use ``fractions.Fraction`` and integers only, so
they share nothing with the product's ``Decimal`` code.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import (
    from_minor,
    line_net,
    line_tax,
    money_str,
    parse_money,
    parse_pct,
    parse_qty,
    pct_from_db,
    pct_to_db,
    portion_amounts,
    qty_from_db,
    qty_to_db,
    to_minor,
)

MAX_MINOR = 10**15  # parse_money refuses this many minor units and more
MAX_QTY_UNITS = 10**12  # parse_qty refuses this many thousandths and more

digits_st = st.integers(min_value=0, max_value=3)
minor_st = st.integers(min_value=0, max_value=MAX_MINOR - 1)
qty_units_st = st.integers(min_value=1, max_value=MAX_QTY_UNITS - 1)
pct_units_st = st.integers(min_value=0, max_value=100 * 10**4)  # 0 – 100 %, 4 decimals

PROPERTY = settings(max_examples=200, deadline=None)


def units_text(units: int, places: int) -> str:
    """An integer count of 10^-places as a plain decimal string, built without Decimal."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def as_fraction(units: int, places: int) -> Fraction:
    return Fraction(units, 10**places)


def half_up(value: Fraction, places: int) -> Fraction:
    """Round a non-negative fraction half-up to ``places`` decimals."""
    assert value >= 0
    scaled = value * 10**places
    return Fraction((2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)) / (
        10**places
    )


def reference_net(qty: Fraction, price: Fraction, discount: Fraction, places: int) -> Fraction:
    return half_up(qty * price * (1 - discount / 100), places)


def reference_tax(net: Fraction, rate: Fraction, places: int) -> Fraction:
    return half_up(net * rate / 100, places)


# --- minor units and JSON strings ------------------------------------------------------------


@PROPERTY
@given(units=st.integers(min_value=-(MAX_MINOR - 1), max_value=MAX_MINOR - 1), digits=digits_st)
def test_minor_units_round_trip_exactly(units, digits):
    amount = from_minor(units, digits)
    assert isinstance(amount, Decimal)
    assert amount.as_tuple().exponent == -digits
    assert Fraction(amount) == as_fraction(units, digits)
    assert to_minor(amount, digits) == units
    # and back again from the Decimal side, through an equal but differently written value
    assert from_minor(to_minor(amount.normalize(), digits), digits) == amount


@PROPERTY
@given(units=minor_st, digits=digits_st)
def test_money_str_is_an_exact_json_decimal_string(units, digits):
    amount = from_minor(units, digits)
    text = money_str(amount, digits)
    assert re.fullmatch(r"\d+" + (rf"\.\d{{{digits}}}" if digits else ""), text), text
    assert text == units_text(units, digits)
    document = json.loads(json.dumps({"total": text}))
    assert isinstance(document["total"], str)
    back = Decimal(document["total"])
    assert back == amount and to_minor(back, digits) == units
    assert parse_money(document["total"], digits) == amount


@PROPERTY
@given(units=st.integers(min_value=0, max_value=MAX_QTY_UNITS), pct=pct_units_st)
def test_quantities_and_percentages_round_trip_through_the_database(units, pct):
    qty = qty_from_db(units)
    assert isinstance(qty, Decimal)
    assert Fraction(qty) == as_fraction(units, 3)
    assert "E" not in str(qty) and "e" not in str(qty)
    assert qty_to_db(qty) == units
    rate = pct_from_db(pct)
    assert Fraction(rate) == as_fraction(pct, 4)
    assert pct_to_db(rate) == pct


# --- parsing user input ----------------------------------------------------------------------


@st.composite
def money_input(draw, digits):
    """A valid amount typed by a user, in one of several spellings, and its minor units."""
    units = draw(minor_st)
    text = units_text(units, digits)
    if digits and draw(st.booleans()) and "." in text:
        text = text.rstrip("0").rstrip(".")  # "12.50" → "12.5", "3.00" → "3"
    pad = draw(st.sampled_from(["", " ", "\t"]))
    return units, f"{pad}{text}{pad}"


@PROPERTY
@given(data=st.data(), digits=digits_st)
def test_parse_money_accepts_valid_amounts_exactly(data, digits):
    units, text = data.draw(money_input(digits))
    value = parse_money(text, digits)
    assert type(value) is Decimal
    assert value.as_tuple().exponent == -digits
    assert Fraction(value) == as_fraction(units, digits)
    assert to_minor(value, digits) == units


@PROPERTY
@given(
    units=st.integers(min_value=0, max_value=10**12),
    digits=digits_st,
    extra=st.integers(min_value=1, max_value=9),
)
def test_parse_money_refuses_more_decimals_than_the_currency_has(units, digits, extra):
    text = units_text(units, digits) + ("" if digits else ".") + str(extra)
    with pytest.raises(InvalidInput):
        parse_money(text, digits)


@PROPERTY
@given(units=st.integers(min_value=1, max_value=10**12), digits=digits_st)
def test_parse_money_refuses_negatives_unless_allowed(units, digits):
    text = units_text(-units, digits)
    with pytest.raises(InvalidInput):
        parse_money(text, digits)
    value = parse_money(text, digits, allow_negative=True)
    assert type(value) is Decimal and Fraction(value) == -as_fraction(units, digits)


@PROPERTY
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_never_accepted_as_money_or_quantities(value):
    with pytest.raises(InvalidInput):
        parse_money(value)
    with pytest.raises(InvalidInput):
        parse_qty(value)


@PROPERTY
@given(text=st.text(max_size=12))
def test_parsers_return_decimals_or_refuse(text):
    for parse in (parse_money, parse_qty, parse_pct):
        try:
            value = parse(text)
        except InvalidInput:
            continue
        assert type(value) is Decimal and value.is_finite(), (parse, text, value)


@PROPERTY
@given(units=qty_units_st, trim=st.booleans())
def test_parse_qty_accepts_valid_quantities_exactly(units, trim):
    text = units_text(units, 3)
    if trim:
        text = text.rstrip("0").rstrip(".")
    value = parse_qty(text)
    assert type(value) is Decimal
    assert Fraction(value) == as_fraction(units, 3)
    assert "E" not in str(value) and qty_to_db(value) == units


@PROPERTY
@given(units=st.integers(min_value=0, max_value=10**9), extra=st.integers(min_value=1, max_value=9))
def test_parse_qty_refuses_more_than_three_decimals(units, extra):
    with pytest.raises(InvalidInput):
        parse_qty(units_text(units, 3) + str(extra))


@PROPERTY
@given(units=st.integers(min_value=0, max_value=10**9))
def test_parse_qty_refuses_zero_and_negatives(units):
    with pytest.raises(InvalidInput):
        parse_qty(units_text(-units, 3))
    if units == 0:
        assert parse_qty("0", allow_zero=True) == 0


# --- rounding (rule 10) ----------------------------------------------------------------------


@st.composite
def priced_line(draw, max_qty_units=10**9, max_price_minor=10**9):
    """qty (thousandths), price (minor units), discount (ten-thousandths of %), digits."""
    digits = draw(digits_st)
    qty = draw(st.integers(min_value=0, max_value=max_qty_units))
    price = draw(st.integers(min_value=0, max_value=max_price_minor))
    discount = draw(st.one_of(st.just(0), st.just(100 * 10**4), pct_units_st))
    return qty, price, discount, digits


def decimals(qty, price, discount, digits):
    return (
        Decimal(units_text(qty, 3)),
        Decimal(units_text(price, digits)),
        Decimal(units_text(discount, 4)),
    )


@PROPERTY
@given(line=priced_line())
# Exact halves: half-up gives the larger cent where banker's rounding would not.
@example(line=(500, 1, 0, 2))  # 0.5 × 0.01 = 0.005 → 0.01
@example(line=(1000, 5, 50 * 10**4, 2))  # 0.05 × 50 % = 0.025 → 0.03
@example(line=(2500, 1, 0, 0))  # 2.5 × 1 = 2.5 → 3 in a zero-digit currency
def test_line_net_is_half_up_and_exact(line):
    qty, price, discount, digits = line
    q, p, d = decimals(qty, price, discount, digits)
    net = line_net(q, p, d, digits)
    assert type(net) is Decimal and net.as_tuple().exponent == -digits
    expected = reference_net(
        as_fraction(qty, 3), as_fraction(price, digits), as_fraction(discount, 4), digits
    )
    assert Fraction(net) == expected


@PROPERTY
@given(line=priced_line(max_qty_units=MAX_QTY_UNITS - 1, max_price_minor=MAX_MINOR - 1))
# Once rounded twice (28-digit Decimal context, then half-up): .78 instead of .77.
@example(line=(172091017419, 347420093455185, 825467, 2))
def test_line_net_is_exact_over_everything_the_parsers_accept(line):
    qty, price, discount, digits = line
    q, p, d = decimals(qty, price, discount, digits)
    expected = reference_net(
        as_fraction(qty, 3), as_fraction(price, digits), as_fraction(discount, 4), digits
    )
    assert Fraction(line_net(q, p, d, digits)) == expected


@PROPERTY
@given(net=st.integers(min_value=0, max_value=10**13), rate=pct_units_st, digits=digits_st)
@example(net=50, rate=5 * 10**4, digits=2)  # 0.50 × 5 % = 0.025 → 0.03
def test_line_tax_is_half_up_and_exact(net, rate, digits):
    tax = line_tax(Decimal(units_text(net, digits)), Decimal(units_text(rate, 4)), digits)
    assert type(tax) is Decimal and tax.as_tuple().exponent == -digits
    assert Fraction(tax) == reference_tax(as_fraction(net, digits), as_fraction(rate, 4), digits)


# --- partial invoices: portion_amounts -------------------------------------------------------


@st.composite
def split_line(draw):
    """A line (qty in thousandths) and a split of its quantity into positive portions."""
    qty, price, discount, digits = draw(priced_line(max_qty_units=10**7, max_price_minor=10**7))
    qty = max(qty, 1)
    rate = draw(st.one_of(st.sampled_from([0, 7 * 10**4, 19 * 10**4]), pct_units_st))
    cuts = draw(
        st.lists(st.integers(min_value=1, max_value=max(1, qty - 1)), max_size=12, unique=True)
    )
    bounds = [0, *sorted(c for c in cuts if c < qty), qty]
    portions = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    return qty, price, discount, rate, digits, portions


@PROPERTY
@given(case=split_line())
@example(case=(3000, 1, 0, 19 * 10**4, 2, [1000, 1000, 1000]))  # thirds of a cent
@example(case=(1000, 2140, 0, 7 * 10**4, 2, [1, 333, 333, 333]))  # coffee by the gram
def test_portions_of_any_split_add_up_to_the_line_exactly(case):
    qty, price, discount, rate, digits, portions = case
    to_qty = lambda units: Decimal(units_text(units, 3))  # noqa: E731
    p = Decimal(units_text(price, digits))
    d = Decimal(units_text(discount, 4))
    r = Decimal(units_text(rate, 4))
    whole_net = line_net(to_qty(qty), p, d, digits)
    whole_tax = line_tax(whole_net, r, digits)
    before = 0
    nets, taxes = [], []
    for portion in portions:
        net, tax = portion_amounts(
            qty=to_qty(portion),
            unit_price=p,
            discount_pct=d,
            tax_rate=r,
            net_left=whole_net - sum(nets),
            tax_left=whole_tax - sum(taxes),
            completes=before + portion == qty,
            minor_digits=digits,
        )
        assert type(net) is Decimal and type(tax) is Decimal
        assert net >= 0 and tax >= 0, (portion, net, tax)
        if before + portion < qty:
            # a portion that does not complete the line follows rule 10, unless
            # earlier roundings already used up the line (then it takes what is left)
            formula = line_net(to_qty(portion), p, d, digits)
            assert net == formula or net == whole_net - sum(nets), (portion, net, formula)
            assert tax <= line_tax(net, r, digits)
        nets.append(net)
        taxes.append(tax)
        before += portion
    assert sum(nets) == whole_net
    assert sum(taxes) == line_tax(whole_net, r, digits)
    # the first invoice of a line is rule 10's own rounding of its quantity
    first_net = line_net(to_qty(portions[0]), p, d, digits)
    assert (nets[0], taxes[0]) == (first_net, line_tax(first_net, r, digits))
    # and the whole agrees with the independent computation
    assert Fraction(whole_net) == reference_net(
        as_fraction(qty, 3), as_fraction(price, digits), as_fraction(discount, 4), digits
    )
