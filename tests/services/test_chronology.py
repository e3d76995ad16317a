"""Time runs forward (SPEC rule 4a): no document is dated after today, before the
document it comes from, or before the latest date of its own number series.

Each refusal names both documents and both dates, and leaves the ledger unchanged
(``refused``). Orders are held only to "not in the future" (``books/chronology.py``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import credit_memos, payments, returns

D = Decimal
TODAY = "2026-03-10"
SERIES = "a later number never carries an earlier date"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


@pytest.fixture
def order_on(seeded, uow):
    """``order_on(date(…))`` → a confirmed order of ACME (two lamps) dated that day."""

    def make(on: date, customer: str = "ACME", lines=(("LAMP-LED", "2"),)) -> str:
        with uow() as session:
            order = ordering.new_order(session=session, customer_code=customer, order_date=on)
            for sku, qty in lines:
                ordering.add_order_line(session=session, number=order.number, sku=sku, qty=D(qty))
            ordering.confirm_order(session=session, number=order.number, override_credit="test")
            return order.number

    return make


def run(uow, action):
    with uow() as session:
        return action(session)


def invoice(uow, order: str, on: date) -> str:
    return run(
        uow,
        lambda s: invoicing.create_invoice(session=s, order_number=order, issue_date=on).number,
    )


def test_an_order_is_not_dated_in_the_future(seeded, refused):
    refused(
        InvalidInput,
        "order date 2026-03-11 is in the future (today is 2026-03-10)",
        lambda s: ordering.new_order(session=s, customer_code="ACME", order_date=date(2026, 3, 11)),
    )


def test_orders_are_not_held_to_the_order_of_their_numbers(order_on, uow):
    # Imports bring a web shop's history in any order: SO-00002 may be older than SO-00001.
    order_on(date(2026, 3, 5))
    second = order_on(date(2026, 2, 1))
    with uow(write=False) as session:
        assert ordering.get_order(session=session, number=second).order_date == date(2026, 2, 1)


def test_an_invoice_is_not_dated_before_its_order_nor_in_the_future(order_on, refused):
    order = order_on(date(2026, 3, 5))
    refused(
        RuleViolation,
        "invoice dated 2026-03-04 cannot come before order SO-00001, dated 2026-03-05",
        lambda s: invoicing.create_invoice(
            session=s, order_number=order, issue_date=date(2026, 3, 4)
        ),
    )
    refused(
        InvalidInput,
        "invoice date 2026-03-11 is in the future (today is 2026-03-10)",
        lambda s: invoicing.create_invoice(
            session=s, order_number=order, issue_date=date(2026, 3, 11)
        ),
    )


def test_a_later_invoice_number_never_carries_an_earlier_date(order_on, uow, refused, ledger_ok):
    invoice(uow, order_on(date(2026, 3, 1)), date(2026, 3, 8))
    second = order_on(date(2026, 3, 1))
    refused(
        RuleViolation,
        f"invoice dated 2026-03-07 cannot come after INV-00001, dated 2026-03-08: {SERIES}",
        lambda s: invoicing.create_invoice(
            session=s, order_number=second, issue_date=date(2026, 3, 7)
        ),
    )
    assert invoice(uow, second, date(2026, 3, 8)) == "INV-00002"  # the same day is fine
    ledger_ok()


def test_invoicing_everything_names_the_latest_order_of_the_batch(order_on, uow, refused):
    order_on(date(2026, 3, 2))
    order_on(date(2026, 3, 6), customer="BRIGHT")
    order_on(date(2026, 3, 4))
    refused(
        RuleViolation,
        "invoice dated 2026-03-05 cannot come before order SO-00002, dated 2026-03-06",
        lambda s: invoicing.invoice_all(session=s, issue_date=date(2026, 3, 5)),
    )
    invoices = run(uow, lambda s: invoicing.invoice_all(session=s, issue_date=date(2026, 3, 6)))
    assert [(i.number, i.issue_date) for i in invoices] == [
        ("INV-00001", date(2026, 3, 6)),
        ("INV-00002", date(2026, 3, 6)),
        ("INV-00003", date(2026, 3, 6)),
    ]
    order_on(date(2026, 3, 1))  # an older order, invoiced after the batch
    refused(
        RuleViolation,
        f"invoice dated 2026-03-05 cannot come after INV-00003, dated 2026-03-06: {SERIES}",
        lambda s: invoicing.invoice_all(session=s, issue_date=date(2026, 3, 5)),
    )


def test_a_shipment_is_not_dated_before_its_order_its_series_or_in_the_future(
    order_on, uow, refused
):
    first = order_on(date(2026, 3, 5))
    refused(
        RuleViolation,
        "shipment dated 2026-03-04 cannot come before order SO-00001, dated 2026-03-05",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=first, ship_date=date(2026, 3, 4)
        ),
    )
    refused(
        InvalidInput,
        "shipment date 2026-03-11 is in the future (today is 2026-03-10)",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=first, ship_date=date(2026, 3, 11)
        ),
    )
    run(
        uow,
        lambda s: fulfilment.create_shipment(
            session=s, order_number=first, ship_date=date(2026, 3, 8)
        ),
    )
    second = order_on(date(2026, 3, 1))
    refused(
        RuleViolation,
        f"shipment dated 2026-03-07 cannot come after SH-00001, dated 2026-03-08: {SERIES}",
        lambda s: fulfilment.create_shipment(
            session=s, order_number=second, ship_date=date(2026, 3, 7)
        ),
    )


def test_a_credit_memo_is_not_dated_before_its_invoice_or_its_series(order_on, uow, refused):
    first = invoice(uow, order_on(date(2026, 3, 1)), date(2026, 3, 2))
    second = invoice(uow, order_on(date(2026, 3, 1)), date(2026, 3, 6))
    refused(
        RuleViolation,
        "credit memo dated 2026-03-05 cannot come before invoice INV-00002, dated 2026-03-06",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=second, amount=D(5), issue_date=date(2026, 3, 5)
        ),
    )
    run(
        uow,
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=second, amount=D(5), issue_date=date(2026, 3, 8)
        ),
    )
    refused(
        RuleViolation,
        f"credit memo dated 2026-03-07 cannot come after CM-00001, dated 2026-03-08: {SERIES}",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=first, amount=D(5), issue_date=date(2026, 3, 7)
        ),
    )


def test_a_later_payment_number_never_carries_an_earlier_date(seeded, uow, refused):
    run(
        uow,
        lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D(10), received_on=date(2026, 3, 8)
        ),
    )
    refused(
        RuleViolation,
        f"payment dated 2026-03-07 cannot come after PAY-00001, dated 2026-03-08: {SERIES}",
        lambda s: payments.record_payment(
            session=s, customer_code="BRIGHT", amount=D(10), received_on=date(2026, 3, 7)
        ),
    )


def test_a_refund_is_not_dated_before_the_credit_it_pays_nor_its_series(seeded, uow, refused):
    for day in (3, 5):  # PAY-00001 of 03-03 and PAY-00002 of 03-05, both kept as credit
        run(
            uow,
            lambda s, day=day: payments.record_payment(
                session=s, customer_code="ACME", amount=D(10), received_on=date(2026, 3, day)
            ),
        )

    def refund(s, amount: str, on: date):
        customer = get_customer(session=s, code="ACME")
        return payments.refund_credit(
            session=s, customer=customer, amount=int(D(amount) * 100), refunded_on=on
        )

    # 15.00 is paid from both payments: the later one is named.
    refused(
        RuleViolation,
        "refund dated 2026-03-04 cannot come before payment PAY-00002, dated 2026-03-05",
        lambda s: refund(s, "15", date(2026, 3, 4)),
    )
    run(uow, lambda s: refund(s, "5", date(2026, 3, 6)))
    refused(
        RuleViolation,
        f"refund dated 2026-03-05 cannot come after RF-00001, dated 2026-03-06: {SERIES}",
        lambda s: payments.refund_customer(
            session=s, customer_code="ACME", refunded_on=date(2026, 3, 5)
        ),
    )


def test_a_return_is_not_dated_before_its_goods_shipped_nor_its_series(order_on, uow, refused):
    order = order_on(date(2026, 3, 1))
    run(
        uow,
        lambda s: fulfilment.create_shipment(
            session=s, order_number=order, ship_date=date(2026, 3, 5)
        ),
    )

    def request(s, on: date):
        return returns.request_return(
            session=s,
            order_number=order,
            lines=[("LAMP-LED", D(1))],
            reason="dented",
            requested_on=on,
        )

    refused(
        RuleViolation,
        "return dated 2026-03-04 cannot come before shipment SH-00001, dated 2026-03-05",
        lambda s: request(s, date(2026, 3, 4)),
    )
    refused(
        InvalidInput,
        "return date 2026-03-11 is in the future (today is 2026-03-10)",
        lambda s: request(s, date(2026, 3, 11)),
    )
    run(uow, lambda s: request(s, date(2026, 3, 7)))
    refused(
        RuleViolation,
        f"return dated 2026-03-06 cannot come after RMA-00001, dated 2026-03-07: {SERIES}",
        lambda s: request(s, date(2026, 3, 6)),
    )
