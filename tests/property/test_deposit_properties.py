"""Deposits (down payments) among the commands that touch them, as a Hypothesis state
machine (SPEC rules 18, 20).

Any sequence of deposit invoices (percentages and amounts), payments (to a named
invoice or oldest first), payment voids, shipments and invoices (whole or partial),
credit memos (by amount or of everything left), invoice cancellations, short-closing
and order cancellation must leave the books right after every step: ``ordercli
check`` finds nothing, the trial balance sums to zero, the receivable account equals
the invoices' open balances, the customer advances account holds each deposit's net
not yet credited or deducted, no deposit is deducted beyond what was paid on it, and
every invoice's balance stays within 0..total. A refusal says one line and changes
nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from ordercli.books.checks import run_checks
from ordercli.books.journal import trial_balance
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, OrderCliError, RuleViolation
from ordercli.domain.money import from_minor
from ordercli.services.sales.closing import close_order
from ordercli.services.sales.deposits import create_deposit_invoice
from ordercli.services.sales.fulfilment import create_shipment
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, cancel_order, confirm_order, new_order
from ordercli.services.settlement.credit_memos import cancel_invoice, create_credit_memo
from ordercli.services.settlement.payment_corrections import void_payment
from ordercli.services.settlement.payments import record_payment

TODAY = "2026-03-10"
# Two tax rates (19 % and 7 %), stock enough for every order.
LINES = [("CHAIR-ERGO", "312.50"), ("PLANT-FICUS", "59.00"), ("LAMP-LED", "49.95")]
REFUSALS = (RuleViolation, InvalidInput, NotFound)
MAX_ORDERS = 3


def _rows(conn, sql: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(sql))]


class DepositMachine(RuleBasedStateMachine):
    def __init__(self, kit):
        super().__init__()
        self.kit = kit
        self.engine = kit.open()

    def teardown(self):
        self.kit.close(self.engine)

    def attempt(self, what: str, action):
        before = self.kit.fingerprint(self.engine)
        try:
            with unit_of_work(self.engine) as session:
                result = action(session)
        except REFUSALS as refused:
            assert isinstance(refused, OrderCliError)
            assert refused.message and "\n" not in refused.message, refused.message
            assert self.kit.fingerprint(self.engine) == before, f"a refused {what} changed it"
            event(f"{what}: refused")
            return None
        event(f"{what}: done")
        return result

    def read(self, sql: str) -> list[dict]:
        with self.engine.connect() as conn:
            return _rows(conn, sql)

    def orders(self) -> list[str]:
        return [r["number"] for r in self.read("SELECT number FROM sales_order ORDER BY id")]

    def some_order(self, data) -> str:
        """Mostly a confirmed order (where work can happen), sometimes any."""
        confirmed = [
            r["number"]
            for r in self.read("SELECT number FROM sales_order WHERE status = 'confirmed'")
        ]
        if confirmed and data.draw(st.integers(0, 5), label="any order") > 0:
            return data.draw(st.sampled_from(confirmed), label="order")
        return data.draw(st.sampled_from(self.orders()), label="order")

    def open_skus(self, order: str, left: str) -> list[str]:
        """The order's SKUs with something ``left`` (SQL over order_line ``l``)."""
        return [
            r["sku"]
            for r in self.read(
                "SELECT p.sku FROM order_line l JOIN product p ON p.id = l.product_id "
                f"JOIN sales_order o ON o.id = l.order_id WHERE o.number = '{order}' "
                f"AND {left} > 0 ORDER BY l.position"
            )
        ]

    def invoices(self, where: str = "1 = 1") -> list[dict]:
        return self.read(f"SELECT * FROM invoice WHERE {where} ORDER BY id")

    @initialize(data=st.data())
    def first_order(self, data):
        """An order with a deposit, most often paid in part or whole: every example has
        something to deduct."""
        self.new_order(data)
        self.deposit(data)
        if data.draw(st.integers(0, 3), label="deposit paid") > 0:
            self.pay_deposit(data)

    @rule(data=st.data())
    def new_order(self, data):
        if len(self.orders()) >= MAX_ORDERS:
            return
        picks = data.draw(
            st.lists(st.sampled_from(LINES), min_size=1, max_size=3, unique=True), label="lines"
        )
        qtys = [data.draw(st.integers(1, 3), label="qty") for _ in picks]

        def make(session):
            order = new_order(session=session, customer_code="ACME")
            for (sku, price), qty in zip(picks, qtys, strict=True):
                add_order_line(
                    session=session,
                    number=order.number,
                    sku=sku,
                    qty=Decimal(qty),
                    price=Decimal(price),
                )
            confirm_order(session=session, number=order.number, override_credit="test")

        self.attempt("order", make)

    @rule(data=st.data())
    def deposit(self, data):
        order = self.some_order(data)
        amount = data.draw(
            st.one_of(
                st.integers(1, 60).map(lambda pct: f"{pct}%"),
                st.integers(1, 60_000).map(lambda units: self.kit.money_text(units)),
            ),
            label="deposit",
        )
        self.attempt(
            "deposit",
            lambda s: create_deposit_invoice(session=s, order_number=order, deposit=amount),
        )

    @rule(data=st.data())
    def pay(self, data):
        open_ = self.invoices("total - paid - credited - discounted - written_off - prepaid > 0")
        if not open_ or data.draw(st.booleans(), label="oldest first"):
            amount = data.draw(st.integers(1, 150_000), label="amount")
            specs = None
        else:
            inv = data.draw(st.sampled_from(open_), label="invoice")
            balance = (
                inv["total"] - inv["paid"] - inv["credited"] - inv["written_off"] - inv["prepaid"]
            )
            amount = data.draw(st.integers(1, balance), label="amount")
            specs = [(inv["number"], None)]
        self.attempt(
            "payment",
            lambda s: record_payment(
                session=s,
                customer_code="ACME",
                amount=Decimal(self.kit.money_text(amount)),
                invoices=specs,
            ),
        )

    @rule(data=st.data())
    def pay_deposit(self, data):
        """The customer pays a deposit invoice, whole or in part."""
        open_ = self.invoices(
            "kind = 'deposit' AND total - paid - credited - discounted - written_off > 0"
        )
        if not open_:
            return
        inv = data.draw(st.sampled_from(open_), label="deposit")
        balance = inv["total"] - inv["paid"] - inv["credited"] - inv["written_off"]
        amount = data.draw(st.sampled_from([balance, max(1, balance // 2)]), label="amount")
        self.attempt(
            "deposit payment",
            lambda s: record_payment(
                session=s,
                customer_code="ACME",
                amount=Decimal(self.kit.money_text(amount)),
                invoices=[(inv["number"], None)],
            ),
        )

    @rule(data=st.data())
    def void(self, data):
        payments = self.read(
            "SELECT number FROM payment WHERE id NOT IN (SELECT payment_id FROM payment_void)"
        )
        if not payments:
            return
        number = data.draw(st.sampled_from([p["number"] for p in payments]), label="payment")
        self.attempt("void", lambda s: void_payment(session=s, number=number, reason="error"))

    @rule(data=st.data())
    def ship(self, data):
        order = self.some_order(data)
        skus = self.open_skus(order, "l.qty - l.qty_cancelled - l.qty_closed - l.qty_shipped")
        whole = not skus or data.draw(st.booleans(), label="whole")
        lines = None if whole else [(data.draw(st.sampled_from(skus)), Decimal(1))]
        self.attempt(
            "shipment", lambda s: create_shipment(session=s, order_number=order, lines=lines)
        )

    @rule(data=st.data())
    def invoice(self, data):
        order = self.some_order(data)
        skus = self.open_skus(order, "l.qty - l.qty_closed - l.qty_invoiced")
        whole = not skus or data.draw(st.booleans(), label="whole")
        lines = None if whole else [(data.draw(st.sampled_from(skus)), Decimal(1))]
        self.attempt(
            "invoice", lambda s: create_invoice(session=s, order_number=order, lines=lines)
        )

    @rule(data=st.data())
    def credit(self, data):
        invoices = self.invoices("credited < total")
        if not invoices:
            return
        inv = data.draw(st.sampled_from(invoices), label="invoice")
        left = inv["total"] - inv["credited"]
        amount = data.draw(st.none() | st.integers(1, left), label="amount")
        self.attempt(
            "credit memo",
            lambda s: create_credit_memo(
                session=s,
                invoice_number=inv["number"],
                amount=None if amount is None else Decimal(self.kit.money_text(amount)),
            ),
        )

    @rule(data=st.data())
    def cancel(self, data):
        invoices = self.invoices()
        if not invoices:
            return
        number = data.draw(st.sampled_from([i["number"] for i in invoices]), label="invoice")
        self.attempt(
            "invoice cancel",
            lambda s: cancel_invoice(session=s, invoice_number=number, reason="error"),
        )

    @rule(data=st.data())
    def close(self, data):
        order = self.some_order(data)
        self.attempt("close", lambda s: close_order(session=s, number=order, reason="enough"))

    @rule(data=st.data())
    def cancel_order(self, data):
        if data.draw(st.integers(0, 3), label="rarely") > 0:
            return
        order = self.some_order(data)
        self.attempt("order cancel", lambda s: cancel_order(session=s, number=order))

    @invariant()
    def books_are_right(self):
        with unit_of_work(self.engine, write=False) as session:
            report = run_checks(session=session)
            balance = trial_balance(session=session)
        assert report["ok"], report["problems"]
        assert balance["total_debit"] == balance["total_credit"], balance
        roles = {a["role"]: a["balance"] for a in balance["accounts"]}
        invoices = self.invoices()
        owed = 0
        for inv in invoices:
            settled = (
                inv["paid"] + inv["credited"] + inv["discounted"] + inv["written_off"]
            ) + inv["prepaid"]
            assert 0 <= settled <= inv["total"], inv
            assert inv["prepaid"] >= 0, inv
            owed += inv["total"] - settled
        assert roles["receivable"] == from_minor(owed)
        deposits = self.read(
            "SELECT v.id, v.subtotal, v.tax, v.paid, "
            "COALESCE((SELECT SUM(subtotal) FROM credit_memo m WHERE m.invoice_id = v.id), 0) "
            "AS credited_net, "
            "COALESCE((SELECT SUM(tax) FROM credit_memo m WHERE m.invoice_id = v.id), 0) "
            "AS credited_tax, "
            "COALESCE((SELECT SUM(amount) FROM invoice_adjustment x "
            "WHERE x.deposit_invoice_id = v.id), 0) AS deducted, "
            "COALESCE((SELECT SUM(net) FROM invoice_adjustment x "
            "WHERE x.deposit_invoice_id = v.id), 0) AS deducted_net, "
            "COALESCE((SELECT SUM(tax) FROM invoice_adjustment x "
            "WHERE x.deposit_invoice_id = v.id), 0) AS deducted_tax "
            "FROM invoice v WHERE v.kind = 'deposit'"
        )
        held = 0
        for dep in deposits:
            assert dep["deducted"] <= dep["paid"], dep
            net_left = dep["subtotal"] - dep["credited_net"] - dep["deducted_net"]
            tax_left = dep["tax"] - dep["credited_tax"] - dep["deducted_tax"]
            assert net_left >= 0 and tax_left >= 0, dep
            held += net_left
        assert -roles["customer_advances"] == from_minor(held)
        if any(dep["deducted"] for dep in deposits):
            event("a deposit was deducted")
        if any(inv["prepaid"] and inv["credited"] for inv in invoices):
            event("an invoice with a deposit deducted was credited")


def run_machine(kit, **overrides):
    run_state_machine_as_test(
        lambda: DepositMachine(kit),
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **overrides,
        ),
    )


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def test_deposits_keep_the_books_right(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=30, stateful_step_count=40)


@pytest.mark.soak
def test_deposits_keep_the_books_right_soak(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=300, stateful_step_count=60)
