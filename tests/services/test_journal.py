"""SPEC rule 18: every invoice, payment, credit memo, use of credit and refund posts one
balanced journal entry; the trial balance sums to zero, the receivable account equals
the open invoice balances, the customer credit account the unapplied payments and store
credit. ``run_checks`` ties it all together and names what a raw UPDATE corrupted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from ordercli.books import checks, journal
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import NotFound, RuleViolation
from ordercli.models import Account, JournalEntry, JournalLine
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import credit_memos, payments, returns

D = Decimal


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def build_everything(engine) -> None:
    """Every kind of document, ``run_checks`` clean after each step:

    INV-00001 (2 desks, 2 lamps: 1282.70, 03-01) paid by PAY-00001 (1300.00, 03-05,
    17.30 left over); RMA-00001 brings a desk back, resolved by CM-00001 refunded as
    RF-00001 (581.91); CM-00002 credits a lamp as store credit (59.44, restocked);
    INV-00002 (a chair mat, 46.41) is paid with credit; RF-00002 pays back the rest (30.33).
    """

    def step(action) -> None:
        with unit_of_work(engine) as session:
            action(session)
        with unit_of_work(engine, write=False) as session:
            report = checks.run_checks(session=session)
        assert (report["ok"], report["problems"]) == (True, [])

    def invoice(session, lines, issue_date=None, ship=False) -> None:
        order = ordering.new_order(session=session, customer_code="ACME", order_date=issue_date)
        for sku, qty in lines:
            ordering.add_order_line(session=session, number=order.number, sku=sku, qty=D(qty))
        ordering.confirm_order(session=session, number=order.number)
        if ship:
            fulfilment.create_shipment(session=session, order_number=order.number)
        invoicing.create_invoice(session=session, order_number=order.number, issue_date=issue_date)

    def rma(session) -> None:
        returns.request_return(
            session=session, order_number="SO-00001", lines=[("DESK-OAK", D(1))], reason="broken"
        )
        returns.authorize_return(session=session, number="RMA-00001")
        returns.receive_return(session=session, number="RMA-00001", restock=True)
        returns.resolve_return(
            session=session, number="RMA-00001", credit_memo=True, settlement="refund"
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERCLI_TODAY", "2026-03-10")
        step(
            lambda s: invoice(
                s, [("DESK-OAK", "2"), ("LAMP-LED", "2")], issue_date=date(2026, 3, 1), ship=True
            )
        )
        step(
            lambda s: payments.record_payment(
                session=s, customer_code="ACME", amount=D(1300), received_on=date(2026, 3, 5)
            )
        )
        step(rma)
        step(
            lambda s: credit_memos.create_credit_memo(
                session=s, invoice_number="INV-00001", lines=[("LAMP-LED", D(1))], restock=True
            )
        )
        step(lambda s: invoice(s, [("MAT-CHAIR", "1")]))
        step(
            lambda s: payments.apply_credit(
                session=s, customer_code="ACME", invoice_number="INV-00002"
            )
        )
        step(lambda s: payments.refund_customer(session=s, customer_code="ACME"))


@pytest.fixture
def engine(ledger_from, scenario_template):
    """Every test here starts from the ledger ``build_everything`` made (once)."""
    return ledger_from(scenario_template("everything", build_everything))


@pytest.fixture
def everything(engine, ledger_ok) -> dict[str, Decimal]:
    """The ledger of ``build_everything``, checked; the accounts' balances by role."""
    return ledger_ok()


def entries(uow) -> list[tuple[str, str, list[tuple[str, int, int]]]]:
    """Every journal entry as (kind, source, [(role, debit, credit), …]) in posting order."""
    with uow(write=False) as session:
        roles = dict(session.exec(select(Account.id, Account.role)).all())
        found = []
        for entry in session.exec(select(JournalEntry).order_by(JournalEntry.id)):
            lines = session.exec(
                select(JournalLine.account_id, JournalLine.debit, JournalLine.credit)
                .where(JournalLine.entry_id == entry.id)
                .order_by(JournalLine.id)
            ).all()
            found.append(
                (entry.source_kind, entry.source_number, [(roles[a], d, c) for a, d, c in lines])
            )
        return found


