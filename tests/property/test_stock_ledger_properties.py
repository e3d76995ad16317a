"""Stock per warehouse as a Hypothesis state machine (SPEC rule 12, schema 0004).

Random sequences of receipts, signed adjustments, transfers, confirmed orders,
shipments from a random warehouse (everything open, or one ``SKU=QTY``) and returns
received with restock, over MAIN and one or two more warehouses and two products
(DESK-STAND in whole units, COFFEE-KG by the gram), with the default warehouse
changing now and then.

The test keeps its own model of what every warehouse holds and what every order
still has to ship, works out each command's outcome from it before running it — done,
or refused with a given error that must change nothing at all — and after every step
compares the ledger, read with plain SQL, with the model:

* what each warehouse holds (the sum of its moves) equals the model and is ≥ 0;
* a product's on hand equals the sum of its moves (``LedgerKit.check_ledger`` also
  re-checks numbering, quantities, reservations and backorders);
* what each order still has to ship equals the model.

At the end ``ordercli.books.checks.run_checks`` must find nothing. The default run
is small; ``-m soak`` runs a long one.
"""

from __future__ import annotations

from collections import defaultdict
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
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, OrderCliError, RuleViolation
from ordercli.services.inventory.stock import adjust_stock, receive_stock, transfer_stock
from ordercli.services.inventory.warehouses import add_warehouse, set_default_warehouse
from ordercli.services.sales.fulfilment import create_shipment
from ordercli.services.sales.ordering import add_order_line, confirm_order, new_order
from ordercli.services.settlement.returns import authorize_return, receive_return, request_return

TODAY = "2024-03-15"
PRODUCTS = ["DESK-STAND", "COFFEE-KG"]  # 5 and 35.5 on hand, all in MAIN
FRACTIONAL = {"COFFEE-KG"}
EXTRA_WAREHOUSES = ["SHOP", "DEPOT"]
MAX_ORDERS = 4


def qty_st(sku: str, high: int = 6):
    """A positive quantity in thousandths a user could type for ``sku``."""
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=high * 1000)
    return st.integers(min_value=1, max_value=high).map(lambda n: n * 1000)


