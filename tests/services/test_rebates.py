"""Volume rebates (SPEC ``rebate``, rule 20): net sales per period, the tier reached
applied to all of them, settled once by price-only credit memos posted to the
rebates account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import CreditMemo, CreditMemoLine, Invoice, NumberSeries, RebateSettlement
from ordercli.services.parties import customers
from ordercli.services.sales import invoicing
from ordercli.services.settlement import credit_memos, payments, rebates
from ordercli.services.settlement import rebate_agreements as agreements
from ordercli.views.rebates import agreement_view, settle_view, standing_view
from ordercli.views.settlement import credit_memo_view


@pytest.fixture(autouse=True)
def november(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-11-20")


def invoice(uow, make_order, day: str, qty: str = "4", customer: str = "ACME") -> str:
    """An invoice of ``qty`` × DESK-OAK (489.00 net each, 19 % tax) issued on ``day``."""
    number = make_order(customer, [("DESK-OAK", qty)], order_date=date.fromisoformat(day))
    with uow() as session:
        return invoicing.create_invoice(
            session=session, order_number=number, issue_date=date.fromisoformat(day)
        ).number


def add(uow, customer="ACME", period="month", tiers=("1000=2", "5000=3"), valid_from="2026-09-01"):
    with uow() as session:
        return agreements.add_agreement(
            session=session,
            customer_code=customer,
            period=period,
            tiers=list(tiers),
            valid_from=date.fromisoformat(valid_from) if valid_from else None,
        ).number


def settle(uow, period="2026-10", **options) -> dict:
    with uow() as session:
        return settle_view(
            session, rebates.settle_rebates(session=session, period=period, **options)
        )


def status(uow, period=None, customer=None) -> list[dict]:
    with uow(write=False) as session:
        return [
            standing_view(session, s)
            for s in rebates.rebate_status(session=session, period=period, customer=customer)
        ]


def test_settling_a_month_credits_each_invoice_by_the_rate_reached(
    seeded, uow, make_order, monkeypatch, ledger_ok, events_of
):
    add(uow)
    paid = invoice(uow, make_order, "2026-10-05")  # 1956.00 net, 2327.64 gross
    open_ = invoice(uow, make_order, "2026-10-20", qty="2")  # 978.00 net, 1163.82 gross
    invoice(uow, make_order, "2026-11-02")  # November: not October's
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=Decimal("2327.64"),
            invoices=[(paid, None)],
            received_on=date(2026, 10, 30),
        )
    before = ledger_ok()
    [standing] = status(uow, period="2026-10")
    assert (standing["net_sales"], standing["rate"], standing["rebate"]) == (
        Decimal("2934.00"),
        Decimal(2),
        Decimal("58.68"),
    )
    assert standing["next_tier"] == {
        "threshold": Decimal("5000.00"),
        "rate": Decimal(3),
        "needed": Decimal("2066.00"),
    }
    assert standing["settled"] is False

    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    done = settle(uow)
    [row] = done["settled"]
    assert row["number"] == "RS-00001" and row["credit_memos"] == ["CM-00001", "CM-00002"]
    # 2 % of each invoice's gross, rounded: 46.55 and 23.28, their nets 39.12 + 19.56.
    assert (row["net_sales"], row["rate"], row["amount"], row["total"]) == (
        Decimal("2934.00"),
        Decimal(2),
        Decimal("58.68"),
        Decimal("69.83"),
    )
    with uow(write=False) as session:
        memos = session.exec(select(CreditMemo).order_by(CreditMemo.id)).all()
        assert [m.total for m in memos] == [4655, 2328]
        # The paid invoice's rebate is store credit; the open one's lowers its balance.
        assert [(m.applied, m.released, m.settlement) for m in memos] == [
            (0, 4655, "store_credit"),
            (2328, 0, "store_credit"),
        ]
        assert {line.effect for line in session.exec(select(CreditMemoLine))} == {"none"}
        view = credit_memo_view(session, memos[0])
        assert (view["rebate_settlement"], view["kind"]) == ("RS-00001", "price")
        assert view["reason"] == "volume rebate 2026-10: 2% (RS-00001)"
        left = session.exec(select(Invoice).where(Invoice.number == open_)).one()
        assert left.total - left.paid - left.credited == 116382 - 2328
        agreement = agreement_view(
            session, agreements.get_agreement(session=session, number="RA-00001")
        )
    assert agreement["settlements"][0]["credit_memos"] == ["CM-00001", "CM-00002"]
    after = ledger_ok()
    # Rule 20: the net to the rebates account, not to refunds.
    assert after["rebates"] - before.get("rebates", 0) == Decimal("58.68")
    assert after.get("refunds", 0) == before.get("refunds", 0)
    assert events_of("RS-00001") == [
        (
            "settled",
            "rebate RS-00001 for ACME 2026-10: net sales 2934.00, rate 2%, credited 58.68 "
            "by CM-00001, CM-00002",
        )
    ]
    assert status(uow, period="2026-10")[0]["settlement"] == "RS-00001"


def test_net_sales_take_off_credit_memos_of_the_period_but_not_rebates(
    seeded, uow, make_order, monkeypatch
):
    add(uow, tiers=("0=1",))
    first = invoice(uow, make_order, "2026-10-05")
    with uow() as session:
        credit_memos.create_credit_memo(
            session=session,
            invoice_number=first,
            amount=Decimal("119.00"),
            issue_date=date(2026, 10, 6),
        )
    assert status(uow, period="2026-10")[0]["net_sales"] == Decimal("1856.00")
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    [row] = settle(uow)["settled"]
    # 1 % of what is left of the invoice: 2327.64 − 119.00 = 2208.64 → 22.09.
    assert (row["amount"], row["total"]) == (Decimal("18.56"), Decimal("22.09"))
    # A rebate memo in December is not a December sale taken back.
    assert status(uow, period="2026-12")[0]["net_sales"] == Decimal("0.00")


def test_below_every_threshold_closes_the_period_at_rate_zero(
    seeded, uow, make_order, monkeypatch, ledger_ok
):
    add(uow, tiers=("10000=2",))
    invoice(uow, make_order, "2026-10-05")
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    [row] = settle(uow)["settled"]
    assert (row["rate"], row["amount"], row["credit_memos"]) == (Decimal(0), Decimal("0.00"), [])
    with uow(write=False) as session:
        assert session.exec(select(CreditMemo)).all() == []
    assert status(uow, period="2026-10")[0]["settled"] is True
    ledger_ok()


def test_a_period_settled_twice_is_refused_and_changes_nothing(
    seeded, uow, make_order, monkeypatch, refused
):
    add(uow)
    invoice(uow, make_order, "2026-10-05")
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    settle(uow)
    refused(
        RuleViolation,
        "2026-10 is already settled: ACME 2026-10 was settled by RS-00001 on 2026-12-01",
        lambda s: rebates.settle_rebates(session=s, period="2026-10"),
    )
    refused(
        RuleViolation,
        "ACME 2026-10 was settled by RS-00001 on 2026-12-01",
        lambda s: rebates.settle_rebates(session=s, period="2026-10", customer="ACME"),
    )


def test_many_customers_skip_the_settled_and_the_other_kinds(seeded, uow, make_order, monkeypatch):
    add(uow)
    add(uow, customer="BRIGHT", period="quarter")
    invoice(uow, make_order, "2026-10-05")
    invoice(uow, make_order, "2026-10-06", customer="NORD")
    add(uow, customer="NORD")
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    settle(uow, customer="ACME")
    result = settle(uow)
    assert [r["customer"] for r in result["settled"]] == ["NORD"]
    assert result["skipped"] == [
        {
            "customer": "ACME",
            "agreement": "RA-00001",
            "reason": "ACME 2026-10 was settled by RS-00001 on 2026-12-01",
        },
        {
            "customer": "BRIGHT",
            "agreement": "RA-00002",
            "reason": "BRIGHT's agreement RA-00002 is settled by quarter, not by month",
        },
    ]


def test_a_dry_run_shows_the_settlement_and_writes_nothing(
    seeded, uow, make_order, monkeypatch, unchanged
):
    add(uow)
    invoice(uow, make_order, "2026-10-05")
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    with unchanged():
        dry = settle(uow, dry_run=True)
    assert dry["dry_run"] is True
    real = settle(uow)
    assert dry["settled"] == real["settled"]
    with uow(write=False) as session:
        assert session.get(NumberSeries, "rebate_settlement").next_value == 2
        assert len(session.exec(select(RebateSettlement)).all()) == 1


def test_a_refund_settlement_pays_back_a_paid_invoices_rebate(
    seeded, uow, make_order, monkeypatch, ledger_ok
):
    add(uow)
    paid = invoice(uow, make_order, "2026-10-05")
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=Decimal("2327.64"),
            invoices=[(paid, None)],
            received_on=date(2026, 10, 5),
        )
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    settle(uow, settlement="refund")
    with uow(write=False) as session:
        view = credit_memo_view(session, session.exec(select(CreditMemo)).one())
    assert (view["settlement"], view["refunded"]) == ("refund", Decimal("46.55"))
    ledger_ok()


@pytest.mark.parametrize(
    ("period", "error", "message"),
    [
        ("2026-11", RuleViolation, "2026-11 ends 2026-11-30: settle it from 2026-12-01"),
        (
            "2026-Q5",
            InvalidInput,
            "period '2026-Q5' is not a month, quarter or year: write 2026-11, 2026-Q4 or 2026",
        ),
        (
            "26-10",
            InvalidInput,
            "period '26-10' is not a month, quarter or year: write 2026-11, 2026-Q4 or 2026",
        ),
        (
            "2026-8",
            InvalidInput,
            "period '2026-8' is not a month, quarter or year: write 2026-11, 2026-Q4 or 2026",
        ),
    ],
)
def test_a_period_must_be_written_well_and_over(seeded, uow, refused, period, error, message):
    add(uow)
    refused(error, message, lambda s: rebates.settle_rebates(session=s, period=period))


def test_a_customers_period_before_its_agreement_or_of_another_kind_is_refused(
    seeded, uow, refused
):
    add(uow, valid_from="2026-10-01")
    refused(
        RuleViolation,
        "ACME's agreement RA-00001 starts on 2026-10-01, after 2026-09",
        lambda s: rebates.settle_rebates(session=s, period="2026-09", customer="ACME"),
    )
    refused(
        RuleViolation,
        "ACME's agreement RA-00001 is settled by month, not by quarter",
        lambda s: rebates.settle_rebates(session=s, period="2026-Q3", customer="ACME"),
    )
    refused(
        RuleViolation,
        "BRIGHT has no rebate agreement",
        lambda s: rebates.settle_rebates(session=s, period="2026-10", customer="BRIGHT"),
    )
    refused(
        InvalidInput,
        "rebate settlement date 2026-11-21 is in the future (today is 2026-11-20)",
        lambda s: rebates.settle_rebates(
            session=s, period="2026-10", settle_date=date(2026, 11, 21)
        ),
    )


@pytest.mark.parametrize(
    ("tiers", "error", "message"),
    [
        ((), InvalidInput, "a rebate needs at least one --tier THRESHOLD=PCT"),
        (("1000=2", "1000=3"), InvalidInput, "two tiers share the threshold 1000.00"),
        (
            ("1000=3", "5000=2"),
            InvalidInput,
            "the tier from 5000.00 gives 2% but the lower one from 1000.00 gives 3%: "
            "a higher threshold must not lower the rate",
        ),
        (("1000=0",), InvalidInput, "tier rate 0 must be greater than 0"),
        (("1000=101",), InvalidInput, "tier rate '101' must be between 0 and 100"),
        (("1000",), InvalidInput, "tier '1000' must be THRESHOLD=PCT, e.g. 10000=2"),
    ],
)
def test_tiers_are_checked(seeded, uow, refused, tiers, error, message):
    refused(
        error,
        message,
        lambda s: agreements.add_agreement(
            session=s, customer_code="ACME", period="month", tiers=list(tiers)
        ),
    )


def test_one_agreement_at_a_time_and_ending_one_makes_room(seeded, uow, refused, events_of):
    add(uow)
    refused(
        RuleViolation,
        "ACME already has rebate agreement RA-00001 from 2026-09-01: one agreement at a time",
        lambda s: agreements.add_agreement(
            session=s, customer_code="ACME", period="year", tiers=["0=1"]
        ),
    )
    refused(
        RuleViolation,
        "rebate agreement RA-00001 starts on 2026-09-01: it cannot end before that, on 2026-08-31",
        lambda s: agreements.end_agreement(
            session=s, number="RA-00001", valid_to=date(2026, 8, 31)
        ),
    )
    with uow() as session:
        agreements.end_agreement(session=session, number="ra-00001", valid_to=date(2026, 10, 31))
    refused(
        RuleViolation,
        "rebate agreement RA-00001 already ended on 2026-10-31",
        lambda s: agreements.end_agreement(session=s, number="RA-00001"),
    )
    assert add(uow, period="quarter", valid_from="2026-11-01") == "RA-00002"
    assert events_of("RA-00001")[-1] == ("ended", "rebate agreement RA-00001 ends on 2026-10-31")
    # Ended: it has no current period; the new one has.
    assert [(s["agreement"], s["period"]) for s in status(uow)] == [("RA-00002", "2026-Q4")]


def test_an_inactive_or_unknown_customer_gets_no_agreement(seeded, uow, refused):
    with uow() as session:
        customers.set_customer_active(session=session, code="NORD", active=False)
    refused(
        RuleViolation,
        "customer NORD is inactive",
        lambda s: agreements.add_agreement(
            session=s, customer_code="NORD", period="month", tiers=["0=1"]
        ),
    )
    with pytest.raises(NotFound):
        with uow() as session:
            agreements.add_agreement(
                session=session, customer_code="NOBODY", period="month", tiers=["0=1"]
            )
    refused(
        InvalidInput,
        "rebate period 'week' must be month, quarter or year",
        lambda s: agreements.add_agreement(
            session=s, customer_code="ACME", period="week", tiers=["0=1"]
        ),
    )


def test_check_finds_a_settlement_its_memos_do_not_add_up_to(seeded, uow, make_order, monkeypatch):
    from sqlalchemy import text

    from ordercli.books.checks import run_checks

    add(uow)
    invoice(uow, make_order, "2026-10-05")
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    settle(uow)
    with uow() as session:
        session.connection().execute(text("UPDATE rebate_settlement SET amount = amount + 1"))
    with uow(write=False) as session:
        problems = run_checks(session=session)["problems"]
    assert problems == [
        {
            "rule": "20",
            "check": "each rebate settlement's credit memos add up to its amount",
            "problem": "rebate settlement RS-00001 is 39.13, its credit memos credit 39.12",
        }
    ]
