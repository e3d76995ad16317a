"""SPEC rules 1 (documents belong to an active customer), 4 (event log) and 16 (credit limit)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from ordercli.books import events
from ordercli.books.clock import os_user
from ordercli.domain.errors import NotFound, RuleViolation
from ordercli.models import Event, Invoice, SalesOrder, Shipment
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering, quoting

D = Decimal


def deactivate(uow, code: str) -> None:
    with uow() as session:
        customers.set_customer_active(session=session, code=code, active=False)


# Rule 1 ---------------------------------------------------------------------


def test_inactive_customer_gets_no_new_quote(seeded, uow, refused):
    deactivate(uow, "ACME")
    refused(
        RuleViolation,
        "customer ACME is inactive and gets no new quotes",
        lambda s: quoting.new_quote(session=s, customer_code="ACME"),
    )


def test_inactive_customer_gets_no_new_order(seeded, uow, refused):
    deactivate(uow, "ACME")
    refused(
        RuleViolation,
        "customer ACME is inactive and gets no new orders",
        lambda s: ordering.new_order(session=s, customer_code="ACME"),
    )


def test_accepted_quote_of_a_deactivated_customer_does_not_become_an_order(seeded, uow, refused):
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="ACME")
        quoting.add_quote_line(session=session, number=quote.number, sku="DESK-OAK", qty=D(1))
        quoting.accept_quote(session=session, number=quote.number)
    deactivate(uow, "ACME")
    refused(
        RuleViolation,
        "customer ACME is inactive and gets no new orders",
        lambda s: quoting.convert_quote(session=s, number="Q-00001"),
    )


def test_draft_of_a_deactivated_customer_cannot_be_confirmed(make_order, uow, refused):
    number = make_order("ACME", [("DESK-OAK", "1")], confirm=False)
    deactivate(uow, "ACME")
    refused(
        RuleViolation,
        f"cannot confirm {number}: customer ACME is inactive",
        lambda s: ordering.confirm_order(session=s, number=number),
    )


def test_unknown_customer_gets_nothing(seeded, refused):
    refused(
        NotFound,
        "no customer 'NOBODY'",
        lambda s: ordering.new_order(session=s, customer_code="NOBODY"),
    )
    refused(
        NotFound,
        "no customer 'NOBODY'",
        lambda s: quoting.new_quote(session=s, customer_code="NOBODY"),
    )


def test_documents_carry_their_orders_customer(make_order, uow):
    number = make_order("BRIGHT", [("DESK-OAK", "2")])
    with uow() as session:
        invoice = invoicing.create_invoice(session=session, order_number=number)
        shipment = fulfilment.create_shipment(session=session, order_number=number)
        order = ordering.get_order(session=session, number=number)
        bright = customers.get_customer(session=session, code="BRIGHT")
        assert order.customer_id == invoice.customer_id == shipment.customer_id == bright.id


def test_the_database_refuses_an_order_without_a_real_customer(seeded, refused):
    """The foreign key holds even for a caller that bypasses the services."""

    def insert(session):
        session.connection().execute(
            text(
                "INSERT INTO sales_order (number, customer_id, status, order_date, subtotal, "
                "tax, total, created_at) VALUES ('SO-X', 9999, 'draft', '2026-01-01', 0, 0, 0, "
                "'2026-01-01 00:00:00')"
            )
        )

    refused(
        RuleViolation,
        "the ledger refused the change: FOREIGN KEY constraint failed",
        insert,
    )


# Rule 16: credit limit at confirm ----------------------------------------------


def test_confirm_over_the_credit_limit_is_refused(make_order, refused):
    # CAFE has a limit of 2000.00; 4 × 489.00 + 19 % = 2327.64.
    number = make_order("CAFE", [("DESK-OAK", "4")], confirm=False)
    refused(
        RuleViolation,
        f"cannot confirm {number}: CAFE would owe 2327.64 against a credit limit of 2000.00 "
        "(exposure 0.00 + this order 2327.64)",
        lambda s: ordering.confirm_order(session=s, number=number),
    )


def test_exposure_counts_open_invoices_and_unbilled_confirmed_orders(make_order, uow, refused):
    # WIEN: limit 3000.00. First order 2 × 489.00 + 19 % = 1163.82, half of it invoiced.
    first = make_order("WIEN", [("DESK-OAK", "2")], confirm=False)
    with uow() as session:
        ordering.confirm_order(session=session, number=first)
        invoicing.create_invoice(session=session, order_number=first, lines=[("DESK-OAK", D(1))])
    # A draft does not count; a second draft of 4 desks would reach 3491.46.
    second = make_order("WIEN", [("DESK-OAK", "4")], confirm=False)
    refused(
        RuleViolation,
        f"cannot confirm {second}: WIEN would owe 3491.46 against a credit limit of 3000.00 "
        "(exposure 1163.82 + this order 2327.64)",
        lambda s: ordering.confirm_order(session=s, number=second),
    )


def test_confirm_exactly_at_the_credit_limit_is_allowed(seeded, uow, order_state):
    with uow() as session:
        customers.add_customer(
            session=session, name="Exact Ltd", code="EXACT", credit_limit=D("581.91")
        )
        order = ordering.new_order(session=session, customer_code="EXACT")
        ordering.add_order_line(session=session, number=order.number, sku="DESK-OAK", qty=D(1))
    with uow() as session:
        ordering.confirm_order(session=session, number=order.number)
    assert order_state(order.number)["status"] == "confirmed"
    assert order_state(order.number)["total"] == D("581.91")


def test_cancelled_orders_free_the_credit_again(make_order, uow, order_state):
    first = make_order("CAFE", [("DESK-OAK", "3")], confirm=False)  # 1745.73 of 2000.00
    with uow() as session:
        ordering.confirm_order(session=session, number=first)
    second = make_order("CAFE", [("DESK-OAK", "1")], confirm=False)  # 581.91 more: too much
    with pytest.raises(RuleViolation, match="would owe 2327.64"):
        with uow() as session:
            ordering.confirm_order(session=session, number=second)
    with uow() as session:
        ordering.cancel_order(session=session, number=first)
        ordering.confirm_order(session=session, number=second)
    assert order_state(second)["status"] == "confirmed"


def test_credit_override_confirms_and_is_logged(make_order, uow, order_state, events_of):
    number = make_order("CAFE", [("DESK-OAK", "4")], confirm=False)
    with uow() as session:
        ordering.confirm_order(session=session, number=number, override_credit="paid upfront")
    assert order_state(number)["status"] == "confirmed"
    logged = events_of(number)
    assert (
        "credit_override",
        "credit limit overridden: CAFE would owe 2327.64 against a credit limit of 2000.00 "
        "(exposure 0.00 + this order 2327.64); reason: paid upfront",
    ) in logged
    actions = [action for action, _ in logged]
    assert actions.index("credit_override") < actions.index("confirmed")


def test_override_within_the_limit_logs_nothing(make_order, uow, events_of):
    number = make_order("ACME", [("DESK-OAK", "1")], confirm=False)
    with uow() as session:
        ordering.confirm_order(session=session, number=number, override_credit="not needed")
    assert "credit_override" not in [action for action, _ in events_of(number)]


# Rule 4: the event log --------------------------------------------------------


def test_every_state_change_of_an_order_is_logged(seeded, uow, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-05-04")
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="ACME")
        number = order.number
    steps = [
        lambda s: ordering.add_order_line(session=s, number=number, sku="DESK-OAK", qty=D(2)),
        lambda s: ordering.add_order_line(session=s, number=number, sku="INSTALL", qty=D(1)),
        lambda s: ordering.edit_order_line(session=s, number=number, line_ref="1", qty=D(3)),
        lambda s: ordering.hold_order(session=s, number=number, reason="awaiting PO"),
        lambda s: ordering.release_order(session=s, number=number),
        lambda s: ordering.confirm_order(session=s, number=number),
        lambda s: invoicing.create_invoice(session=s, order_number=number),
        lambda s: fulfilment.create_shipment(session=s, order_number=number, carrier="DHL"),
        lambda s: fulfilment.deliver_shipment(session=s, number="SH-00001"),
    ]
    for step in steps:
        with uow() as session:
            step(session)
    with uow(write=False) as session:
        order = ordering.get_order(session=session, number=number)
        timeline = events.events_for(session=session, order_id=order.id, quote_id=None)
        assert [(e.subject_number, e.action) for e in timeline] == [
            (number, "created"),
            (number, "line_added"),
            (number, "line_added"),
            (number, "line_edited"),
            (number, "held"),
            (number, "released"),
            (number, "confirmed"),
            ("INV-00001", "issued"),
            ("SH-00001", "shipped"),
            (number, "completed"),
            ("SH-00001", "delivered"),
        ]
        assert all(e.os_user == os_user() for e in timeline)
        assert all(e.at.date().isoformat() == "2026-05-04" for e in timeline)
        assert timeline[4].message == "put on hold: awaiting PO"
        assert timeline[7].message == (
            "invoice INV-00001 issued for SO-00001: 2 line(s), total 1823.08, due 2026-06-03"
        )


def test_a_converted_orders_timeline_starts_with_its_quote(seeded, uow):
    with uow() as session:
        quote = quoting.new_quote(session=session, customer_code="ACME")
        quoting.add_quote_line(session=session, number=quote.number, sku="DESK-OAK", qty=D(1))
        quoting.send_quote(session=session, number=quote.number)
        quoting.accept_quote(session=session, number=quote.number)
        order = quoting.convert_quote(session=session, number=quote.number)
    with uow(write=False) as session:
        timeline = events.events_for(session=session, order_id=order.id, quote_id=quote.id)
        assert [(e.subject_number, e.action) for e in timeline] == [
            ("Q-00001", "created"),
            ("Q-00001", "line_added"),
            ("Q-00001", "sent"),
            ("Q-00001", "accepted"),
            ("SO-00001", "created"),
            ("Q-00001", "converted"),
        ]


def test_the_event_log_is_only_ever_appended_to(make_order, uow, fingerprint, engine):
    number = make_order("ACME", [("DESK-OAK", "4")])
    before = fingerprint(engine)["event"]
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number, lines=[("DESK-OAK", D(1))])
        ordering.edit_order_line(session=session, number=number, line_ref="1", qty=D(5))
    after = fingerprint(engine)["event"]
    assert after[: len(before)] == before
    assert len(after) == len(before) + 2


def test_issued_documents_stay_as_issued(make_order, uow, fingerprint, engine):
    """Rule 4: later changes to the order never rewrite an issued invoice or shipment."""
    number = make_order("ACME", [("DESK-OAK", "4")])
    with uow() as session:
        invoicing.create_invoice(session=session, order_number=number, lines=[("DESK-OAK", D(2))])
        fulfilment.create_shipment(session=session, order_number=number, lines=[("DESK-OAK", D(1))])
    issued = {t: fingerprint(engine)[t] for t in ("invoice", "invoice_line", "shipment_line")}
    with uow() as session:
        ordering.edit_order_line(session=session, number=number, line_ref="1", qty=D(6))
        invoicing.create_invoice(session=session, order_number=number)
    after = fingerprint(engine)
    assert after["invoice"][:1] == issued["invoice"]
    assert after["invoice_line"][:1] == issued["invoice_line"]
    assert after["shipment_line"] == issued["shipment_line"]
    with uow(write=False) as session:
        assert len(session.exec(select(Invoice)).all()) == 2
        assert len(session.exec(select(Shipment)).all()) == 1
        assert session.exec(select(SalesOrder)).one().total == 6 * 58191
        assert {e.action for e in session.exec(select(Event))} >= {"issued", "line_edited"}
