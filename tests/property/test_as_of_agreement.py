"""Aging, customer balance, statement and trial balance agree on every day (SPEC rule 4a).

A ledger is built through the services from a random run of documents on past days
(orders, whole and partial invoices, payments named or oldest-first, credit memos
kept as store credit or refunded, credit applied to invoices, refunds, payments taken
off their invoices or voided), each dated on
or after the one before, as rule 4a requires. Then, as of every document's day, the
day before it, today and without a day at all:

- a customer's **aging total** is their **open receivables**: what the invoices issued
  by then still owe after the money allocated to them by then (an allocation counts
  on the days ``applied_on <= d`` and, once released, ``d < released_on``) and the
  part of each credit memo issued by then that lowered the balance (``applied``);
- a customer's **balance** (``customer show``) is open receivables minus **unused
  credit**: payments received and store credit released by then, less what of them
  was allocated (to invoices or refunds) by then, a payment voided by then counting
  no more; the **statement**'s closing balance
  is the same number;
- across customers, the aging total is the trial balance's **receivable** account, and
  the unused credit its **customer credit** account (a credit balance).

Without ``--as-of`` each view shows the ledger as it stands today, also when "today" is
set back before the latest documents (``ORDERCLI_TODAY``; a ledger written before rule
4a may hold documents dated after today): those are left out by all four alike.

The expected figures are worked out from the documents with plain SQL, not from the
journal the four reports read, so a journal entry dated otherwise than its document
would be caught as well.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from ordercli.books import journal
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.models import Customer
from ordercli.reports import receivables
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, confirm_order, new_order
from ordercli.services.settlement.credit_memos import create_credit_memo
from ordercli.services.settlement.payment_corrections import unapply_payment, void_payment
from ordercli.services.settlement.payments import apply_credit, record_payment, refund_customer
from ordercli.views.parties import customer_views

TODAY = date(2026, 6, 30)
START = date(2026, 1, 1)
CUSTOMERS = ["ACME", "BRIGHT", "MADRID"]  # terms of 30, 14 and 60 days
SKUS = ["LAMP-LED", "DESK-OAK", "INSTALL", "MAT-CHAIR"]

SETTINGS = settings(
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def fixed_today():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORDERCLI_TODAY", TODAY.isoformat())
        yield


customers = st.sampled_from(CUSTOMERS)
fraction = st.integers(min_value=1, max_value=120)  # percent of a balance; over 100 overpays

step = st.one_of(
    st.tuples(st.just("order"), customers, st.sampled_from(SKUS), st.integers(1, 4)),
    st.tuples(st.just("invoice"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("pay"), customers, fraction, st.booleans()),
    st.tuples(
        st.just("credit"), st.integers(0, 9), fraction, st.sampled_from(["store_credit", "refund"])
    ),
    st.tuples(st.just("apply"), st.integers(0, 9)),
    st.tuples(st.just("refund"), st.integers(0, 9)),
    st.tuples(st.just("unapply"), st.integers(0, 9)),
    st.tuples(st.just("void"), st.integers(0, 9)),
)
runs = st.lists(st.tuples(st.integers(0, 12), step), min_size=3, max_size=14)


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def balance_of(engine, number: str) -> tuple[str, int]:
    ((code, balance),) = rows(
        engine,
        "SELECT c.code, i.total - i.paid - i.credited FROM invoice i "
        "JOIN customer c ON c.id = i.customer_id WHERE i.number = :n",
        n=number,
    )
    return code, balance


def money(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-2)


def act(
    engine, on: date, what: tuple, orders: list[str], invoices: list[str], paid: list[str]
) -> None:
    """One document dated ``on``; an action the ledger refuses (nothing left to invoice,
    no credit to use) changes nothing and is skipped, but never for its date."""
    kind = what[0]
    with unit_of_work(engine) as session:
        if kind == "order":
            _, customer, sku, qty = what
            number = new_order(session=session, customer_code=customer, order_date=on).number
            add_order_line(session=session, number=number, sku=sku, qty=Decimal(qty))
            confirm_order(session=session, number=number, override_credit="property test")
            orders.append(number)
        elif kind == "invoice" and orders:
            _, index, partial = what
            number = orders[index % len(orders)]
            lines = None
            if partial:
                (sku,) = rows(
                    engine,
                    "SELECT p.sku FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                    "JOIN product p ON p.id = l.product_id WHERE o.number = :n",
                    n=number,
                )[0]
                lines = [(sku, Decimal(1))]
            invoices.append(
                create_invoice(
                    session=session, order_number=number, lines=lines, issue_date=on
                ).number
            )
        elif kind == "pay":
            _, customer, percent, oldest_first = what
            open_ = [n for n in invoices if balance_of(engine, n)[0] == customer]
            owed = sum(max(balance_of(engine, n)[1], 0) for n in open_)
            amount = max(owed * percent // 100, 1 + percent)
            named = None
            if not oldest_first and open_:
                named = [(open_[-1], None)]
            payment = record_payment(
                session=session,
                customer_code=customer,
                amount=money(amount),
                invoices=named,
                received_on=on,
            )
            paid.append(payment.number)
        elif kind == "credit" and invoices:
            _, index, percent, settlement = what
            number = invoices[index % len(invoices)]
            total = rows(engine, "SELECT total - credited FROM invoice WHERE number = :n", n=number)
            amount = max(total[0][0] * min(percent, 100) // 100, 1)
            create_credit_memo(
                session=session,
                invoice_number=number,
                amount=money(amount),
                settlement=settlement,
                issue_date=on,
            )
        elif kind == "apply" and invoices:
            number = invoices[what[1] % len(invoices)]
            apply_credit(
                session=session,
                customer_code=balance_of(engine, number)[0],
                invoice_number=number,
                applied_on=on,
            )
        elif kind == "refund" and paid:
            (code,) = rows(
                engine,
                "SELECT c.code FROM payment p JOIN customer c ON c.id = p.customer_id "
                "WHERE p.number = :n",
                n=paid[what[1] % len(paid)],
            )[0]
            refund_customer(session=session, customer_code=code, refunded_on=on)
        elif kind == "unapply" and paid:
            # Allocations released in place: they count until the day before this one.
            unapply_payment(session=session, number=paid[what[1] % len(paid)], unapplied_on=on)
        elif kind == "void" and paid:
            void_payment(
                session=session, number=paid[what[1] % len(paid)], reason="test", voided_on=on
            )


def expected(engine, day: date) -> dict[str, tuple[int, int]]:
    """(open receivables, unused credit) per customer at the end of ``day``, from the
    documents alone (see the module notes)."""
    d = day.isoformat()
    active = "a.applied_on <= :d AND (a.released_on IS NULL OR :d < a.released_on)"
    receivable = dict(
        rows(
            engine,
            "SELECT c.code, "
            " COALESCE((SELECT SUM(i.total) FROM invoice i"
            "   WHERE i.customer_id = c.id AND i.issue_date <= :d), 0)"
            f" - COALESCE((SELECT SUM(a.amount) FROM allocation a"
            f"   WHERE a.customer_id = c.id AND a.invoice_id IS NOT NULL AND {active}), 0)"
            " - COALESCE((SELECT SUM(m.applied) FROM credit_memo m"
            "   WHERE m.customer_id = c.id AND m.issue_date <= :d), 0) "
            "FROM customer c",
            d=d,
        )
    )
    credit = dict(
        rows(
            engine,
            "SELECT c.code, "
            " COALESCE((SELECT SUM(p.amount) FROM payment p"
            "   WHERE p.customer_id = c.id AND p.received_on <= :d AND NOT EXISTS"
            "   (SELECT 1 FROM payment_void v WHERE v.payment_id = p.id"
            "    AND v.void_date <= :d)), 0)"
            " + COALESCE((SELECT SUM(m.released) FROM credit_memo m"
            "   WHERE m.customer_id = c.id AND m.issue_date <= :d), 0)"
            f" - COALESCE((SELECT SUM(a.amount) FROM allocation a"
            f"   WHERE a.customer_id = c.id AND {active}), 0) "
            "FROM customer c",
            d=d,
        )
    )
    return {code: (receivable[code], credit[code]) for code in receivable}


def reports(engine, day: date | None) -> dict:
    """What aging, ``customer show``, the statement and the trial balance say."""
    with unit_of_work(engine, write=False) as session:
        aging = receivables.aging(session=session, as_of=day)
        every = list(session.exec(select(Customer)))
        people = {view["code"]: view for view in customer_views(session, every, as_of=day)}
        statements = {
            code: receivables.statement(session=session, customer=code, date_to=day)[
                "closing_balance"
            ]
            for code in CUSTOMERS
        }
        trial = journal.trial_balance(session=session, as_of=day)
    return {
        "aging": {row["customer"]: row["total"] for row in aging["customers"]},
        "aging_total": aging["totals"]["total"],
        "customers": people,
        "statements": statements,
        "trial": {a["role"]: a["balance"] for a in trial["accounts"]},
    }


def assert_agree(engine, day: date | None, today: date = TODAY) -> None:
    seen = reports(engine, day)
    wanted = expected(engine, day or today)
    for code, (receivable, credit) in wanted.items():
        view = seen["customers"][code]
        where = f"{code} as of {day or f'today, {today}'}"
        assert seen["aging"].get(code, Decimal(0)) == money(receivable), where
        assert view["open_invoices"] == money(receivable), where
        assert view["unapplied_credit"] == money(credit), where
        assert view["balance"] == money(receivable - credit), where
        if code in CUSTOMERS:  # the others have no documents at all
            assert seen["statements"][code] == money(receivable - credit), where
    receivable = sum(r for r, _ in wanted.values())
    credit = sum(c for _, c in wanted.values())
    assert seen["aging_total"] == money(receivable) == seen["trial"]["receivable"], day
    assert seen["trial"]["customer_credit"] == -money(credit), day


@SETTINGS
@given(run=runs, back=st.integers(0, 60))
def test_the_four_receivable_views_agree_on_every_day(ledger_kit, run, back):
    orders: list[str] = []
    invoices: list[str] = []
    paid: list[str] = []
    on = START
    days = {TODAY}
    with ledger_kit.ledger() as engine:
        for gap, what in run:
            on += timedelta(days=gap)
            try:
                act(engine, on, what, orders, invoices, paid)
            except (RuleViolation, InvalidInput) as refused:
                # Dates only ever move forward here: rule 4a must never be what refuses.
                assert "cannot come" not in str(refused) and "future" not in str(refused)
                event(f"refused: {what[0]}")
                continue
            event(f"step: {what[0]}")
            days |= {on, on - timedelta(days=1)}
        event(f"documents on {len(days) // 2} days")
        for day in sorted(days):
            assert_agree(engine, day)
        assert_agree(engine, None)  # no --as-of: the ledger as it stands today
        # "Today" set back (ORDERCLI_TODAY, or a ledger written before rule 4a): documents
        # dated after it are left out by every view alike.
        earlier = on - timedelta(days=back)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ORDERCLI_TODAY", earlier.isoformat())
            assert_agree(engine, None, today=earlier)
