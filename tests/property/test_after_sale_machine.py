"""After the sale as a Hypothesis state machine (SPEC rules 9, 11, 13–15, 18).

Rules drive the services the way the CLI does, on one fresh seeded ledger per run:
new orders with random lines (fractional quantities, odd prices, discounts and tax
rates), confirm, partial and full invoices and shipments, stock receipts, payments
(to named invoices, ``INV=AMOUNT``, oldest first, overpayments), applying credit,
refunds of credit, credit memos (by lines, by amount, everything left; refund or
store credit; of each kind: billed in error and invoiced again, the default ``rebill``,
``not_delivered``, or ``returned`` with or without ``--restock``) and returns (request, authorize,
receive with or without restock, reject, resolve by credit memo or replacement).

Before every request the outcome is worked out from the ledger as it stands (read
with plain SQL): either what the request must change (payment allocations, a credit
memo's exact total, quantities credited or returned, customer credit, stock), or
that it must be refused with a given ``OrderCliError`` and change nothing at all.
Most requests are aimed at targets where they can work; some deliberately are not.

After every step ``ordercli check`` (``run_checks``) must find nothing, the trial
balance must balance, the receivable account must equal the sum of the invoices'
balances, every balance must lie within 0..total, and per order line credited ≤
invoiced and returned ≤ shipped + replaced. While no replacement shipment exists
``LedgerKit.check_ledger`` re-checks the rules of the earlier releases too (it
counts every shipment line as shipping the order line, which a replacement is not).

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
from sqlalchemy import text

from ordercli.books.checks import run_checks
from ordercli.books.journal import trial_balance
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound, OrderCliError, RuleViolation
from ordercli.domain.lines import parse_line_specs
from ordercli.domain.money import from_minor
from ordercli.services.inventory.stock import receive_stock
from ordercli.services.sales.fulfilment import create_shipment
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, confirm_order, new_order
from ordercli.services.settlement.credit_memos import create_credit_memo
from ordercli.services.settlement.payments import (
    apply_credit,
    parse_invoice_specs,
    record_payment,
    refund_customer,
)
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
SERVICES = ["INSTALL", "DELIVERY"]
GOODS = [sku for sku in SKUS if sku not in SERVICES]
# Terms 30, 0 and 30 days; rule 16 is not the subject here (every confirm overrides it).
CUSTOMERS = ["ACME", "CAFE", "MUELLER"]
# Orders go mostly to two of them, so a customer often has several invoices at once.
ORDER_CUSTOMERS = ["ACME", "ACME", "CAFE", "CAFE", "MUELLER"]
# Ten-thousandths of a percent: 0 %, 7 %, 19 %, 25.5 %, 12.3456 %, 33.3333 %.
RATES = [0, 70_000, 190_000, 255_000, 123_456, 333_333]
MAX_ORDERS = 5
SETTLEMENTS = [None, "refund", "store_credit"]
# A credit memo's --kind: None is the default (rebill); returned twice, with and
# without --restock.
KINDS = [None, None, "rebill", "not_delivered", "returned", "returned"]
NO_SUCH_INVOICE = "INV-09999"


def chance(data, n: int, label: str) -> bool:
    """True about once in ``n`` draws; shrinks to False."""
    return data.draw(st.sampled_from([False] * (n - 1) + [True]), label=label)


def qty_st(sku: str, high: int = 6):
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=high * 1000)
    return st.integers(min_value=1, max_value=high).map(lambda n: n * 1000)


def part_of(sku: str, left: int):
    """A quantity in 1..left a user could type for ``sku`` (whole units for goods)."""
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=left)
    whole = left // 1000
    return st.integers(min_value=1, max_value=max(whole, 1)).map(lambda n: n * 1000)


# --- the ledger as it stands, read with plain SQL ---------------------------------------


@dataclass
class State:
    orders: dict[str, dict] = field(default_factory=dict)
    invoices: dict[str, dict] = field(default_factory=dict)
    credit: dict[str, int] = field(default_factory=dict)
    rmas: dict[str, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    pending: dict[int, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def open_orders(self, attr: str) -> list[str]:
        """Confirmed orders with something still to invoice (or goods to ship: a service
        is delivered by invoicing it, never shipped)."""
        return [
            number
            for number, o in self.orders.items()
            if o["status"] == "confirmed"
            and any(open_qty(ln, attr) > 0 for ln in o["lines"] if shippable(ln, attr))
        ]

    def can_use_credit(self, customer: str | None = None) -> bool:
        """Has the customer (any customer) both unused credit and an open invoice?"""
        return any(
            self.credit[c] > 0
            and any(i["customer"] == c and i["balance"] > 0 for i in self.invoices.values())
            for c in ([customer] if customer else self.credit)
        )

    def can_return(self) -> bool:
        return any(returnable(self, ln) > 0 for o in self.orders.values() for ln in o["lines"])

    def line(self, order_line_id: int) -> dict:
        for order in self.orders.values():
            for ln in order["lines"]:
                if ln["id"] == order_line_id:
                    return ln
        raise KeyError(order_line_id)


def _rows(conn, sql: str, **params) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def read_state(engine) -> State:
    state = State()
    with engine.connect() as conn:
        for o in _rows(
            conn,
            "SELECT o.id, o.number, o.status, c.code AS customer FROM sales_order o "
            "JOIN customer c ON c.id = o.customer_id ORDER BY o.id",
        ):
            state.orders[o["number"]] = {**o, "lines": []}
        by_order_id = {o["id"]: o for o in state.orders.values()}
        for ln in _rows(
            conn,
            "SELECT l.*, p.sku, p.service FROM order_line l JOIN product p "
            "ON p.id = l.product_id ORDER BY l.order_id, l.position",
        ):
            by_order_id[ln["order_id"]]["lines"].append(ln)
        for inv in _rows(
            conn,
            "SELECT v.*, c.code AS customer, o.number AS order_number FROM invoice v "
            "JOIN customer c ON c.id = v.customer_id JOIN sales_order o ON o.id = v.order_id "
            "ORDER BY v.id",
        ):
            inv["balance"] = inv["total"] - inv["paid"] - inv["credited"]
            state.invoices[inv["number"]] = {**inv, "lines": []}
        by_invoice_id = {i["id"]: i for i in state.invoices.values()}
        for il in _rows(
            conn,
            "SELECT il.*, p.service FROM invoice_line il JOIN product p ON p.id = il.product_id "
            "ORDER BY il.invoice_id, il.position",
        ):
            by_invoice_id[il["invoice_id"]]["lines"].append(il)
        for row in _rows(
            conn,
            "SELECT c.code, "
            "(SELECT COALESCE(SUM(unapplied), 0) FROM payment p WHERE p.customer_id = c.id) "
            "+ (SELECT COALESCE(SUM(credit_left), 0) FROM credit_memo m "
            "WHERE m.customer_id = c.id) AS credit FROM customer c",
        ):
            # PostgreSQL sums integers as numeric (a Decimal); the ledger's units are ints.
            state.credit[row["code"]] = int(row["credit"])
        for rma in _rows(
            conn,
            "SELECT r.id, r.number, r.status, o.number AS order_number FROM rma r "
            "JOIN sales_order o ON o.id = r.order_id ORDER BY r.id",
        ):
            state.rmas[rma["number"]] = {**rma, "lines": []}
        by_rma_id = {r["id"]: r for r in state.rmas.values()}
        for rl in _rows(
            conn,
            "SELECT rl.*, p.service FROM rma_line rl JOIN product p ON p.id = rl.product_id "
            "ORDER BY rl.rma_id, rl.position",
        ):
            by_rma_id[rl["rma_id"]]["lines"].append(rl)
            if by_rma_id[rl["rma_id"]]["status"] in ("requested", "authorized"):
                state.pending[rl["order_line_id"]] = (
                    state.pending.get(rl["order_line_id"], 0) + rl["qty"]
                )
        for p in _rows(conn, "SELECT sku, on_hand, reserved, service FROM product"):
            state.products[p["sku"]] = p
        for table in ("payment", "refund", "credit_memo", "shipment", "allocation"):
            state.counts[table] = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
    return state


def shippable(ln: dict, attr: str) -> bool:
    """Whether ``attr`` can progress on the line: only goods are shipped (rule 12)."""
    return attr != "qty_shipped" or not ln["service"]


def open_qty(ln: dict, attr: str) -> int:
    """What is still to invoice (``qty_invoiced``) or ship (``qty_shipped``) on a line, by
    the counters' own arithmetic (rules 9, 14): a rebill credit lowered what stands
    invoiced, and nothing credited as not to be delivered is ever shipped."""
    if attr == "qty_invoiced":
        return ln["qty"] - ln["qty_closed"] - ln["qty_invoiced"]
    return ln["qty"] - ln["qty_cancelled"] - ln["qty_closed"] - ln["qty_shipped"]


def creditable_invoice(inv: dict) -> bool:
    """Money or a quantity (even one whose money rounds to nothing) left to credit."""
    return inv["credited"] < inv["total"] or any(
        il["qty"] > il["qty_credited"] for il in inv["lines"]
    )


def returnable(state: State, ln: dict) -> int:
    """What a new return may still ask back on an order line."""
    return (
        ln["qty_shipped"] + ln["qty_replaced"] - ln["qty_returned"] - state.pending.get(ln["id"], 0)
    )


class AfterSaleMachine(RuleBasedStateMachine):
    def __init__(self, kit):
        super().__init__()
        self.kit = kit
        self.engine = kit.open()
        self.orders: list[str] = []
        self.replacements = 0
        self._state: State | None = None

    def current(self) -> State:
        """The ledger as it stands (read again only after a command changed it)."""
        if self._state is None:
            self._state = read_state(self.engine)
        return self._state

    def teardown(self):
        self.kit.close(self.engine)

    # --- running a command ------------------------------------------------------------------

    def attempt(self, error, action, what: str, mentions: str | tuple[str, ...] = ()):
        """Run ``action(session)`` in one unit of work; ``error`` is the expected refusal,
        whose one-line message must name one of ``mentions`` (what it refuses)."""
        if error is None:
            self._state = None
            with unit_of_work(self.engine) as session:
                result = action(session)
            event(f"{what}: done")
            return result
        before = self.kit.fingerprint(self.engine)
        with pytest.raises(error) as caught:
            with unit_of_work(self.engine) as session:
                action(session)
        assert isinstance(caught.value, OrderCliError)
        message = caught.value.message
        assert message and "\n" not in message, message
        mentions = (mentions,) if isinstance(mentions, str) else mentions
        assert not mentions or any(m.lower() in message.lower() for m in mentions), (
            message,
            mentions,
        )
        assert self.kit.fingerprint(self.engine) == before, f"a refused {what} changed the ledger"
        event(f"{what}: refused ({error.__name__})")
        return None

    def pick(self, data, items, wanted, label: str):
        """Mostly an item where the rule can work (``wanted``), sometimes any item."""
        fitting = [x for x in items if wanted(x)]
        if fitting and not chance(data, 6, f"any {label}"):
            return data.draw(st.sampled_from(fitting), label=label)
        return data.draw(st.sampled_from(items), label=label)

    def draw_specs(self, data, left: dict[str, int]):
        """1–2 ``SKU=QTY`` specs: mostly SKUs with room and quantities within it, sometimes
        another SKU or more than is left. Returns the specs and their sum per SKU."""
        specs, merged = [], {}
        for _ in range(data.draw(st.sampled_from([1, 1, 2]), label="specs")):
            open_skus = sorted(sku for sku, room in left.items() if room > merged.get(sku, 0))
            anywhere = not open_skus or chance(data, 10, "any sku")
            sku = data.draw(st.sampled_from(SKUS if anywhere else open_skus), label="sku")
            room = left.get(sku, 0) - merged.get(sku, 0)
            if room > 0 and not chance(data, 8, "more than left"):
                qty = data.draw(st.one_of(part_of(sku, room), st.just(room)), label="qty")
            else:
                qty = max(room, 0) + data.draw(qty_st(sku, 2), label="too much")
            spelled = data.draw(st.sampled_from([sku, sku.lower()]), label="spelling")
            specs.append(f"{spelled}={self.kit.qty_text(qty)}")
            merged[sku] = merged.get(sku, 0) + qty
        return specs, merged

    def money(self, units: int) -> Decimal:
        return Decimal(self.kit.money_text(units))

    # --- orders, invoices, shipments, stock --------------------------------------------------

    def open_order(self, customer: str, plans, confirm: bool) -> None:
        kit = self.kit

        def action(session):
            number = new_order(session=session, customer_code=customer).number
            for sku, qty, price, discount, rate in plans:
                add_order_line(
                    session=session,
                    number=number,
                    sku=sku,
                    qty=Decimal(kit.qty_text(qty)),
                    price=None if price is None else Decimal(kit.money_text(price)),
                    discount=None if discount is None else Decimal(kit.pct_text(discount)),
                    tax_rate=None if rate is None else Decimal(kit.pct_text(rate)),
                )
            if confirm:
                confirm_order(session=session, number=number, override_credit="property test")
            return number

        number = self.attempt(None, action, "new order")
        assert number == f"SO-{len(self.orders) + 1:05d}"
        self.orders.append(number)

    @initialize(
        plans=st.lists(
            st.tuples(
                st.sampled_from(ORDER_CUSTOMERS),
                st.deferred(lambda: line_plans()),
                st.sampled_from([True, True, False]),  # invoice it in full?
                st.sampled_from([True, True, False]),  # ship it in full (if stock allows)?
            ),
            min_size=1,
            max_size=3,
        )
    )
    def open_some_orders(self, plans):
        """A few confirmed orders, invoiced and shipped in full where stock allows, so runs
        start where the after-sale commands have something to work on."""
        for customer, lines, invoice, ship in plans:
            self.open_order(customer, lines, confirm=True)
            number = self.orders[-1]
            if invoice:
                self.attempt(
                    None, lambda s, n=number: create_invoice(session=s, order_number=n), "invoice"
                )
            if ship and self.can_ship(self.current(), number, None):
                self.attempt(
                    None, lambda s, n=number: create_shipment(session=s, order_number=n), "ship"
                )

    @precondition(lambda self: len(self.orders) < MAX_ORDERS)
    @rule(customer=st.sampled_from(ORDER_CUSTOMERS), data=st.data())
    def open_new_order(self, customer, data):
        self.open_order(customer, data.draw(line_plans(), label="lines"), confirm=False)

    @precondition(lambda self: any(o["status"] == "draft" for o in self.current().orders.values()))
    @rule(data=st.data())
    def confirm(self, data):
        state = self.current()
        number = self.pick(
            data, self.orders, lambda n: state.orders[n]["status"] == "draft", "order"
        )
        error = None if state.orders[number]["status"] == "draft" else RuleViolation
        self.attempt(
            error,
            lambda s: confirm_order(session=s, number=number, override_credit="property test"),
            "confirm",
            f"cannot confirm {number}",
        )
        if error is None:
            assert self.current().orders[number]["status"] == "confirmed"

    def _order_requests(self, data, order: dict, attr: str):
        """Random ``SKU=QTY`` specs for an order (None: everything open) and the lines they
        take {order line id: qty}, or None when rule 9 refuses them."""
        lines = [ln for ln in order["lines"] if shippable(ln, attr)]
        if chance(data, 3, "everything open"):
            taken = {ln["id"]: open_qty(ln, attr) for ln in lines if open_qty(ln, attr) > 0}
            return None, taken or None
        left: dict[str, int] = {}
        for ln in lines:
            left[ln["sku"]] = left.get(ln["sku"], 0) + max(open_qty(ln, attr), 0)
        specs, merged = self.draw_specs(data, left)
        if attr == "qty_shipped" and any(sku in SERVICES for sku in merged):
            return specs, None  # a service is never shipped
        taken: dict[int, int] = {}
        for sku, wanted in merged.items():
            if wanted > left.get(sku, 0):
                return specs, None
            for ln in lines:
                if ln["sku"] == sku:
                    portion = min(wanted, open_qty(ln, attr))
                    if portion > 0:
                        taken[ln["id"]] = taken.get(ln["id"], 0) + portion
                        wanted -= portion
        return specs, taken

    @staticmethod
    def can_ship(state: State, number: str, taken: dict[int, int] | None) -> bool:
        order = state.orders[number]
        if taken is None:
            taken = {
                ln["id"]: open_qty(ln, "qty_shipped")
                for ln in order["lines"]
                if not ln["service"] and open_qty(ln, "qty_shipped") > 0
            }
            if not taken:
                return False  # services alone, or the goods all shipped: nothing to ship
        needed: dict[str, int] = {}
        for ln in order["lines"]:
            if taken.get(ln["id"]) and not ln["service"]:
                needed[ln["sku"]] = needed.get(ln["sku"], 0) + taken[ln["id"]]
        return all(qty <= state.products[sku]["on_hand"] for sku, qty in needed.items())

    @precondition(lambda self: self.current().open_orders("qty_invoiced"))
    @rule(data=st.data())
    def invoice(self, data):
        state = self.current()
        number = self.pick(
            data,
            self.orders,
            lambda n: (
                state.orders[n]["status"] == "confirmed"
                and any(open_qty(ln, "qty_invoiced") > 0 for ln in state.orders[n]["lines"])
            ),
            "order",
        )
        order = state.orders[number]
        specs, taken = self._order_requests(data, order, "qty_invoiced")
        error = None if order["status"] == "confirmed" and taken else RuleViolation
        invoice = self.attempt(
            error,
            lambda s: (
                create_invoice(session=s, order_number=number, lines=parse_line_specs(specs)).number
            ),
            "invoice",
            number,
        )
        if error is None:
            after = self.current()
            assert invoice == f"INV-{len(state.invoices) + 1:05d}"
            got = {il["order_line_id"]: il["qty"] for il in after.invoices[invoice]["lines"]}
            assert got == taken, (specs, got, taken)
            assert after.invoices[invoice]["balance"] == after.invoices[invoice]["total"]

    @precondition(lambda self: self.current().open_orders("qty_shipped"))
    @rule(data=st.data())
    def ship(self, data):
        state = self.current()
        number = self.pick(
            data,
            self.orders,
            lambda n: (
                state.orders[n]["status"] == "confirmed"
                and any(
                    open_qty(ln, "qty_shipped") > 0
                    for ln in state.orders[n]["lines"]
                    if not ln["service"]
                )
            ),
            "order",
        )
        order = state.orders[number]
        specs, taken = self._order_requests(data, order, "qty_shipped")
        ok = order["status"] == "confirmed" and taken and self.can_ship(state, number, taken)
        error = None if ok else RuleViolation
        self.attempt(
            error,
            lambda s: create_shipment(
                session=s, order_number=number, lines=parse_line_specs(specs)
            ),
            "ship",
            number,
        )
        if error is None:
            after = self.current()
            for old, new in zip(order["lines"], after.orders[number]["lines"], strict=True):
                assert new["qty_shipped"] - old["qty_shipped"] == taken.get(old["id"], 0)

    @rule(sku=st.sampled_from([*GOODS, *GOODS, *GOODS, *SERVICES]), data=st.data())
    def receive_stock(self, sku, data):
        qty = data.draw(qty_st(sku), label="qty")
        service = sku in SERVICES
        before = self.current().products[sku]["on_hand"]
        self.attempt(
            RuleViolation if service else None,
            lambda s: receive_stock(
                session=s, sku=sku, qty=Decimal(self.kit.qty_text(qty)), reference="property"
            ),
            "receive stock",
            f"{sku} is a service",
        )
        if not service:
            assert self.current().products[sku]["on_hand"] == before + qty

    # --- payments, credit, refunds ------------------------------------------------------------

    def _customer(self, data, wanted) -> str:
        return self.pick(data, CUSTOMERS, wanted, "customer")

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def pay(self, data):
        state = self.current()
        open_of = {
            c: [i for i in state.invoices.values() if i["customer"] == c and i["balance"] > 0]
            for c in CUSTOMERS
        }
        customer = self._customer(data, lambda c: open_of[c])
        owed = sum(i["balance"] for i in open_of[customer])
        mode = data.draw(st.sampled_from(["oldest", "named"]), label="mode")
        if chance(data, 10, "zero"):
            mode = "zero"
        amount = data.draw(
            st.one_of(
                st.integers(min_value=1, max_value=max(owed, 1)),
                st.just(max(owed, 1)),
                st.integers(min_value=owed + 1, max_value=owed + 50_000),
            ),
            label="amount",
        )
        if mode == "zero":
            amount = 0
        specs: list[str] | None = None
        error = None
        plan: list[tuple[str, int]] = []
        left = amount
        mentions: str | tuple[str, ...] = "greater than zero"
        if mode in ("oldest", "zero"):
            error = InvalidInput if amount == 0 else None
            for inv in open_of[customer]:  # one customer's invoices: same due date, by number
                take = min(left, inv["balance"])
                if take:
                    plan.append((inv["number"], take))
                    left -= take
        else:
            specs, error, plan, left, mentions = self._named_payment(data, state, customer, amount)
        event(f"pay {mode}" + (" (overpaid)" if error is None and left else ""))

        def action(s):
            invoices = parse_invoice_specs(specs, 2)
            return record_payment(
                session=s,
                customer_code=customer,
                amount=self.money(amount),
                invoices=invoices,
                reference=None,
            ).number

        payment = self.attempt(error, action, "payment", mentions)
        if error is None:
            with self.engine.connect() as conn:
                allocations = [
                    (r[0], r[1])
                    for r in conn.execute(
                        text(
                            "SELECT v.number, a.amount FROM allocation a "
                            "JOIN payment p ON p.id = a.payment_id "
                            "JOIN invoice v ON v.id = a.invoice_id "
                            "WHERE p.number = :n ORDER BY a.id"
                        ),
                        {"n": payment},
                    )
                ]
                amount_db, unapplied = conn.execute(
                    text("SELECT amount, unapplied FROM payment WHERE number = :n"), {"n": payment}
                ).one()
            assert allocations == plan, (specs, allocations, plan)
            assert (amount_db, unapplied) == (amount, left)
            assert sum(a for _, a in allocations) + unapplied == amount
            after = self.current()
            assert after.credit[customer] == state.credit[customer] + left
            for number, take in plan:
                assert after.invoices[number]["paid"] == state.invoices[number]["paid"] + take

    def _named_payment(self, data, state: State, customer: str, amount: int):
        """``--invoice INV[=AMOUNT]`` specs and what record_payment must make of them."""
        invoices = list(state.invoices.values())
        own_open = [i for i in invoices if i["customer"] == customer and i["balance"] > 0]
        chosen = []
        most = max(min(len(own_open), 3), 1)
        for _ in range(data.draw(st.integers(min_value=1, max_value=most), label="invoices")):
            if own_open and not chance(data, 6, "odd invoice"):
                candidates = [i for i in own_open if i not in chosen] or own_open
                chosen.append(data.draw(st.sampled_from(candidates), label="invoice"))
            elif invoices and not chance(data, 4, "no such invoice"):
                chosen.append(data.draw(st.sampled_from(invoices), label="any invoice"))
            else:
                chosen.append(None)
        specs, named = [], []
        for inv in chosen:
            number = NO_SUCH_INVOICE if inv is None else inv["number"]
            wanted = None
            if inv is not None and data.draw(st.booleans(), label="with amount"):
                wanted = data.draw(
                    st.one_of(
                        st.integers(min_value=1, max_value=max(inv["balance"], 1)),
                        st.integers(min_value=inv["balance"] + 1, max_value=inv["balance"] + 999),
                    ),
                    label="inv amount",
                )
            spelled = number if data.draw(st.booleans(), label="upper") else number.lower()
            specs.append(spelled if wanted is None else f"{spelled}={self.kit.money_text(wanted)}")
            named.append((number, inv, wanted))
        if len({number for number, _, _ in named}) < len(named):
            # Parsing refuses an invoice named twice, before anything is looked up.
            return specs, InvalidInput, [], amount, "is named twice"
        if amount == 0:
            return specs, InvalidInput, [], amount, "greater than zero"
        plan, left = [], amount
        for number, inv, wanted in named:
            # Each refusal names the invoice at fault.
            if inv is None:
                return specs, NotFound, [], amount, number
            if inv["customer"] != customer or inv["balance"] <= 0:
                return specs, RuleViolation, [], amount, number
            if wanted is not None and wanted > inv["balance"]:
                return specs, RuleViolation, [], amount, f"cannot allocate {self.money(wanted)}"
            if wanted is not None and wanted > left:  # INV=AMOUNT beyond the payment
                return specs, RuleViolation, [], amount, f"cannot allocate {self.money(wanted)}"
            take = min(inv["balance"], left) if wanted is None else wanted
            if take <= 0:
                return specs, RuleViolation, [], amount, f"does not reach {number}"
            plan.append((number, take))
            left -= take
        return specs, None, plan, left, ()

    @precondition(lambda self: self.current().can_use_credit())
    @rule(data=st.data())
    def use_credit(self, data):
        state = self.current()
        invoices = list(state.invoices.values())
        customer = self._customer(data, state.can_use_credit)
        inv = self.pick(
            data,
            invoices,
            lambda i: i["customer"] == customer and i["balance"] > 0,
            "invoice",
        )
        credit, balance = state.credit[customer], inv["balance"]
        amount = None
        if not chance(data, 3, "all it can"):
            usable = min(credit, balance)
            amount = data.draw(
                st.integers(min_value=1, max_value=max(usable, 1))
                if not chance(data, 6, "odd amount")
                else st.one_of(
                    st.integers(min_value=usable + 1, max_value=max(credit, balance) + 5000),
                    st.just(0),
                ),
                label="amount",
            )
        error, mentions = None, ()
        if inv["customer"] != customer:
            error, mentions = RuleViolation, f"{inv['number']} belongs to another customer"
        elif balance <= 0:
            error, mentions = RuleViolation, f"invoice {inv['number']} has nothing left to pay"
        elif credit == 0:
            error, mentions = RuleViolation, f"{customer} has no unapplied credit"
        elif amount is not None and amount <= 0:
            error, mentions = InvalidInput, "greater than zero"
        elif amount is not None and amount > credit:
            error, mentions = RuleViolation, f"{customer} has only {self.money(credit)}"
        elif amount is not None and amount > balance:
            error = RuleViolation
            mentions = f"cannot apply {self.money(amount)} to {inv['number']}"
        wanted = min(credit, balance) if amount is None else amount
        self.attempt(
            error,
            lambda s: apply_credit(
                session=s,
                customer_code=customer,
                invoice_number=inv["number"],
                amount=None if amount is None else self.money(amount),
            ),
            "apply credit",
            mentions,
        )
        if error is None:
            after = self.current()
            assert after.credit[customer] == credit - wanted
            assert after.invoices[inv["number"]]["balance"] == balance - wanted

    @precondition(lambda self: any(self.current().credit.values()))
    @rule(data=st.data())
    def refund(self, data):
        state = self.current()
        customer = self._customer(data, lambda c: state.credit[c] > 0)
        credit = state.credit[customer]
        amount = None
        if not chance(data, 3, "refund all"):
            amount = data.draw(
                st.integers(min_value=1, max_value=max(credit, 1))
                if not chance(data, 6, "more than the credit")
                else st.integers(min_value=credit + 1, max_value=credit + 5000),
                label="amount",
            )
        error = RuleViolation if credit == 0 or (amount or 0) > credit else None
        self.attempt(
            error,
            lambda s: refund_customer(
                session=s,
                customer_code=customer,
                amount=None if amount is None else self.money(amount),
            ),
            "refund",
            customer,
        )
        if error is None:
            after = self.current()
            assert after.credit[customer] == credit - (credit if amount is None else amount)
            assert after.counts["refund"] == state.counts["refund"] + 1

    # --- credit memos -------------------------------------------------------------------------

    def _portion(self, il: dict, qty: int) -> tuple[int, int]:
        """Rule 14 for one invoice line: by rule 10, never above what is left; the credit
        that completes the line's quantity takes exactly what is left of its amounts."""
        net_left, tax_left = il["net"] - il["net_credited"], il["tax"] - il["tax_credited"]
        if qty == il["qty"] - il["qty_credited"]:
            return net_left, tax_left
        net = min(self.kit.exact_net(qty, il["unit_price"], il["discount"]), net_left)
        return net, min(self.kit.exact_tax(net, il["tax_rate"]), tax_left)

    @precondition(lambda self: any(map(creditable_invoice, self.current().invoices.values())))
    @rule(data=st.data())
    def credit_memo(self, data):
        state = self.current()
        invoices = list(state.invoices.values())
        if not invoices:
            return
        inv = self.pick(data, invoices, creditable_invoice, "invoice")
        creditable = inv["total"] - inv["credited"]
        mode = data.draw(st.sampled_from(["lines", "lines", "amount", "all"]), label="by")
        if chance(data, 12, "lines and amount"):
            mode = "both"
        settlement = data.draw(st.sampled_from(SETTLEMENTS), label="settlement")
        # What the credited quantities do (rule 14): None is the default, rebill.
        kind = data.draw(st.sampled_from(KINDS), label="kind")
        restock = kind in (None, "returned") and data.draw(st.booleans(), label="restock")
        if chance(data, 12, "restock another kind"):
            restock = True
        if mode == "amount":
            if not chance(data, 8, "restock an amount"):
                restock = False
            if not chance(data, 8, "kind of an amount"):
                kind = None
        specs, amount, error, portions = None, None, None, []
        mentions: str | tuple[str, ...] = ()
        # Refused before the invoice is read: after "not both" and "--restock needs
        # --line", before anything about the amount or the lines.
        kind_error: tuple = (None, ())
        if mode == "amount" and kind is not None:
            kind_error = (InvalidInput, "--kind says what credited quantities do")
        elif restock and kind not in (None, "returned"):
            kind_error = (InvalidInput, "--restock means the goods came back")
        effective = "returned" if restock else (kind or "rebill")
        if mode in ("amount", "both"):
            amount = data.draw(
                st.one_of(
                    st.integers(min_value=1, max_value=max(creditable, 1)),
                    st.just(creditable),
                    st.integers(min_value=creditable + 1, max_value=creditable + 9999),
                ),
                label="amount",
            )
            if mode == "both":
                specs, error = [f"{inv['lines'][0]['sku']}=1"], InvalidInput
                mentions = "not both"
            elif restock:
                error, mentions = InvalidInput, "--restock needs --line"
            elif kind_error[0] is not None:
                error, mentions = kind_error
            elif amount <= 0:
                error, mentions = InvalidInput, "greater than zero"
            elif amount > creditable:
                error = RuleViolation
                mentions = f"cannot credit {self.money(amount)} on {inv['number']}"
        elif mode == "lines":
            specs, error, portions = self._memo_lines(data, inv)
            mentions = inv["number"]  # "has no line for SKU" / "cannot credit QTY × SKU on"
        else:
            for il in inv["lines"]:
                qty_left = il["qty"] - il["qty_credited"]
                if qty_left > 0:
                    portions.append((il, qty_left, *self._portion(il, qty_left)))
                elif il["net"] > il["net_credited"] or il["tax"] > il["tax_credited"]:
                    portions.append(
                        (il, 0, il["net"] - il["net_credited"], il["tax"] - il["tax_credited"])
                    )
            if not portions:
                error, mentions = RuleViolation, f"nothing left to credit on {inv['number']}"
        if mode in ("lines", "all") and kind_error[0] is not None:
            error, mentions = kind_error
        if error is None and mode in ("lines", "all"):
            # Goods on a received, unresolved return are credited by resolving it.
            awaiting: dict[int, int] = {}
            for rma in state.rmas.values():
                if rma["status"] == "received":
                    for rl in rma["lines"]:
                        awaiting[rl["order_line_id"]] = (
                            awaiting.get(rl["order_line_id"], 0) + rl["qty"]
                        )
            asked: dict[int, int] = {}
            for il, qty, _, _ in portions:
                asked[il["order_line_id"]] = asked.get(il["order_line_id"], 0) + qty
            for order_line_id, waiting in awaiting.items():
                ln = state.line(order_line_id)
                # Invoiced once (standing, or reopened by a rebill credit), less credited.
                free = ln["qty_invoiced"] + ln["qty_reopened"] - ln["qty_credited"] - waiting
                if asked.get(order_line_id, 0) and asked[order_line_id] > free:
                    error, mentions = RuleViolation, "which is received and not yet resolved"
                    event("credit of goods awaiting a return refused")
                    break
        if error is None and mode != "amount":
            # A credit whose money rounds to nothing still credits its quantity: a memo
            # of zero is issued, never refused (rule 14).
            if portions and sum(n + t for _, _, n, t in portions) == 0:
                event("zero credit memo")
            error, mentions = self._effects_refusal(state, portions, effective, restock)
        if error is None:
            total = amount if mode == "amount" else sum(n + t for _, _, n, t in portions)
            event(f"credit memo by {mode}" + ("" if mode == "amount" else f" as {effective}"))

        def action(s):
            memo = create_credit_memo(
                session=s,
                invoice_number=inv["number"],
                lines=parse_line_specs(specs),
                amount=None if amount is None else self.money(amount),
                settlement=settlement,
                restock=restock,
                kind=kind,
            )
            return memo.number, memo.total, memo.applied, memo.released

        done = self.attempt(error, action, f"credit memo by {mode}", mentions)
        if error is None:
            self._check_memo(
                state, inv, done, total, settlement, portions, restock, mode, effective
            )

    def _effects_refusal(self, state: State, portions, kind: str, restock: bool):
        """Whether the credited quantities can take ``kind``'s effect (rule 14), line by
        line in the memo's order: the first that cannot refuses the memo."""
        for il, qty, _, _ in portions:
            if not qty or il["service"]:  # a service is credited as rebill or cancel, freely
                continue
            ln = state.line(il["order_line_id"])
            if kind == "not_delivered" and qty > open_qty(ln, "qty_shipped"):
                # Only goods invoiced and not yet shipped (or closed, or cancelled).
                text = f"cannot credit {self.kit.qty_text(qty)} × {il['sku']}"
                event("not-delivered credit of shipped goods refused")
                return RuleViolation, (text, "as not delivered")
            if kind == "returned" and qty > returnable(state, ln):
                # Shipped, not yet returned, and not asked back by an open return.
                verb = "restock" if restock else "credit as returned"
                event("returned credit beyond what came back refused")
                return RuleViolation, f"cannot {verb} {self.kit.qty_text(qty)} × {il['sku']}"
        return None, ()

    def _memo_lines(self, data, inv: dict):
        """``--line SKU=QTY`` specs for a credit memo and the portions they must give."""
        left: dict[str, int] = {}
        for il in inv["lines"]:
            left[il["sku"]] = left.get(il["sku"], 0) + il["qty"] - il["qty_credited"]
        specs, merged = self.draw_specs(data, left)
        portions = []
        for sku, wanted in merged.items():
            if sku not in left or wanted > left[sku]:
                return specs, RuleViolation, []
            for il in inv["lines"]:
                if il["sku"] == sku:
                    take = min(wanted, il["qty"] - il["qty_credited"])
                    if take > 0:
                        portions.append((il, take, *self._portion(il, take)))
                        wanted -= take
        return specs, None, portions

    def _check_memo(self, state, inv, done, total, settlement, portions, restock, mode, kind):
        number, memo_total, applied, released = done
        assert memo_total == total, (mode, memo_total, total)
        assert applied == min(total, inv["balance"]) and released == total - applied
        after = self.current()
        new = after.invoices[inv["number"]]
        assert new["credited"] == inv["credited"] + total
        assert new["paid"] == inv["paid"] - released
        if mode == "all":
            assert new["credited"] == new["total"] and new["balance"] == 0
            for il in new["lines"]:
                assert (il["qty_credited"], il["net_credited"], il["tax_credited"]) == (
                    il["qty"],
                    il["net"],
                    il["tax"],
                )
        if mode != "amount":
            before = {il["id"]: il for il in inv["lines"]}
            got = {
                il["id"]: (
                    il["qty_credited"] - before[il["id"]]["qty_credited"],
                    il["net_credited"] - before[il["id"]]["net_credited"],
                    il["tax_credited"] - before[il["id"]]["tax_credited"],
                )
                for il in new["lines"]
            }
            want = {il["id"]: (0, 0, 0) for il in inv["lines"]}
            for il, qty, net, tax in portions:
                want[il["id"]] = (qty, net, tax)
            assert got == want, (number, got, want)
        refunded = settlement == "refund" and released > 0
        customer = inv["customer"]
        assert after.credit[customer] == state.credit[customer] + (0 if refunded else released)
        assert after.counts["refund"] == state.counts["refund"] + refunded
        stock: dict[str, int] = {}
        for il, qty, net, tax in portions:
            old_ln, new_ln = state.line(il["order_line_id"]), after.line(il["order_line_id"])
            moved = {
                k: new_ln[k] - old_ln[k]
                for k in (
                    "qty_credited",
                    "qty_invoiced",
                    "net_invoiced",
                    "tax_invoiced",
                    "qty_reopened",
                    "qty_cancelled",
                    "qty_returned",
                    "qty_shipped",
                )
            }
            want = dict.fromkeys(moved, 0)
            want["qty_credited"] = qty
            if qty and kind == "rebill":
                # Billed in error: it stands invoiced no more and can be invoiced again.
                want.update(qty_invoiced=-qty, net_invoiced=-net, tax_invoiced=-tax)
                want["qty_reopened"] = qty
            elif qty and (kind == "not_delivered" or il["service"]):
                want["qty_cancelled"] = qty  # a service is never returned
            elif qty:
                want["qty_returned"] = qty
                if restock:
                    stock[il["sku"]] = stock.get(il["sku"], 0) + qty
            assert moved == want, (kind, il, moved, want)
        for sku, product in after.products.items():
            assert product["on_hand"] == state.products[sku]["on_hand"] + stock.get(sku, 0)
        if stock:
            event("restocked by a credit memo")

    # --- returns ----------------------------------------------------------------------------

    @precondition(lambda self: self.current().can_return())
    @rule(data=st.data())
    def request_return(self, data):
        state = self.current()
        number = self.pick(
            data,
            self.orders,
            lambda n: any(returnable(state, ln) > 0 for ln in state.orders[n]["lines"]),
            "order",
        )
        lines = state.orders[number]["lines"]
        left: dict[str, int] = {}
        for ln in lines:
            left[ln["sku"]] = left.get(ln["sku"], 0) + returnable(state, ln)
        specs, merged = self.draw_specs(data, left)
        error = None
        for sku, wanted in merged.items():
            if sku not in left or wanted > left[sku]:
                error = RuleViolation
                break
        rma = self.attempt(
            error,
            lambda s: (
                request_return(
                    session=s,
                    order_number=number,
                    lines=parse_line_specs(specs),
                    reason="property test",
                ).number
            ),
            "return request",
            number,
        )
        if error is None:
            got = self.current().rmas[rma]
            assert got["status"] == "requested" and got["order_number"] == number
            asked: dict[str, int] = {}
            for rl in got["lines"]:
                asked[rl["sku"]] = asked.get(rl["sku"], 0) + rl["qty"]
            assert asked == merged

    @precondition(
        lambda self: any(
            r["status"] in ("requested", "authorized", "received")
            for r in self.current().rmas.values()
        )
    )
    @rule(data=st.data())
    def return_step(self, data):
        self.advance_return(data)

    # Returns take four steps to resolve: a second rule gives them more of the run.
    @precondition(
        lambda self: any(
            r["status"] in ("authorized", "received") for r in self.current().rmas.values()
        )
    )
    @rule(data=st.data())
    def return_step_more(self, data):
        self.advance_return(data)

    def advance_return(self, data):
        """The next step of a return (the furthest along first, mostly): mostly the one
        its status allows, sometimes another."""
        state = self.current()
        stage = ("received", "authorized", "requested")
        open_ = [r for r in state.rmas.values() if r["status"] in stage]
        furthest = min((stage.index(r["status"]) for r in open_), default=0)
        if not chance(data, 3, "not the furthest"):
            open_ = [r for r in open_ if stage.index(r["status"]) == furthest]
        rma = self.pick(data, list(state.rmas.values()), lambda r: r in open_, "return")
        natural = {
            "requested": ["authorize", "authorize", "authorize", "reject"],
            "authorized": ["receive", "receive", "receive", "reject"],
            "received": ["resolve"],
        }.get(rma["status"], ["resolve"])
        if chance(data, 6, "any step"):
            natural = ["authorize", "receive", "reject", "resolve"]
        action = data.draw(st.sampled_from(natural), label="step")
        wanted_status = {
            "authorize": ("requested",),
            "receive": ("authorized",),
            "reject": ("requested", "authorized"),
            "resolve": ("received",),
        }[action]
        number = rma["number"]
        error = None if rma["status"] in wanted_status else RuleViolation
        if action == "authorize":
            self.attempt(
                error,
                lambda s: authorize_return(session=s, number=number),
                action,
                f"cannot authorize {number}",
            )
        elif action == "reject":
            self.attempt(
                error,
                lambda s: reject_return(session=s, number=number),
                action,
                f"cannot reject {number}",
            )
        elif action == "receive":
            error = self._receive(data, state, rma, error)
        else:
            error = self._resolve(data, state, rma, error)
        if error is None:
            assert (
                self.current().rmas[number]["status"]
                == {
                    "authorize": "authorized",
                    "receive": "received",
                    "reject": "rejected",
                    "resolve": "resolved",
                }[action]
            )

    def _receive(self, data, state: State, rma: dict, error):
        restock = data.draw(st.booleans(), label="restock")
        self.attempt(
            error,
            lambda s: receive_return(session=s, number=rma["number"], restock=restock),
            "receive return",
            f"cannot receive {rma['number']}",
        )
        if error is None:
            after = self.current()
            back: dict[int, int] = {}
            stock: dict[str, int] = {}
            for rl in rma["lines"]:
                back[rl["order_line_id"]] = back.get(rl["order_line_id"], 0) + rl["qty"]
                if restock and not rl["service"]:
                    stock[rl["sku"]] = stock.get(rl["sku"], 0) + rl["qty"]
            for line_id, qty in back.items():
                assert (
                    after.line(line_id)["qty_returned"] == state.line(line_id)["qty_returned"] + qty
                )
            for sku, product in after.products.items():
                assert product["on_hand"] == state.products[sku]["on_hand"] + stock.get(sku, 0)
        return error

    def _resolve(self, data, state: State, rma: dict, error):
        wanted: dict[int, int] = {}
        needed: dict[str, int] = {}
        for rl in rma["lines"]:
            wanted[rl["order_line_id"]] = wanted.get(rl["order_line_id"], 0) + rl["qty"]
            if not rl["service"]:
                needed[rl["sku"]] = needed.get(rl["sku"], 0) + rl["qty"]
        # Crediting needs the goods invoiced and not yet credited, replacing needs stock
        # on hand that no order has reserved.
        # One credit memo per invoice that billed the goods, oldest invoice first (a memo
        # of zero when their money rounds to nothing: the quantity is credited all the same).
        left = dict(wanted)
        memo_totals: dict[str, int] = {}
        for inv in state.invoices.values():
            for il in inv["lines"]:
                take = min(left.get(il["order_line_id"], 0), il["qty"] - il["qty_credited"])
                if take > 0:
                    net, tax = self._portion(il, take)
                    memo_totals[inv["number"]] = memo_totals.get(inv["number"], 0) + net + tax
                    left[il["order_line_id"]] -= take
        creditable = not any(left.values())
        replaceable = all(
            qty <= max(state.products[sku]["on_hand"] - state.products[sku]["reserved"], 0)
            for sku, qty in needed.items()
        )
        feasible = [how for how, ok in (("credit", creditable), ("replace", replaceable)) if ok]
        if not feasible or chance(data, 6, "any resolution"):
            feasible = ["credit", "replace", "neither"]
        how = data.draw(st.sampled_from(feasible), label="how")
        settlement = data.draw(st.sampled_from(SETTLEMENTS), label="settlement")
        if how == "replace" and not chance(data, 6, "replace with a settlement"):
            settlement = None
        mentions: str | tuple[str, ...] = f"cannot resolve {rma['number']}"
        if how == "neither":
            error = InvalidInput  # refused before the return is looked up
            mentions = "either --credit-memo or --replace"
        elif error is None and how == "credit" and not creditable:
            error = RuleViolation
            mentions = (f"cannot credit return {rma['number']}", "nothing to credit on")
        elif error is None and how == "replace":
            if settlement is not None:
                error, mentions = InvalidInput, "go with --credit-memo"
            elif not replaceable:
                error, mentions = RuleViolation, "cannot replace"

        def action(s):
            _, memos, shipment = resolve_return(
                session=s,
                number=rma["number"],
                credit_memo=how == "credit",
                replace=how == "replace",
                settlement=settlement,
            )
            return [m.number for m in memos], shipment.number if shipment else None

        done = self.attempt(error, action, f"resolve by {how}", mentions)
        if error is None:
            after = self.current()
            memos, shipment = done
            if how == "credit":
                assert shipment is None
                assert after.counts["credit_memo"] == state.counts["credit_memo"] + len(memos)
                got = {}
                with self.engine.connect() as conn:
                    for memo in memos:
                        got[memo] = conn.execute(
                            text(
                                "SELECT v.number, m.total FROM credit_memo m "
                                "JOIN invoice v ON v.id = m.invoice_id WHERE m.number = :n"
                            ),
                            {"n": memo},
                        ).one()
                assert [tuple(got[m]) for m in memos] == list(memo_totals.items())
                for line_id, qty in wanted.items():
                    credited = (
                        after.line(line_id)["qty_credited"] - state.line(line_id)["qty_credited"]
                    )
                    assert credited == qty, (line_id, credited, qty)
            else:
                self.replacements += 1
                assert memos == [] and shipment == f"SH-{state.counts['shipment'] + 1:05d}"
                for line_id, qty in wanted.items():
                    old, new = state.line(line_id), after.line(line_id)
                    assert new["qty_replaced"] == old["qty_replaced"] + qty
                    assert new["qty_shipped"] == old["qty_shipped"]
        return error

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def ledger_keeps_every_rule(self):
        with unit_of_work(self.engine, write=False) as session:
            report = run_checks(session=session)
            balance = trial_balance(session=session)
        problems = "\n".join(f"rule {p['rule']}: {p['problem']}" for p in report["problems"])
        assert report["ok"], problems
        assert balance["total_debit"] == balance["total_credit"], balance
        state = self.current()
        (receivable,) = [a["balance"] for a in balance["accounts"] if a["role"] == "receivable"]
        owed = sum(i["balance"] for i in state.invoices.values())
        assert receivable == from_minor(owed), (receivable, owed)
        for inv in state.invoices.values():
            assert 0 <= inv["balance"] <= inv["total"], inv
        reserved = dict.fromkeys(state.products, 0)
        for order in state.orders.values():
            for ln in order["lines"]:
                if order["status"] in ("confirmed", "on_hold") and not ln["service"]:
                    reserved[ln["sku"]] += open_qty(ln, "qty_shipped")
                # Credited at most what was ever invoiced (what stands invoiced and what a
                # rebill credit reopened); each credited quantity is exactly one kind.
                assert ln["qty_credited"] <= ln["qty_invoiced"] + ln["qty_reopened"], ln
                assert ln["qty_reopened"] + ln["qty_cancelled"] <= ln["qty_credited"], ln
                assert 0 <= ln["qty_invoiced"] <= ln["qty"] - ln["qty_closed"], ln
                # Nothing credited as not to be delivered is ever shipped (rule 14).
                assert open_qty(ln, "qty_shipped") >= 0, ln
                if ln["service"]:  # delivered by invoicing it: never shipped nor returned
                    assert (ln["qty_shipped"], ln["qty_returned"]) == (0, 0), ln
                assert ln["qty_returned"] <= ln["qty_shipped"] + ln["qty_replaced"], ln
                # Goods asked back by open returns are still out there to come back
                # (so receiving an authorized return is never refused).
                assert returnable(state, ln) >= 0, (ln, state.pending.get(ln["id"]))
        # Rule 12 also with replacements, which ship from stock no order has reserved.
        for sku, product in state.products.items():
            assert product["on_hand"] >= 0, product
            assert product["reserved"] == reserved[sku], (product, reserved[sku])
        if not self.replacements:
            self.kit.check_ledger(self.engine)


@st.composite
def line_plans(draw):
    """Lines for a new order: (sku, qty, price, discount, tax rate), odd values included."""
    plans = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        sku = draw(st.sampled_from(SKUS))
        plans.append(
            (
                sku,
                draw(qty_st(sku, 4)),
                draw(
                    st.one_of(
                        st.none(),
                        st.integers(min_value=1, max_value=150_000),
                        st.sampled_from([1, 3, 333, 1999, 99_999]),
                    )
                ),
                draw(
                    st.one_of(
                        st.none(),
                        st.integers(min_value=0, max_value=100 * 10**4),
                        st.sampled_from([33_3333, 12_5000, 1]),
                    )
                ),
                draw(st.one_of(st.none(), st.sampled_from(RATES))),
            )
        )
    return plans


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def run_machine(kit, **overrides):
    run_state_machine_as_test(
        lambda: AfterSaleMachine(kit),
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **overrides,
        ),
    )


def test_after_sale_keeps_every_invariant(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=25, stateful_step_count=30)


@pytest.mark.soak
def test_after_sale_keeps_every_invariant_soak(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=250, stateful_step_count=50)
