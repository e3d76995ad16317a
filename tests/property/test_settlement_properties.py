"""Any sequence of payments (with early-payment discounts and write-offs), bad debts,
credit memos and payment voids keeps the books right (SPEC rules 13, 18, 20).

Each example issues a few invoices to a customer on terms with an early-payment
discount, then runs random steps through the service functions, dated forward day
by day. A refused step must leave every table as it was. After every step:
``ordercli check`` finds nothing, the trial balance sums to zero, the receivable
account equals the sum of the open balances, every balance is within 0..total, and
no invoice's discounts exceed its rate of its total.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ordercli.books.checks import run_checks
from ordercli.books.clock import now
from ordercli.books.journal import trial_balance
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.terms import early_discount
from ordercli.models import PaymentTerms
from ordercli.services.parties.company import update_company
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, confirm_order, new_order
from ordercli.services.settlement.credit_memos import create_credit_memo
from ordercli.services.settlement.payment_corrections import void_payment
from ordercli.services.settlement.payments import record_payment
from ordercli.services.settlement.write_offs import write_off_bad_debt

START = date(2026, 3, 1)
TODAY = "2026-06-30"
REFUSALS = (RuleViolation, InvalidInput, NotFound)
SKUS = ["DESK-OAK", "LAMP-LED", "CHAIR-ERGO", "INSTALL"]
SETTINGS = settings(
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def _today():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERCLI_TODAY", TODAY)
        yield


def money(units: int) -> Decimal:
    return Decimal(units).scaleb(-2)


def setup(engine, data) -> list[str]:
    """ACME on terms of PCT within WINDOW days; two or three invoices issued on START."""
    pct = data.draw(st.sampled_from([10000, 20000, 25000, 30000, 123456]), label="pct")
    window = data.draw(st.integers(min_value=0, max_value=14), label="window")
    numbers = []
    with unit_of_work(engine) as session:
        terms = PaymentTerms(
            code="P", days=30, discount_pct=pct, discount_days=window, created_at=now()
        )
        session.add(terms)
        session.flush()
        customer = get_customer(session=session, code="ACME")
        customer.terms_id = terms.id
        session.add(customer)
        update_company(session, write_off_limit="20")
        for _ in range(data.draw(st.integers(min_value=2, max_value=3), label="invoices")):
            order = new_order(session=session, customer_code="ACME", order_date=START)
            for sku in data.draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=2)):
                add_order_line(
                    session=session,
                    number=order.number,
                    sku=sku,
                    qty=Decimal(data.draw(st.integers(min_value=1, max_value=3))),
                    price=money(data.draw(st.integers(min_value=1, max_value=150_000))),
                )
            confirm_order(session=session, number=order.number, override_credit="test")
            numbers.append(
                create_invoice(session=session, order_number=order.number, issue_date=START).number
            )
    return numbers


def invoices(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {
            row["number"]: row
            for row in (
                dict(r._mapping) for r in conn.execute(text("SELECT * FROM invoice ORDER BY id"))
            )
        }


def open_of(inv: dict) -> int:
    return (
        inv["total"]
        - inv["paid"]
        - inv["credited"]
        - inv["discounted"]
        - inv["written_off"]
        - inv["prepaid"]
    )


def discount_of(inv: dict) -> int:
    return early_discount(inv["total"] - inv["credited"], inv["discount_pct"])


def payment_args(data, state: dict[str, dict], number: str) -> dict:
    """A payment of one of five shapes, on ``number`` or (without --invoice) oldest first."""
    inv = state[number]
    balance = open_of(inv)
    shape = data.draw(
        st.sampled_from(["discounted", "full", "part", "short", "all"]), label="shape"
    )
    args: dict = {"invoices": [(number, None)] if data.draw(st.booleans()) else None}
    if shape == "discounted":
        amount = balance - discount_of(inv)
    elif shape == "full":
        amount = balance
    elif shape == "short":  # a little short, the rest written off
        short = data.draw(st.integers(min_value=1, max_value=2500), label="short")
        amount = balance - short
        args["invoices"] = [(number, None)]
        args["write_off"] = money(data.draw(st.integers(min_value=1, max_value=short)))
        args["write_off_reason"] = "difference"
    elif shape == "all":  # every open invoice at its discounted amount
        amount = sum(open_of(i) - discount_of(i) for i in state.values() if open_of(i) > 0)
        args["invoices"] = None
    else:
        amount = data.draw(st.integers(min_value=1, max_value=max(1, balance)), label="part")
    args["amount"] = money(amount)
    args["discount"] = data.draw(st.sampled_from([False, False, True]), label="--discount")
    args["late_discount_reason"] = data.draw(st.sampled_from([None, None, "late but fair"]))
    return args


def step(engine, data, numbers: list[str], on: date) -> None:
    """One random command, dated ``on``."""
    state = invoices(engine)
    kind = data.draw(
        st.sampled_from(["pay", "pay", "pay", "bad_debt", "credit", "void"]), label="step"
    )
    number = data.draw(st.sampled_from(numbers), label="invoice")
    if kind == "pay":
        args = payment_args(data, state, number)
        with unit_of_work(engine) as session:
            record_payment(session=session, customer_code="ACME", received_on=on, **args)
    elif kind == "bad_debt":
        part = data.draw(st.sampled_from([None, 1, 100, 5000]), label="amount")
        with unit_of_work(engine) as session:
            write_off_bad_debt(
                session=session,
                invoice_number=number,
                reason="insolvent",
                amount=None if part is None else money(part),
                written_off_on=on,
            )
    elif kind == "credit":
        amount = money(data.draw(st.integers(min_value=1, max_value=20_000), label="credit"))
        with unit_of_work(engine) as session:
            create_credit_memo(
                session=session,
                invoice_number=number,
                amount=amount,
                reason="price",
                issue_date=on,
            )
    else:
        with engine.connect() as conn:
            paid = [r[0] for r in conn.execute(text("SELECT number FROM payment ORDER BY id"))]
        if not paid:
            return
        chosen = data.draw(st.sampled_from(paid), label="payment")
        with unit_of_work(engine) as session:
            void_payment(session=session, number=chosen, reason="bounced", voided_on=on)
        event("a payment voided")


def check_books(engine) -> None:
    with unit_of_work(engine, write=False) as session:
        assert run_checks(session=session)["problems"] == []
        trial = trial_balance(session=session)
        assert trial["total_debit"] == trial["total_credit"]
        conn = session.connection()
        receivable = conn.execute(
            text(
                "SELECT COALESCE(SUM(l.debit - l.credit), 0) FROM journal_line l "
                "JOIN account a ON a.id = l.account_id WHERE a.role = 'receivable'"
            )
        ).scalar()
        balances = 0
        for inv in invoices(engine).values():
            balance = open_of(inv)
            assert 0 <= balance <= inv["total"]
            assert inv["discounted"] <= early_discount(inv["total"], inv["discount_pct"])
            balances += balance
        assert receivable == balances
        for (kind,) in conn.execute(text("SELECT DISTINCT kind FROM invoice_adjustment")):
            event(f"{kind} taken")


@SETTINGS
@given(data=st.data())
def test_any_settlement_sequence_keeps_the_books(ledger_kit, data):
    with ledger_kit.ledger() as engine:
        numbers = setup(engine, data)
        check_books(engine)
        on = START
        for _ in range(data.draw(st.integers(min_value=1, max_value=8), label="steps")):
            on += timedelta(days=data.draw(st.integers(min_value=0, max_value=6), label="days"))
            before = ledger_kit.fingerprint(engine)
            try:
                step(engine, data, numbers, on)
            except REFUSALS as refusal:
                event("a step refused")
                assert "\n" not in str(refusal)
                assert ledger_kit.fingerprint(engine) == before, f"refused ({refusal}) but changed"
            check_books(engine)
