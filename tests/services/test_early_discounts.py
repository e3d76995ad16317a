"""SPEC rule 20: an early-payment discount is taken only within its window, posted to
its own account with the tax part corrected; a void reverses it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from ordercli.books.checks import run_checks
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.services.settlement import credit_memos, payment_corrections, payments
from ordercli.views.settlement import payment_view
from tests.services.adjustments_support import (
    WINDOW_END,
    D,
    add_terms,
    adjustments,
    assert_clean,
    entry,
    events,
    give_terms,
    invoice_of,
    issue,
    memos,
    pay,
)

DAY_9 = date(2026, 3, 10)
DAY_11 = date(2026, 3, 12)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-20")


def build(engine) -> None:
    """ACME takes 2 % within 10 days, net 30: INV-00001 (1190.00) issued on March 1.
    BRIGHT keeps its plain terms: INV-00002 (1190.00), no discount."""
    with unit_of_work(engine) as session:
        give_terms(session, "ACME", add_terms(session))
        issue(session, "ACME")
        issue(session, "BRIGHT")


@pytest.fixture
def engine(ledger_from, scenario_template):
    return ledger_from(scenario_template("early-discounts", build))


# --- taken within the window ------------------------------------------------------


def test_the_discounted_amount_on_day_9_settles_the_invoice(uow):
    doc = pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    assert doc["discounts"] == [
        {
            "number": "ED-00001",
            "invoice": "INV-00001",
            "amount": D("23.80"),
            "tax": D("3.80"),
            "reason": None,
            "reversed": False,
        }
    ]
    assert doc["write_offs"] == []
    invoice = invoice_of(uow, "INV-00001")
    assert (invoice["status"], invoice["balance"], invoice["discounted"]) == (
        "paid",
        D("0.00"),
        D("23.80"),
    )
    assert invoice["paid"] == D("1166.20")
    assert adjustments(uow) == [("ED-00001", "early_discount", 2380, 2000, 380, None)]
    assert entry(uow, "early_discount", "ED-00001") == [
        ("early_discounts", 2000, 0),
        ("sales_tax", 380, 0),
        ("receivable", 0, 2380),
    ]
    assert memos(uow, "early_discount") == [
        "early-payment discount ED-00001 on INV-00001 with payment PAY-00001"
    ]
    ((action, message, user),) = events(uow, "early_discount")
    assert action == "early_discount" and user
    assert message == (
        "early-payment discount ED-00001 of 23.80 on INV-00001 (ACME) with payment "
        "PAY-00001, tax corrected 3.80; balance 0.00"
    )
    assert_clean(uow)


def test_the_last_day_of_the_window_still_counts(uow):
    doc = pay(uow, "ACME", "1166.20", "INV-00001", on=WINDOW_END)
    assert [d["amount"] for d in doc["discounts"]] == [D("23.80")]


def test_paying_in_full_takes_no_discount(uow):
    doc = pay(uow, "ACME", "1190.00", "INV-00001", on=DAY_9)
    assert doc["discounts"] == []
    assert invoice_of(uow, "INV-00001")["discounted"] == D("0.00")


def test_a_payment_that_does_not_settle_it_exactly_takes_none(uow):
    doc = pay(uow, "ACME", "1000.00", "INV-00001", on=DAY_9)
    assert doc["discounts"] == []
    assert invoice_of(uow, "INV-00001")["balance"] == D("190.00")


def test_without_invoice_the_exact_amount_takes_it_too(uow):
    doc = pay(uow, "ACME", "1166.20", on=DAY_9)
    assert [(a["invoice"], a["amount"]) for a in doc["allocations"]] == [
        ("INV-00001", D("1166.20"))
    ]
    assert [d["number"] for d in doc["discounts"]] == ["ED-00001"]
    assert_clean(uow)


def test_a_part_paid_earlier_then_the_rest_less_the_discount(uow):
    pay(uow, "ACME", "500.00", "INV-00001", on=date(2026, 3, 5))
    doc = pay(uow, "ACME", "666.20", "INV-00001", on=DAY_9)
    assert [d["amount"] for d in doc["discounts"]] == [D("23.80")]
    assert invoice_of(uow, "INV-00001")["balance"] == D("0.00")
    assert_clean(uow)


def test_demanded_discount_within_the_window(uow):
    doc = pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9, discount=True)
    assert [d["number"] for d in doc["discounts"]] == ["ED-00001"]


# --- several invoices -------------------------------------------------------------


def two_invoices(uow) -> None:
    with uow() as session:
        issue(session, "ACME", price="500.00", on=date(2026, 3, 2))  # INV-00003: 595.00


def test_each_named_invoice_at_its_discounted_amount(uow):
    two_invoices(uow)
    # 1166.20 + 583.10 (595.00 less 11.90)
    doc = pay(uow, "ACME", "1749.30", "INV-00001", "INV-00003", on=DAY_9)
    assert [(d["invoice"], d["amount"]) for d in doc["discounts"]] == [
        ("INV-00001", D("23.80")),
        ("INV-00003", D("11.90")),
    ]
    assert doc["unapplied"] == D("0.00")
    assert_clean(uow)


def test_every_open_invoice_at_its_discounted_amount_without_invoice(uow):
    two_invoices(uow)
    doc = pay(uow, "ACME", "1749.30", on=DAY_9)
    assert [d["number"] for d in doc["discounts"]] == ["ED-00001", "ED-00002"]
    assert invoice_of(uow, "INV-00003")["balance"] == D("0.00")
    assert_clean(uow)


def test_an_amount_that_matches_nothing_is_allocated_oldest_first(uow):
    two_invoices(uow)
    doc = pay(uow, "ACME", "1700.00", on=DAY_9)
    assert [(a["invoice"], a["amount"]) for a in doc["allocations"]] == [
        ("INV-00001", D("1190.00")),
        ("INV-00003", D("510.00")),
    ]
    assert doc["discounts"] == []


def test_each_invoice_judged_on_its_own(uow):
    two_invoices(uow)
    # INV-00001 in full, INV-00003 gets 583.10: with its discount exactly settled.
    doc = pay(uow, "ACME", "1773.10", "INV-00001", "INV-00003", on=DAY_9)
    assert [(d["invoice"], d["amount"]) for d in doc["discounts"]] == [("INV-00003", D("11.90"))]
    assert_clean(uow)


# --- after the window -------------------------------------------------------------


def test_after_the_window_a_demanded_discount_is_refused(refused):
    refused(
        RuleViolation,
        "cannot take the early-payment discount on INV-00001 with a payment dated "
        "2026-03-12: the discount window closed on 2026-03-11",
        lambda s: payments.record_payment(
            session=s,
            customer_code="ACME",
            amount=D("1166.20"),
            invoices=[("INV-00001", None)],
            received_on=DAY_11,
            discount=True,
        ),
    )


def test_after_the_window_the_amount_is_a_part_payment(uow):
    doc = pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_11)
    assert doc["discounts"] == []
    assert invoice_of(uow, "INV-00001")["balance"] == D("23.80")


def test_a_late_discount_allowed_with_a_reason(uow):
    doc = pay(
        uow,
        "ACME",
        "1166.20",
        "INV-00001",
        on=DAY_11,
        late_discount_reason="bank holiday delayed the transfer",
    )
    reason = "taken after the window closed on 2026-03-11: bank holiday delayed the transfer"
    assert [(d["amount"], d["reason"]) for d in doc["discounts"]] == [(D("23.80"), reason)]
    ((_, message, _),) = events(uow, "early_discount")
    assert message.endswith(f": {reason}; balance 0.00")
    assert memos(uow, "early_discount") == [
        f"early-payment discount ED-00001 on INV-00001 with payment PAY-00001: {reason}"
    ]
    assert_clean(uow)


# --- refusals ---------------------------------------------------------------------


def record(**kw):
    def action(session):
        payments.record_payment(
            session=session,
            customer_code=kw.pop("customer", "ACME"),
            amount=D(kw.pop("amount", "1166.20")),
            invoices=kw.pop("invoices", [("INV-00001", None)]),
            received_on=kw.pop("on", DAY_9),
            **kw,
        )

    return action


def test_demanding_a_discount_an_invoice_has_not(refused):
    refused(
        RuleViolation,
        "INV-00002 has no early-payment discount (its terms: net 14 days, due 2026-03-15)",
        record(customer="BRIGHT", invoices=[("INV-00002", None)], discount=True),
    )


def test_demanding_a_discount_the_amount_does_not_settle(refused):
    refused(
        RuleViolation,
        "with its early-payment discount of 23.80, INV-00001 is settled by exactly 1166.20; "
        "the payment puts 1100.00 on it",
        record(amount="1100.00", discount=True),
    )
    refused(
        RuleViolation,
        "with its early-payment discount of 23.80, INV-00001 is settled by exactly 1166.20; "
        "the payment puts 1166.19 on it",
        record(amount="1166.20", invoices=[("INV-00001", D("1166.19"))], discount=True),
    )


def test_discount_needs_named_invoices(refused):
    refused(
        InvalidInput,
        "--discount needs --invoice: name the invoices the discount is taken on",
        record(invoices=None, discount=True),
    )


def test_a_late_discount_needs_a_reason(refused):
    refused(
        InvalidInput,
        "--allow-late-discount needs a reason",
        record(on=DAY_11, late_discount_reason="  "),
    )


# --- corrections ------------------------------------------------------------------


def test_a_void_reverses_the_discount(uow):
    pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    with uow() as session:
        payment_corrections.void_payment(
            session=session, number="PAY-00001", reason="bounced", voided_on=date(2026, 3, 11)
        )
    invoice = invoice_of(uow, "INV-00001")
    assert (invoice["balance"], invoice["discounted"], invoice["paid"]) == (
        D("1190.00"),
        D("0.00"),
        D("0.00"),
    )
    assert entry(uow, "early_discount_reversal", "ED-00001") == [
        ("receivable", 2380, 0),
        ("early_discounts", 0, 2000),
        ("sales_tax", 0, 380),
    ]
    assert [a for a, _, _ in events(uow, "early_discount")] == ["early_discount", "reversed"]
    with uow(write=False) as session:
        shown = payments.get_payment(session=session, number="PAY-00001")
        assert payment_view(session, shown)["discounts"][0]["reversed"] is True
        moves = payments.transactions(session=session, kind="adjustment_reversed")
        assert [(m["number"], m["amount"], m["source"]) for m in moves] == [
            ("ED-00001", D("-23.80"), "PV-00001")
        ]
    assert_clean(uow)
    # Paid again within the window, the discount is there to take again.
    doc = pay(uow, "ACME", "1166.20", "INV-00001", on=WINDOW_END)
    assert [d["number"] for d in doc["discounts"]] == ["ED-00002"]
    assert_clean(uow)


def test_money_that_took_a_discount_cannot_be_moved_off(uow, refused):
    pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    message = (
        "cannot unapply payment PAY-00001 off INV-00001: it came with early-payment "
        "discount ED-00001 of 23.80 there"
    )
    error = refused(
        RuleViolation,
        message,
        lambda s: payment_corrections.unapply_payment(session=s, number="PAY-00001"),
    )
    assert "payment void PAY-00001" in error.hint
    with uow() as session:
        issue(session, "ACME", price="10.00", on=DAY_9)  # INV-00003
    refused(
        RuleViolation,
        message.replace("unapply", "move"),
        lambda s: payment_corrections.reallocate_payment(
            session=s,
            number="PAY-00001",
            from_invoice="INV-00001",
            to_invoice="INV-00003",
            amount=D("5.00"),
        ),
    )


def test_credit_memo_after_a_discount(uow):
    """A credit memo on a discounted invoice gives back from what was paid (engineer D's
    rule may refuse what was not paid): either way the books stay right."""
    pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    with uow() as session:
        memo = credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00001", amount=D("100.00"), reason="dent"
        )
        assert (memo.applied, memo.released) == (0, 10000)
    assert_clean(uow)
    try:
        with uow() as session:
            credit_memos.create_credit_memo(
                session=session, invoice_number="INV-00001", reason="all of it"
            )
    except (RuleViolation, InvalidInput):
        pass  # refused: what was not paid cannot be given back
    assert_clean(uow)


def test_a_discount_after_a_credit_memo_is_on_what_is_left(uow):
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            amount=D("119.00"),
            reason="price",
            issue_date=date(2026, 3, 2),
        )
    # Left: 1071.00 (900.00 + 171.00); 2 % is 21.42, of it 3.42 tax.
    doc = pay(uow, "ACME", "1049.58", "INV-00001", on=DAY_9)
    assert [(d["amount"], d["tax"]) for d in doc["discounts"]] == [(D("21.42"), D("3.42"))]
    assert_clean(uow)


# --- ordercli check ---------------------------------------------------------------


def problems(uow) -> set[str]:
    with uow(write=False) as session:
        return {p["check"] for p in run_checks(session=session)["problems"]}


COLUMNS_MATCH = "each invoice's discounted, written off and prepaid amounts match its adjustments"
ENTRY_MATCHES = "each discount, write-off and deposit deducted credits the receivable by its amount"
WITHIN_RATE = "an invoice's early-payment discounts stay within its discount rate of its total"


def tamper(engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql))


def test_check_names_a_column_that_disagrees_with_its_adjustments(uow, engine):
    pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    tamper(engine, "UPDATE invoice SET discounted = 0, paid = paid + 2380 WHERE id = 1")
    assert COLUMNS_MATCH in problems(uow)


def test_check_names_an_adjustment_its_entry_does_not_match(uow, engine):
    pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    tamper(
        engine,
        "UPDATE invoice_adjustment SET amount = amount + 100, net = net + 100 "
        "WHERE number = 'ED-00001'",
    )
    assert {COLUMNS_MATCH, ENTRY_MATCHES, WITHIN_RATE} <= problems(uow)


def test_check_names_a_discount_above_the_rate(uow, engine):
    pay(uow, "ACME", "1166.20", "INV-00001", on=DAY_9)
    assert WITHIN_RATE not in problems(uow)
    tamper(engine, "UPDATE invoice SET discount_pct = 10000 WHERE id = 1")
    assert WITHIN_RATE in problems(uow)
    tamper(engine, "UPDATE invoice SET discount_pct = NULL, discount_until = NULL WHERE id = 1")
    assert WITHIN_RATE in problems(uow)