def up_to(sku: str, most: int):
    """A quantity in 1..most (thousandths) for ``sku``; ``most`` is at least one unit."""
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=most)
    return st.integers(min_value=1, max_value=most // 1000).map(lambda n: n * 1000)


def typed(units: int) -> Decimal:
    return Decimal(units).scaleb(-3)


def chance(data, n: int, label: str) -> bool:
    """True about once in ``n`` draws; shrinks to False."""
    return data.draw(st.sampled_from([False] * (n - 1) + [True]), label=label)


class StockLedgerMachine(RuleBasedStateMachine):
    def __init__(self, kit):
        super().__init__()
        self.kit = kit
        self.engine = kit.open()
        self.codes = ["MAIN"]
        self.default = "MAIN"
        # The model: thousandths held per (sku, warehouse); per order and sku, what is
        # still to ship and what was shipped and not yet returned.
        self.held = defaultdict(int, {(sku, "MAIN"): kit.products[sku].stock for sku in PRODUCTS})
        self.open: dict[str, dict[str, int]] = {}
        self.returnable: dict[str, dict[str, int]] = {}

    def teardown(self):
        try:
            with unit_of_work(self.engine, write=False) as session:
                report = run_checks(session=session)
            assert (report["ok"], report["problems"]) == (True, [])
        finally:
            self.kit.close(self.engine)

    def attempt(self, error, action, what: str, mentions: tuple[str, ...] = ()) -> None:
        """Run ``action(session)`` in one unit of work; ``error`` is the refusal the model
        expects, which must leave every table as it was and whose one-line message names
        one of ``mentions``."""
        if error is None:
            with unit_of_work(self.engine) as session:
                action(session)
            event(f"{what}: done")
            return
        before = self.kit.fingerprint(self.engine)
        with pytest.raises(error) as caught:
            with unit_of_work(self.engine) as session:
                action(session)
        assert isinstance(caught.value, OrderCliError)
        message = caught.value.message
        assert message and "\n" not in message, message
        assert not mentions or any(m in message for m in mentions), (message, mentions)
        assert self.kit.fingerprint(self.engine) == before, f"a refused {what} changed the ledger"
        event(f"{what}: refused ({error.__name__})")

    def pick_warehouse(self, data, wanted: dict[str, int]) -> str:
        """Mostly a warehouse that holds ``wanted``, sometimes any warehouse."""
        fitting = [
            code
            for code in self.codes
            if all(qty <= self.held[(sku, code)] for sku, qty in wanted.items())
        ]
        if fitting and not chance(data, 4, "any warehouse"):
            return data.draw(st.sampled_from(fitting), label="warehouse")
        return data.draw(st.sampled_from(self.codes), label="warehouse")

    def spelled(self, data, code: str) -> str:
        return data.draw(st.sampled_from([code, code.lower()]), label="spelling")

    # --- warehouses ------------------------------------------------------------------------

    @initialize(extra=st.integers(min_value=1, max_value=2), shop_first=st.booleans())
    def add_warehouses(self, extra, shop_first):
        """One or two more warehouses; half the runs start with SHOP as the default."""
        with unit_of_work(self.engine) as session:
            for code in EXTRA_WAREHOUSES[:extra]:
                add_warehouse(session=session, code=code, name=f"{code.title()} warehouse")
            if shop_first:
                set_default_warehouse(session=session, code="SHOP")
        self.codes += EXTRA_WAREHOUSES[:extra]
        self.default = "SHOP" if shop_first else "MAIN"

    @rule(data=st.data())
    def choose_default(self, data):
        code = data.draw(st.sampled_from(self.codes), label="default")
        self.attempt(
            None,
            lambda s: set_default_warehouse(session=s, code=self.spelled(data, code)),
            "default",
        )
        self.default = code

    # --- stock -------------------------------------------------------------------------------

    @rule(data=st.data())
    def receive(self, data):
        sku = data.draw(st.sampled_from(PRODUCTS), label="sku")
        code = data.draw(st.sampled_from(self.codes), label="warehouse")
        qty = data.draw(qty_st(sku), label="qty")
        named = None if chance(data, 3, "default") else self.spelled(data, code)
        code = self.default if named is None else code
        self.attempt(
            None,
            lambda s: receive_stock(session=s, sku=sku, qty=typed(qty), warehouse=named),
            "receive",
        )
        self.held[(sku, code)] += qty

    @rule(data=st.data())
    def adjust(self, data):
        sku = data.draw(st.sampled_from(PRODUCTS), label="sku")
        code = data.draw(st.sampled_from(self.codes), label="warehouse")
        here = self.held[(sku, code)]
        if data.draw(st.booleans(), label="down"):
            if here >= 1000 and not chance(data, 4, "too much"):
                qty = -data.draw(up_to(sku, here), label="qty")
            else:
                qty = -(here + data.draw(qty_st(sku, 2), label="beyond"))
        else:
            qty = data.draw(qty_st(sku), label="qty")
        refused = here + qty < 0
        self.attempt(
            RuleViolation if refused else None,
            lambda s: adjust_stock(
                session=s, sku=sku, qty=typed(qty), reason="stocktake", warehouse=code
            ),
            "adjust",
            mentions=(f"not enough {sku} on hand in {code}",),
        )
        if not refused:
            self.held[(sku, code)] += qty

    @rule(data=st.data())
    def transfer(self, data):
        sku = data.draw(st.sampled_from(PRODUCTS), label="sku")
        source = self.pick_warehouse(data, {sku: 1000})
        others = [c for c in self.codes if c != source]
        same = chance(data, 8, "same warehouse")
        target = source if same else data.draw(st.sampled_from(others), label="to")
        here = self.held[(sku, source)]
        if here >= 1000 and not chance(data, 4, "too much"):
            qty = data.draw(up_to(sku, here), label="qty")
        else:
            qty = here + data.draw(qty_st(sku, 2), label="beyond")
        if same:
            error, mentions = InvalidInput, (f"--from and --to are both {source}",)
        elif qty > here:
            error, mentions = RuleViolation, (f"not enough {sku} on hand in {source}",)
        else:
            error, mentions = None, ()
        self.attempt(
            error,
            lambda s: transfer_stock(
                session=s,
                sku=sku,
                qty=typed(qty),
                source=self.spelled(data, source),
                target=self.spelled(data, target),
            ),
            "transfer",
            mentions=mentions,
        )
        if error is None:
            self.held[(sku, source)] -= qty
            self.held[(sku, target)] += qty

    # --- orders, shipments, returns -----------------------------------------------------------

    @precondition(lambda self: len(self.open) < MAX_ORDERS)
    @rule(data=st.data())
    def confirm_an_order(self, data):
        lines = data.draw(
            st.lists(
                st.sampled_from(PRODUCTS).flatmap(
                    lambda sku: st.tuples(st.just(sku), qty_st(sku, high=3))
                ),
                min_size=1,
                max_size=3,
            ),
            label="lines",
        )
        numbers = []

        def action(session):
            number = new_order(session=session, customer_code="MUELLER").number
            for sku, qty in lines:
                add_order_line(session=session, number=number, sku=sku, qty=typed(qty))
            confirm_order(session=session, number=number)
            numbers.append(number)

        self.attempt(None, action, "order")
        to_ship: dict[str, int] = defaultdict(int)
        for sku, qty in lines:
            to_ship[sku] += qty
        self.open[numbers[0]] = dict(to_ship)
        self.returnable[numbers[0]] = dict.fromkeys(to_ship, 0)

    @precondition(lambda self: any(any(left.values()) for left in self.open.values()))
    @rule(data=st.data())
    def ship(self, data):
        number = data.draw(
            st.sampled_from(sorted(n for n, left in self.open.items() if any(left.values()))),
            label="order",
        )
        left = self.open[number]
        if chance(data, 2, "one line"):
            sku = data.draw(st.sampled_from(sorted(s for s, q in left.items() if q)), label="sku")
            qty = data.draw(st.one_of(st.just(left[sku]), up_to(sku, left[sku])), label="qty")
            wanted = {sku: qty}
            requests = [(sku, typed(qty))]
        else:
            wanted = {sku: q for sku, q in left.items() if q}
            requests = None
        code = self.pick_warehouse(data, wanted)
        short = sorted(sku for sku, q in wanted.items() if q > self.held[(sku, code)])
        self.attempt(
            RuleViolation if short else None,
            lambda s: create_shipment(
                session=s, order_number=number, lines=requests, warehouse=self.spelled(data, code)
            ),
            "ship",
            mentions=tuple(f"× {sku} on {number} from {code}: only" for sku in short),
        )
        if not short:
            for sku, qty in wanted.items():
                self.held[(sku, code)] -= qty
                left[sku] -= qty
                self.returnable[number][sku] += qty

    @precondition(lambda self: any(any(r.values()) for r in self.returnable.values()))
    @rule(data=st.data())
    def return_with_restock(self, data):
        number = data.draw(
            st.sampled_from(sorted(n for n, r in self.returnable.items() if any(r.values()))),
            label="order",
        )
        back = self.returnable[number]
        sku = data.draw(st.sampled_from(sorted(s for s, q in back.items() if q)), label="sku")
        qty = data.draw(st.one_of(st.just(back[sku]), up_to(sku, back[sku])), label="qty")

        def action(session):
            rma = request_return(
                session=session, order_number=number, lines=[(sku, typed(qty))], reason="damaged"
            ).number
            authorize_return(session=session, number=rma)
            receive_return(session=session, number=rma, restock=True)

        self.attempt(None, action, "return")
        back[sku] -= qty
        self.held[(sku, self.default)] += qty  # restocked goods arrive in the default one

    # --- after every step -------------------------------------------------------------------

    @invariant()
    def ledger_matches_the_model(self):
        with self.engine.connect() as conn:
            per_warehouse = {
                (sku, code): int(qty)
                for sku, code, qty in conn.execute(
                    text(
                        "SELECT p.sku, w.code, COALESCE(SUM(m.qty), 0) "
                        "FROM product p CROSS JOIN warehouse w "
                        "LEFT JOIN stock_move m ON m.product_id = p.id "
                        "AND m.warehouse_id = w.id "
                        "WHERE p.service = :no GROUP BY p.sku, w.code"
                    ),
                    {"no": False},
                )
            }
            still_to_ship = {
                (number, sku): int(qty)
                for number, sku, qty in conn.execute(
                    text(
                        "SELECT o.number, p.sku, SUM(l.qty - l.qty_shipped) FROM order_line l "
                        "JOIN sales_order o ON o.id = l.order_id "
                        "JOIN product p ON p.id = l.product_id GROUP BY o.number, p.sku"
                    )
                )
            }
        assert all(qty >= 0 for qty in per_warehouse.values()), per_warehouse
        for sku in PRODUCTS:
            for code in self.codes:
                assert per_warehouse[(sku, code)] == self.held[(sku, code)], (sku, code)
        assert still_to_ship == {
            (number, sku): qty for number, left in self.open.items() for sku, qty in left.items()
        }
        snapshot = self.kit.check_ledger(self.engine)  # on hand = its moves, and more
        for sku in PRODUCTS:
            on_hand = snapshot.products[sku]["on_hand"]
            assert on_hand == sum(self.held[(sku, code)] for code in self.codes), sku


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def run_machine(kit, **overrides):
    run_state_machine_as_test(
        lambda: StockLedgerMachine(kit),
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **overrides,
        ),
    )


def test_stock_per_warehouse_keeps_every_invariant(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=25, stateful_step_count=20)


@pytest.mark.soak
def test_stock_per_warehouse_keeps_every_invariant_soak(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=300, stateful_step_count=40)
