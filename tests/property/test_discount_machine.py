"""Gross prices and document discounts through the services, as a Hypothesis state
machine (SPEC rules 10, 14 and 19).

Draft orders on a net or a gross basis get random lines (some typed prices and line
discounts) and a percentage or an amount off the whole order (``set_order_discount``).
Lines are added, their quantities edited and lines removed on drafts and on confirmed
orders, which spreads the discount again (on a confirmed order, lines with anything
invoiced keep their share of an amount discount). Confirmed orders are invoiced in
random portions or whole, and the invoices credited in random portions, by amount,
whole, or cancelled (rebill credits reopen quantities, so a line is invoiced again).

After every step: ``ordercli check`` finds nothing; every order, invoice and memo
totals the sum of its lines; an amount discount's shares add up to it exactly and a
percentage's are each line's own share; a line is rules 10/19 on its own amount less
its share (a gross line's net and tax add up to that amount exactly); an invoice line
is the same on its quantity and its pro-rata share, except the one that completes its
order line (it takes exactly what is left) and one clamped to what is left; what a
line holds invoiced (invoices less rebill credits) is what its counters say, never
more than the line, and all of it when all its quantity is; an invoice with every
quantity credited has ``credited == total``, every line to its net and tax (it nets
to zero). A refusal must change nothing. A line changed after it was invoiced keeps
at least what its invoices hold (``settle_line_amounts``), so its own formula and its
invoices' shares are checked on orders not changed after confirmation only.

``LedgerKit.check_ledger`` is not used: it holds lines to the net formula without a
document discount or gross prices.

The default run is small and repeatable; ``-m soak`` runs a long one.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

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
from ordercli.domain.errors import InvalidInput, NotFound, OrderCliError, RuleViolation
from ordercli.services.sales.document_pricing import set_order_discount
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import (
    add_order_line,
    confirm_order,
    edit_order_line,
    new_order,
    remove_order_line,
)
from ordercli.services.settlement.credit_memos import cancel_invoice, create_credit_memo

TODAY = "2024-03-15"
# Two tax rates (19 %, 7 %), goods and services, whole and fractional quantities.
SKUS = ["DESK-OAK", "CHAIR-VISIT", "LAMP-LED", "PLANT-FICUS", "COFFEE-KG", "INSTALL"]
FRACTIONAL = {"COFFEE-KG", "INSTALL"}
CUSTOMERS = ["ACME", "CAFE"]
MAX_ORDERS = 3
PCT_WHOLE = 100 * 10**4
REFUSALS = (RuleViolation, InvalidInput, NotFound)


def half_up(value: Fraction) -> int:
    assert value >= 0, value
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def own_amount(qty: int, price: int, discount: int) -> int:
    """A line's rounded amount before the document discount (rule 10), minor units."""
    return half_up(Fraction(qty * price * (PCT_WHOLE - discount), 1000 * PCT_WHOLE))


def split(amount: int, rate: int, gross: bool) -> tuple[int, int]:
    """Net and tax of an amount: gross → net = amount ÷ (1 + rate), tax the rest (rule
    19); net → tax = amount × rate (rule 10)."""
    if gross:
        net = half_up(Fraction(amount * PCT_WHOLE, PCT_WHOLE + rate))
        return net, amount - net
    return amount, half_up(Fraction(amount * rate, PCT_WHOLE))


def qty_text(units: int) -> str:
    whole, frac = divmod(units, 1000)
    return str(whole) if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")


def money(units: int) -> Decimal:
    return Decimal(units).scaleb(-2)


def qty_st(sku: str, high: int = 6):
    if sku in FRACTIONAL:
        return st.integers(min_value=1, max_value=high * 1000)
    return st.integers(min_value=1, max_value=high).map(lambda n: n * 1000)


def _rows(conn, sql: str) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(sql))]


