"""`sales_report`: revenue net of credit memos, each document on its own date.

Expected figures are summed here from the individual invoice lines and credit
memo lines (read back as rows), and tied to the journal's trial balance.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.books import journal
from ordercli.domain.errors import InvalidInput
from ordercli.domain.money import from_minor
from ordercli.models import CreditMemo, CreditMemoLine, Customer, Invoice, InvoiceLine, Product
from ordercli.reports.sales import sales_report
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import credit_memos

D = Decimal


@pytest.fixture
def on(monkeypatch):
    """``on("2026-01-10")``: the ledger's today, for what follows."""
    return lambda day: monkeypatch.setenv("ORDERCLI_TODAY", day)


def sell(session, customer: str, lines, day: str, invoice_lines=None) -> str:
    order = ordering.new_order(
        session=session, customer_code=customer, order_date=date.fromisoformat(day)
    )
    for sku, qty in lines:
        ordering.add_order_line(session=session, number=order.number, sku=sku, qty=D(qty))
    ordering.confirm_order(session=session, number=order.number, override_credit="test")
    return invoicing.create_invoice(
        session=session,
        order_number=order.number,
        lines=invoice_lines,
        issue_date=date.fromisoformat(day),
    ).number


@pytest.fixture
def ledger(engine, uow, on):
    """Jan: INV-1 ACME (3 CHAIR, 2 HOURS) and INV-2 BETA (1 CHAIR, 7 % tax on BOOK);
    no February; Mar: INV-3 BETA (2 BOOK, 1 HOURS); Apr: CM-1 1 CHAIR of INV-1,
    CM-2 50.00 by amount on INV-3 (spread over BOOK and HOURS)."""
    on("2026-01-05")
    with uow() as session:
        customers.add_customer(session=session, name="Acme", code="ACME", terms_days=30)
        customers.add_customer(session=session, name="Beta", code="BETA", terms_days=14)
        catalog.add_product(session=session, sku="CHAIR", name="Chair", price=D("312.50"),
                            tax_rate=D(19), stock=D(50))  # fmt: skip
        catalog.add_product(session=session, sku="BOOK", name="Book", price=D("24.99"),
                            tax_rate=D(7), stock=D(50))  # fmt: skip
        catalog.add_product(session=session, sku="HOURS", name="Consulting", price=D("95.00"),
                            tax_rate=D(19), service=True)  # fmt: skip
    on("2026-01-20")
    with uow() as session:
        sell(session, "ACME", [("CHAIR", "3"), ("HOURS", "2")], "2026-01-20")
        sell(session, "BETA", [("CHAIR", "1"), ("BOOK", "1")], "2026-01-20")
    on("2026-03-11")
    with uow() as session:
        sell(session, "BETA", [("BOOK", "2"), ("HOURS", "1")], "2026-03-11")
    on("2026-04-02")
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00001", lines=[("CHAIR", D(1))]
        )
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00003", amount=D("50.00")
        )
    return engine


def document_lines(session) -> list[tuple[date, str, str, int, int]]:
    """(date, customer code, sku, net, tax) per invoice line and (negated) credit memo line."""
    rows = []
    for line, invoice, code, sku in session.exec(
        select(InvoiceLine, Invoice, Customer.code, Product.sku)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(Product, Product.id == InvoiceLine.product_id)
    ):
        rows.append((invoice.issue_date, code, sku, line.net, line.tax))
    for line, memo, code, sku in session.exec(
        select(CreditMemoLine, CreditMemo, Customer.code, Product.sku)
        .join(CreditMemo, CreditMemo.id == CreditMemoLine.credit_memo_id)
        .join(Customer, Customer.id == CreditMemo.customer_id)
        .join(InvoiceLine, InvoiceLine.id == CreditMemoLine.invoice_line_id)
        .join(Product, Product.id == InvoiceLine.product_id)
    ):
        rows.append((memo.issue_date, code, sku, -line.net, -line.tax))
    return rows


