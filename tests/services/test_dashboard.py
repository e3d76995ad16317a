"""`dashboard`: the figures of `ordercli status`, now and rebuilt as of a day.

The ledger below walks orders through every state (held drafts, hold and
release, cancellation, partial shipments, backorders, a replacement shipment);
expected figures are worked out by hand in the docstrings and asserted, and the
figures rebuilt from dated records at the end of today must equal those read
from the counters the services keep.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.models import Invoice
from ordercli.reports.dashboard import dashboard
from ordercli.services.inventory import catalog, stock
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import payments, returns

D = Decimal
TODAY = "2026-02-15"


@pytest.fixture
def on(monkeypatch):
    return lambda day: monkeypatch.setenv("ORDERCLI_TODAY", day)


def order(session, customer, day, lines, confirm=True) -> str:
    number = ordering.new_order(
        session=session, customer_code=customer, order_date=date.fromisoformat(day)
    ).number
    for sku, qty in lines:
        ordering.add_order_line(session=session, number=number, sku=sku, qty=D(qty))
    if confirm:
        ordering.confirm_order(session=session, number=number, override_credit="test")
    return number


@pytest.fixture
def shop(engine, uow, on):
    build_shop(uow, on)
    return engine


def build_shop(uow, on) -> None:
    """CHAIR 312.50 (4 in stock), BOOK 24.99 (10), HOURS 95.00 (service), all 19 %.

    01-10 SO-1 ACME 3 CHAIR + 2 HOURS, confirmed; 01-12 2 CHAIR shipped
    01-11 SO-2 ACME 4 CHAIR, confirmed (1 CHAIR of stock left for SO-1: 3 backordered)
    01-12 SO-3 BETA 1 BOOK, a draft, held
    01-13 SO-4 BETA 2 BOOK, confirmed and held; released 02-01
    01-14 SO-5 BETA 3 BOOK, confirmed; cancelled 02-02
    01-15 SO-1 invoiced: 1 CHAIR (INV-1, due 02-14)
    01-16 SO-6 ACME 3 BOOK, confirmed, 2 shipped and invoiced (INV-2, due 02-15)
    02-05 1 BOOK of SO-6 back (restocked) and sent again: a replacement, which
          never counts as shipped, so SO-6 still has 1 BOOK to ship
    02-10 2 CHAIR received (backorder down to 1); 02-11 1 BOOK written off
    02-12 ACME pays 100.00 on INV-1
    """
    on("2026-01-02")
    with uow() as session:
        customers.add_customer(session=session, name="Acme", code="ACME", terms_days=30)
        customers.add_customer(session=session, name="Beta", code="BETA", terms_days=14)
        for sku, price, stocked in (("CHAIR", "312.50", 4), ("BOOK", "24.99", 10)):
            catalog.add_product(session=session, sku=sku, name=sku.title(), price=D(price),
                                tax_rate=D(19), stock=D(stocked))  # fmt: skip
        catalog.add_product(session=session, sku="HOURS", name="Consulting", price=D("95.00"),
                            tax_rate=D(19), service=True)  # fmt: skip
    steps = [
        ("2026-01-10", lambda s: order(s, "ACME", "2026-01-10", [("CHAIR", "3"), ("HOURS", "2")])),
        ("2026-01-11", lambda s: order(s, "ACME", "2026-01-11", [("CHAIR", "4")])),
        ("2026-01-12", lambda s: fulfilment.create_shipment(
            session=s, order_number="SO-00001", lines=[("CHAIR", D(2))])),
        ("2026-01-12", lambda s: order(s, "BETA", "2026-01-12", [("BOOK", "1")], confirm=False)),
        ("2026-01-12", lambda s: ordering.hold_order(session=s, number="SO-00003", reason="why")),
        ("2026-01-13", lambda s: order(s, "BETA", "2026-01-13", [("BOOK", "2")])),
        ("2026-01-13", lambda s: ordering.hold_order(session=s, number="SO-00004", reason="x")),
        ("2026-01-14", lambda s: order(s, "BETA", "2026-01-14", [("BOOK", "3")])),
        ("2026-01-15", lambda s: invoicing.create_invoice(
            session=s, order_number="SO-00001", lines=[("CHAIR", D(1))])),
        ("2026-01-16", lambda s: order(s, "ACME", "2026-01-16", [("BOOK", "3")])),
        ("2026-01-16", lambda s: fulfilment.create_shipment(
            session=s, order_number="SO-00006", lines=[("BOOK", D(2))])),
        ("2026-01-16", lambda s: invoicing.create_invoice(
            session=s, order_number="SO-00006", lines=[("BOOK", D(2))])),
        ("2026-02-01", lambda s: ordering.release_order(session=s, number="SO-00004")),
        ("2026-02-02", lambda s: ordering.cancel_order(session=s, number="SO-00005")),
        ("2026-02-05", lambda s: returns.request_return(
            session=s, order_number="SO-00006", lines=[("BOOK", D(1))], reason="torn")),
        ("2026-02-05", lambda s: returns.authorize_return(session=s, number="RMA-00001")),
        ("2026-02-05", lambda s: returns.receive_return(
            session=s, number="RMA-00001", restock=True)),
        ("2026-02-05", lambda s: returns.resolve_return(
            session=s, number="RMA-00001", replace=True)),
        ("2026-02-10", lambda s: stock.receive_stock(session=s, sku="CHAIR", qty=D(2))),
        ("2026-02-11", lambda s: stock.adjust_stock(
            session=s, sku="BOOK", qty=D(-1), reason="water damage")),
        ("2026-02-12", lambda s: payments.record_payment(
            session=s, customer_code="ACME", amount=D("100.00"),
            received_on=date(2026, 2, 12))),
    ]  # fmt: skip
    for day, step in steps:
        on(day)
        with uow() as session:
            step(session)
    on(TODAY)


def figures(document: dict) -> dict:
    """The document without the as-of flags and notes."""
    return {
        key: (
            {k: v for k, v in value.items() if not k.startswith("as_of")}
            if isinstance(value, dict)
            else value
        )
        for key, value in document.items()
        if key != "as_of"
    }


def status(uow, as_of: str | None = None, **kwargs) -> dict:
    with uow(write=False) as session:
        return dashboard(
            session=session, as_of=date.fromisoformat(as_of) if as_of else None, **kwargs
        )


def test_rebuilt_at_the_end_of_today_equals_the_kept_counters(shop, uow):
    now = status(uow)
    assert figures(status(uow, TODAY)) == figures(now)
    assert now["to_ship"] == {
        # SO-1 (1 CHAIR; HOURS is a service, delivered by invoicing, never shipped),
        # SO-2 (4 CHAIR), SO-4 (2 BOOK), SO-6 (1 BOOK)
        "orders": 4,
        "lines": 4,
        "backordered_lines": 1,  # SO-2: 4 CHAIR on hand, 1 for SO-1, 3 for SO-2
        "backordered_orders": 1,
        "as_of_exact": True,
    }
    assert now["backorders"]["top"] == [{"sku": "CHAIR", "name": "Chair", "units": D(1)}]
    assert (now["to_invoice"]["orders"], now["to_invoice"]["lines"]) == (4, 5)
    assert now["to_confirm"]["orders"] == 0  # SO-3 is a draft on hold


def test_order_states_as_of_a_day_come_from_the_event_log(shop, uow):
    """01-31: SO-3 a held draft (nothing to confirm), SO-4 on hold (to ship, not to
    invoice), SO-5 not yet cancelled. 02-01: SO-4 released. 02-02: SO-5 cancelled."""
    jan = status(uow, "2026-01-31")
    assert jan["to_confirm"]["orders"] == 0
    assert (jan["to_ship"]["orders"], jan["to_ship"]["lines"]) == (5, 5)  # HOURS never ships
    assert (jan["to_invoice"]["orders"], jan["to_invoice"]["lines"]) == (4, 5)  # SO-1, 2, 5, 6
    released = status(uow, "2026-02-01")
    assert released["to_invoice"]["orders"] == 5
    cancelled = status(uow, "2026-02-02")
    assert (cancelled["to_ship"]["orders"], cancelled["to_invoice"]["orders"]) == (4, 4)
    before_any = status(uow, "2026-01-09")
    assert before_any["to_ship"]["orders"] == before_any["to_confirm"]["orders"] == 0


def test_to_invoice_value_as_of_a_day(shop, uow):
    """As of 01-14, SO-1 (3 CHAIR, 2 HOURS) and SO-2 (4 CHAIR) are not invoiced at all;
    SO-5 (3 BOOK) too; SO-4 is on hold."""
    chair, hours, book = D("312.50"), D("95.00"), D("24.99")
    net = 7 * chair + 2 * hours + 3 * book
    doc = status(uow, "2026-01-14")
    assert doc["to_invoice"]["net"] == net
    # Each line's tax rounds on its own: 19 % of 937.50, 190.00, 1250.00 and 74.97.
    tax = D("178.13") + D("36.10") + D("237.50") + D("14.24")
    assert doc["to_invoice"]["total"] == net + tax
    after = status(uow, "2026-01-15")  # INV-1: 1 CHAIR
    assert doc["to_invoice"]["net"] - after["to_invoice"]["net"] == chair


def test_backorders_as_of_before_and_after_a_receipt(shop, uow):
    """01-12 after shipping 2 CHAIR: 2 on hand, SO-1 takes 1, SO-2 waits for 3.
    02-10: 2 more received, SO-2 waits for 1."""
    before = status(uow, "2026-02-09")
    after = status(uow, "2026-02-10")
    assert before["backorders"]["units"] == D(3) and after["backorders"]["units"] == D(1)
    assert before["to_ship"]["backordered_lines"] == after["to_ship"]["backordered_lines"] == 1
    # Before SO-2 existed nothing waited.
    assert status(uow, "2026-01-10")["backorders"]["products"] == 0
    assert before["backorders"]["as_of_exact"] is False
    assert "not stored by date" in before["backorders"]["as_of_notes"][0]


def test_low_stock_as_of_a_day_and_now(shop, uow):
    """CHAIR now: 4 on hand, 1 + 4 still to ship: available -1. BOOK now: 10 − 2
    shipped (SO-6) + 1 back − 1 replacement − 1 written off = 7, 2 + 1 reserved (SO-4,
    SO-6): 4. HOURS is a service: never listed."""
    now = status(uow)
    assert [(p["sku"], p["available"]) for p in now["low_stock"]["lowest"]] == [
        ("CHAIR", D(-1)),
        ("BOOK", D(4)),
    ]
    assert status(uow, low_stock=D(4))["low_stock"]["products"] == 2  # at the threshold
    assert status(uow, low_stock=D(3))["low_stock"]["products"] == 1
    # 01-13: CHAIR 2 on hand, 1 + 4 to ship; BOOK 10 on hand, 2 (SO-4) + 3 (SO-5 the next
    # day: not yet) reserved.
    early = status(uow, "2026-01-13", low_stock=D(100))
    assert {p["sku"]: (p["on_hand"], p["reserved"]) for p in early["low_stock"]["lowest"]} == {
        "CHAIR": (D(2), D(5)),
        "BOOK": (D(10), D(2)),
    }
    # Before the catalog existed there was nothing to run low.
    assert status(uow, "2026-01-01")["low_stock"]["products"] == 0


def test_low_stock_leaves_out_inactive_products(shop, uow):
    with uow() as session:
        catalog.edit_product(session=session, sku="CHAIR", changes={"active": False})
    assert [p["sku"] for p in status(uow)["low_stock"]["lowest"]] == ["BOOK"]


def test_receivables_now_and_as_of(shop, uow):
    """INV-1 (1 CHAIR, 371.88) due 02-14, 100.00 paid 02-12; INV-2 (2 BOOK, 59.48) due 02-15."""
    with uow(write=False) as session:
        totals = dict(session.exec(select(Invoice.number, Invoice.total)).all())
    assert totals == {"INV-00001": 37188, "INV-00002": 5948}
    now = status(uow)
    assert now["overdue_receivables"] == {
        "invoices": 1,
        "amount": D("271.88"),
        "oldest_days_overdue": 1,
        "oldest_invoice": "INV-00001",
        "as_of_exact": True,
    }
    assert now["open_receivables"]["amount"] == D("271.88") + D("59.48")
    jan = status(uow, "2026-01-31")
    assert jan["overdue_receivables"]["invoices"] == 0
    assert jan["open_receivables"]["amount"] == D("371.88") + D("59.48")
    assert jan["activity"]["day"] == date(2026, 1, 31)
    pay_day = status(uow, "2026-02-12")["activity"]
    assert (pay_day["payments"], pay_day["received"]) == (1, D("100.00"))
    jan16 = status(uow, "2026-01-16")["activity"]
    assert (jan16["orders"], jan16["invoices"], jan16["shipments"]) == (1, 1, 1)
    assert jan16["invoiced"] == D("59.48")


def test_unapplied_credit_from_an_overpayment(shop, uow):
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="BETA",
            amount=D("80.00"),
            received_on=date(2026, 2, 15),
        )
    assert status(uow)["unapplied_credit"] == {
        "customers": 1,
        "amount": D("80.00"),  # BETA has no invoice
        "as_of_exact": True,
    }
    assert status(uow, "2026-02-14")["unapplied_credit"]["amount"] == D("0.00")


def test_exactness_flags(shop, uow):
    """Money and activity are always exact; stock figures never are as of a day; order
    figures are, until a line of an order dated on or before the day changes later."""
    doc = status(uow, "2026-02-14")
    exact = {
        name: section["as_of_exact"] for name, section in doc.items() if isinstance(section, dict)
    }
    assert exact == {
        "to_confirm": True,
        "to_ship": False,
        "to_invoice": True,
        "overdue_receivables": True,
        "open_receivables": True,
        "unapplied_credit": True,
        "backorders": False,
        "low_stock": False,
        "activity": True,
    }
    with uow() as session:  # an order dated today, lines added today
        order(session, "BETA", TODAY, [("BOOK", "1")])
    assert status(uow, "2026-02-14")["to_invoice"]["as_of_exact"] is True
    with uow() as session:
        ordering.edit_order_line(session=session, number="SO-00001", line_ref="2", qty=D(3))
    edited = status(uow, "2026-02-14")
    assert edited["to_invoice"]["as_of_exact"] is edited["to_confirm"]["as_of_exact"] is False
    assert "changed after 2026-02-14" in edited["to_invoice"]["as_of_notes"][0]
    assert status(uow, TODAY)["to_invoice"]["as_of_exact"] is True
    assert all(
        section["as_of_exact"] and "as_of_notes" not in section
        for section in status(uow).values()
        if isinstance(section, dict)
    )


def test_empty_ledger(engine, uow):
    for as_of in (None, "2026-01-01"):
        doc = status(uow, as_of)
        assert doc["to_confirm"] == {
            "orders": 0,
            "net": D("0.00"),
            "total": D("0.00"),
            "as_of_exact": True,
        }
        assert doc["to_ship"]["orders"] == doc["to_invoice"]["orders"] == 0
        assert doc["overdue_receivables"]["oldest_invoice"] is None
        assert doc["backorders"]["products"] == doc["low_stock"]["products"] == 0
        assert doc["currency"] == "EUR"


@pytest.mark.postgres
def test_the_same_figures_on_postgresql(pg_engine, on):
    """The rebuilt figures (window sums, CASE over events, aware timestamps) and the
    sales report on PostgreSQL, against the kept counters and the journal."""
    from ordercli.books import journal
    from ordercli.db.engine import unit_of_work
    from ordercli.reports.sales import sales_report
    from ordercli.services.settlement import credit_memos

    def make(write: bool = True):
        return unit_of_work(pg_engine, write=write)

    build_shop(make, on)
    assert figures(status(make, TODAY)) == figures(status(make))
    assert status(make, "2026-02-09")["backorders"]["units"] == D(3)
    jan = status(make, "2026-01-31")
    assert (jan["to_ship"]["orders"], jan["to_invoice"]["orders"]) == (5, 4)
    with make() as session:
        credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00002", amount=D("10.00")
        )
    with make(write=False) as session:
        by_role = {a["role"]: a for a in journal.trial_balance(session=session)["accounts"]}
        for by in ("month", "customer", "product"):
            report = sales_report(session=session, by=by)
            assert report["totals"]["net"] == (
                by_role["revenue"]["credit"] - by_role["refunds"]["debit"]
            )
        months = sales_report(session=session)["rows"]
    assert [row["key"] for row in months] == ["2026-01", "2026-02"]
    assert months[1]["net"] == -months[1]["credited"] < 0
