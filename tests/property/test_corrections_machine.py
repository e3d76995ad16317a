"""The corrections among the everyday commands, as a Hypothesis state machine
(SPEC rules 4, 4a, 7, 8, 9, 12–15, 18).

Unlike the after-sale machine this one predicts little: it drives the services the
way the CLI does with random but mostly sensible arguments, and holds the ledger to
its rules after every step. The commands: order new, add line, confirm, cancel,
close and reopen; invoices (whole or partial, and again after a rebill credit or an
invoice cancel reopened quantities); shipments (whole or partial) and their
reversal; stock receipts; payments (to named invoices or oldest first), applying
credit, refunds, and the payment corrections void, unapply and reallocate; credit
memos of each kind (``rebill``, ``not_delivered``, ``returned`` with or without
``--restock``), by amount and of everything left, and invoice cancel; returns
(request, authorize, receive, reject, resolve by credit memo or replacement).

A refusal (``RuleViolation``, ``InvalidInput``, ``NotFound``) must say one line and
leave every table as it was. A command that works is checked for what it must have
done (a void leaves its payment nothing applied, a reversed shipment ships nothing,
an invoice cancel credits every line whole and reopens its quantities, a close
leaves nothing closable...). After every step: ``ordercli check`` (``run_checks``)
finds nothing, the trial balance balances, the receivable account equals the sum of
the invoices' balances (each within 0..total), ``LedgerKit.check_ledger`` holds
(rules 2, 8–10, 12 with rebill credits, cancelled and short-closed quantities and
reversed shipments), and per order line: credited ≤ ever invoiced, rebill +
not-delivered ≤ credited, shipped + not delivered + closed ≤ ordered, returned ≤
shipped; per payment: what counts of its allocations + unapplied = its amount, and
nothing of a voided one counts.

The default run is small and repeatable; ``-m soak`` runs a long one.
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
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from ordercli.books.checks import run_checks
from ordercli.books.journal import trial_balance
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, OrderCliError, RuleViolation
from ordercli.domain.lines import parse_line_specs
from ordercli.domain.money import from_minor
from ordercli.services.inventory.stock import receive_stock
from ordercli.services.sales.closing import close_order, reopen_order
from ordercli.services.sales.fulfilment import create_shipment
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, cancel_order, confirm_order, new_order
from ordercli.services.sales.shipment_reversal import reverse_shipment
from ordercli.services.settlement.credit_memos import cancel_invoice, create_credit_memo
from ordercli.services.settlement.payment_corrections import (
    reallocate_payment,
    unapply_payment,
    void_payment,
)
from ordercli.services.settlement.payments import apply_credit, record_payment, refund_customer
from ordercli.services.settlement.returns import (
    authorize_return,
    receive_return,
    reject_return,
    request_return,
    resolve_return,
)

TODAY = "2024-03-15"
# Short stock (5, 6), plenty (60), coffee by the kg (35.5 on hand), two services.
SKUS = ["DESK-STAND", "WHITEBOARD", "CHAIR-VISIT", "COFFEE-KG", "INSTALL", "DELIVERY"]
FRACTIONAL = {"COFFEE-KG", "INSTALL"}
SERVICES = {"INSTALL", "DELIVERY"}
GOODS = [sku for sku in SKUS if sku not in SERVICES]
CUSTOMERS = ["ACME", "CAFE"]  # two, so each has several documents to correct
MAX_ORDERS = 5
KINDS = [None, "rebill", "not_delivered", "returned"]
SETTLEMENTS = [None, "refund", "store_credit"]
REFUSALS = (RuleViolation, InvalidInput, NotFound)


def chance(data, n: int, label: str) -> bool:
    """True about once in ``n`` draws; shrinks to False."""
    return data.draw(st.sampled_from([False] * (n - 1) + [True]), label=label)


def qty_st(sku: str, high: int = 4):
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=high * 1000)
    return st.integers(min_value=1, max_value=high).map(lambda n: n * 1000)


def to_invoice(ln: dict) -> int:
    return ln["qty"] - ln["qty_closed"] - ln["qty_invoiced"]


def to_ship(ln: dict) -> int:
    if ln["service"]:
        return 0
    return ln["qty"] - ln["qty_cancelled"] - ln["qty_closed"] - ln["qty_shipped"]


def creditable(inv: dict) -> bool:
    """Money or a quantity (even one whose money rounds to nothing) left to credit."""
    return inv["credited"] < inv["total"] or any(
        il["qty"] > il["qty_credited"] for il in inv["lines"]
    )


def _rows(conn, sql: str, **params) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def read_ledger(engine) -> dict:
    """Orders, invoices, payments, shipments and returns as they stand, by number."""
    with engine.connect() as conn:
        orders = {
            o["number"]: {**o, "lines": []}
            for o in _rows(
                conn,
                "SELECT o.id, o.number, o.status, o.close_reason, c.code AS customer "
                "FROM sales_order o JOIN customer c ON c.id = o.customer_id ORDER BY o.id",
            )
        }
        by_id = {o["id"]: o for o in orders.values()}
        for ln in _rows(
            conn,
            "SELECT l.*, p.sku, p.service FROM order_line l JOIN product p "
            "ON p.id = l.product_id ORDER BY l.order_id, l.position",
        ):
            by_id[ln["order_id"]]["lines"].append(ln)
        invoices = {
            i["number"]: {**i, "balance": i["total"] - i["paid"] - i["credited"], "lines": []}
            for i in _rows(
                conn,
                "SELECT v.*, c.code AS customer, o.number AS order_number, "
                "(SELECT COUNT(*) FROM credit_memo m WHERE m.invoice_id = v.id) AS memos "
                "FROM invoice v JOIN customer c ON c.id = v.customer_id "
                "JOIN sales_order o ON o.id = v.order_id ORDER BY v.id",
            )
        }
        inv_by_id = {i["id"]: i for i in invoices.values()}
        for il in _rows(conn, "SELECT * FROM invoice_line ORDER BY invoice_id, position"):
            inv_by_id[il["invoice_id"]]["lines"].append(il)
        payments = {
            p["number"]: {**p, "on": {}, "refunded": 0}
            for p in _rows(
                conn,
                "SELECT p.*, c.code AS customer, v.number AS void FROM payment p "
                "JOIN customer c ON c.id = p.customer_id "
                "LEFT JOIN payment_void v ON v.payment_id = p.id ORDER BY p.id",
            )
        }
        pay_by_id = {p["id"]: p for p in payments.values()}
        for a in _rows(
            conn,
            "SELECT * FROM allocation WHERE payment_id IS NOT NULL AND released_on IS NULL",
        ):
            pay = pay_by_id[a["payment_id"]]
            if a["invoice_id"] is None:
                pay["refunded"] += a["amount"]
            else:
                number = inv_by_id[a["invoice_id"]]["number"]
                pay["on"][number] = pay["on"].get(number, 0) + a["amount"]
        shipments = {
            s["number"]: s
            for s in _rows(
                conn,
                "SELECT s.id, s.number, s.status, s.return_id, o.number AS order_number "
                "FROM shipment s JOIN sales_order o ON o.id = s.order_id ORDER BY s.id",
            )
        }
        rmas = {
            r["number"]: r
            for r in _rows(
                conn,
                "SELECT r.number, r.status, o.number AS order_number FROM rma r "
                "JOIN sales_order o ON o.id = r.order_id ORDER BY r.id",
            )
        }
        credit = {
            r["code"]: int(r["credit"])
            for r in _rows(
                conn,
                "SELECT c.code, "
                "(SELECT COALESCE(SUM(unapplied), 0) FROM payment p WHERE p.customer_id = c.id)"
                " + (SELECT COALESCE(SUM(credit_left), 0) FROM credit_memo m "
                "WHERE m.customer_id = c.id) AS credit FROM customer c",
            )
        }
        products = {p["sku"]: p for p in _rows(conn, "SELECT sku, on_hand, reserved FROM product")}
    return {
        "orders": orders,
        "invoices": invoices,
        "payments": payments,
        "shipments": shipments,
        "rmas": rmas,
        "credit": credit,
        "products": products,
    }


class CorrectionsMachine(RuleBasedStateMachine):
    def __init__(self, kit):
        super().__init__()
        self.kit = kit
        self.engine = kit.open()
        self._ledger: dict | None = None

    def teardown(self):
        self.kit.close(self.engine)

    def some_order(self, wanted) -> bool:
        return any(map(wanted, self.ledger()["orders"].values()))

    def ledger(self) -> dict:
        if self._ledger is None:
            self._ledger = read_ledger(self.engine)
        return self._ledger

    # --- running a command --------------------------------------------------------------

    def attempt(self, what: str, action):
        """Run ``action(session)`` in one unit of work. A refusal must be one line and
        change nothing; returns (the result, None) or (None, the refusal)."""
        before = self.kit.fingerprint(self.engine)
        try:
            with unit_of_work(self.engine) as session:
                result = action(session)
        except REFUSALS as refused:
            assert isinstance(refused, OrderCliError)
            assert refused.message and "\n" not in refused.message, refused.message
            assert self.kit.fingerprint(self.engine) == before, f"a refused {what} changed it"
            event(f"{what}: refused")
            return None, refused
        self._ledger = None
        event(f"{what}: done")
        return result, None

    def pick(self, data, items, wanted, label: str):
        """Mostly an item where the command can work, sometimes any; None if no items."""
        items = list(items)
        if not items:
            return None
        fitting = [x for x in items if wanted(x)]
        if fitting and not chance(data, 6, f"any {label}"):
            return data.draw(st.sampled_from(fitting), label=label)
        return data.draw(st.sampled_from(items), label=label)

    def money(self, units: int) -> Decimal:
        return Decimal(self.kit.money_text(units))

    def amount(self, data, most: int, label: str) -> int:
        """An amount in minor units: mostly within ``most``, sometimes all of it or more."""
        return data.draw(
            st.one_of(
                st.integers(min_value=1, max_value=max(most, 1)),
                st.just(max(most, 1)),
                st.integers(min_value=most + 1, max_value=most + 5000),
            ),
            label=label,
        )

    def part_spec(self, data, lines: list[dict], left) -> list[str] | None:
        """``None`` (everything open) or one ``SKU=QTY`` within what ``left`` leaves on
        the lines (sometimes beyond it)."""
        if not lines or chance(data, 3, "everything"):
            return None
        ln = self.pick(data, lines, lambda x: left(x) > 0, "line")
        room = left(ln)
        if room > 0 and not chance(data, 8, "too much"):
            if ln["sku"] in FRACTIONAL:
                qty = data.draw(st.integers(min_value=1, max_value=room), label="qty")
            else:
                qty = 1000 * data.draw(
                    st.integers(min_value=1, max_value=max(room // 1000, 1)), label="qty"
                )
        else:
            qty = max(room, 0) + data.draw(qty_st(ln["sku"], 2), label="too much")
        return [f"{ln['sku']}={self.kit.qty_text(qty)}"]

    # --- orders ------------------------------------------------------------------------------

    def open_order(self, customer: str, plans, confirm: bool):
        def action(s):
            number = new_order(session=s, customer_code=customer).number
            for sku, qty in plans:
                add_order_line(
                    session=s, number=number, sku=sku, qty=Decimal(self.kit.qty_text(qty))
                )
            if confirm:
                confirm_order(session=s, number=number, override_credit="property test")
            return number

        number, refused = self.attempt("new order", action)
        assert refused is None, refused
        return number

    @initialize(
        plans=st.lists(
            st.tuples(
                st.sampled_from(CUSTOMERS),
                st.deferred(lambda: line_plans()),
                st.booleans(),  # invoice it?
                st.booleans(),  # ship it?
                st.booleans(),  # pay it?
            ),
            min_size=1,
            max_size=2,
        )
    )
    def start(self, plans):
        """Confirmed orders, invoiced, shipped and paid in part, so the corrections have
        something to work on from the first step."""
        for customer, lines, invoice, ship, pay in plans:
            number = self.open_order(customer, lines, confirm=True)
            if invoice:
                self.attempt(
                    "invoice", lambda s, n=number: create_invoice(session=s, order_number=n)
                )
            if ship:
                self.attempt("ship", lambda s, n=number: create_shipment(session=s, order_number=n))
            if invoice and pay:
                self.attempt(
                    "payment",
                    lambda s, c=customer: record_payment(
                        session=s, customer_code=c, amount=Decimal("500.00")
                    ),
                )

    @precondition(lambda self: len(self.ledger()["orders"]) < MAX_ORDERS)
    @rule(customer=st.sampled_from(CUSTOMERS), data=st.data())
    def order_new(self, customer, data):
        self.open_order(customer, data.draw(line_plans(), label="lines"), confirm=False)

    @rule(data=st.data())
    def order_add_line(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(data, orders, lambda n: orders[n]["status"] in ("draft",), "order")
        if number is None:
            return
        sku = data.draw(st.sampled_from(SKUS), label="sku")
        qty = data.draw(qty_st(sku), label="qty")
        self.attempt(
            "add line",
            lambda s: add_order_line(
                session=s,
                number=number,
                sku=sku,
                qty=Decimal(self.kit.qty_text(qty)),
                override_credit="property test",
            ),
        )

    @precondition(lambda self: self.some_order(lambda o: o["status"] == "draft"))
    @rule(data=st.data())
    def order_confirm(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(data, orders, lambda n: orders[n]["status"] == "draft", "order")
        if number is None:
            return
        _, refused = self.attempt(
            "confirm",
            lambda s: confirm_order(session=s, number=number, override_credit="property test"),
        )
        if orders[number]["status"] == "draft" and orders[number]["lines"]:
            assert refused is None, refused

    @precondition(lambda self: self.some_order(lambda o: o["status"] in ("draft", "confirmed")))
    @rule(data=st.data())
    def order_cancel(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(
            data,
            orders,
            lambda n: (
                orders[n]["status"] in ("draft", "confirmed")
                and not any(ln["qty_invoiced"] or ln["qty_shipped"] for ln in orders[n]["lines"])
            ),
            "order",
        )
        if number is None:
            return
        _, refused = self.attempt(
            "cancel order", lambda s: cancel_order(session=s, number=number, reason="test")
        )
        if refused is None:
            after = self.ledger()["orders"][number]
            assert after["status"] == "cancelled"
            assert not any(ln["qty_invoiced"] or ln["qty_shipped"] for ln in after["lines"])

    @precondition(lambda self: self.some_order(lambda o: o["status"] == "confirmed"))
    @rule(data=st.data())
    def order_close(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(
            data,
            orders,
            lambda n: (
                orders[n]["status"] == "confirmed"
                and any(ln["qty_invoiced"] or ln["qty_shipped"] for ln in orders[n]["lines"])
            ),
            "order",
        )
        if number is None:
            return
        _, refused = self.attempt(
            "close order", lambda s: close_order(session=s, number=number, reason="no more")
        )
        if refused is None:
            after = self.ledger()["orders"][number]
            assert after["close_reason"] == "no more"
            for ln in after["lines"]:
                # Nothing is left both to invoice and (for goods) to ship.
                closable = to_invoice(ln) if ln["service"] else min(to_invoice(ln), to_ship(ln))
                assert closable <= 0, ln
            assert any(ln["qty_closed"] for ln in after["lines"])

    @precondition(lambda self: self.some_order(lambda o: o["close_reason"] is not None))
    @rule(data=st.data())
    def order_reopen(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(
            data,
            orders,
            lambda n: (
                any(ln["qty_closed"] for ln in orders[n]["lines"])
                and orders[n]["status"] in ("confirmed", "completed")
            ),
            "order",
        )
        if number is None:
            return
        closed = {ln["id"]: ln["qty_closed"] for ln in orders[number]["lines"]}
        _, refused = self.attempt(
            "reopen order",
            lambda s: reopen_order(session=s, number=number, override_credit="property test"),
        )
        if refused is None:
            after = self.ledger()["orders"][number]
            assert after["status"] == "confirmed" and after["close_reason"] is None
            assert all(ln["qty_closed"] == 0 for ln in after["lines"])
            event(f"reopened {sum(closed.values()) > 0}")

    # --- invoices, shipments, stock ------------------------------------------------------------

    @precondition(
        lambda self: self.some_order(
            lambda o: o["status"] == "confirmed" and any(to_invoice(ln) > 0 for ln in o["lines"])
        )
    )
    @rule(data=st.data())
    def invoice(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(
            data,
            orders,
            lambda n: (
                orders[n]["status"] == "confirmed"
                and any(to_invoice(ln) > 0 for ln in orders[n]["lines"])
            ),
            "order",
        )
        if number is None:
            return
        order = orders[number]
        specs = self.part_spec(data, order["lines"], to_invoice)
        again = any(ln["qty_reopened"] for ln in order["lines"])
        invoice, refused = self.attempt(
            "invoice again" if again else "invoice",
            lambda s: (
                create_invoice(session=s, order_number=number, lines=parse_line_specs(specs)).number
            ),
        )
        if refused is None:
            after = self.ledger()
            assert after["invoices"][invoice]["balance"] == after["invoices"][invoice]["total"]
            for old, new in zip(order["lines"], after["orders"][number]["lines"], strict=True):
                assert new["qty_invoiced"] >= old["qty_invoiced"]
                assert to_invoice(new) >= 0

    @precondition(
        lambda self: self.some_order(
            lambda o: o["status"] == "confirmed" and any(to_ship(ln) > 0 for ln in o["lines"])
        )
    )
    @rule(data=st.data())
    def ship(self, data):
        ledger = self.ledger()
        orders, products = ledger["orders"], ledger["products"]
        number = self.pick(
            data,
            orders,
            lambda n: (
                orders[n]["status"] == "confirmed"
                and any(
                    0 < to_ship(ln) <= products[ln["sku"]]["on_hand"] for ln in orders[n]["lines"]
                )
            ),
            "order",
        )
        if number is None:
            return
        goods = [ln for ln in orders[number]["lines"] if not ln["service"]]
        specs = self.part_spec(data, goods, to_ship)
        self.attempt(
            "ship",
            lambda s: create_shipment(
                session=s, order_number=number, lines=parse_line_specs(specs)
            ),
        )

    @rule(sku=st.sampled_from(GOODS), data=st.data())
    def stock_receive(self, sku, data):
        qty = data.draw(qty_st(sku, 6), label="qty")
        _, refused = self.attempt(
            "receive stock",
            lambda s: receive_stock(session=s, sku=sku, qty=Decimal(self.kit.qty_text(qty))),
        )
        assert refused is None, refused

    @precondition(lambda self: self.ledger()["shipments"])
    @rule(data=st.data())
    def shipment_reverse(self, data):
        ledger = self.ledger()
        shipments = ledger["shipments"]
        number = self.pick(
            data,
            shipments,
            lambda n: shipments[n]["status"] != "reversed" and shipments[n]["return_id"] is None,
            "shipment",
        )
        with self.engine.connect() as conn:
            shipped = _rows(
                conn,
                "SELECT sl.order_line_id, sl.qty, p.sku FROM shipment_line sl "
                "JOIN shipment s ON s.id = sl.shipment_id JOIN product p ON p.id = sl.product_id "
                "WHERE s.number = :n",
                n=number,
            )
        _, refused = self.attempt(
            "reverse shipment",
            lambda s: reverse_shipment(session=s, number=number, reason="recorded in error"),
        )
        if refused is None:
            after = self.ledger()
            assert after["shipments"][number]["status"] == "reversed"
            order = after["orders"][shipments[number]["order_number"]]
            before = {ln["id"]: ln for ln in ledger["orders"][order["number"]]["lines"]}
            back: dict[int, int] = {}
            stock: dict[str, int] = {}
            for sl in shipped:
                back[sl["order_line_id"]] = back.get(sl["order_line_id"], 0) + sl["qty"]
                stock[sl["sku"]] = stock.get(sl["sku"], 0) + sl["qty"]
            for ln in order["lines"]:
                assert ln["qty_shipped"] == before[ln["id"]]["qty_shipped"] - back.get(ln["id"], 0)
            for sku, qty in stock.items():
                assert after["products"][sku]["on_hand"] == ledger["products"][sku]["on_hand"] + qty
            assert order["status"] != "completed" or not back

    # --- payments and their corrections -----------------------------------------------------

    @rule(customer=st.sampled_from(CUSTOMERS), data=st.data())
    def pay(self, customer, data):
        invoices = self.ledger()["invoices"]
        open_ = [n for n, i in invoices.items() if i["customer"] == customer and i["balance"] > 0]
        owed = sum(invoices[n]["balance"] for n in open_)
        amount = self.amount(data, owed, "amount")
        specs = None
        if open_ and data.draw(st.booleans(), label="named"):
            number = data.draw(st.sampled_from(open_), label="invoice")
            specs = [(number, None)]
            if data.draw(st.booleans(), label="with amount"):
                specs = [(number, self.money(min(amount, invoices[number]["balance"])))]
        self.attempt(
            "payment",
            lambda s: record_payment(
                session=s, customer_code=customer, amount=self.money(amount), invoices=specs
            ),
        )

    @precondition(
        lambda self: any(
            i["balance"] > 0 and self.ledger()["credit"][i["customer"]] > 0
            for i in self.ledger()["invoices"].values()
        )
    )
    @rule(data=st.data())
    def apply(self, data):
        ledger = self.ledger()
        invoices = ledger["invoices"]
        number = self.pick(
            data,
            invoices,
            lambda n: invoices[n]["balance"] > 0 and ledger["credit"][invoices[n]["customer"]] > 0,
            "invoice",
        )
        if number is None:
            return
        inv = invoices[number]
        amount = None
        if data.draw(st.booleans(), label="amount given"):
            amount = self.money(self.amount(data, inv["balance"], "amount"))
        self.attempt(
            "apply credit",
            lambda s: apply_credit(
                session=s, customer_code=inv["customer"], invoice_number=number, amount=amount
            ),
        )

    @precondition(lambda self: any(self.ledger()["credit"][c] for c in CUSTOMERS))
    @rule(customer=st.sampled_from(CUSTOMERS), data=st.data())
    def refund(self, customer, data):
        credit = self.ledger()["credit"][customer]
        amount = None
        if data.draw(st.booleans(), label="amount given"):
            amount = self.money(self.amount(data, credit, "amount"))
        self.attempt(
            "refund",
            lambda s: refund_customer(session=s, customer_code=customer, amount=amount),
        )

    def reallocatable(self, payment: dict) -> bool:
        """Money on an invoice, and another invoice of its customer with a balance."""
        return (
            payment["void"] is None
            and any(
                i["customer"] == payment["customer"] and i["balance"] > 0 and n not in payment["on"]
                for n, i in self.ledger()["invoices"].items()
            )
            and bool(payment["on"])
        )

    def can_reallocate(self) -> bool:
        return any(map(self.reallocatable, self.ledger()["payments"].values()))

    def _payment(self, data, wanted):
        payments = self.ledger()["payments"]
        return self.pick(data, payments, lambda n: wanted(payments[n]), "payment")

    @precondition(lambda self: self.ledger()["payments"])
    @rule(data=st.data())
    def payment_void(self, data):
        ledger = self.ledger()
        number = self._payment(data, lambda p: p["void"] is None and not p["refunded"])
        payment = ledger["payments"][number]
        _, refused = self.attempt(
            "void payment",
            lambda s: void_payment(session=s, number=number, reason="recorded in error"),
        )
        if refused is None:
            after = self.ledger()
            voided = after["payments"][number]
            assert voided["void"] is not None and voided["unapplied"] == 0 and not voided["on"]
            for inv, amount in payment["on"].items():
                was, now = ledger["invoices"][inv], after["invoices"][inv]
                assert now["paid"] == was["paid"] - amount, (inv, was, now)
            customer = payment["customer"]
            assert after["credit"][customer] == ledger["credit"][customer] - payment["unapplied"]

    @precondition(lambda self: any(p["on"] for p in self.ledger()["payments"].values()))
    @rule(data=st.data())
    def payment_unapply(self, data):
        ledger = self.ledger()
        number = self._payment(data, lambda p: p["void"] is None and p["on"])
        payment = ledger["payments"][number]
        invoice, amount = None, None
        if payment["on"] and data.draw(st.booleans(), label="one invoice"):
            invoice = data.draw(st.sampled_from(sorted(payment["on"])), label="invoice")
        there = payment["on"].get(invoice, 0) if invoice else sum(payment["on"].values())
        if data.draw(st.booleans(), label="amount given"):
            amount = self.amount(data, there, "amount")
        _, refused = self.attempt(
            "unapply payment",
            lambda s: unapply_payment(
                session=s,
                number=number,
                invoice_number=invoice,
                amount=None if amount is None else self.money(amount),
            ),
        )
        if refused is None:
            after = self.ledger()["payments"][number]
            taken = there if amount is None else amount
            assert after["unapplied"] == payment["unapplied"] + taken
            assert sum(after["on"].values()) == sum(payment["on"].values()) - taken
            if invoice is not None:
                assert after["on"].get(invoice, 0) == there - taken

    @precondition(lambda self: self.can_reallocate())
    @rule(data=st.data())
    def payment_reallocate(self, data):
        ledger = self.ledger()
        invoices = ledger["invoices"]
        number = self._payment(data, self.reallocatable)
        payment = ledger["payments"][number]
        own = [n for n, i in invoices.items() if i["customer"] == payment["customer"]]
        source = data.draw(
            st.sampled_from(sorted(payment["on"]) or own or sorted(invoices)), label="from"
        )
        target = self.pick(
            data, invoices, lambda n: n in own and n != source and invoices[n]["balance"] > 0, "to"
        )
        amount = None
        if data.draw(st.booleans(), label="amount given"):
            amount = self.amount(data, payment["on"].get(source, 0), "amount")
        _, refused = self.attempt(
            "reallocate payment",
            lambda s: reallocate_payment(
                session=s,
                number=number,
                from_invoice=source,
                to_invoice=target,
                amount=None if amount is None else self.money(amount),
            ),
        )
        if refused is None:
            after = self.ledger()
            moved = payment["on"].get(source, 0) - after["payments"][number]["on"].get(source, 0)
            assert moved > 0
            assert after["invoices"][target]["balance"] == invoices[target]["balance"] - moved
            assert after["invoices"][source]["balance"] == invoices[source]["balance"] + moved
            assert after["payments"][number]["unapplied"] == payment["unapplied"]

    # --- credit memos, invoice cancel ---------------------------------------------------------

    @precondition(lambda self: any(map(creditable, self.ledger()["invoices"].values())))
    @rule(data=st.data())
    def credit_memo(self, data):
        ledger = self.ledger()
        invoices = ledger["invoices"]
        number = self.pick(data, invoices, lambda n: creditable(invoices[n]), "invoice")
        inv = invoices[number]
        mode = data.draw(st.sampled_from(["lines", "lines", "amount", "all"]), label="by")
        kind = data.draw(st.sampled_from(KINDS), label="kind")
        restock = kind in (None, "returned") and data.draw(st.booleans(), label="restock")
        specs, amount = None, None
        if mode == "lines":
            # None: everything left on the invoice.
            specs = self.part_spec(data, inv["lines"], lambda il: il["qty"] - il["qty_credited"])
        elif mode == "amount":
            kind, restock = None, False
            amount = self.money(self.amount(data, inv["total"] - inv["credited"], "amount"))
        settlement = data.draw(st.sampled_from(SETTLEMENTS), label="settlement")
        memo, refused = self.attempt(
            f"credit memo {mode} {'restock' if restock else kind or 'rebill'}",
            lambda s: (
                create_credit_memo(
                    session=s,
                    invoice_number=number,
                    lines=parse_line_specs(specs),
                    amount=amount,
                    settlement=settlement,
                    restock=restock,
                    kind=kind,
                ).number
            ),
        )
        if refused is None:
            self._check_memo_effects(ledger, memo, "returned" if restock else kind or "rebill")

    def _check_memo_effects(self, ledger: dict, memo: str, kind: str) -> None:
        """Each memo line moved its order line's counters by its kind (rule 14)."""
        with self.engine.connect() as conn:
            items = _rows(
                conn,
                "SELECT ml.order_line_id, ml.qty, ml.net, ml.tax, ml.effect, p.service "
                "FROM credit_memo_line ml JOIN credit_memo m ON m.id = ml.credit_memo_id "
                "JOIN product p ON p.id = (SELECT product_id FROM order_line "
                "WHERE id = ml.order_line_id) WHERE m.number = :n",
                n=memo,
            )
        lines = lambda led: {ln["id"]: ln for o in led["orders"].values() for ln in o["lines"]}  # noqa: E731
        before, after = lines(ledger), lines(self.ledger())
        for item in items:
            old, new = before[item["order_line_id"]], after[item["order_line_id"]]
            want = "none"
            if item["qty"]:
                want = {"rebill": "rebill", "not_delivered": "cancel", "returned": "return"}[kind]
                if kind == "returned" and item["service"]:
                    want = "cancel"
            assert item["effect"] == want, (item, kind)
            assert new["qty_credited"] == old["qty_credited"] + item["qty"]
            if want == "rebill":
                assert new["qty_invoiced"] == old["qty_invoiced"] - item["qty"]
                assert new["net_invoiced"] == old["net_invoiced"] - item["net"]
                assert new["qty_reopened"] == old["qty_reopened"] + item["qty"]
            elif want == "cancel":
                assert new["qty_cancelled"] == old["qty_cancelled"] + item["qty"]
            elif want == "return":
                assert new["qty_returned"] == old["qty_returned"] + item["qty"]
            if not item["qty"]:
                event("credit memo line of money only")
            elif item["net"] + item["tax"] == 0:
                event("credit memo line of zero money")

    @precondition(lambda self: any(i["memos"] == 0 for i in self.ledger()["invoices"].values()))
    @rule(data=st.data())
    def invoice_cancel(self, data):
        ledger = self.ledger()
        invoices = ledger["invoices"]
        number = self.pick(data, invoices, lambda n: invoices[n]["memos"] == 0, "invoice")
        inv = invoices[number]
        settlement = data.draw(st.sampled_from(SETTLEMENTS), label="settlement")
        memo, refused = self.attempt(
            "cancel invoice",
            lambda s: (
                cancel_invoice(
                    session=s,
                    invoice_number=number,
                    reason="billed in error",
                    settlement=settlement,
                ).number
            ),
        )
        if inv["memos"] == 0 and refused is not None:
            # Goods on a received return are credited by resolving it, nothing else.
            assert "received and not yet resolved" in refused.message, refused.message
        if refused is None:
            after = self.ledger()
            now = after["invoices"][number]
            assert now["credited"] == now["total"] and now["balance"] == 0
            for il in now["lines"]:
                assert (il["qty_credited"], il["net_credited"], il["tax_credited"]) == (
                    il["qty"],
                    il["net"],
                    il["tax"],
                )
            self._check_memo_effects(ledger, memo, "rebill")
            order = after["orders"][inv["order_number"]]
            assert order["status"] != "completed" or not any(il["qty"] for il in inv["lines"])

    # --- returns --------------------------------------------------------------------------

    @precondition(
        lambda self: self.some_order(
            lambda o: any(ln["qty_shipped"] > ln["qty_returned"] for ln in o["lines"])
        )
    )
    @rule(data=st.data())
    def return_request(self, data):
        orders = self.ledger()["orders"]
        number = self.pick(
            data,
            orders,
            lambda n: any(
                ln["qty_shipped"] + ln["qty_replaced"] > ln["qty_returned"]
                for ln in orders[n]["lines"]
            ),
            "order",
        )
        if number is None:
            return
        goods = [ln for ln in orders[number]["lines"] if not ln["service"]]

        def out(ln):
            return ln["qty_shipped"] + ln["qty_replaced"] - ln["qty_returned"]

        # Everything out there (less what open returns ask back: then refused), or a part.
        specs = self.part_spec(data, goods, out) or [
            f"{ln['sku']}={self.kit.qty_text(out(ln))}" for ln in goods if out(ln) > 0
        ]
        self.attempt(
            "request return",
            lambda s: request_return(
                session=s,
                order_number=number,
                lines=parse_line_specs(specs or [f"{SKUS[0]}=1"]),
                reason="damaged",
            ),
        )

    @precondition(
        lambda self: any(
            r["status"] in ("requested", "authorized", "received")
            for r in self.ledger()["rmas"].values()
        )
    )
    @rule(data=st.data())
    def return_step(self, data):
        self.advance_return(data)

    # Returns take four steps to resolve: a second rule gives them more of the run.
    @precondition(
        lambda self: any(
            r["status"] in ("authorized", "received") for r in self.ledger()["rmas"].values()
        )
    )
    @rule(data=st.data())
    def return_step_more(self, data):
        self.advance_return(data)

    def advance_return(self, data):
        rmas = self.ledger()["rmas"]
        number = self.pick(
            data,
            rmas,
            lambda n: rmas[n]["status"] in ("requested", "authorized", "received"),
            "rma",
        )
        step = {
            "requested": "authorize",
            "authorized": "receive",
            "received": "resolve",
        }.get(rmas[number]["status"], "resolve")
        if chance(data, 6, "another step"):
            step = data.draw(st.sampled_from(["authorize", "receive", "resolve", "reject"]))
        if step == "authorize":
            action = lambda s: authorize_return(session=s, number=number)  # noqa: E731
        elif step == "receive":
            restock = data.draw(st.booleans(), label="restock")
            action = lambda s: receive_return(session=s, number=number, restock=restock)  # noqa: E731
        elif step == "reject":
            action = lambda s: reject_return(session=s, number=number)  # noqa: E731
        elif data.draw(st.booleans(), label="replace"):
            action = lambda s: resolve_return(session=s, number=number, replace=True)  # noqa: E731
            step = "resolve by replacement"
        else:
            settlement = data.draw(st.sampled_from(SETTLEMENTS), label="settlement")
            action = lambda s: resolve_return(  # noqa: E731
                session=s, number=number, credit_memo=True, settlement=settlement
            )
            step = "resolve by credit memo"
        self.attempt(f"return {step}", action)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_keeps_every_rule(self):
        with unit_of_work(self.engine, write=False) as session:
            report = run_checks(session=session)
            balance = trial_balance(session=session)
        problems = "\n".join(f"rule {p['rule']}: {p['problem']}" for p in report["problems"])
        assert report["ok"], problems
        assert balance["total_debit"] == balance["total_credit"], balance
        ledger = self.ledger()
        (receivable,) = [a["balance"] for a in balance["accounts"] if a["role"] == "receivable"]
        owed = sum(i["balance"] for i in ledger["invoices"].values())
        assert receivable == from_minor(owed), (receivable, owed)
        for inv in ledger["invoices"].values():
            assert 0 <= inv["balance"] <= inv["total"], inv
            assert 0 <= inv["paid"] and 0 <= inv["credited"] <= inv["total"], inv
        for order in ledger["orders"].values():
            for ln in order["lines"]:
                ever_invoiced = ln["qty_invoiced"] + ln["qty_reopened"]
                assert ln["qty_credited"] <= ever_invoiced, ln
                assert ln["qty_reopened"] + ln["qty_cancelled"] <= ln["qty_credited"], ln
                assert 0 <= ln["qty_invoiced"] and to_invoice(ln) >= 0, ln
                assert to_ship(ln) >= 0, ln
                assert ln["qty_returned"] <= ln["qty_shipped"] + ln["qty_replaced"], ln
                if ln["service"]:
                    assert (ln["qty_shipped"], ln["qty_returned"]) == (0, 0), ln
        for pay in ledger["payments"].values():
            counted = sum(pay["on"].values()) + pay["refunded"] + pay["unapplied"]
            if pay["void"] is None:
                assert counted == pay["amount"], pay
            else:
                assert counted == 0, pay
        self.kit.check_ledger(self.engine)


@st.composite
def line_plans(draw):
    """Lines for a new order: (sku, qty)."""
    return [
        (sku, draw(qty_st(sku)))
        for sku in draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=3))
    ]


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def run_machine(kit, **overrides):
    run_state_machine_as_test(
        lambda: CorrectionsMachine(kit),
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **overrides,
        ),
    )


def test_corrections_keep_every_invariant(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=20, stateful_step_count=40)


@pytest.mark.soak
def test_corrections_keep_every_invariant_soak(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=300, stateful_step_count=60)
