"""Schedules everywhere a user looks (SPEC rules 4a, 11, 13, 20): overdue by instalment,
aging by instalment, a statement's open items, the dashboard's oldest overdue, the
invoice export's schedule columns and ``order explain`` on a split invoice.

The peer scenario is ERPNext's ``test_make_sales_invoice_with_terms``: terms of half
now and half in 30 days split an invoice 50/50 over two due dates; once the first is
past it is overdue and the second is not, the invoice is overdue, aging puts the
halves in different buckets, and a payment that names no invoice settles the first
instalment first.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.books import journal
from ordercli.io.exports import export
from ordercli.models import InvoiceInstalment
from ordercli.reports import dashboard, order_story, receivables
from ordercli.services.parties import customers, payment_terms
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import credit_memos, payments
from ordercli.views import sales as sales_views
from tests.services.conftest import add_lines

D = Decimal
ISSUED = date(2026, 3, 2)  # the invoice's day: its first half is due on it
SECOND = date(2026, 4, 1)  # its second half, 30 days on


@pytest.fixture
def today(monkeypatch):
    """``today("2026-03-10")``: the ledger's today from now on."""

    def set_(day: str) -> None:
        monkeypatch.setenv("ORDERCLI_TODAY", day)

    set_("2026-03-02")
    return set_


@pytest.fixture
def split(seeded, uow, today):
    """Terms HALF (50@0, 50@30) and INV-00001 for ACME on them: 2 × DESK-OAK, 1163.82,
    two instalments of 581.91 due 2026-03-02 and 2026-04-01."""
    with uow() as session:
        payment_terms.add_terms(session=session, code="HALF", days="30", splits=["50@0", "50@30"])
        order = ordering.new_order(
            session=session, customer_code="ACME", order_date=ISSUED, terms="HALF"
        )
        add_lines(session, order.number, [("DESK-OAK", "2")])
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        invoice = invoicing.create_invoice(session=session, order_number=order.number)
    assert invoice.number == "INV-00001"
    return order.number


def view(uow, number: str = "INV-00001") -> dict:
    with uow(write=False) as session:
        return sales_views.invoice_view(
            session, invoicing.get_invoice(session=session, number=number)
        )


def aging(uow, as_of: date | None = None, customer: str | None = None) -> dict:
    with uow(write=False) as session:
        return receivables.aging(session=session, as_of=as_of, customer=customer)


def receivable(uow, as_of: date | None = None) -> Decimal:
    with uow(write=False) as session:
        trial = journal.trial_balance(session=session, as_of=as_of)
    return next(a["balance"] for a in trial["accounts"] if a["role"] == "receivable")


def pay(uow, amount: str, *invoices: str, on: date | None = None) -> dict:
    from ordercli.views.settlement import payment_view

    specs = payments.parse_invoice_specs(list(invoices), 2)
    with uow() as session:
        payment = payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=D(amount),
            invoices=specs or None,
            received_on=on,
        )
        return payment_view(session, payment)


def schedule(document: dict) -> list[tuple]:
    return [(s["due_date"], s["amount"], s["open"], s["status"]) for s in document["schedule"]]


# --- the peer scenario ----------------------------------------------------------------


def test_peer_scenario_split_invoice_over_two_due_dates(split, uow, today, ledger_ok):
    document = view(uow)
    assert document["terms"] == "HALF"
    assert document["terms_text"] == "581.91 due 2026-03-02; 581.91 due 2026-04-01"
    assert document["due_date"] == SECOND
    assert document["status"] == "open"  # the first half falls due today: not yet overdue
    assert schedule(document) == [
        (ISSUED, D("581.91"), D("581.91"), "open"),
        (SECOND, D("581.91"), D("581.91"), "open"),
    ]
    with uow(write=False) as session:
        rows = session.exec(select(InvoiceInstalment).order_by(InvoiceInstalment.position)).all()
    assert [(r.position, r.due_date, r.amount) for r in rows] == [
        (1, ISSUED, 58191),
        (2, SECOND, 58191),
    ]

    today("2026-03-10")  # the first half is past due, the second is not
    document = view(uow)
    assert document["status"] == "overdue"
    assert [s["status"] for s in document["schedule"]] == ["overdue", "open"]
    with uow(write=False) as session:
        overdue = invoicing.list_invoices(session=session, overdue=True)
    assert [i.number for i in overdue] == ["INV-00001"]

    report = aging(uow)
    (acme,) = report["customers"]
    assert (acme["current"], acme["d1_30"], acme["total"]) == (
        D("581.91"),
        D("581.91"),
        D("1163.82"),
    )
    assert report["totals"]["total"] == receivable(uow) == D("1163.82")

    later = aging(uow, date(2026, 5, 15))["customers"][0]  # 74 and 44 days past due
    assert (later["d61_90"], later["d31_60"], later["current"]) == (
        D("581.91"),
        D("581.91"),
        D("0.00"),
    )

    # A payment that names no invoice settles the first instalment first (rule 13).
    paid = pay(uow, "581.91")
    assert [(a["invoice"], a["amount"]) for a in paid["allocations"]] == [
        ("INV-00001", D("581.91"))
    ]
    document = view(uow)
    assert document["status"] == "partially_paid"  # nothing past due is open any more
    assert schedule(document) == [
        (ISSUED, D("581.91"), D("0.00"), "paid"),
        (SECOND, D("581.91"), D("581.91"), "open"),
    ]
    (acme,) = aging(uow)["customers"]
    assert (acme["current"], acme["d1_30"], acme["total"]) == (
        D("581.91"),
        D("0.00"),
        D("581.91"),
    )
    # As of the day before the payment, the first half was still open and past due.
    before = aging(uow, date(2026, 3, 9))["customers"][0]
    assert (before["d1_30"], before["current"]) == (D("581.91"), D("581.91"))
    ledger_ok()