def read_ledger(engine) -> dict:
    with engine.connect() as conn:
        orders = {
            o["id"]: {**o, "lines": []}
            for o in _rows(conn, "SELECT * FROM sales_order ORDER BY id")
        }
        for ln in _rows(
            conn,
            "SELECT l.*, p.sku FROM order_line l JOIN product p ON p.id = l.product_id "
            "ORDER BY l.order_id, l.position",
        ):
            orders[ln["order_id"]]["lines"].append(ln)
        invoices = {
            i["id"]: {**i, "lines": [], "memos": []}
            for i in _rows(conn, "SELECT * FROM invoice ORDER BY id")
        }
        for il in _rows(conn, "SELECT * FROM invoice_line ORDER BY invoice_id, position"):
            invoices[il["invoice_id"]]["lines"].append(il)
        memos = {
            m["id"]: {**m, "lines": []}
            for m in _rows(conn, "SELECT * FROM credit_memo ORDER BY id")
        }
        for ml in _rows(conn, "SELECT * FROM credit_memo_line ORDER BY credit_memo_id, position"):
            memos[ml["credit_memo_id"]]["lines"].append(ml)
        for memo in memos.values():
            invoices[memo["invoice_id"]]["memos"].append(memo)
    return {"orders": orders, "invoices": invoices, "memos": memos}