def test_every_document_posts_one_balanced_entry(everything, uow):
    assert entries(uow) == [
        (
            "invoice",
            "INV-00001",
            [("receivable", 128270, 0), ("revenue", 0, 107790), ("sales_tax", 0, 20480)],
        ),
        (
            "payment",
            "PAY-00001",
            [("cash", 130000, 0), ("receivable", 0, 128270), ("customer_credit", 0, 1730)],
        ),
        (
            "credit_memo",
            "CM-00001",
            [("refunds", 48900, 0), ("sales_tax", 9291, 0), ("customer_credit", 0, 58191)],
        ),
        ("refund", "RF-00001", [("customer_credit", 58191, 0), ("cash", 0, 58191)]),
        (
            "credit_memo",
            "CM-00002",
            [("refunds", 4995, 0), ("sales_tax", 949, 0), ("customer_credit", 0, 5944)],
        ),
        (
            "invoice",
            "INV-00002",
            [("receivable", 4641, 0), ("revenue", 0, 3900), ("sales_tax", 0, 741)],
        ),
        ("credit_applied", "INV-00002", [("customer_credit", 4641, 0), ("receivable", 0, 4641)]),
        ("refund", "RF-00002", [("customer_credit", 3033, 0), ("cash", 0, 3033)]),
    ]
    for _, _, lines in entries(uow):
        assert sum(d for _, d, _ in lines) == sum(c for _, _, c in lines)
        assert all((d == 0) != (c == 0) for _, d, c in lines)


def test_the_trial_balance_after_everything(everything):
    assert everything == {
        "cash": D("687.76"),
        "receivable": D(0),
        "sales_tax": D("-109.81"),
        "customer_credit": D(0),
        "revenue": D("-1116.90"),
        "refunds": D("538.95"),
        "rebates": D(0),
        "customer_advances": D(0),
        "early_discounts": D(0),
        "payment_differences": D(0),
        "bad_debts": D(0),
        "dunning_fees": D(0),
    }


def test_the_trial_balance_as_of_a_day(everything, uow):
    def as_of(day) -> dict:
        with uow(write=False) as session:
            trial = journal.trial_balance(session=session, as_of=day)
            position = journal.customer_position(
                session=session,
                customer_id=customers.get_customer(session=session, code="ACME").id,
                as_of=day,
            )
        assert trial["balance"] == 0 and trial["total_debit"] == trial["total_credit"]
        balances = {a["role"]: a["balance"] for a in trial["accounts"] if a["balance"]}
        return balances, position

    assert as_of(date(2026, 2, 28)) == ({}, (0, 0))
    assert as_of(date(2026, 3, 1)) == (
        {"receivable": D("1282.70"), "revenue": D("-1077.90"), "sales_tax": D("-204.80")},
        (128270, 0),
    )
    assert as_of(date(2026, 3, 5)) == (
        {
            "cash": D("1300.00"),
            "customer_credit": D("-17.30"),
            "revenue": D("-1077.90"),
            "sales_tax": D("-204.80"),
        },
        (0, 1730),
    )


def test_renaming_an_account_keeps_its_postings(everything, uow, refused):
    with uow() as session:
        journal.set_account(session=session, role="cash", code="1010", name="Bank")
    with uow(write=False) as session:
        trial = journal.trial_balance(session=session)
    cash = [a for a in trial["accounts"] if a["role"] == "cash"]
    assert [(a["code"], a["name"], a["balance"]) for a in cash] == [("1010", "Bank", D("687.76"))]
    refused(
        RuleViolation,
        "account code 1200 is already used by Accounts receivable",
        lambda s: journal.set_account(session=s, role="cash", code="1200"),
    )
    refused(
        NotFound,
        "no account role 'bank' (one of cash, receivable, sales_tax, customer_credit, revenue, "
        "refunds, rebates, customer_advances, early_discounts, payment_differences, "
        "bad_debts, dunning_fees)",
        lambda s: journal.set_account(session=s, role="bank", code="1"),
    )


# run_checks finds what a raw UPDATE broke ---------------------------------------------

