"""SPEC rule 20: write-offs of payment differences (no tax correction) and of bad debts
(tax corrected), within configurable limits, each logged; a void reverses a difference."""

from __future__ import annotations

from datetime import date

import pytest

from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.services.parties import company
from ordercli.services.settlement import credit_memos, payment_corrections, payments, write_offs
from ordercli.views.settlement import adjustment_view, payment_void_view
from tests.services.adjustments_support import (
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

DAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-20")


def build(engine) -> None:
    """INV-00001 ACME 1190.00 (2 % within 10 days), INV-00002 BRIGHT 1190.00 (plain),
    both issued March 1."""
    with unit_of_work(engine) as session:
        give_terms(session, "ACME", add_terms(session))
        issue(session, "ACME")
        issue(session, "BRIGHT")


@pytest.fixture
def engine(ledger_from, scenario_template):
    return ledger_from(scenario_template("write-offs", build))


def record(**kw):
    def action(session):
        payments.record_payment(
            session=session,
            customer_code=kw.pop("customer", "BRIGHT"),
            amount=D(kw.pop("amount", "1187.50")),
            invoices=kw.pop("invoices", [("INV-00002", None)]),
            received_on=kw.pop("on", DAY),
            **kw,
        )

    return action


def bad_debt(number: str = "INV-00002", **kw):
    def action(session):
        return write_offs.write_off_bad_debt(
            session=session, invoice_number=number, reason=kw.pop("reason", "insolvent"), **kw
        )

    return action


def set_limits(uow, **limits) -> None:
    with uow() as session:
        company.update_company(session, **limits)


# --- payment differences ----------------------------------------------------------


def test_a_bank_fee_written_off_with_the_payment(uow):
    doc = pay(
        uow,
        "BRIGHT",
        "1187.50",
        "INV-00002",
        on=DAY,
        write_off=D("2.50"),
        write_off_reason="bank fee",
    )
    assert doc["write_offs"] == [
        {
            "number": "WO-00001",
            "invoice": "INV-00002",
            "amount": D("2.50"),
            "tax": D("0.00"),
            "reason": "bank fee",
            "reversed": False,
        }
    ]
    invoice = invoice_of(uow, "INV-00002")
    assert (invoice["status"], invoice["balance"], invoice["written_off"]) == (
        "paid",
        D("0.00"),
        D("2.50"),
    )
    assert adjustments(uow) == [("WO-00001", "payment_difference", 250, 250, 0, "bank fee")]
    assert entry(uow, "write_off", "WO-00001") == [
        ("payment_differences", 250, 0),
        ("receivable", 0, 250),
    ]
    assert memos(uow, "write_off") == [
        "payment difference written off WO-00001 on INV-00002 with payment PAY-00001: bank fee"
    ]
    ((action, message, user),) = events(uow, "write_off")
    assert (action, bool(user)) == ("payment_difference", True)
    assert "bank fee" in message
    assert_clean(uow)


def test_a_part_of_the_rest_written_off_leaves_the_rest_owed(uow):
    pay(uow, "BRIGHT", "1180.00", "INV-00002", on=DAY, write_off=D("4.00"), write_off_reason="x")
    assert invoice_of(uow, "INV-00002")["balance"] == D("6.00")
    assert_clean(uow)


def test_a_discount_and_a_difference_with_one_payment(uow):
    # 1190.00 less 23.80 discount less 1.00 fee.
    doc = pay(
        uow,
        "ACME",
        "1165.20",
        "INV-00001",
        on=DAY,
        write_off=D("1.00"),
        write_off_reason="bank fee",
    )
    assert [d["amount"] for d in doc["discounts"]] == [D("23.80")]
    assert [w["amount"] for w in doc["write_offs"]] == [D("1.00")]
    assert invoice_of(uow, "INV-00001")["balance"] == D("0.00")
    assert_clean(uow)


def test_limits_are_configurable(uow, refused):
    refused(
        RuleViolation,
        "write-off of 6.00 is above the limit of 5.00",
        record(amount="1184.00", write_off=D("6.00"), write_off_reason="fee"),
    )
    set_limits(uow, write_off_limit="10")
    with uow(write=False) as session:
        assert company.company_profile(session)["write_off_limit"] == D("10.00")
    pay(uow, "BRIGHT", "1184.00", "INV-00002", on=DAY, write_off=D("6.00"), write_off_reason="x")
    assert_clean(uow)


def test_no_limit(uow):
    set_limits(uow, write_off_limit="none")
    pay(
        uow,
        "BRIGHT",
        "1000.00",
        "INV-00002",
        on=DAY,
        write_off=D("190.00"),
        write_off_reason="disputed",
    )
    assert invoice_of(uow, "INV-00002")["balance"] == D("0.00")


def test_payment_write_off_refusals(refused):
    refused(
        RuleViolation,
        "cannot write off 3.00 of INV-00002: only 2.50 is left to pay after this payment",
        record(write_off=D("3.00"), write_off_reason="fee"),
    )
    refused(
        RuleViolation,
        "cannot write off 1.00 of INV-00002: only 0.00 is left to pay after this payment",
        record(amount="1190.00", write_off=D("1.00"), write_off_reason="fee"),
    )
    refused(
        InvalidInput,
        "write-off amount 0 must be greater than zero",
        record(write_off=D("0"), write_off_reason="fee"),
    )
    refused(
        InvalidInput,
        "write-off amount -1 must be greater than zero",
        record(write_off=D("-1"), write_off_reason="fee"),
    )
    refused(InvalidInput, "write-off reason is required", record(write_off=D("2.50")))
    refused(
        InvalidInput,
        "write-off reason must not be empty",
        record(write_off=D("2.50"), write_off_reason=" "),
    )
    refused(InvalidInput, "--reason goes with --write-off AMOUNT", record(write_off_reason="x"))
    one_invoice = "--write-off needs exactly one --invoice: the invoice whose rest is written off"
    refused(
        InvalidInput, one_invoice, record(invoices=None, write_off=D("1"), write_off_reason="x")
    )
    refused(
        InvalidInput,
        one_invoice,
        record(
            customer="ACME",
            invoices=[("INV-00001", None), ("INV-00002", None)],
            write_off=D("1"),
            write_off_reason="x",
        ),
    )


def test_a_void_reverses_the_difference(uow):
    pay(uow, "BRIGHT", "1187.50", "INV-00002", on=DAY, write_off=D("2.50"), write_off_reason="f")
    with uow() as session:
        void = payment_corrections.void_payment(session=session, number="PAY-00001", reason="x")
        assert payment_void_view(session, void)["adjustments_reversed"] == [
            {
                "number": "WO-00001",
                "kind": "payment_difference",
                "invoice": "INV-00002",
                "amount": D("2.50"),
            }
        ]
    invoice = invoice_of(uow, "INV-00002")
    assert (invoice["balance"], invoice["written_off"]) == (D("1190.00"), D("0.00"))
    assert entry(uow, "write_off_reversal", "WO-00001") == [
        ("receivable", 250, 0),
        ("payment_differences", 0, 250),
    ]
    assert_clean(uow)


# --- bad debts --------------------------------------------------------------------


def test_a_bad_debt_corrects_the_tax(uow):
    pay(uow, "BRIGHT", "595.00", "INV-00002", on=DAY)
    with uow() as session:
        view = adjustment_view(session, bad_debt(reason="customer insolvent")(session))
    assert view == {
        "number": "WO-00001",
        "kind": "bad_debt",
        "invoice": "INV-00002",
        "customer": "BRIGHT",
        "payment": None,
        "date": date(2026, 3, 20),
        "currency": "EUR",
        "amount": D("595.00"),
        "net": D("500.00"),
        "tax": D("95.00"),
        "reason": "customer insolvent",
        "invoice_balance": D("0.00"),
    }
    assert entry(uow, "write_off", "WO-00001") == [
        ("bad_debts", 50000, 0),
        ("sales_tax", 9500, 0),
        ("receivable", 0, 59500),
    ]
    assert invoice_of(uow, "INV-00002")["written_off"] == D("595.00")
    ((action, message, _),) = events(uow, "write_off")
    assert action == "bad_debt"
    assert message == (
        "bad debt written off WO-00001 of 595.00 on INV-00002 (BRIGHT), tax corrected 95.00: "
        "customer insolvent; balance 0.00"
    )
    assert_clean(uow)


def test_a_bad_debt_of_part_of_the_balance(uow):
    with uow() as session:
        bad_debt(amount=D("119.00"), written_off_on=date(2026, 3, 15))(session)
    assert adjustments(uow) == [("WO-00001", "bad_debt", 11900, 10000, 1900, "insolvent")]
    assert invoice_of(uow, "INV-00002")["balance"] == D("1071.00")
    assert_clean(uow)


def test_bad_debt_limit(uow, refused):
    set_limits(uow, bad_debt_limit="100")
    error = refused(RuleViolation, "bad debt of 1190.00 is above the limit of 100.00", bad_debt())
    assert "--bad-debt-limit" in error.hint
    with uow() as session:
        bad_debt(amount=D("100.00"))(session)
    set_limits(uow, bad_debt_limit="")  # back to the default: no limit
    with uow() as session:
        bad_debt()(session)
    assert invoice_of(uow, "INV-00002")["balance"] == D("0.00")
    assert_clean(uow)


def test_bad_debt_refusals(uow, refused):
    refused(InvalidInput, "write-off amount 0 must be greater than zero", bad_debt(amount=D(0)))
    refused(
        RuleViolation,
        "cannot write off 1190.01 of INV-00002: its balance is 1190.00",
        bad_debt(amount=D("1190.01")),
    )
    refused(InvalidInput, "reason must not be empty", bad_debt(reason=""))
    refused(NotFound, "no invoice 'INV-09999'", bad_debt("INV-09999"))
    refused(
        InvalidInput,
        "write-off date 2026-03-21 is in the future (today is 2026-03-20)",
        bad_debt(written_off_on=date(2026, 3, 21)),
    )
    refused(
        RuleViolation,
        "bad debt written off WO-00001 dated 2026-02-28 cannot come before invoice "
        "INV-00002, dated 2026-03-01",
        bad_debt(written_off_on=date(2026, 2, 28)),
    )
    pay(uow, "BRIGHT", "1190.00", "INV-00002", on=DAY)
    refused(RuleViolation, "INV-00002 is paid: nothing is left to write off", bad_debt())


def test_no_bad_debt_on_a_cancelled_invoice(uow, refused):
    with uow() as session:
        credit_memos.cancel_invoice(session=session, invoice_number="INV-00002", reason="wrong")
    refused(
        RuleViolation,
        "INV-00002 is cancelled (by credit memo CM-00001): nothing to write off",
        bad_debt(),
    )


def test_a_later_write_off_number_never_carries_an_earlier_date(uow, refused):
    with uow() as session:
        bad_debt("INV-00001", amount=D("1.00"), written_off_on=date(2026, 3, 15))(session)
    refused(
        RuleViolation,
        "payment difference written off WO-00002 dated 2026-03-10 cannot come after "
        "WO-00001, dated 2026-03-15: a later number never carries an earlier date",
        record(write_off=D("2.50"), write_off_reason="fee"),
    )


# --- limits as settings -----------------------------------------------------------


def test_limit_defaults_and_refusals(uow, refused):
    with uow(write=False) as session:
        profile = company.company_profile(session)
    assert (profile["write_off_limit"], profile["bad_debt_limit"]) == (D("5.00"), None)
    refused(
        InvalidInput,
        "write-off limit '-1' must not be negative",
        lambda s: company.update_company(s, write_off_limit="-1"),
    )
    refused(
        InvalidInput,
        "bad-debt limit '1.234' has more than 2 decimal places",
        lambda s: company.update_company(s, bad_debt_limit="1.234"),
    )
    refused(
        InvalidInput,
        "write-off limit 'lots' is not a number",
        lambda s: company.update_company(s, write_off_limit="lots"),
    )
    set_limits(uow, write_off_limit="0.5", bad_debt_limit="2500")
    with uow(write=False) as session:
        profile = company.company_profile(session)
    assert (profile["write_off_limit"], profile["bad_debt_limit"]) == (D("0.50"), D("2500.00"))
    ((_, message, _),) = events(uow, "company")
    assert message == ("company profile updated: write_off_limit 0.50, bad_debt_limit 2500.00")