def test_oldest_instalment_first_across_invoices(split, uow, today, ledger_ok):
    """Money that names no invoice settles instalments by due date across invoices: the
    split invoice's first half (due 2026-03-02), then a NET10 invoice (due 2026-03-15),
    and only then the split invoice's second half (due 2026-04-01)."""
    with uow() as session:
        payment_terms.add_terms(session=session, code="NET10", days="10")
        order = ordering.new_order(
            session=session, customer_code="ACME", order_date=ISSUED, terms="NET10"
        )
        add_lines(session, order.number, [("LAMP-LED", "1")])
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
    today("2026-03-05")
    with uow() as session:
        plain = invoicing.create_invoice(session=session, order_number=order.number)
        assert plain.due_date == date(2026, 3, 15)
        plain_total = plain.total
    paid = pay(uow, "600.00")
    assert sorted((a["invoice"], a["amount"]) for a in paid["allocations"]) == [
        ("INV-00001", D("581.91")),
        ("INV-00002", D("18.09")),
    ]
    assert plain_total > 1809
    assert schedule(view(uow))[1][2] == D("581.91")  # the second half is untouched
    ledger_ok()


# --- aging by instalment ----------------------------------------------------------------


def test_aging_by_instalment_agrees_with_the_receivable_every_day(split, uow, today, ledger_ok):
    today("2026-04-20")
    pay(uow, "100.00", "INV-00001", on=date(2026, 3, 5))
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session,
            invoice_number="INV-00001",
            amount=D("50.00"),
            settlement="store_credit",
            issue_date=date(2026, 3, 20),
        )
    pay(uow, "500.00", "INV-00001", on=date(2026, 4, 10))
    for day in [
        date(2026, 3, 1),
        ISSUED,
        date(2026, 3, 4),
        date(2026, 3, 5),
        date(2026, 3, 19),
        date(2026, 3, 20),
        SECOND,
        date(2026, 4, 2),
        date(2026, 4, 10),
        None,
    ]:
        report = aging(uow, day)
        assert report["totals"]["total"] == receivable(uow, day), day
    # As of 2026-04-05: 150.00 settled of 1163.82: the first half has 431.91 open
    # (34 days past due), the second all its 581.91 (4 days past due).
    (acme,) = aging(uow, date(2026, 4, 5))["customers"]
    assert (acme["d31_60"], acme["d1_30"], acme["total"]) == (
        D("431.91"),
        D("581.91"),
        D("1013.82"),
    )
    # Today, 650.00 settled: only 513.82 of the second half is open, 19 days past due.
    (acme,) = aging(uow)["customers"]
    assert (acme["d1_30"], acme["d31_60"], acme["total"]) == (
        D("513.82"),
        D("0.00"),
        D("513.82"),
    )
    ledger_ok()


def test_open_instalments_add_up_to_any_balance(split, uow):
    """The parts add up to the balance whatever it is: above the scheduled total the
    first instalment takes the excess, below zero the last one the shortfall."""
    from sqlalchemy import literal
    from sqlalchemy import select as sa_select

    total = 116382
    with uow(write=False) as session:
        for balance in [-500, 0, 1, 58190, 58191, 58192, total - 1, total, total + 7]:
            balances = sa_select(
                literal(1).label("invoice_id"), literal(balance).label("balance")
            ).subquery()
            parts = receivables.open_instalments(balances)
            found = session.execute(
                sa_select(parts.c.due_date, parts.c.open).order_by(parts.c.due_date)
            ).all()
            opens = [row[1] for row in found]
            if balance == 0:
                assert found == []
                continue
            assert sum(opens) == balance
            if 0 <= balance <= total:
                settled = total - balance
                assert opens == [
                    max(0, min(58191, 58191 - settled)),
                    max(0, min(58191, total - settled)),
                ]


