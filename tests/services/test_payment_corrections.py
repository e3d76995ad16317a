"""Correcting payments (SPEC rules 4, 4a, 13, 18): void, unapply, reallocate.

Each correction releases allocations in place and posts its own journal entry;
the reports built from the journal ("as of" any day) and the counters kept on
invoices and payments must keep agreeing, before and after the correction's day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from ordercli.books import journal
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import Allocation, Event, JournalEntry, Payment, PaymentVoid
from ordercli.reports import receivables
from ordercli.services.parties import customers
from ordercli.services.settlement import payment_corrections as corrections
from ordercli.services.settlement import payments
from ordercli.views.parties import customer_view
from ordercli.views.settlement import payment_view, payment_void_view

D = Decimal
TODAY = "2026-03-20"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


@pytest.fixture
def books(invoiced, uow):
    """ACME: INV-00001 581.91 (Mar 1), INV-00002 59.44 (Mar 2); PAY-00001 of 700.00 on
    Mar 5 pays both (641.35) and keeps 58.65 as credit."""
    invoiced("ACME", [("DESK-OAK", "1")], issue_date=date(2026, 3, 1))
    invoiced("ACME", [("LAMP-LED", "1")], issue_date=date(2026, 3, 2))
    with uow() as session:
        payments.record_payment(
            session=session, customer_code="ACME", amount=D("700"), received_on=date(2026, 3, 5)
        )
    return uow


def paid_of(uow, number: str) -> int:
    with uow(write=False) as session:
        return payments.get_invoice(session=session, number=number).paid


def void(uow, number="PAY-00001", reason="bounced", on=None):
    with uow() as session:
        document = corrections.void_payment(
            session=session, number=number, reason=reason, voided_on=on
        )
        return payment_void_view(session, document)


def unapply(uow, number="PAY-00001", invoice=None, amount=None, on=None):
    with uow() as session:
        payment = corrections.unapply_payment(
            session=session, number=number, invoice_number=invoice, amount=amount, unapplied_on=on
        )
        return payment_view(session, payment)


def reallocate(uow, source, target, amount=None, on=None, number="PAY-00001"):
    with uow() as session:
        payment = corrections.reallocate_payment(
            session=session,
            number=number,
            from_invoice=source,
            to_invoice=target,
            amount=amount,
            reallocated_on=on,
        )
        return payment_view(session, payment)


def positions(uow, as_of: date) -> dict:
    """What every report says ACME owes at the end of ``as_of``; they must agree."""
    with uow(write=False) as session:
        aging = receivables.aging(session=session, as_of=as_of)["totals"]["total"]
        balance = customer_view(
            session, customers.get_customer(session=session, code="ACME"), as_of
        )
        statement = receivables.statement(session=session, customer="ACME", date_to=as_of)
        trial = journal.trial_balance(session=session, as_of=as_of)
    roles = {a["role"]: a["balance"] for a in trial["accounts"]}
    assert trial["balance"] == 0
    assert aging == balance["open_invoices"] == roles["receivable"]
    assert balance["unapplied_credit"] == -roles["customer_credit"]
    assert statement["closing_balance"] == balance["balance"]
    return {"receivable": aging, "credit": balance["unapplied_credit"], "cash": roles["cash"]}


# --- void ---------------------------------------------------------------------


def test_void_reverses_the_payment_whole(books, ledger_ok, events_of):
    before = positions(books, date(2026, 3, 5))
    assert before == {"receivable": D("0.00"), "credit": D("58.65"), "cash": D("700.00")}
    view = void(books, on=date(2026, 3, 12))
    assert view["number"] == "PV-00001"
    assert view["invoices"] == [
        {"invoice": "INV-00001", "amount": D("581.91")},
        {"invoice": "INV-00002", "amount": D("59.44")},
    ]
    assert view["unapplied_taken_back"] == D("58.65")
    assert paid_of(books, "INV-00001") == paid_of(books, "INV-00002") == 0
    with books(write=False) as session:
        payment = payments.get_payment(session=session, number="PAY-00001")
        assert payment.unapplied == 0
        rows = session.exec(select(Allocation).order_by(col(Allocation.id))).all()
        assert [(a.released_on, a.released_by) for a in rows] == [
            (date(2026, 3, 12), "PV-00001")
        ] * 2
        entry = session.exec(
            select(JournalEntry).where(JournalEntry.source_kind == "payment_void")
        ).one()
        assert (entry.source_number, entry.entry_date) == ("PV-00001", date(2026, 3, 12))
    # The ledger as it stood before the void is unchanged; after it, all is owed again.
    assert positions(books, date(2026, 3, 11)) == before
    assert positions(books, date(2026, 3, 12)) == {
        "receivable": D("641.35"),
        "credit": D("0.00"),
        "cash": D("0.00"),
    }
    assert events_of("PV-00001")[0][0] == "voided"
    assert [a for a, _ in events_of("INV-00001")][-1] == "payment_voided"
    ledger_ok()


def test_void_refusals_leave_the_ledger_unchanged(books, refused):
    refused(
        RuleViolation,
        "payment void PV-00001 dated 2026-03-04 cannot come before payment PAY-00001, "
        "dated 2026-03-05",
        lambda s: corrections.void_payment(
            session=s, number="PAY-00001", reason="x", voided_on=date(2026, 3, 4)
        ),
    )
    refused(
        InvalidInput,
        "payment void PV-00001 date 2026-03-21 is in the future (today is 2026-03-20)",
        lambda s: corrections.void_payment(
            session=s, number="PAY-00001", reason="x", voided_on=date(2026, 3, 21)
        ),
    )
    refused(
        InvalidInput,
        "reason is required",
        lambda s: corrections.void_payment(session=s, number="PAY-00001", reason=None),
    )


def test_void_dates_run_forward_in_their_series(books, invoiced, refused, uow):
    with uow() as session:
        payments.record_payment(
            session=session, customer_code="ACME", amount=D("10"), received_on=date(2026, 3, 5)
        )
    void(books, "PAY-00002", on=date(2026, 3, 15))
    refused(
        RuleViolation,
        "payment void PV-00002 dated 2026-03-10 cannot come after PV-00001, dated 2026-03-15: "
        "a later number never carries an earlier date",
        lambda s: corrections.void_payment(
            session=s, number="PAY-00001", reason="x", voided_on=date(2026, 3, 10)
        ),
    )


def test_void_waits_for_credit_applied_elsewhere_and_comes_after_what_it_releases(books, refused):
    unapply(books, invoice="INV-00002", on=date(2026, 3, 6))
    with books() as session:
        payments.apply_credit(
            session=session,
            customer_code="ACME",
            invoice_number="INV-00002",
            amount=D("10"),
            applied_on=date(2026, 3, 8),
        )
    # Credit applied later is refused (rule 13) until it is taken off again ...
    refused(
        RuleViolation,
        "payment PAY-00001 cannot be voided: its credit is still applied to INV-00002 (10.00)",
        lambda s: corrections.void_payment(session=s, number="PAY-00001", reason="x"),
    )
    unapply(books, invoice="INV-00002", on=date(2026, 3, 8))
    # ... money moved by a reallocation is the payment's own, and dates the void (as
    # does the rest of the allocation it came from, which counts from that day on).
    reallocate(books, "INV-00001", "INV-00002", amount=D("20"), on=date(2026, 3, 9))
    refused(
        RuleViolation,
        "payment void PV-00001 dated 2026-03-08 cannot come before the allocation of "
        "PAY-00001 to INV-00001, dated 2026-03-09",
        lambda s: corrections.void_payment(
            session=s, number="PAY-00001", reason="x", voided_on=date(2026, 3, 8)
        ),
    )
    assert void(books, on=date(2026, 3, 9))["invoices"] == [
        {"invoice": "INV-00001", "amount": D("561.91")},
        {"invoice": "INV-00002", "amount": D("20.00")},
    ]


def test_a_void_after_a_credit_memo_gave_the_payment_back_is_refused(books, refused, uow):
    from ordercli.services.settlement import credit_memos

    with uow() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00002", settlement="store_credit"
        )
    refused(
        RuleViolation,
        "cannot take 59.44 off INV-00002: it stands paid 0.00 after credit memo CM-00001 "
        "gave the rest back as refund or store credit",
        lambda s: corrections.void_payment(session=s, number="PAY-00001", reason="x"),
    )


# --- unapply ------------------------------------------------------------------


def test_unapply_part_releases_newest_first_and_keeps_the_rest(books, ledger_ok):
    view = unapply(books, amount=D("100"), on=date(2026, 3, 10))
    # INV-00002 (59.44) was paid after INV-00001 in the payment's order: it goes first.
    assert [(a["invoice"], a["amount"], a["date"]) for a in view["allocations"]] == [
        ("INV-00001", D("541.35"), date(2026, 3, 10))
    ]
    assert [(r["invoice"], r["amount"], r["released_by"]) for r in view["released"]] == [
        ("INV-00001", D("581.91"), "PAY-00001"),
        ("INV-00002", D("59.44"), "PAY-00001"),
    ]
    assert view["unapplied"] == D("158.65")
    assert positions(books, date(2026, 3, 9))["receivable"] == D("0.00")
    assert positions(books, date(2026, 3, 10)) == {
        "receivable": D("100.00"),
        "credit": D("158.65"),
        "cash": D("700.00"),
    }
    ledger_ok()


def test_unapply_refusals(books, refused):
    refused(
        RuleViolation,
        "cannot take 700.00 of PAY-00001 off its invoices: only 641.35 of it is there",
        lambda s: corrections.unapply_payment(session=s, number="PAY-00001", amount=D("700")),
    )
    refused(
        InvalidInput,
        "amount 0 must be greater than zero",
        lambda s: corrections.unapply_payment(session=s, number="PAY-00001", amount=D("0")),
    )
    unapply(books)
    refused(
        RuleViolation,
        "payment PAY-00001 is not allocated to any invoice",
        lambda s: corrections.unapply_payment(session=s, number="PAY-00001"),
    )


# --- reallocate ---------------------------------------------------------------


def test_reallocate_moves_money_and_reports_agree_on_both_sides(books, invoiced, ledger_ok):
    invoiced("ACME", [("LAMP-LED", "2")], issue_date=date(2026, 3, 8))  # INV-00003 118.88
    view = reallocate(books, "INV-00001", "INV-00003", on=date(2026, 3, 9))
    assert [(a["invoice"], a["amount"]) for a in view["allocations"]] == [
        ("INV-00002", D("59.44")),
        ("INV-00001", D("463.03")),
        ("INV-00003", D("118.88")),
    ]
    assert paid_of(books, "INV-00003") == 11888
    assert positions(books, date(2026, 3, 8))["receivable"] == D("118.88")
    assert positions(books, date(2026, 3, 9))["receivable"] == D("118.88")
    with books(write=False) as session:
        aging = receivables.aging(session=session, as_of=date(2026, 3, 9))
    assert aging["totals"]["total"] == D("118.88")
    ledger_ok()


def test_reallocate_refusals(books, invoiced, refused):
    invoiced("ACME", [("LAMP-LED", "2")], issue_date=date(2026, 3, 8))
    invoiced("BRIGHT", [("LAMP-LED", "1")], issue_date=date(2026, 3, 8))
    refused(
        RuleViolation,
        "reallocating PAY-00001 dated 2026-03-07 cannot come before invoice INV-00003, "
        "dated 2026-03-08",
        lambda s: corrections.reallocate_payment(
            session=s,
            number="PAY-00001",
            from_invoice="INV-00001",
            to_invoice="INV-00003",
            reallocated_on=date(2026, 3, 7),
        ),
    )
    refused(
        RuleViolation,
        "invoice INV-00004 belongs to another customer, not ACME",
        lambda s: corrections.reallocate_payment(
            session=s, number="PAY-00001", from_invoice="INV-00001", to_invoice="INV-00004"
        ),
    )
    refused(
        RuleViolation,
        "cannot allocate 200.00 to INV-00003: its balance is 118.88",
        lambda s: corrections.reallocate_payment(
            session=s,
            number="PAY-00001",
            from_invoice="INV-00001",
            to_invoice="INV-00003",
            amount=D("200"),
        ),
    )


# --- many corrections in any order ----------------------------------------------

STEP = st.tuples(
    st.sampled_from(["record", "apply", "unapply", "reallocate", "void"]),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=2),
    st.sampled_from([None, D("1"), D("25.5"), D("300")]),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=8))
def test_any_sequence_of_corrections_keeps_the_books(books, invoiced, ledger_ok, engine, steps):
    """Record, apply, unapply, reallocate and void in any order: whatever is refused
    changes nothing, and the trial balance, receivables and every check stay right."""
    from ordercli.db.engine import unit_of_work

    invoices = ["INV-00001", "INV-00002"]
    for kind, i, j, amount in steps:
        with unit_of_work(engine) as session:
            numbers = list(session.exec(select(Payment.number).order_by(col(Payment.id))))
        pay = numbers[i % len(numbers)]
        try:
            with unit_of_work(engine) as session:
                if kind == "record":
                    payments.record_payment(
                        session=session, customer_code="ACME", amount=amount or D("50")
                    )
                elif kind == "apply":
                    payments.apply_credit(
                        session=session,
                        customer_code="ACME",
                        invoice_number=invoices[j % 2],
                        amount=amount,
                    )
                elif kind == "unapply":
                    corrections.unapply_payment(
                        session=session, number=pay, invoice_number=invoices[j % 2], amount=amount
                    )
                elif kind == "reallocate":
                    corrections.reallocate_payment(
                        session=session,
                        number=pay,
                        from_invoice=invoices[j % 2],
                        to_invoice=invoices[(j + 1) % 2],
                        amount=amount,
                    )
                else:
                    corrections.void_payment(session=session, number=pay, reason="test")
        except (RuleViolation, InvalidInput):
            pass
        ledger_ok()
    with unit_of_work(engine) as session:
        for v in session.exec(select(PaymentVoid)):
            assert session.get(Payment, v.payment_id).unapplied == 0
        assert session.exec(select(Event)).first() is not None
