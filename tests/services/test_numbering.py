"""SPEC rule 2 in one process: sequential numbers per kind, configurable prefixes, and a
command that fails does not use up a number. (Several processes: test_concurrency.py.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.books import numbering
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import Invoice, NumberSeries
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, issuing, ordering, quoting

D = Decimal


def run(uow, action):
    with uow() as session:
        return action(session)


def invoice(uow, number: str):
    return run(uow, lambda s: invoicing.create_invoice(session=s, order_number=number)).number


def test_numbers_are_sequential_per_kind(make_order, uow):
    orders = [make_order(lines=[("LAMP-LED", "1")]) for _ in range(3)]
    assert orders == ["SO-00001", "SO-00002", "SO-00003"]
    assert [invoice(uow, number) for number in reversed(orders)] == [
        "INV-00001",
        "INV-00002",
        "INV-00003",
    ]
    shipped = run(uow, lambda s: fulfilment.create_shipment(session=s, order_number="SO-00002"))
    assert shipped.number == "SH-00001"
    quote = run(uow, lambda s: quoting.new_quote(session=s, customer_code="ACME"))
    assert quote.number == "Q-00001"
    with uow() as session:
        added = [customers.add_customer(session=session, name=name) for name in ("A", "B")]
    assert [c.code for c in added] == ["C-00001", "C-00002"]
    assert make_order(lines=[("LAMP-LED", "1")]) == "SO-00004"


def test_prefix_and_width_are_configurable_and_the_count_goes_on(make_order, uow):
    first = make_order(lines=[("LAMP-LED", "1")])
    second = make_order(lines=[("LAMP-LED", "1")])
    assert invoice(uow, first) == "INV-00001"
    run(uow, lambda s: numbering.set_series(session=s, kind="invoice", prefix="RE-2026/", width=3))
    assert invoice(uow, second) == "RE-2026/002"
    run(uow, lambda s: numbering.set_series(session=s, kind="order", prefix="A", width=None))
    assert make_order(lines=[("LAMP-LED", "1")]) == "A00003"
    with uow(write=False) as session:
        series = {s.kind: (s.prefix, s.width) for s in numbering.list_series(session=session)}
    assert series["invoice"] == ("RE-2026/", 3)
    assert series["order"] == ("A", 5)
    assert series["shipment"] == ("SH-", 5)


def test_a_bad_prefix_or_width_is_refused(seeded, refused):
    refused(
        InvalidInput,
        "prefix 'INV 2026' must be 1–16 letters, digits or - _ . / and start with a letter "
        "or digit",
        lambda s: numbering.set_series(session=s, kind="invoice", prefix="INV 2026", width=None),
    )
    refused(
        InvalidInput,
        "width 0 must be between 1 and 12",
        lambda s: numbering.set_series(session=s, kind="invoice", prefix=None, width=0),
    )
    refused(
        NotFound,
        "no number series 'bogus'",
        lambda s: numbering.set_series(session=s, kind="bogus", prefix="B-", width=None),
    )


def test_a_refused_command_does_not_use_up_a_number(make_order, uow, refused):
    draft = make_order(lines=[("LAMP-LED", "1")], confirm=False)
    confirmed = make_order(lines=[("LAMP-LED", "1")])
    refused(
        RuleViolation,
        f"cannot invoice {draft}: it is a draft; confirm it first",
        lambda s: invoicing.create_invoice(session=s, order_number=draft),
    )
    assert invoice(uow, confirmed) == "INV-00001"


def test_a_command_failing_after_it_took_a_number_gives_it_back(
    make_order, uow, unchanged, monkeypatch
):
    number = make_order(lines=[("DESK-OAK", "4")])
    # The invoice is built, numbered and flushed; then its last step fails.
    with monkeypatch.context() as patch:

        def fail(*_, **__):
            raise RuleViolation("simulated failure after numbering")

        patch.setattr(issuing, "_count_invoiced", fail)
        with unchanged():
            with pytest.raises(RuleViolation, match="simulated failure"):
                with uow() as session:
                    invoicing.create_invoice(session=session, order_number=number)
    # A command whose later step is refused after a complete invoice: all of it rolls back.
    with unchanged():
        with pytest.raises(RuleViolation, match="cannot ship 13"):
            with uow() as session:
                taken = invoicing.create_invoice(session=session, order_number=number)
                assert taken.number == "INV-00001"
                fulfilment.create_shipment(
                    session=session, order_number=number, lines=[("DESK-OAK", D(13))]
                )
    assert invoice(uow, number) == "INV-00001"
    with uow(write=False) as session:
        assert [i.number for i in session.exec(select(Invoice))] == ["INV-00001"]
        assert session.get(NumberSeries, "invoice").next_value == 2


def test_numbers_are_not_reused_after_a_cancelled_order(make_order, uow):
    first = make_order(lines=[("LAMP-LED", "1")], confirm=False)
    run(uow, lambda s: ordering.cancel_order(session=s, number=first))
    assert make_order(lines=[("LAMP-LED", "1")]) == "SO-00002"


def test_the_ledger_refuses_a_duplicate_number(make_order, uow, refused):
    """Even if a counter were set back, the unique index keeps numbers unique."""
    number = make_order(lines=[("LAMP-LED", "2")])
    invoice_one = [("LAMP-LED", D(1))]
    run(uow, lambda s: invoicing.create_invoice(session=s, order_number=number, lines=invoice_one))
    run(uow, lambda s: setattr(s.get(NumberSeries, "invoice"), "next_value", 1))
    refused(
        RuleViolation,
        "the ledger refused the change: UNIQUE constraint failed: invoice.number",
        lambda s: invoicing.create_invoice(session=s, order_number=number, lines=invoice_one),
    )
