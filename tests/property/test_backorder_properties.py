"""Reservations and backorders across several orders (SPEC rules 6, 7, 12).

Confirming reserves what an order still has to ship; a draft reserves nothing.
Backorders follow stock: over a product's open lines, what they still have to
ship beyond the stock on hand is backordered — in total ``max(0, reserved −
on hand)`` — and lines of orders that hold no reservation (drafts, cancelled or
completed orders) are never backordered. ``LedgerKit.check_ledger`` asserts
both after every command.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ordercli.db.engine import unit_of_work
from ordercli.services.inventory.stock import receive_stock
from ordercli.services.sales.ordering import (
    add_order_line,
    cancel_order,
    confirm_order,
    hold_order,
    new_order,
    release_order,
)

STOCKED = ["DESK-STAND", "WHITEBOARD", "COFFEE-KG"]  # 5, 6 and 35.5 on hand
FATES = ["confirm", "confirm then hold", "confirm then cancel", "draft", "hold the draft"]

line_st = st.tuples(
    st.sampled_from(STOCKED),
    st.integers(min_value=1, max_value=8).map(lambda n: n * 1000),
)
order_st = st.tuples(st.lists(line_st, min_size=1, max_size=3), st.sampled_from(FATES))
receipt_st = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(STOCKED), st.integers(min_value=1, max_value=6).map(lambda n: n * 1000)
    ),
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def play(kit, engine, orders, receipt) -> None:
    def run(action):
        with unit_of_work(engine) as session:
            action(session)
        kit.check_ledger(engine)

    held = []
    for lines, fate in orders:
        with unit_of_work(engine) as session:
            number = new_order(session=session, customer_code="MUELLER").number  # no limit
            for sku, qty in lines:
                add_order_line(
                    session=session, number=number, sku=sku, qty=Decimal(kit.qty_text(qty))
                )
        kit.check_ledger(engine)
        if fate.startswith("confirm"):
            run(lambda s, n=number: confirm_order(session=s, number=n))
        if fate in {"confirm then hold", "hold the draft"}:
            run(lambda s, n=number: hold_order(session=s, number=n, reason="property test"))
            held.append(number)
        if fate == "confirm then cancel":
            run(lambda s, n=number: cancel_order(session=s, number=n))
    if receipt is not None:
        sku, qty = receipt
        run(lambda s: receive_stock(session=s, sku=sku, qty=Decimal(kit.qty_text(qty))))
    for number in held:
        run(lambda s, n=number: release_order(session=s, number=n))


@SETTINGS
@given(orders=st.lists(order_st, min_size=1, max_size=4), receipt=receipt_st)
# Once failed: a held draft (which reserves nothing) took the stock, so the confirmed
# order showed 2 backordered with 5 on hand and 4 reserved.
@example(
    orders=[([("DESK-STAND", 3000)], "hold the draft"), ([("DESK-STAND", 4000)], "confirm")],
    receipt=None,
)
def test_backorders_follow_stock_and_drafts_take_none(ledger_kit, orders, receipt):
    with ledger_kit.ledger() as engine:
        play(ledger_kit, engine, orders, receipt)