# --- statement, dashboard, export, explain ---------------------------------------------


def test_statement_lists_open_items_by_instalment(split, uow, today):
    today("2026-03-10")
    pay(uow, "100.00", "INV-00001")
    with uow(write=False) as session:
        report = receivables.statement(session=session, customer="ACME")
        earlier = receivables.statement(session=session, customer="ACME", date_to=ISSUED)
    assert report["open_items"] == [
        {
            "invoice": "INV-00001",
            "due_date": ISSUED,
            "open": D("481.91"),
            "days_overdue": 8,
        },
        {"invoice": "INV-00001", "due_date": SECOND, "open": D("581.91"), "days_overdue": 0},
    ]
    assert [item["open"] for item in earlier["open_items"]] == [D("581.91"), D("581.91")]
    assert sum(item["open"] for item in report["open_items"]) == D("1063.82")


def test_dashboard_oldest_overdue_is_the_earliest_overdue_instalment(split, uow, today):
    today("2026-03-12")
    with uow(write=False) as session:
        now = dashboard.dashboard(session=session)["overdue_receivables"]
        as_of = dashboard.dashboard(session=session, as_of=date(2026, 3, 12))
    assert (now["invoices"], now["oldest_invoice"], now["oldest_days_overdue"]) == (
        1,
        "INV-00001",
        10,  # its first half, due 2026-03-02; the invoice's own due date is 2026-04-01
    )
    assert as_of["overdue_receivables"]["oldest_days_overdue"] == 10
    pay(uow, "581.91")
    with uow(write=False) as session:
        after = dashboard.dashboard(session=session)["overdue_receivables"]
    assert (after["invoices"], after["oldest_invoice"], after["oldest_days_overdue"]) == (
        0,
        None,
        None,
    )


def test_export_invoices_appends_the_schedule_columns(split, uow, today):
    today("2026-03-10")
    pay(uow, "600.00", "INV-00001")
    out = io.BytesIO()
    with uow(write=False) as session:
        export(session=session, kind="invoices", fmt="csv", out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert rows[0] == [
        "number",
        "order",
        "customer",
        "customer_name",
        "issue_date",
        "due_date",
        "status",
        "currency",
        "subtotal",
        "tax",
        "total",
        "paid",
        "credited",
        "balance",
        "terms",
        "discounted",
        "written_off",
        "prepaid",
        "next_due_date",
    ]
    assert rows[1][14:] == ["HALF", "0.00", "0.00", "0.00", "2026-04-01"]
    pay(uow, "563.82", "INV-00001")
    out = io.BytesIO()
    with uow(write=False) as session:
        export(session=session, kind="invoices", fmt="jsonl", out=out)
    assert b'"next_due_date": null' in out.getvalue()


def test_order_explain_names_the_next_instalment(split, uow, today):
    today("2026-03-10")
    with uow(write=False) as session:
        story = order_story.explain_order(session=session, number=split)
        tracked = order_story.track_order(session=session, number=split)
    texts = [step["why"] for step in story["next"]]
    wanted = "INV-00001 has 1163.82 open, next 581.91 due 2026-03-02, the rest by 2026-04-01"
    assert any(wanted in text for text in texts), texts
    assert tracked["owed"]["invoices"][0]["overdue"] is True
    # Once the first half is paid, the next is the second, and nothing is left after it.
    pay(uow, "581.91")
    with uow(write=False) as session:
        story = order_story.explain_order(session=session, number=split)
    texts = [step["why"] for step in story["next"]]
    assert any("INV-00001 has 581.91 open, next 581.91 due 2026-04-01" == t for t in texts), texts


def test_customer_default_terms_split_their_invoices(seeded, uow, today):
    with uow() as session:
        payment_terms.add_terms(
            session=session, code="THIRDS", days="60", splits=["33.3333@0,33.3333@30,33.3334@60"]
        )
        customers.edit_customer(session=session, code="BRIGHT", changes={"terms_code": "THIRDS"})
        order = ordering.new_order(session=session, customer_code="BRIGHT")
        add_lines(session, order.number, [("LAMP-LED", "1")])
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        invoice = invoicing.create_invoice(session=session, order_number=order.number)
        document = sales_views.invoice_view(session, invoice)
    amounts = [s["amount"] for s in document["schedule"]]
    assert sum(amounts) == document["total"]
    assert amounts[-1] >= amounts[0]  # the last takes what rounding left
    assert [s["due_date"] for s in document["schedule"]] == [
        ISSUED,
        date(2026, 4, 1),
        date(2026, 5, 1),
    ]
