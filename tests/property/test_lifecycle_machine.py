"""The order lifecycle as a Hypothesis state machine (SPEC rules 2, 6–10, 12, 16).

Rules drive the services the way the CLI does — new order, add/edit/remove line,
confirm (with or without a credit override), hold/release, cancel, partial or
full invoices and shipments, deliver, receive stock — on one fresh seeded ledger
per run. A plain-Python model predicts every outcome: which requests succeed and
what they change, and which are refused (and with which error). Services are
delivered by invoicing them and never shipped: a shipment takes goods only, and
an order is completed when every line is invoiced and its goods are shipped. A refusal must
leave every table as it was. After every step the ledger is checked as a whole
(``LedgerKit.check_ledger``: rule 9 per line, exact rounded amounts and document
totals, rule 10 per partial invoice (the completing one takes the remainder),
gapless numbers, statuses, stock and reservations) and compared with the model.

The default run is small; ``-m soak`` runs a long one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.lines import parse_line_specs
from ordercli.services.inventory.stock import receive_stock
from ordercli.services.sales.fulfilment import create_shipment, deliver_shipment
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import (
    add_order_line,
    cancel_order,
    confirm_order,
    edit_order_line,
    hold_order,
    new_order,
    release_order,
    remove_order_line,
)

# Short stock (5, 6), plenty (60), coffee by the kg (35.5), two services.
SKUS = ["DESK-STAND", "WHITEBOARD", "CHAIR-VISIT", "COFFEE-KG", "INSTALL", "DELIVERY"]
FRACTIONAL = {"COFFEE-KG", "INSTALL"}
# Credit limits 2000, 3000, 5000, none, 25000.
CUSTOMERS = ["CAFE", "WIEN", "STUDIO", "MUELLER", "ACME"]

index_st = st.integers(min_value=0, max_value=1000)
MAX_ORDERS = 5
EDITABLE = {"draft", "confirmed"}


def qty_st(sku: str):
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=8000)
    return st.integers(min_value=1, max_value=6).map(lambda n: n * 1000)


def chance(data, n: int, label: str) -> bool:
    """True about once in ``n`` draws; shrinks to False."""
    return data.draw(st.sampled_from([False] * (n - 1) + [True]), label=label)


@dataclass
class MLine:
    position: int
    sku: str
    qty: int
    price: int
    discount: int
    rate: int
    invoiced: int = 0
    shipped: int = 0
    service: bool = False  # delivered by invoicing it, never shipped (rule 12)


@dataclass
class MOrder:
    number: str
    customer: str
    status: str = "draft"
    confirmed: bool = False
    before_hold: str | None = None
    lines: list[MLine] = field(default_factory=list)

    def fully_done(self) -> bool:
        """Rules 8, 12: every line invoiced, and every line of goods shipped."""
        return bool(self.lines) and all(
            ln.invoiced == ln.qty and (ln.service or ln.shipped == ln.qty) for ln in self.lines
        )

    def refresh(self) -> None:
        """Rule 8: a confirmed order fully invoiced, its goods shipped, is completed."""
        if self.status == "confirmed" and self.fully_done():
            self.status = "completed"


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self, kit):
        super().__init__()
        self.kit = kit
        self.engine = kit.open()
        self.orders: list[MOrder] = []
        self.on_hand = {
            sku: p.stock for sku, p in kit.products.items() if not p.service and sku in SKUS
        }
        self.invoices = 0
        self.shipments: list[bool] = []  # delivered?

    def teardown(self):
        self.kit.close(self.engine)

    # --- the model's arithmetic ---------------------------------------------------------------

    def line_total(self, ln: MLine) -> int:
        net = self.kit.exact_net(ln.qty, ln.price, ln.discount)
        return net + self.kit.exact_tax(net, ln.rate)

    def order_total(self, order: MOrder) -> int:
        return sum(self.line_total(ln) for ln in order.lines)

    def exposure(self, customer: str) -> int:
        """Rule 16: open invoices + confirmed orders not yet invoiced = confirmed orders' totals
        (no payments or credits are made here)."""
        return sum(
            self.order_total(o)
            for o in self.orders
            if o.customer == customer
            and o.confirmed
            and o.status in {"confirmed", "on_hold", "completed"}
        )

    def reserved(self) -> dict[str, int]:
        reserved = dict.fromkeys(self.on_hand, 0)
        for o in self.orders:
            if o.confirmed and o.status in {"confirmed", "on_hold"}:
                for ln in o.lines:
                    if ln.sku in reserved:
                        reserved[ln.sku] += ln.qty - ln.shipped
        return reserved

    # --- running a command ----------------------------------------------------------------------

    def attempt(self, error, action):
        """Run ``action(session)`` in one unit of work; ``error`` is the expected refusal."""
        if error is None:
            with unit_of_work(self.engine) as session:
                return action(session)
        before = self.kit.fingerprint(self.engine)
        with pytest.raises(error):
            with unit_of_work(self.engine) as session:
                action(session)
        assert self.kit.fingerprint(self.engine) == before, "a refused command changed the ledger"
        event(f"refused: {error.__name__}")
        return None

    def pick(self, data, wanted) -> MOrder:
        """Mostly an order where the rule can work (``wanted``), sometimes any order."""
        fitting = [o for o in self.orders if wanted(o)]
        if fitting and not chance(data, 5, "any order"):
            return data.draw(st.sampled_from(fitting), label="order")
        return data.draw(st.sampled_from(self.orders), label="order")

    @staticmethod
    def editable_error(order: MOrder):
        return None if order.status in {"draft", "confirmed"} else RuleViolation

    # --- rules ----------------------------------------------------------------------------------

    @initialize(
        plans=st.lists(
            st.tuples(
                st.sampled_from(CUSTOMERS),
                st.lists(st.sampled_from(SKUS), min_size=1, max_size=3),
                st.sampled_from([True, True, False]),  # confirm it?
            ),
            min_size=1,
            max_size=3,
        ),
        data=st.data(),
    )
    def open_some_orders(self, plans, data):
        """Start from a few orders with lines, most confirmed, so runs reach the later stages."""
        for customer, skus, confirm in plans:
            self.new_order(customer)
            order = self.orders[-1]
            number = order.number
            for sku in skus:
                qty = data.draw(qty_st(sku), label="qty")
                self.attempt(
                    None,
                    lambda s, sku=sku, qty=qty, number=number: add_order_line(
                        session=s, number=number, sku=sku, qty=Decimal(self.kit.qty_text(qty))
                    ),
                )
                product = self.kit.products[sku]
                order.lines.append(
                    MLine(
                        len(order.lines) + 1,
                        sku,
                        qty,
                        product.price,
                        0,
                        product.tax_rate,
                        service=product.service,
                    )
                )
            if confirm:
                self.attempt(
                    None,
                    lambda s, number=number: confirm_order(
                        session=s, number=number, override_credit="opening orders"
                    ),
                )
                order.status, order.confirmed = "confirmed", True

    @precondition(lambda self: len(self.orders) < MAX_ORDERS)
    @rule(customer=st.sampled_from(CUSTOMERS))
    def new_order(self, customer):
        number = self.attempt(None, lambda s: new_order(session=s, customer_code=customer).number)
        assert number == f"SO-{len(self.orders) + 1:05d}"
        self.orders.append(MOrder(number=number, customer=customer))

    @precondition(lambda self: self.orders)
    @rule(
        data=st.data(),
        price=st.one_of(st.none(), st.integers(min_value=0, max_value=150_000)),
        discount=st.one_of(st.none(), st.integers(min_value=0, max_value=100 * 10**4)),
        rate=st.one_of(st.none(), st.sampled_from([0, 7 * 10**4, 19 * 10**4, 255_000])),
    )
    def add_line(self, data, price, discount, rate):
        order = self.pick(data, lambda o: o.status in EDITABLE)
        sku = data.draw(st.sampled_from(SKUS), label="sku")
        qty = data.draw(qty_st(sku), label="qty")
        kit = self.kit
        error = self.editable_error(order)
        self.attempt(
            error,
            lambda s: add_order_line(
                session=s,
                number=order.number,
                sku=sku,
                qty=Decimal(kit.qty_text(qty)),
                price=None if price is None else Decimal(kit.money_text(price)),
                discount=None if discount is None else Decimal(kit.pct_text(discount)),
                tax_rate=None if rate is None else Decimal(kit.pct_text(rate)),
                # rule 16 on growing confirmed orders is tested in tests/services
                override_credit="property test",
            ),
        )
        if error is None:
            product = kit.products[sku]
            order.lines.append(
                MLine(
                    position=max((ln.position for ln in order.lines), default=0) + 1,
                    sku=sku,
                    qty=qty,
                    price=product.price if price is None else price,
                    discount=discount or 0,
                    rate=product.tax_rate if rate is None else rate,
                    service=product.service,
                )
            )

    def _line_ref(self, order: MOrder, line_index: int, by_sku: bool):
        """(line, reference text, expected lookup error) for an edit or removal."""
        line = order.lines[line_index % len(order.lines)]
        if not by_sku:
            return line, str(line.position), None
        same = [ln for ln in order.lines if ln.sku == line.sku]
        return line, line.sku.lower(), InvalidInput if len(same) > 1 else None

    @precondition(lambda self: any(o.lines for o in self.orders))
    @rule(kind=st.sampled_from(["qty", "qty", "qty", "price", "remove"]), data=st.data())
    def change_line(self, kind, data):
        """Edit a line's quantity or price, or remove it (one rule, weighted to quantities)."""
        line_index = data.draw(index_st, label="line")
        if kind == "qty":
            self.edit_line_qty(line_index, data.draw(st.booleans(), label="by sku"), data)
        elif kind == "price":
            price = data.draw(st.integers(min_value=0, max_value=99_999), label="price")
            self.edit_line_price(line_index, price, data)
        else:
            self.remove_line(line_index, data)

    def edit_line_qty(self, line_index, by_sku, data):
        order = self.pick(data, lambda o: o.lines and o.status in EDITABLE)
        if not order.lines:
            return
        line, ref, error = self._line_ref(order, line_index, by_sku)
        floor = max(line.invoiced, line.shipped)
        qty = data.draw(
            st.one_of(
                qty_st(line.sku),
                st.integers(min_value=max(1, floor - 2000), max_value=floor + 2000),
            ),
            label="new qty",
        )
        qty = max(qty, 1)
        error = self.editable_error(order) or error or (RuleViolation if qty < floor else None)
        self.attempt(
            error,
            lambda s: edit_order_line(
                session=s,
                number=order.number,
                line_ref=ref,
                qty=Decimal(self.kit.qty_text(qty)),
                override_credit="property test",
            ),
        )
        if error is None:
            line.qty = qty
            order.refresh()

    def edit_line_price(self, line_index, price, data):
        order = self.pick(data, lambda o: o.lines and o.status in EDITABLE)
        if not order.lines:
            return
        line, ref, error = self._line_ref(order, line_index, by_sku=False)
        error = self.editable_error(order) or (
            RuleViolation if line.invoiced or line.shipped else None
        )
        self.attempt(
            error,
            lambda s: edit_order_line(
                session=s,
                number=order.number,
                line_ref=ref,
                price=Decimal(self.kit.money_text(price)),
                override_credit="property test",
            ),
        )
        if error is None:
            line.price = price

    def remove_line(self, line_index, data):
        order = self.pick(data, lambda o: o.lines and o.status in EDITABLE)
        if not order.lines:
            return
        line, ref, _ = self._line_ref(order, line_index, by_sku=False)
        error = self.editable_error(order)
        if error is None and (line.invoiced or line.shipped):
            error = RuleViolation
        if error is None and order.status == "confirmed" and len(order.lines) == 1:
            error = RuleViolation
        self.attempt(
            error, lambda s: remove_order_line(session=s, number=order.number, line_ref=ref)
        )
        if error is None:
            order.lines.remove(line)
            order.refresh()

    @precondition(lambda self: self.orders)
    @rule(override=st.sampled_from([True, True, False]), data=st.data())
    def confirm(self, override, data):
        order = self.pick(data, lambda o: o.lines and o.status == "draft")
        error = None
        if order.status != "draft" or not order.lines:
            error = RuleViolation
        else:
            limit = self.kit.credit_limits[order.customer]
            over = (
                limit is not None
                and self.exposure(order.customer) + self.order_total(order) > limit
            )
            if over:
                event("credit limit " + ("overridden" if override else "refused"))
                if not override:
                    error = RuleViolation
        self.attempt(
            error,
            lambda s: confirm_order(
                session=s,
                number=order.number,
                override_credit="property test" if override else None,
            ),
        )
        if error is None:
            order.status = "confirmed"
            order.confirmed = True

    @precondition(lambda self: self.orders)
    @rule(action=st.sampled_from(["hold", "hold", "release", "release", "cancel"]), data=st.data())
    def interrupt(self, action, data):
        """Hold, release or cancel (one rule, so cancelling does not dominate the runs)."""
        if action == "hold":
            order = self.pick(data, lambda o: o.status in EDITABLE)
            error = None if order.status in EDITABLE else RuleViolation
            self.attempt(
                error,
                lambda s: hold_order(session=s, number=order.number, reason="property test"),
            )
            if error is None:
                order.before_hold, order.status = order.status, "on_hold"
        elif action == "release":
            order = self.pick(data, lambda o: o.status == "on_hold")
            error = None if order.status == "on_hold" else RuleViolation
            self.attempt(error, lambda s: release_order(session=s, number=order.number))
            if error is None:
                order.status, order.before_hold = order.before_hold, None
        else:
            order = self.pick(data, lambda o: True)
            done = any(ln.invoiced or ln.shipped for ln in order.lines)
            error = RuleViolation if order.status in {"cancelled", "completed"} or done else None
            self.attempt(error, lambda s: cancel_order(session=s, number=order.number))
            if error is None:
                order.status = "cancelled"

    def _requests(self, data, order: MOrder, attr: str, everything: bool = False):
        """Random ``SKU=QTY`` arguments (None: everything open) and the model's merge of them."""
        if everything or not order.lines or chance(data, 3, "everything open"):
            return None, None
        specs, merged = [], {}
        # Mostly what can be shipped: services are delivered by invoicing them (rule 12).
        shippable = [ln.sku for ln in order.lines if not (attr == "shipped" and ln.service)]
        for _ in range(data.draw(st.sampled_from([1, 1, 1, 2, 3]), label="specs")):
            on_order = shippable or [ln.sku for ln in order.lines]
            anywhere = chance(data, 10, "any sku")
            sku = data.draw(st.sampled_from(SKUS if anywhere else on_order), label="sku")
            left = sum(ln.qty - getattr(ln, attr) for ln in order.lines if ln.sku == sku)
            left -= merged.get(sku, 0)
            qty = data.draw(
                st.integers(min_value=1, max_value=left) if left > 0 else qty_st(sku),
                label="qty",
            )
            if left > 0 and chance(data, 6, "more than left"):
                qty = left + data.draw(st.integers(min_value=1, max_value=2000), label="extra")
            specs.append(
                f"{data.draw(st.sampled_from([sku, sku.lower()]))}={self.kit.qty_text(qty)}"
            )
            merged[sku] = merged.get(sku, 0) + qty
        return specs, merged

    def allocate(self, order: MOrder, merged, attr: str) -> dict[int, int] | None:
        """Lines a request takes {position: qty}, or None when rule 9 refuses it. A
        shipment takes goods only: asking for a service is refused (rule 12)."""
        lines = order.lines
        if attr == "shipped":
            if merged is not None and any(self.kit.products[sku].service for sku in merged):
                return None
            lines = [ln for ln in lines if not ln.service]
        if merged is None:
            taken = {
                ln.position: ln.qty - getattr(ln, attr)
                for ln in lines
                if ln.qty > getattr(ln, attr)
            }
            return taken or None
        taken: dict[int, int] = {}
        for sku, wanted in merged.items():
            matching = [ln for ln in lines if ln.sku == sku]
            if not matching or wanted > sum(ln.qty - getattr(ln, attr) for ln in matching):
                return None
            for ln in matching:
                portion = min(wanted, ln.qty - getattr(ln, attr))
                if portion > 0:
                    taken[ln.position] = taken.get(ln.position, 0) + portion
                    wanted -= portion
        return taken

    # Invoicing and shipping are the point of the exercise: each has two rules, so that
    # they get a larger share of the steps (and survive Hypothesis's swarm selection).
    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def invoice(self, data):
        self.invoice_some(data)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def invoice_more(self, data):
        self.invoice_some(data)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def ship(self, data):
        self.ship_some(data)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def ship_more(self, data):
        self.ship_some(data)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def finish(self, data):
        """``invoice create ORDER`` then ``ship ORDER``: everything still open, as users do."""
        order = self.pick(data, lambda o: o.status == "confirmed")
        self.invoice_some(data, order)
        self.ship_some(data, order)

    def invoice_some(self, data, order: MOrder | None = None):
        everything = order is not None
        order = order or self.pick(
            data, lambda o: o.status == "confirmed" and any(ln.invoiced < ln.qty for ln in o.lines)
        )
        specs, merged = self._requests(data, order, "invoiced", everything)
        taken = self.allocate(order, merged, "invoiced") if order.status == "confirmed" else None
        error = None if taken else RuleViolation
        self.attempt(
            error,
            lambda s: create_invoice(
                session=s, order_number=order.number, lines=parse_line_specs(specs)
            ),
        )
        if error is None:
            self.invoices += 1
            for ln in order.lines:
                ln.invoiced += taken.get(ln.position, 0)
            order.refresh()
            event("invoiced" + (" in full" if order.status == "completed" else ""))

    def ship_some(self, data, order: MOrder | None = None):
        everything = order is not None
        order = order or self.pick(
            data,
            lambda o: (
                o.status == "confirmed"
                and any(not ln.service and ln.shipped < ln.qty for ln in o.lines)
            ),
        )
        specs, merged = self._requests(data, order, "shipped", everything)
        taken = self.allocate(order, merged, "shipped") if order.status == "confirmed" else None
        error = None if taken else RuleViolation
        needed: dict[str, int] = {}
        if taken:
            for ln in order.lines:
                if ln.sku in self.on_hand and taken.get(ln.position):
                    needed[ln.sku] = needed.get(ln.sku, 0) + taken[ln.position]
            if any(qty > self.on_hand[sku] for sku, qty in needed.items()):
                error = RuleViolation
                event("refused: not enough on hand")
        self.attempt(
            error,
            lambda s: create_shipment(
                session=s, order_number=order.number, lines=parse_line_specs(specs)
            ),
        )
        if error is None:
            self.shipments.append(False)
            for ln in order.lines:
                ln.shipped += taken.get(ln.position, 0)
            for sku, qty in needed.items():
                self.on_hand[sku] -= qty
            order.refresh()
            event("shipped" + (" in full" if order.status == "completed" else ""))

    @precondition(lambda self: self.shipments)
    @rule(index=index_st)
    def deliver(self, index):
        k = index % len(self.shipments)
        error = RuleViolation if self.shipments[k] else None
        self.attempt(error, lambda s: deliver_shipment(session=s, number=f"SH-{k + 1:05d}"))
        self.shipments[k] = True

    @rule(sku=st.sampled_from(SKUS), data=st.data())
    def receive(self, sku, data):
        qty = data.draw(qty_st(sku), label="qty")
        error = None if sku in self.on_hand else RuleViolation
        self.attempt(
            error,
            lambda s: receive_stock(
                session=s, sku=sku, qty=Decimal(self.kit.qty_text(qty)), reference="property"
            ),
        )
        if error is None:
            self.on_hand[sku] += qty

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def ledger_matches_the_model(self):
        snap = self.kit.check_ledger(self.engine)
        assert [o["number"] for o in snap.orders.values()] == [o.number for o in self.orders]
        for order in self.orders:
            row = snap.orders[order.number]
            assert row["status"] == order.status, (order, row)
            assert (row["confirmed_at"] is not None) == order.confirmed, (order, row)
            got = [
                (
                    ln["position"],
                    ln["sku"],
                    ln["qty"],
                    ln["unit_price"],
                    ln["discount"],
                    ln["tax_rate"],
                    ln["qty_invoiced"],
                    ln["qty_shipped"],
                )
                for ln in snap.lines[order.number]
            ]
            want = [
                (
                    ln.position,
                    ln.sku,
                    ln.qty,
                    ln.price,
                    ln.discount,
                    ln.rate,
                    ln.invoiced,
                    ln.shipped,
                )
                for ln in order.lines
            ]
            assert got == want, order.number
            assert row["total"] == self.order_total(order), order.number
        assert len(snap.invoices) == self.invoices
        assert [s["status"] for s in snap.shipments] == [
            "delivered" if d else "shipped" for d in self.shipments
        ]
        reserved = self.reserved()
        for sku, on_hand in self.on_hand.items():
            product = snap.products[sku]
            assert (product["on_hand"], product["reserved"]) == (on_hand, reserved[sku]), sku


def run_machine(kit, **overrides):
    run_state_machine_as_test(
        lambda: LifecycleMachine(kit),
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **overrides,
        ),
    )


def test_lifecycle_keeps_every_invariant(ledger_kit):
    run_machine(ledger_kit, max_examples=40, stateful_step_count=35)


@pytest.mark.soak
def test_lifecycle_keeps_every_invariant_soak(ledger_kit):
    run_machine(ledger_kit, max_examples=300, stateful_step_count=50)