def summed(rows, key_of) -> dict[str, tuple[Decimal, Decimal]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        sums[key_of(row)][0] += row[3]
        sums[key_of(row)][1] += row[4]
    return {key: (from_minor(net, 2), from_minor(tax, 2)) for key, (net, tax) in sums.items()}


KEYS = {
    "month": lambda row: row[0].isoformat()[:7],
    "customer": lambda row: row[1],
    "product": lambda row: row[2],
}


@pytest.mark.parametrize("by", ["month", "customer", "product"])
def test_rows_equal_the_sum_of_document_lines(ledger, uow, by):
    with uow(write=False) as session:
        expected = summed(document_lines(session), KEYS[by])
        report = sales_report(session=session, by=by)
    got = {
        row["key"]: (row["net"], row["tax"]) for row in report["rows"] if row["key"] != "2026-02"
    }
    assert got == expected
    for row in report["rows"]:
        assert row["total"] == row["net"] + row["tax"]
        assert row["net"] == row["invoiced"] - row["credited"]
    assert report["totals"]["net"] == sum(net for net, _ in expected.values())
    assert report["totals"]["tax"] == sum(tax for _, tax in expected.values())


def test_month_rows_run_in_order_with_empty_months_as_zero(ledger, uow):
    with uow(write=False) as session:
        report = sales_report(session=session)
    assert [row["key"] for row in report["rows"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    february = report["rows"][1]
    assert (february["net"], february["tax"], february["total"]) == (D("0.00"),) * 3
    april = report["rows"][3]
    assert april["invoiced"] == 0 and april["net"] < 0  # credits alone


def test_customer_and_product_rows_run_from_the_largest_net(ledger, uow):
    with uow(write=False) as session:
        by_customer = sales_report(session=session, by="customer")["rows"]
        by_product = sales_report(session=session, by="product")["rows"]
    assert [r["net"] for r in by_customer] == sorted((r["net"] for r in by_customer), reverse=True)
    assert [r["key"] for r in by_product] == ["CHAIR", "HOURS", "BOOK"]
    assert {r["key"]: r["name"] for r in by_customer} == {"ACME": "Acme", "BETA": "Beta"}


def test_a_credit_by_amount_lands_on_the_products_of_its_lines(ledger, uow):
    with uow(write=False) as session:
        memo_lines = session.exec(
            select(InvoiceLine.sku, CreditMemoLine.qty, CreditMemoLine.net, CreditMemoLine.tax)
            .join(InvoiceLine, InvoiceLine.id == CreditMemoLine.invoice_line_id)
            .join(CreditMemo, CreditMemo.id == CreditMemoLine.credit_memo_id)
            .where(CreditMemo.number == "CM-00002")
        ).all()
        april = sales_report(
            session=session, by="product", date_from=date(2026, 4, 1), date_to=date(2026, 4, 30)
        )
    assert {sku for sku, *_ in memo_lines} == {"BOOK", "HOURS"}
    assert all(qty == 0 for _, qty, _, _ in memo_lines)
    credited = {sku: -from_minor(net, 2) for sku, _, net, _ in memo_lines}
    credited["CHAIR"] = D("-312.50")  # CM-1: one chair
    assert {row["key"]: row["net"] for row in april["rows"]} == credited


def test_totals_equal_revenue_minus_refunds_in_the_journal(ledger, uow):
    """For any period: revenue credits minus refunds debits between the day before it
    starts and its last day, as the trial balance shows them."""
    periods = [
        (None, None),
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), None),
        (date(2026, 3, 1), date(2026, 4, 30)),
    ]
    with uow(write=False) as session:

        def sides(as_of):
            accounts = journal.trial_balance(session=session, as_of=as_of)["accounts"]
            by_role = {a["role"]: a for a in accounts}
            return by_role["revenue"]["credit"], by_role["refunds"]["debit"]

        for date_from, date_to in periods:
            revenue_to, refunds_to = sides(date_to)
            revenue_before, refunds_before = (
                sides(date_from - timedelta(days=1)) if date_from else (D(0), D(0))
            )
            revenue = revenue_to - revenue_before
            refunds = refunds_to - refunds_before
            report = sales_report(session=session, date_from=date_from, date_to=date_to)
            assert report["totals"]["net"] == revenue - refunds, (date_from, date_to)
            assert report["totals"]["invoiced"] == revenue
            assert report["totals"]["credited"] == refunds
    assert revenue and refunds  # the last period has both


def test_as_of_is_the_ledger_at_the_end_of_that_day(ledger, uow):
    with uow(write=False) as session:
        before = sales_report(session=session, by="customer", as_of=date(2026, 4, 1))
        after = sales_report(session=session, by="customer", as_of=date(2026, 4, 2))
        memos = session.exec(select(CreditMemo.subtotal, CreditMemo.tax)).all()
        both = sales_report(
            session=session, by="customer", date_to=date(2026, 4, 30), as_of=date(2026, 4, 1)
        )
    assert before["totals"]["credited"] == 0
    assert before["totals"]["net"] - after["totals"]["net"] == from_minor(
        sum(net for net, _ in memos), 2
    )
    assert before["totals"]["tax"] - after["totals"]["tax"] == from_minor(
        sum(tax for _, tax in memos), 2
    )
    assert both["rows"] == before["rows"]


def test_empty_ledger(engine, uow):
    with uow(write=False) as session:
        for by in ("month", "customer", "product"):
            report = sales_report(session=session, by=by)
            assert report["rows"] == []
            assert set(report["totals"].values()) == {D("0.00")}
            assert report["currency"] == "EUR"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "year"}, "cannot group sales by 'year' (one of month, customer, product)"),
        ({"by": ""}, "cannot group sales by '' (one of month, customer, product)"),
        (
            {"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 1)},
            "--from 2026-02-01 is after --to 2026-01-01",
        ),
        (
            {"date_from": date(2026, 2, 1), "as_of": date(2026, 1, 1)},
            "--from 2026-02-01 is after --as-of 2026-01-01",
        ),
    ],
)
def test_refusals(engine, uow, kwargs, message):
    with uow(write=False) as session, pytest.raises(InvalidInput) as info:
        sales_report(session=session, **kwargs)
    assert str(info.value) == message


def test_grouping_is_case_and_space_tolerant(ledger, uow):
    with uow(write=False) as session:
        assert sales_report(session=session, by=" Product ")["by"] == "product"
