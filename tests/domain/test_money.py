"""The money and quantity rules of SPEC rule 10, without a database."""

from decimal import Decimal

import pytest

from ordercli.domain.errors import InvalidInput
from ordercli.domain.lines import parse_line_specs
from ordercli.domain.money import (
    from_minor,
    line_net,
    line_tax,
    money_str,
    parse_money,
    parse_pct,
    parse_qty,
    portion_amounts,
    to_minor,
)
from ordercli.domain.states import InvoiceStatus, invoice_status

D = Decimal


@pytest.mark.parametrize(
    ("qty", "price", "discount", "net"),
    [
        ("3", "0.99", "12.5", "2.60"),  # 2.59875 rounds up
        ("1", "0.125", "0", "0.13"),  # a half cent goes up, not to even
        ("1", "0.145", "0", "0.15"),
        ("16", "348.35", "4", "5350.66"),
        ("2.5", "65.00", "0", "162.50"),
        ("0.001", "1.00", "0", "0.00"),
    ],
)
def test_line_net_rounds_half_up(qty, price, discount, net):
    assert line_net(D(qty), D(price), D(discount)) == D(net)


def test_line_tax_rounds_half_up_on_the_rounded_net():
    assert line_tax(D("5350.66"), D(22)) == D("1177.15")
    assert line_tax(D("0.25"), D(10)) == D("0.03")  # 0.025 → 0.03


def test_zero_digit_currency():
    assert line_net(D(3), D(333), D("10"), minor_digits=0) == D(899)  # 899.1
    assert parse_money("1200", 0) == D(1200)
    with pytest.raises(InvalidInput, match="more than 0 decimal places"):
        parse_money("12.5", 0)


def test_minor_units_round_trip():
    assert to_minor(D("1234.50")) == 123450
    assert from_minor(123450) == D("1234.50")
    assert money_str(from_minor(5)) == "0.05"
    with pytest.raises(ValueError):
        to_minor(D("0.001"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("abc", "is not a number"),
        ("-1", "must not be negative"),
        ("1.001", "more than 2 decimal places"),
        ("NaN", "not a finite number"),
        ("1e400", "too large"),
        ("1e15", "too large"),
    ],
)
def test_parse_money_refuses(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_money(text)


def test_parse_money_refuses_floats():
    with pytest.raises(InvalidInput, match="not a float"):
        parse_money(0.1)


@pytest.mark.parametrize(
    ("text", "message"),
    [("0", "greater than zero"), ("-2", "greater than zero"), ("1.0001", "decimal places")],
)
def test_parse_qty_refuses(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_qty(text)


def test_parse_qty_and_pct():
    assert str(parse_qty("2.500")) == "2.5"
    assert str(parse_qty("10")) == "10"
    assert parse_pct("19%") == D(19)
    with pytest.raises(InvalidInput, match="between 0 and 100"):
        parse_pct("101")


def split_line(splits, price, discount, rate):
    """Invoice a line in portions the way invoicing does; returns (nets, taxes)."""
    whole = sum(splits)
    line_total_net = line_net(whole, price, discount)
    line_total_tax = line_tax(line_total_net, rate)
    done, net_done, tax_done = D(0), D(0), D(0)
    nets, taxes = [], []
    for qty in splits:
        net, tax = portion_amounts(
            qty=qty,
            unit_price=price,
            discount_pct=discount,
            tax_rate=rate,
            net_left=line_total_net - net_done,
            tax_left=line_total_tax - tax_done,
            completes=done + qty == whole,
        )
        nets.append(net)
        taxes.append(tax)
        done, net_done, tax_done = done + qty, net_done + net, tax_done + tax
    return nets, taxes


def test_portions_follow_rule_10_and_the_last_takes_the_remainder():
    nets, taxes = split_line([D(3), D(7)], D("12.50"), D(5), D(20))
    assert nets == [D("35.63"), D("83.12")]
    assert taxes[0] == line_tax(D("35.63"), D(20))
    assert sum(nets) == line_net(D(10), D("12.50"), D(5))
    assert sum(taxes) == line_tax(sum(nets), D(20))


def test_middle_portions_are_priced_by_the_formula():
    # 5 × 9.99 less 10 %, 20 % tax, invoiced 2 + 1 + 2.
    nets, taxes = split_line([D(2), D(1), D(2)], D("9.99"), D(10), D(20))
    assert nets[:2] == [D("17.98"), D("8.99")]
    assert taxes[:2] == [D("3.60"), D("1.80")]
    assert sum(nets) == line_net(D(5), D("9.99"), D(10)) == D("44.96")
    assert nets[2] == D("17.99")  # the remainder, one cent from the formula's 17.98


def test_portions_never_go_negative():
    # 5 × 0.01 at 50 %: each unit rounds up to 0.01, the whole only to 0.03.
    nets, _ = split_line([D(1)] * 5, D("0.01"), D(50), D(0))
    assert nets == [D("0.01"), D("0.01"), D("0.01"), D("0.00"), D("0.00")]
    assert sum(nets) == line_net(D(5), D("0.01"), D(50))


def test_line_specs_merge_repeats_and_refuse_garbage():
    assert parse_line_specs(["W=1", "w=2.5", "B=1"]) == [("W", D("3.5")), ("B", D(1))]
    assert parse_line_specs(None) is None
    for bad in ["W", "=3", "W=", "W=-1", "W=x"]:
        with pytest.raises(InvalidInput):
            parse_line_specs([bad])


def test_invoice_status_from_what_is_settled_and_what_fell_due():
    status = invoice_status
    # nothing due yet
    assert status(total=100, settled=0, paid=0, due=0) == InvoiceStatus.OPEN
    assert status(total=100, settled=10, paid=10, due=0) == InvoiceStatus.PARTIALLY_PAID
    # the whole total fell due and 10 is settled
    assert status(total=100, settled=10, paid=10, due=100) == InvoiceStatus.OVERDUE
    # a first instalment of 50 fell due: settled 50 covers it, settled 49 does not
    assert status(total=100, settled=50, paid=50, due=50) == InvoiceStatus.PARTIALLY_PAID
    assert status(total=100, settled=49, paid=49, due=50) == InvoiceStatus.OVERDUE
    # credits, discounts and write-offs settle too
    assert status(total=100, settled=100, paid=60, due=100) == InvoiceStatus.PAID
    assert status(total=100, settled=100, paid=0, due=100, cancelled=True) == (
        InvoiceStatus.CANCELLED
    )