CORRUPTIONS = [
    (
        "UPDATE invoice SET paid = paid - 1 WHERE number = 'INV-00001'",
        {
            "amounts paid match the allocations",
            "receivables equal each invoice's open balance",
        },
        "INV-00001: says paid 641.34, its allocations less credits released give 641.35",
    ),
    (
        "UPDATE invoice SET credited = credited - 1 WHERE number = 'INV-00001'",
        {
            "amounts credited match the credit memos",
            "receivables equal each invoice's open balance",
        },
        "INV-00001: says credited 641.34, its credit memos total 641.35",
    ),
    (
        "UPDATE payment SET unapplied = unapplied + 5",
        {
            "unapplied payment amounts match their allocations",
            "customer credit equals unapplied payments and store credit",
        },
        "PAY-00001: amount 1300.00, allocated 1300.00, says unapplied 0.05",
    ),
    (
        "UPDATE credit_memo SET credit_left = 1 WHERE number = 'CM-00002'",
        {
            "store credit left on credit memos matches its uses",
            "customer credit equals unapplied payments and store credit",
        },
        "CM-00002: released 59.44, used 59.44, says left 0.01",
    ),
    (
        "UPDATE refund SET amount = amount + 1 WHERE number = 'RF-00002'",
        {"refunds match the credit they drew on", "issued documents are never edited"},
        "RF-00002: amount 30.34, drawn 30.33",
    ),
    (
        "UPDATE invoice_line SET net_credited = net_credited - 1 WHERE sku = 'LAMP-LED'",
        {"credits stay within what was invoiced, per line"},
        "INV-00001 line 2 (LAMP-LED): invoiced 2 for 118.88, says credited 1 for 59.43, "
        "its credit memos hold 1 for 59.44",
    ),
    (
        "UPDATE order_line SET qty_credited = 0 WHERE position = 1 AND order_id = 1",
        {"order lines' credited quantities match the credit memos"},
        "SO-00001 line 1: says credited 0, its credit memos hold 1",
    ),
    (
        "UPDATE order_line SET qty_returned = 2000 WHERE position = 2 AND order_id = 1",
        {"returned quantities match returns received and goods credited as returned"},
        "SO-00001 line 2: says returned 2, returns and restocks hold 1, shipped 2",
    ),
    (
        "UPDATE product SET on_hand = on_hand + 1000 WHERE sku = 'DESK-OAK'",
        {"stock on hand is the sum of its moves"},
        "DESK-OAK: on hand 12, its moves sum to 11",
    ),
    (
        "UPDATE journal_line SET debit = debit + 1 WHERE id = 1",
        {
            "posted journal entries are never edited",
            "every journal entry balances",
            "receivables equal each invoice's open balance",
            "the trial balance sums to zero",
        },
        "entry for invoice INV-00001: debits 1282.71, credits 1282.70",
    ),
    (
        "UPDATE journal_line SET invoice_id = NULL WHERE id = 1",
        {
            "posted journal entries are never edited",
            "every receivable posting names its invoice",
            "receivables equal each invoice's open balance",
        },
        "1 receivable posting(s) for 1282.70 name no invoice",
    ),
    (
        "DELETE FROM journal_line WHERE entry_id = 2; DELETE FROM journal_entry WHERE id = 2",
        {
            "every invoice, payment, credit memo and refund has its journal entry",
            "receivables equal each invoice's open balance",
            "customer credit equals unapplied payments and store credit",
        },
        "payment PAY-00001 has no journal entry",
    ),
]


@pytest.mark.parametrize(
    ("statement", "titles", "problem"),
    CORRUPTIONS,
    ids=[f"{i}-{c[0].split()[1]}" for i, c in enumerate(CORRUPTIONS)],
)
def test_a_corrupted_counter_is_reported(everything, uow, statement, titles, problem):
    with uow() as session:
        for one in statement.split(";"):
            session.connection().execute(text(one))
    with uow(write=False) as session:
        report = checks.run_checks(session=session)
    assert report["ok"] is False
    assert {p["check"] for p in report["problems"]} == titles, report["problems"]
    assert problem in [p["problem"] for p in report["problems"]], report["problems"]
