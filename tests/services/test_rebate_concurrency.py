"""Volume rebates are settled once per customer and period even when two processes
settle the same period at the same moment (SPEC ``rebate``): the rebate series lock
serialises them and the unique key (agreement, period) is the last word."""

from __future__ import annotations

from datetime import date

import rebate_workers
import service_workers as workers
from sqlmodel import select

from ordercli.models import CreditMemo, RebateSettlement
from ordercli.services.sales import invoicing
from ordercli.services.settlement import rebate_agreements


def test_two_processes_settling_one_period_settle_it_once(
    seeded, uow, make_order, monkeypatch, ledger_ok
):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-11-20")
    with uow() as session:
        rebate_agreements.add_agreement(
            session=session,
            customer_code="ACME",
            period="month",
            tiers=["0=2"],
            valid_from=date(2026, 10, 1),
        )
    for day in (5, 6):
        number = make_order("ACME", [("DESK-OAK", "1")], order_date=date(2026, 10, day))
        with uow() as session:
            invoicing.create_invoice(
                session=session, order_number=number, issue_date=date(2026, 10, day)
            )
    # The children inherit the environment: both believe it is December.
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-01")
    url = seeded.url.render_as_string(hide_password=False)
    reports = workers.spawn_all(rebate_workers.settle_period, [(url, "2026-10")] * 2)
    outcomes = sorted(outcome for _, outcome, _ in reports)
    assert outcomes == [
        (
            "refused",
            "2026-10 is already settled: ACME 2026-10 was settled by RS-00001 on 2026-12-01",
        ),
        ("settled", ["RS-00001"]),
    ]
    with uow(write=False) as session:
        assert [s.number for s in session.exec(select(RebateSettlement))] == ["RS-00001"]
        assert len(session.exec(select(CreditMemo)).all()) == 2
    ledger_ok()