class DiscountMachine(RuleBasedStateMachine):
    def __init__(self, kit):
        super().__init__()
        self.kit = kit
        self.engine = kit.open()
        self._ledger: dict | None = None
        # Orders whose lines changed after confirmation: an invoiced line then keeps
        # what its invoices hold (``settle_line_amounts``), so its own formula and its
        # invoices' shares are checked on the other orders only.
        self.touched: set[int] = set()

    def teardown(self):
        self.kit.close(self.engine)

    def ledger(self) -> dict:
        if self._ledger is None:
            self._ledger = read_ledger(self.engine)
        return self._ledger

    def orders(self, *statuses: str) -> list[dict]:
        return [o for o in self.ledger()["orders"].values() if o["status"] in statuses]

    def editable(self, data, *, least: int = 1) -> dict:
        order = data.draw(
            st.sampled_from(
                [o for o in self.orders("draft", "confirmed") if len(o["lines"]) >= least]
            ),
            label="order",
        )
        if order["status"] == "confirmed":
            self.touched.add(order["id"])
        return order

    def attempt(self, what: str, action):
        """Run ``action(session)`` in one unit of work; a refusal must change nothing."""
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

    # --- drafts ------------------------------------------------------------------------

    def add_line(self, data, number: str, label: str = "line"):
        sku = data.draw(st.sampled_from(SKUS), label=f"{label} sku")
        qty = data.draw(qty_st(sku), label=f"{label} qty")
        price = data.draw(
            st.one_of(st.none(), st.none(), st.integers(1, 99999).map(money)), label="price"
        )
        discount = data.draw(
            st.one_of(
                st.none(),
                st.none(),
                st.integers(1, 50 * 10**4).map(lambda u: Decimal(u).scaleb(-4)),
            ),
            label="line discount",
        )
        return self.attempt(
            "add line",
            lambda s: add_order_line(
                session=s,
                number=number,
                sku=sku,
                qty=Decimal(qty_text(qty)),
                price=price,
                discount=discount,
                override_credit="property test",
            ),
        )

    def discount(self, data, order: dict):
        room = sum(own_amount(ln["qty"], ln["unit_price"], ln["discount"]) for ln in order["lines"])
        kind = data.draw(st.sampled_from(["pct", "amount", "clear"]), label="discount kind")
        if kind == "pct":
            units = data.draw(
                st.one_of(
                    st.integers(1, PCT_WHOLE - 1),
                    st.sampled_from([50000, 100000, 333333, 999999]),
                ),
                label="pct",
            )
            args = {"pct": Decimal(units).scaleb(-4)}
        elif kind == "amount":
            units = data.draw(
                st.one_of(st.integers(1, max(room, 1)), st.just(max(room, 1)), st.just(room + 1)),
                label="amount",
            )
            args = {"amount": money(units)}
        else:
            args = {"clear": True}
        _, refused = self.attempt(
            "discount", lambda s: set_order_discount(session=s, number=order["number"], **args)
        )
        if kind == "amount" and 0 < units <= room:
            assert refused is None, refused

    @initialize(data=st.data())
    def start(self, data):
        self.new_draft(data)

    @precondition(lambda self: len(self.ledger()["orders"]) < MAX_ORDERS)
    @rule(data=st.data())
    def new_draft(self, data):
        customer = data.draw(st.sampled_from(CUSTOMERS), label="customer")
        gross = data.draw(st.booleans(), label="gross")
        order, refused = self.attempt(
            "new order",
            lambda s: new_order(session=s, customer_code=customer, prices_include_tax=gross),
        )
        assert refused is None, refused
        for i in range(data.draw(st.integers(1, 4), label="lines")):
            _, refused = self.add_line(data, order.number, f"line {i}")
            assert refused is None, refused
        if data.draw(st.booleans(), label="discount now"):
            self.discount(data, self.by_number(order.number))

    def by_number(self, number: str) -> dict:
        (order,) = [o for o in self.ledger()["orders"].values() if o["number"] == number]
        return order

    @precondition(lambda self: self.orders("draft"))
    @rule(data=st.data())
    def set_discount(self, data):
        self.discount(data, data.draw(st.sampled_from(self.orders("draft")), label="order"))

    @precondition(lambda self: self.orders("draft", "confirmed"))
    @rule(data=st.data())
    def line_add(self, data):
        """On a draft, or a confirmed order (an amount discount is then spread again over
        the lines nothing is invoiced of; invoiced lines keep their shares)."""
        self.add_line(data, self.editable(data)["number"])

    @precondition(lambda self: self.orders("draft", "confirmed"))
    @rule(data=st.data())
    def line_edit_qty(self, data):
        order = self.editable(data)
        ln = data.draw(st.sampled_from(order["lines"]), label="line")
        low = ln["qty_invoiced"] if data.draw(st.booleans(), label="at least invoiced") else 1
        step = 1 if ln["sku"] in FRACTIONAL else 1000
        qty = step * data.draw(st.integers(max(low // step, 1), max(low // step, 1) + 6))
        self.attempt(
            "edit qty",
            lambda s: edit_order_line(
                session=s,
                number=order["number"],
                line_ref=str(ln["position"]),
                qty=Decimal(qty_text(qty)),
                override_credit="property test",
            ),
        )

    @precondition(lambda self: any(len(o["lines"]) > 1 for o in self.orders("draft", "confirmed")))
    @rule(data=st.data())
    def line_remove(self, data):
        order = self.editable(data, least=2)
        ln = data.draw(st.sampled_from(order["lines"]), label="line")
        self.attempt(
            "remove line",
            lambda s: remove_order_line(
                session=s, number=order["number"], line_ref=str(ln["position"])
            ),
        )

    @precondition(lambda self: any(o["lines"] for o in self.orders("draft")))
    @rule(data=st.data())
    def confirm(self, data):
        order = data.draw(
            st.sampled_from([o for o in self.orders("draft") if o["lines"]]), label="order"
        )
        _, refused = self.attempt(
            "confirm",
            lambda s: confirm_order(
                session=s, number=order["number"], override_credit="property test"
            ),
        )
        assert refused is None, refused

    # --- invoices and credits ------------------------------------------------------------

    @precondition(
        lambda self: any(
            ln["qty"] - ln["qty_closed"] > ln["qty_invoiced"]
            for o in self.orders("confirmed")
            for ln in o["lines"]
        )
    )
    @rule(data=st.data())
    def invoice(self, data):
        open_orders = [
            o
            for o in self.orders("confirmed")
            if any(ln["qty"] - ln["qty_closed"] > ln["qty_invoiced"] for ln in o["lines"])
        ]
        order = data.draw(st.sampled_from(open_orders), label="order")
        spec = None
        if data.draw(st.booleans(), label="portions"):
            spec = []
            open_lines = [ln for ln in order["lines"] if ln["qty"] > ln["qty_invoiced"]]
            for ln in data.draw(
                st.lists(st.sampled_from(open_lines), min_size=1, unique_by=lambda x: x["sku"]),
                label="lines",
            ):
                left = ln["qty"] - ln["qty_invoiced"]
                step = 1 if ln["sku"] in FRACTIONAL else 1000
                qty = step * data.draw(st.integers(1, max(left // step, 1)), label="qty")
                spec.append((ln["sku"], Decimal(qty_text(min(qty, left)))))
        _, refused = self.attempt(
            "invoice", lambda s: create_invoice(session=s, order_number=order["number"], lines=spec)
        )
        # A SKU on two lines of an order may make a portion ambiguous; everything else works.
        skus = [ln["sku"] for ln in order["lines"]]
        if len(skus) == len(set(skus)):
            assert refused is None, refused

    def creditable(self) -> list[dict]:
        return [
            inv
            for inv in self.ledger()["invoices"].values()
            if inv["credited"] < inv["total"]
            or any(il["qty"] > il["qty_credited"] for il in inv["lines"])
        ]

    @precondition(lambda self: self.creditable())
    @rule(data=st.data())
    def credit(self, data):
        inv = data.draw(st.sampled_from(self.creditable()), label="invoice")
        how = data.draw(st.sampled_from(["lines", "whole", "amount", "cancel"]), label="how")
        kind = data.draw(st.sampled_from([None, "rebill", "not_delivered"]), label="kind")
        if how == "cancel":
            self.attempt(
                "cancel invoice",
                lambda s: cancel_invoice(session=s, invoice_number=inv["number"], reason="test"),
            )
            return
        if how == "amount":
            left = inv["total"] - inv["credited"]
            if left <= 0:
                return
            amount = data.draw(st.one_of(st.integers(1, left), st.just(left)), label="amount")
            _, refused = self.attempt(
                "credit amount",
                lambda s: create_credit_memo(
                    session=s, invoice_number=inv["number"], amount=money(amount)
                ),
            )
            assert refused is None, refused
            return
        spec = None
        if how == "lines":
            open_lines = [il for il in inv["lines"] if il["qty"] > il["qty_credited"]]
            if not open_lines:
                return
            il = data.draw(st.sampled_from(open_lines), label="line")
            left = il["qty"] - il["qty_credited"]
            qty = data.draw(st.one_of(st.integers(1, left), st.just(left)), label="qty")
            spec = [(il["sku"], Decimal(qty_text(qty)))]
        self.attempt(
            "credit",
            lambda s: create_credit_memo(
                session=s, invoice_number=inv["number"], lines=spec, kind=kind
            ),
        )

    # --- the rules, after every step ----------------------------------------------------

    @invariant()
    def checks_pass(self):
        with unit_of_work(self.engine, write=False) as session:
            report = run_checks(session=session)
        problems = "\n".join(f"rule {p['rule']}: {p['problem']}" for p in report["problems"])
        assert report["ok"], problems

    def invoiced_lines(self) -> set[int]:
        """Order lines that ever had an invoice."""
        return {
            il["order_line_id"] for inv in self.ledger()["invoices"].values() for il in inv["lines"]
        }

    @invariant()
    def orders_add_up(self):
        ever_invoiced = self.invoiced_lines()
        for order in self.ledger()["orders"].values():
            gross = bool(order["prices_include_tax"])
            lines = order["lines"]
            subtotal = sum(ln["net"] for ln in lines)
            tax = sum(ln["tax"] for ln in lines)
            assert (order["subtotal"], order["tax"], order["total"]) == (
                subtotal,
                tax,
                subtotal + tax,
            ), order
            owns = [own_amount(ln["qty"], ln["unit_price"], ln["discount"]) for ln in lines]
            shares = [ln["doc_discount"] for ln in lines]
            if order["discount_amount"]:
                assert sum(shares) == order["discount_amount"], (order, shares)
            elif order["discount_pct"]:
                pct = order["discount_pct"]
                assert shares == [half_up(Fraction(a * pct, PCT_WHOLE)) for a in owns], order
            else:
                assert not any(shares), order
            for ln, own in zip(lines, owns, strict=True):
                assert ln["net"] >= 0 and ln["tax"] >= 0, ln
                assert ln["net_invoiced"] <= ln["net"] and ln["tax_invoiced"] <= ln["tax"], ln
                assert ln["doc_discount"] >= 0, ln
                if order["id"] in self.touched and ln["id"] in ever_invoiced:
                    # Changed while invoiced: it keeps at least what its invoices hold.
                    continue
                assert ln["doc_discount"] <= own, ln
                assert (ln["net"], ln["tax"]) == split(
                    own - ln["doc_discount"], ln["tax_rate"], gross
                ), (gross, ln)
                if ln["qty_invoiced"] == ln["qty"]:
                    assert (ln["net_invoiced"], ln["tax_invoiced"]) == (ln["net"], ln["tax"]), ln

    @invariant()
    def invoices_add_up(self):
        ledger = self.ledger()
        by_line = {ln["id"]: ln for o in ledger["orders"].values() for ln in o["lines"]}
        for inv in ledger["invoices"].values():
            lines = inv["lines"]
            subtotal = sum(il["net"] for il in lines)
            tax = sum(il["tax"] for il in lines)
            assert (inv["subtotal"], inv["tax"], inv["total"]) == (subtotal, tax, subtotal + tax)
            assert 0 <= inv["credited"] <= inv["total"], inv
            assert inv["credited"] == sum(m["total"] for m in inv["memos"]), inv
            gross = bool(ledger["orders"][inv["order_id"]]["prices_include_tax"])
            assert bool(inv["prices_include_tax"]) == gross, inv
            for il in lines:
                ln = by_line[il["order_line_id"]]
                assert il["net"] >= 0 and il["tax"] >= 0, il
                if inv["order_id"] not in self.touched:
                    # A portion's pro-rata share of its order line's discount.
                    assert il["doc_discount"] == half_up(
                        Fraction(ln["doc_discount"] * il["qty"], ln["qty"])
                    ), (il, ln)
                assert 0 <= il["net_credited"] <= il["net"], il
                assert 0 <= il["tax_credited"] <= il["tax"], il
            if all(il["qty"] == il["qty_credited"] for il in lines):
                # Every quantity credited: the invoice nets to zero, line by line.
                assert inv["credited"] == inv["total"], inv
                for il in lines:
                    assert (il["net_credited"], il["tax_credited"]) == (il["net"], il["tax"]), il
        for memo in ledger["memos"].values():
            lines = memo["lines"]
            subtotal = sum(ml["net"] for ml in lines)
            tax = sum(ml["tax"] for ml in lines)
            assert (memo["subtotal"], memo["tax"], memo["total"]) == (subtotal, tax, subtotal + tax)
            assert all(ml["net"] >= 0 and ml["tax"] >= 0 for ml in lines), memo

    @invariant()
    def portions_add_up_per_order_line(self):
        """Walk each order line's invoices and rebill credits in the order they were
        issued: every invoice line is rules 10/19 on its own quantity less its share of
        the document discount (on a gross order its net and tax add up to that gross
        amount exactly), except the one that completes the line, which takes exactly
        what is left of it, and one clamped to what is left (never negative). What the
        line holds invoiced is then exactly what its counters say."""
        ledger = self.ledger()
        by_line = {ln["id"]: ln for o in ledger["orders"].values() for ln in o["lines"]}
        history = [
            (self.issued[("invoice", inv["number"])], 0, il, bool(inv["prices_include_tax"]))
            for inv in ledger["invoices"].values()
            for il in inv["lines"]
        ] + [
            (self.issued[("credit_memo", memo["number"])], 1, ml, False)
            for memo in ledger["memos"].values()
            for ml in memo["lines"]
            if ml["effect"] == "rebill"
        ]
        history.sort(key=lambda item: (item[0], item[1], item[2]["position"]))
        held = {line_id: [0, 0, 0] for line_id in by_line}
        for _, is_credit, row, gross in history:
            ln, acc = by_line[row["order_line_id"]], held[row["order_line_id"]]
            if is_credit:
                acc[0] -= row["qty"]
                acc[1] -= row["net"]
                acc[2] -= row["tax"]
                assert min(acc) >= 0, (row, ln, acc)
                continue
            acc[0] += row["qty"]
            if ln["order_id"] in self.touched:
                # The line may have changed since: only what it holds is checked below.
                acc[1] += row["net"]
                acc[2] += row["tax"]
                continue
            own = own_amount(row["qty"], row["unit_price"], row["discount"]) - row["doc_discount"]
            formula = split(max(own, 0), row["tax_rate"], gross)
            if acc[0] == ln["qty"] - ln["qty_closed"]:
                assert (acc[1] + row["net"], acc[2] + row["tax"]) == (ln["net"], ln["tax"]), (
                    row,
                    ln,
                    acc,
                )
                event("invoice line: completes its order line")
            elif (row["net"], row["tax"]) == formula:
                if gross:
                    assert row["net"] + row["tax"] == max(own, 0), row
                event("invoice line: by rule 10/19")
            else:
                # Clamped to what was left of the order line: never above the formula.
                assert row["net"] <= formula[0] and row["tax"] <= formula[1], (row, formula)
                assert (row["net"], row["tax"]) in {
                    (min(formula[0], ln["net"] - acc[1]), min(formula[1], ln["tax"] - acc[2]))
                }, (row, ln, acc, formula)
                event("invoice line: clamped")
            acc[1] += row["net"]
            acc[2] += row["tax"]
        for line_id, (qty, net, tax) in held.items():
            ln = by_line[line_id]
            assert (qty, net, tax) == (
                ln["qty_invoiced"],
                ln["net_invoiced"],
                ln["tax_invoiced"],
            ), (
                ln,
                qty,
                net,
                tax,
            )
            assert net <= ln["net"] and tax <= ln["tax"], ln

    @property
    def issued(self) -> dict[tuple[str, str], int]:
        with self.engine.connect() as conn:
            return {
                (r["source_kind"], r["source_number"]): r["id"]
                for r in _rows(
                    conn,
                    "SELECT id, source_kind, source_number FROM journal_entry "
                    "WHERE source_kind IN ('invoice', 'credit_memo')",
                )
            }


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def run_machine(kit, **overrides):
    run_state_machine_as_test(
        lambda: DiscountMachine(kit),
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            **overrides,
        ),
    )


def test_discounts_and_gross_prices_keep_every_invariant(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=12, stateful_step_count=25)


@pytest.mark.soak
def test_discounts_and_gross_prices_keep_every_invariant_soak(ledger_kit, fixed_today):
    run_machine(ledger_kit, max_examples=300, stateful_step_count=50)


def test_cutting_an_invoiced_line_keeps_the_whole_amount_discount(ledger_kit, fixed_today):
    """An amount off the order is taken off its lines in full, whatever is edited: two
    lines of 10 × 10.00, 100.00 off, half of the first invoiced (25.00 after its 25.00
    share), then the first cut to the 5 invoiced. The lines come to 150.00, so the order
    should come to 50.00 net: what the invoice took (25.00) stays with the first line,
    the other 75.00 goes to what is still to invoice."""
    with ledger_kit.ledger() as engine:
        with unit_of_work(engine) as s:
            number = new_order(session=s, customer_code="ACME").number
            for sku in ("LAMP-LED", "MAT-CHAIR"):
                add_order_line(
                    session=s, number=number, sku=sku, qty=Decimal(10), price=money(1000)
                )
            set_order_discount(session=s, number=number, amount=money(10000))
            confirm_order(session=s, number=number, override_credit="test")
        with unit_of_work(engine) as s:
            create_invoice(session=s, order_number=number, lines=[("LAMP-LED", Decimal(5))])
        with unit_of_work(engine) as s:
            edit_order_line(
                session=s, number=number, line_ref="1", qty=Decimal(5), override_credit="test"
            )
        order = next(o for o in read_ledger(engine)["orders"].values() if o["number"] == number)
        assert order["subtotal"] == 15000 - 10000, order["lines"]
