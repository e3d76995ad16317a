"""Credit memos and payments against random invoices (SPEC rules 10, 11, 13, 14, 18).

- Any invoice line (fractional quantity, odd price, discount, tax rate), credited in any
  split of its quantity: every credit follows rule 10 on its own (never above what is
  left), no prefix of the credits exceeds the line, and the whole quantity credited
  gives back exactly the line's net and tax, so the invoice nets to zero.
- Credits of random amounts never exceed total − credited (beyond that is refused and
  changes nothing); a final "credit everything left" memo makes credited == total.
- Payments of random amounts over random invoices: allocations + unapplied == amount,
  oldest invoice first without ``--invoice``, no balance ever below zero.

Amounts are worked out with the integer arithmetic of ``LedgerKit`` (not the product's
money code). Every example ends with ``ordercli check`` finding nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ordercli.books.checks import run_checks
from ordercli.db.engine import unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, confirm_order, new_order
from ordercli.services.settlement.credit_memos import create_credit_memo
from ordercli.services.settlement.payments import record_payment

TODAY = "2024-03-15"
# Goods by the piece, coffee by the kg (thousandths), a service by the hour (thousandths).
SKUS = ["CHAIR-VISIT", "LAMP-LED", "COFFEE-KG", "INSTALL", "DESK-OAK"]
FRACTIONAL = {"COFFEE-KG", "INSTALL"}
# Ten-thousandths of a percent.
RATES = [0, 70_000, 190_000, 255_000, 123_456, 333_333, 1_000_000]
CUSTOMERS = ["ACME", "MUELLER"]

SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def fixed_today():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORDERCLI_TODAY", TODAY)
        yield


@st.composite
def line_terms(draw, sku=None):
    """(sku, qty, price, discount, rate) of an order line, in database units."""
    sku = sku or draw(st.sampled_from(SKUS))
    if sku in FRACTIONAL:
        qty = draw(st.integers(min_value=1, max_value=9_999))
    else:
        qty = draw(st.integers(min_value=1, max_value=12)) * 1000
    price = draw(
        st.one_of(
            st.integers(min_value=1, max_value=250_000),
            st.sampled_from([1, 3, 7, 99, 333, 1_999, 33_333]),
        )
    )
    discount = draw(
        st.one_of(
            st.just(0),
            st.integers(min_value=1, max_value=100 * 10**4),
            st.sampled_from([333_333, 125_000, 1, 999_999]),
        )
    )
    return sku, qty, price, discount, draw(st.sampled_from(RATES))


def invoice_order(kit, engine, customer: str, lines, partial: dict[str, int] | None = None):
    """A confirmed order with ``lines`` and an invoice for all of it (or ``partial``)."""
    with unit_of_work(engine) as session:
        number = new_order(session=session, customer_code=customer).number
        for sku, qty, price, discount, rate in lines:
            add_order_line(
                session=session,
                number=number,
                sku=sku,
                qty=Decimal(kit.qty_text(qty)),
                price=Decimal(kit.money_text(price)),
                discount=Decimal(kit.pct_text(discount)),
                tax_rate=Decimal(kit.pct_text(rate)),
            )
        confirm_order(session=session, number=number, override_credit="property test")
    requests = None
    if partial is not None:
        requests = [(sku, Decimal(kit.qty_text(qty))) for sku, qty in partial.items()]
    with unit_of_work(engine) as session:
        return create_invoice(session=session, order_number=number, lines=requests).number


def expected_portion(kit, il: dict, qty: int) -> tuple[int, int]:
    """Net and tax of crediting ``qty`` of invoice line ``il`` (rule 14): by rule 10 and
    never above what is left; the credit that completes the line takes what is left."""
    net_left, tax_left = il["net"] - il["net_credited"], il["tax"] - il["tax_credited"]
    if qty == il["qty"] - il["qty_credited"]:
        return net_left, tax_left
    net = min(kit.exact_net(qty, il["unit_price"], il["discount"]), net_left)
    return net, min(kit.exact_tax(net, il["tax_rate"]), tax_left)


def invoice_row(engine, number: str) -> dict:
    with engine.connect() as conn:
        row = dict(
            conn.execute(text("SELECT * FROM invoice WHERE number = :n"), {"n": number})
            .one()
            ._mapping
        )
        row["lines"] = [
            dict(r._mapping)
            for r in conn.execute(
                text("SELECT * FROM invoice_line WHERE invoice_id = :i ORDER BY position"),
                {"i": row["id"]},
            )
        ]
    row["balance"] = row["total"] - row["paid"] - row["credited"]
    return row


def memo_lines(engine, memo: str) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT l.* FROM credit_memo_line l JOIN credit_memo m "
                    "ON m.id = l.credit_memo_id WHERE m.number = :n ORDER BY l.position"
                ),
                {"n": memo},
            )
        ]


def customer_credit(engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT COALESCE(SUM(unapplied), 0) FROM payment p "
                "WHERE p.customer_id = c.id) + (SELECT COALESCE(SUM(credit_left), 0) "
                "FROM credit_memo m WHERE m.customer_id = c.id) FROM customer c "
                "WHERE c.code = :c"
            ),
            {"c": code},
        ).scalar()


def refunded(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT COALESCE(SUM(amount), 0) FROM refund")).scalar()


def assert_ledger_checks(engine) -> None:
    with unit_of_work(engine, write=False) as session:
        report = run_checks(session=session)
    assert report["ok"], "\n".join(p["problem"] for p in report["problems"])


def refused(kit, engine, error, action) -> str:
    """``action(session)`` must be refused with ``error`` and change nothing."""
    before = kit.fingerprint(engine)
    with pytest.raises(error) as caught:
        with unit_of_work(engine) as session:
            action(session)
    assert kit.fingerprint(engine) == before, "a refused command changed the ledger"
    return caught.value.message


@st.composite
def splits(draw, total: int, unit: int):
    """A split of ``total`` (a multiple of ``unit``) into positive multiples of ``unit``:
    one part (the whole line) now and then, mostly several."""
    steps = total // unit
    parts = draw(st.integers(min_value=1, max_value=min(steps, 6)), label="parts")
    if steps > 1 and parts == 1 and draw(st.booleans(), label="split after all"):
        parts = 2
    cuts = draw(
        st.lists(
            st.integers(min_value=1, max_value=max(steps - 1, 1)),
            min_size=parts - 1,
            max_size=parts - 1,
            unique=True,
        ),
        label="cuts",
    )
    bounds = [0, *sorted(cuts), steps]
    return [(b - a) * unit for a, b in zip(bounds, bounds[1:], strict=False)]


# --- 1. a line credited in parts adds up to the line ------------------------------------


@settings(SETTINGS, max_examples=50)
@given(data=st.data())
def test_a_line_credited_in_any_split_adds_up_to_exactly_the_line(ledger_kit, data):
    kit = ledger_kit
    terms = data.draw(line_terms(), label="line")
    sku, qty = terms[0], terms[1]
    lines = [terms]
    if data.draw(st.booleans(), label="a second line"):
        other = data.draw(st.sampled_from([s for s in SKUS if s != sku]), label="other sku")
        lines.append(data.draw(line_terms(sku=other), label="other line"))
    unit = 1 if sku in FRACTIONAL else 1000
    # Sometimes an invoice for part of the order line: its line is a rule-10 portion.
    invoiced = qty
    if qty > unit and data.draw(st.booleans(), label="partial invoice"):
        invoiced = data.draw(st.integers(min_value=1, max_value=qty // unit - 1)) * unit
    chunks = data.draw(splits(invoiced, unit), label="split")
    settlement = data.draw(st.sampled_from([None, "refund", "store_credit"]), label="settlement")
    with kit.ledger() as engine:
        partial = None if invoiced == qty else {sku: invoiced}
        number = invoice_order(kit, engine, "ACME", lines, partial)
        invoice = invoice_row(engine, number)
        (line,) = [il for il in invoice["lines"] if il["sku"] == sku]
        assert line["qty"] == invoiced
        paid = 0
        if invoice["total"] > 0 and data.draw(st.booleans(), label="paid first"):
            paid = data.draw(st.integers(min_value=1, max_value=invoice["total"] + 500))
            with unit_of_work(engine) as session:
                record_payment(
                    session=session,
                    customer_code="ACME",
                    amount=Decimal(kit.money_text(paid)),
                    invoices=[(number, None)],
                )
            paid = min(paid, invoice["total"])
        credit_before, refunds_before = customer_credit(engine, "ACME"), refunded(engine)
        done_qty = done_net = done_tax = 0
        released = 0
        for chunk in chunks:
            # A part whose money rounds to zero still credits its quantity: a memo of
            # total zero, so the line can always be credited to the end (rule 14).
            qty_part = chunk
            net_left, tax_left = line["net"] - done_net, line["tax"] - done_tax
            if done_qty + qty_part == invoiced:
                # The credit that completes the line takes exactly what is left.
                net, tax = net_left, tax_left
            else:
                net = min(kit.exact_net(qty_part, line["unit_price"], line["discount"]), net_left)
                tax = min(kit.exact_tax(net, line["tax_rate"]), tax_left)
            spec = [(sku.lower(), Decimal(kit.qty_text(qty_part)))]
            if net + tax == 0:
                event("a part worth nothing credited for nothing")
            with unit_of_work(engine) as session:
                memo = create_credit_memo(
                    session=session, invoice_number=number, lines=spec, settlement=settlement
                )
            released += memo.released
            (cl,) = memo_lines(engine, memo.number)
            assert (cl["sku"], cl["qty"], cl["net"], cl["tax"]) == (sku, qty_part, net, tax), (
                chunks,
                cl,
            )
            assert memo.total == net + tax
            done_qty, done_net, done_tax = done_qty + qty_part, done_net + net, done_tax + tax
            after = invoice_row(engine, number)
            (now_line,) = [il for il in after["lines"] if il["sku"] == sku]
            credited = (
                now_line["qty_credited"],
                now_line["net_credited"],
                now_line["tax_credited"],
            )
            assert credited == (done_qty, done_net, done_tax)
            # No prefix of the credits goes above the invoice line.
            assert done_net <= line["net"] and done_tax <= line["tax"], (chunks, credited)
            assert 0 <= after["balance"] <= after["total"]
        event(f"credited in {len(chunks)} part(s)")
        after = invoice_row(engine, number)
        (now_line,) = [il for il in after["lines"] if il["sku"] == sku]
        # The whole quantity credited: exactly the line.
        assert (now_line["net_credited"], now_line["tax_credited"]) == (line["net"], line["tax"])
        assert now_line["qty_credited"] == invoiced
        for il in after["lines"]:
            if il["sku"] != sku:
                assert (il["qty_credited"], il["net_credited"], il["tax_credited"]) == (0, 0, 0)
        assert after["credited"] == line["net"] + line["tax"]
        # The credits first close what is still owed; only what was paid beyond the rest
        # of the invoice goes back to the customer.
        assert released == max(0, line["net"] + line["tax"] - (invoice["total"] - paid))
        assert after["paid"] == paid - released
        if len(after["lines"]) == 1:
            assert after["credited"] == after["total"] and after["balance"] == 0
            assert after["paid"] == 0
        credit_gain = customer_credit(engine, "ACME") - credit_before
        refund_gain = refunded(engine) - refunds_before
        if settlement == "refund":
            assert (credit_gain, refund_gain) == (0, released)
        else:
            assert (credit_gain, refund_gain) == (released, 0)
        # Nothing of the line is left to credit.
        message = refused(
            kit,
            engine,
            RuleViolation,
            lambda s: create_credit_memo(
                session=s, invoice_number=number, lines=[(sku, Decimal(kit.qty_text(unit)))]
            ),
        )
        assert f"cannot credit {kit.qty_text(unit)} × {sku} on {number}" in message
        assert_ledger_checks(engine)


# --- 2. credits by amount never exceed what is left; the last memo takes the rest ----------


@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_credits_by_amount_never_exceed_the_invoice_and_the_rest_closes_it(ledger_kit, data):
    kit = ledger_kit
    skus = data.draw(
        st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True), label="skus"
    )
    lines = [data.draw(line_terms(sku=sku), label=sku) for sku in skus]
    with kit.ledger() as engine:
        number = invoice_order(kit, engine, "MUELLER", lines)
        invoice = invoice_row(engine, number)
        total = invoice["total"]
        for _ in range(data.draw(st.integers(min_value=0, max_value=5), label="credits")):
            now = invoice_row(engine, number)
            left = total - now["credited"]
            if left > 0 and data.draw(st.booleans(), label="by quantity"):
                # Interleave a credit of part of one line's goods.
                il = data.draw(st.sampled_from(now["lines"]), label="line")
                room = il["qty"] - il["qty_credited"]
                if room > 0:
                    unit = 1 if il["sku"] in FRACTIONAL else 1000
                    part = data.draw(st.integers(min_value=1, max_value=room // unit)) * unit
                    net, tax = expected_portion(kit, il, part)
                    spec = [(il["sku"], Decimal(kit.qty_text(part)))]
                    if net + tax == 0:  # its money is already credited: the goods still are
                        event("goods credited for nothing")
                    with unit_of_work(engine) as session:
                        memo = create_credit_memo(
                            session=session, invoice_number=number, lines=spec
                        )
                    assert memo.total == net + tax
                    continue
            amount = data.draw(
                st.one_of(
                    st.integers(min_value=1, max_value=max(left, 1)),
                    st.just(left),
                    st.integers(min_value=left + 1, max_value=left + 10_000),
                ),
                label="amount",
            )
            if amount <= 0 or amount > left:
                error = InvalidInput if amount <= 0 else RuleViolation
                message = refused(
                    kit,
                    engine,
                    error,
                    lambda s, a=amount: create_credit_memo(
                        session=s, invoice_number=number, amount=Decimal(kit.money_text(a))
                    ),
                )
                if error is RuleViolation:
                    assert f"cannot credit {kit.money_text(amount)} on {number}" in message
                    assert f"only {kit.money_text(left)} is invoiced and not yet credited" in (
                        message
                    )
                event("amount beyond what is left: refused")
                continue
            with unit_of_work(engine) as session:
                memo = create_credit_memo(
                    session=session, invoice_number=number, amount=Decimal(kit.money_text(amount))
                )
            assert memo.total == amount
            after = invoice_row(engine, number)
            assert after["credited"] == now["credited"] + amount <= total
            for old, new in zip(now["lines"], after["lines"], strict=True):
                assert old["net_credited"] <= new["net_credited"] <= new["net"], new
                assert old["tax_credited"] <= new["tax_credited"] <= new["tax"], new
                assert new["qty_credited"] == old["qty_credited"]  # money without goods
        before = invoice_row(engine, number)
        goods_left = any(il["qty_credited"] < il["qty"] for il in before["lines"])
        if before["credited"] == total and not goods_left:
            # Nothing left: no memo.
            message = refused(
                kit,
                engine,
                RuleViolation,
                lambda s: create_credit_memo(session=s, invoice_number=number),
            )
            assert message == f"nothing left to credit on {number}: it is fully credited"
            event("fully credited before the last memo")
        else:
            # What is left, goods worth nothing included (a memo of zero credits them).
            with unit_of_work(engine) as session:
                memo = create_credit_memo(session=session, invoice_number=number)
            assert memo.total == total - before["credited"]
            goods_left = False
        after = invoice_row(engine, number)
        assert after["credited"] == total and after["balance"] == 0
        for il in after["lines"]:
            assert (il["net_credited"], il["tax_credited"]) == (il["net"], il["tax"]), il
            assert il["qty_credited"] == il["qty"], il
        assert_ledger_checks(engine)


# --- 3. payments: allocations + unapplied == amount -----------------------------------------


@settings(SETTINGS, max_examples=40)
@given(data=st.data())
def test_payments_split_exactly_into_allocations_and_unapplied_credit(ledger_kit, data):
    kit = ledger_kit
    plans = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(CUSTOMERS),
                st.lists(line_terms(), min_size=1, max_size=2),
            ),
            min_size=1,
            max_size=4,
        ),
        label="invoices",
    )
    with kit.ledger() as engine:
        owner = {invoice_order(kit, engine, customer, lines): customer for customer, lines in plans}
        for _ in range(data.draw(st.integers(min_value=1, max_value=6), label="payments")):
            customer = data.draw(st.sampled_from(CUSTOMERS), label="customer")
            invoices = {n: invoice_row(engine, n) for n in owner}
            open_ = [n for n in owner if owner[n] == customer and invoices[n]["balance"] > 0]
            owed = sum(invoices[n]["balance"] for n in open_)
            amount = data.draw(
                st.one_of(
                    st.integers(min_value=1, max_value=max(owed, 1)),
                    st.integers(min_value=1, max_value=owed + 100_000),
                ),
                label="amount",
            )
            named = None
            expected: list[tuple[str, int]] = []
            left = amount
            if open_ and data.draw(st.booleans(), label="named"):
                chosen = data.draw(
                    st.lists(st.sampled_from(open_), min_size=1, max_size=3, unique=True),
                    label="named invoices",
                )
                named = []
                for n in chosen:
                    wanted = None
                    if data.draw(st.booleans(), label="INV=AMOUNT"):
                        wanted = data.draw(
                            st.integers(min_value=1, max_value=invoices[n]["balance"] + 500),
                            label="inv amount",
                        )
                    named.append((n, wanted))
                error = None
                for n, wanted in named:
                    balance = invoices[n]["balance"]
                    if wanted is not None and (wanted > balance or wanted > left):
                        error = RuleViolation
                        break
                    take = min(balance, left) if wanted is None else wanted
                    if take <= 0:
                        error = RuleViolation
                        break
                    expected.append((n, take))
                    left -= take
                invoices_arg = [
                    (n, None if w is None else Decimal(kit.money_text(w))) for n, w in named
                ]
                if error is not None:
                    refused(
                        kit,
                        engine,
                        error,
                        lambda s, a=amount, i=invoices_arg, c=customer: record_payment(
                            session=s,
                            customer_code=c,
                            amount=Decimal(kit.money_text(a)),
                            invoices=i,
                        ),
                    )
                    event("named payment refused")
                    continue
            else:
                invoices_arg = None
                for n in open_:  # oldest first: one customer's invoices, by number
                    take = min(left, invoices[n]["balance"])
                    if take:
                        expected.append((n, take))
                        left -= take
            credit_before = customer_credit(engine, customer)
            with unit_of_work(engine) as session:
                payment = record_payment(
                    session=session,
                    customer_code=customer,
                    amount=Decimal(kit.money_text(amount)),
                    invoices=invoices_arg,
                )
                number = payment.number
            with engine.connect() as conn:
                allocations = [
                    (r[0], r[1])
                    for r in conn.execute(
                        text(
                            "SELECT v.number, a.amount FROM allocation a JOIN payment p "
                            "ON p.id = a.payment_id JOIN invoice v ON v.id = a.invoice_id "
                            "WHERE p.number = :n ORDER BY a.id"
                        ),
                        {"n": number},
                    )
                ]
                unapplied = conn.execute(
                    text("SELECT unapplied FROM payment WHERE number = :n"), {"n": number}
                ).scalar()
            assert allocations == expected
            assert sum(a for _, a in allocations) + unapplied == amount
            assert unapplied == left
            assert customer_credit(engine, customer) == credit_before + unapplied
            event("overpaid" if unapplied else "allocated in full")
            for n in owner:
                row = invoice_row(engine, n)
                assert 0 <= row["balance"] <= row["total"], row
                paid_now = sum(a for inv, a in allocations if inv == n)
                assert row["paid"] == invoices[n]["paid"] + paid_now
        assert_ledger_checks(engine)
