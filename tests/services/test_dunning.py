"""Dunning (SPEC ``collections``, rule 20): levels, the worklist, runs with their fees,
interest and charge invoices, credit holds; every refusal changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from ordercli.books.checks import run_checks
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import (
    Customer,
    DunningNotice,
    DunningNoticeItem,
    InvoiceInstalment,
    InvoiceLine,
    JournalEntry,
    JournalLine,
)
from ordercli.reports.collections import worklist
from ordercli.services.parties import payment_terms
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import (
    credit_holds,
    dunning,
    dunning_levels,
    dunning_notices,
    payments,
)
from ordercli.services.settlement.dunning_levels import LevelChange

ISSUED = date(2026, 9, 1)  # ACME's terms: 30 days, so due 2026-10-01


@pytest.fixture(autouse=True)
def december(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-12-31")


def usual_levels(uow) -> None:
    with uow() as session:
        for change in (
            LevelChange(1, 7, "Reminder"),
            LevelChange(2, 21, "Second reminder", fee=Decimal("5")),
            LevelChange(3, 35, "Final notice", Decimal("10"), Decimal("8"), True),
        ):
            dunning_levels.set_level(session=session, change=change)


def run(uow, on: str, customer=None, dry_run=False) -> dunning.Run:
    with uow() as session:
        return dunning.run_collections(
            session=session, on=date.fromisoformat(on), customer=customer, dry_run=dry_run
        )


def checked(uow) -> None:
    with uow(write=False) as session:
        report = run_checks(session=session)
    assert report["ok"], report["problems"]


@pytest.fixture
def acme(invoiced, uow):
    """INV-00001 to ACME: 1 × DESK-OAK (489.00 + 19 %) = 581.91, due 2026-10-01."""
    invoiced("ACME", issue_date=ISSUED)
    usual_levels(uow)


# --- levels ---------------------------------------------------------------------------


def test_levels_are_set_changed_listed_and_removed(seeded, uow, events_of):
    usual_levels(uow)
    with uow() as session:
        dunning_levels.set_level(session=session, change=LevelChange(2, fee=Decimal("7.50")))
        rows = dunning_levels.list_levels(session=session)
    assert [(r.level, r.days_overdue, r.fee, r.credit_hold) for r in rows] == [
        (1, 7, 0, False),
        (2, 21, 750, False),
        (3, 35, 1000, True),
    ]
    assert events_of("2")[-1] == (
        "set",
        "dunning level 2 set: Second reminder at 21 days, fee 7.50",
    )
    with uow() as session:
        dunning_levels.remove_level(session=session, level=2)
        assert [r.level for r in dunning_levels.list_levels(session=session)] == [1, 3]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (LevelChange(4, days=9), InvalidInput, "level 4 is new: give its --days and --name"),
        (
            LevelChange(4, 30, "Too soon"),
            RuleViolation,
            "level 4 at 30 days would not come after level 3 at 35 days: a higher level "
            "needs more days",
        ),
        (
            LevelChange(2, days=7),
            RuleViolation,
            "level 2 at 7 days would not come after level 1 at 7 days: a higher level needs "
            "more days",
        ),
        (LevelChange(0, 3, "Zero"), InvalidInput, "level 0 must be between 1 and 9"),
        (LevelChange(10, 99, "Ten"), InvalidInput, "level 10 must be between 1 and 9"),
        (
            LevelChange(4, 0, "None"),
            InvalidInput,
            "--days 0 must be between 1 and 3660 (days past the due date)",
        ),
        (LevelChange(4, 40, "  "), InvalidInput, "--name must not be empty"),
        (LevelChange(1, fee=Decimal(-1)), InvalidInput, "--fee -1 must not be negative"),
        (
            LevelChange(1, interest=Decimal(101)),
            InvalidInput,
            "--interest 101 must be between 0 and 100 (% a year)",
        ),
        (LevelChange(1), InvalidInput, "nothing to change on level 1"),
        (
            LevelChange(1, template="../x.html"),
            InvalidInput,
            "--template '../x.html' must be a file name, not a path",
        ),
        (
            LevelChange(1, template="x.txt"),
            InvalidInput,
            "--template 'x.txt' must be an HTML template (.html)",
        ),
        (
            LevelChange(1, template=" "),
            InvalidInput,
            "--template needs a template file name, e.g. final_notice.html",
        ),
    ],
)
def test_level_refusals_change_nothing(seeded, uow, refused, change, error, message):
    usual_levels(uow)
    refused(error, message, lambda s: dunning_levels.set_level(session=s, change=change))


def test_a_level_template_is_a_name_and_default_goes_back(seeded, uow):
    usual_levels(uow)
    with uow() as session:
        row = dunning_levels.set_level(
            session=session, change=LevelChange(3, template="final.html")
        )
        assert row.template == "final.html"
        row = dunning_levels.set_level(session=session, change=LevelChange(3, template="default"))
        assert row.template is None


def test_removing_an_unknown_level_is_not_found(seeded, uow, refused):
    usual_levels(uow)
    error = refused(
        NotFound, "no dunning level 5", lambda s: dunning_levels.remove_level(session=s, level=5)
    )
    assert error.hint == "levels set: 1, 2, 3"


def test_a_run_without_levels_shows_the_usual_three(invoiced, uow, refused):
    invoiced("ACME", issue_date=ISSUED)
    error = refused(
        RuleViolation,
        "no dunning levels are set",
        lambda s: dunning.run_collections(session=s, on=date(2026, 12, 1)),
    )
    assert "--set 1 --days 7 --name Reminder" in error.hint
    assert '--set 3 --days 35 --name "Final notice"' in error.hint


# --- runs -----------------------------------------------------------------------------


def test_each_level_once_in_turn_and_nothing_twice(acme, uow):
    assert run(uow, "2026-10-07").notices == []  # six days overdue: no level yet
    [first] = run(uow, "2026-10-08").notices
    assert (first.number, first.level, first.fee, first.charge) == ("DUN-00001", 1, 0, None)
    assert [(i.invoice, i.days_overdue, i.level) for i in first.items] == [("INV-00001", 7, 1)]
    assert run(uow, "2026-10-08").notices == []  # the same day again: nothing new
    assert run(uow, "2026-10-21").notices == []  # level 1 had; level 2 needs 21 days
    [second] = run(uow, "2026-10-22").notices
    assert (second.number, second.level, second.fee) == ("DUN-00002", 2, 500)
    assert second.charge is not None and second.charge.number == "INV-00002"
    [third] = run(uow, "2026-11-05").notices
    assert (third.level, third.final, third.holds) == (3, True, True)
    # The highest level is sent once; the charge invoices (INV-00002, INV-00003) are
    # overdue by now but earn no notice of their own.
    assert run(uow, "2026-12-31").notices == []
    with uow(write=False) as session:
        report = worklist(session=session)
    # 581.91, the fee of 5.00 and, at level 3, 10.00 + 581.91 × 8 % × 35 / 365 = 4.46
    assert report["customers"][0]["overdue"] == Decimal("581.91") + Decimal("5.00") + Decimal(
        "14.46"
    )
    with uow(write=False) as session:
        items = session.exec(select(DunningNoticeItem).order_by(col(DunningNoticeItem.id))).all()
    assert [(i.level, i.days_overdue) for i in items] == [(1, 7), (2, 21), (3, 35)]
    checked(uow)


def test_a_long_overdue_instalment_gets_the_highest_level_reached_at_once(acme, uow):
    [notice] = run(uow, "2026-11-10").notices  # 40 days overdue, never reminded
    assert notice.level == 3 and [i.level for i in notice.items] == [3]
    # The levels passed on the way are not sent afterwards.
    assert run(uow, "2026-11-11").notices == []
    checked(uow)


def test_interest_fee_and_the_charge_invoice(acme, uow):
    [notice] = run(uow, "2026-11-10").notices
    # 581.91 × 8 % × 40 / 365 = 5.1017 → 5.10, half-up.
    assert (notice.fee, notice.interest, notice.items[0].interest_days) == (1000, 510, 40)
    assert notice.charge is not None
    with uow(write=False) as session:
        invoice = invoicing.get_invoice(session=session, number=notice.charge.number)
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
        [instalment] = session.exec(
            select(InvoiceInstalment).where(InvoiceInstalment.invoice_id == invoice.id)
        ).all()
        entry = session.exec(
            select(JournalEntry).where(JournalEntry.source_number == invoice.number)
        ).one()
        postings = session.exec(select(JournalLine).where(JournalLine.entry_id == entry.id)).all()
        order = ordering.get_order(session=session, number="SO-00001")
    assert (invoice.kind, invoice.total, invoice.tax, invoice.order_id) == (
        "charge",
        1510,
        0,
        order.id,
    )
    assert invoice.chain_hash is not None
    assert [
        (ln.sku, ln.qty, ln.net, ln.tax_rate, ln.order_line_id, ln.product_id) for ln in lines
    ] == [
        ("DUNNING-FEE", 1000, 1000, 0, None, None),
        ("INTEREST", 1000, 510, 0, None, None),
    ]
    assert "DUN-00001" in lines[0].description and "INV-00001" in lines[1].description
    # ACME's terms are 30 days: the charge is due 30 days after the notice.
    assert (instalment.due_date, instalment.amount) == (date(2026, 12, 10), 1510)
    assert invoice.due_date == date(2026, 12, 10)
    # both sides name the charge invoice (as a deposit's advances posting names its own)
    assert sorted((p.debit, p.credit, p.invoice_id is not None) for p in postings) == [
        (0, 1510, True),
        (1510, 0, True),
    ]
    checked(uow)


def test_interest_is_not_charged_twice_for_the_same_days(invoiced, uow):
    invoiced("ACME", issue_date=ISSUED)
    with uow() as session:
        for change in (
            LevelChange(1, 7, "Reminder", interest=Decimal("10")),
            LevelChange(2, 21, "Second", interest=Decimal("10")),
        ):
            dunning_levels.set_level(session=session, change=change)
    [first] = run(uow, "2026-10-08").notices
    [second] = run(uow, "2026-10-22").notices
    assert [i.interest_days for i in first.items] == [7]
    assert [i.interest_days for i in second.items] == [14]  # from the first notice on
    # 581.91 × 10 % × 7 / 365 = 1.116 → 1.12; × 14 / 365 = 2.232 → 2.23
    assert (first.interest, second.interest) == (112, 223)
    checked(uow)


def test_one_notice_per_customer_at_the_highest_level_of_its_items(invoiced, uow):
    invoiced("ACME", issue_date=ISSUED)  # due 2026-10-01
    invoiced("ACME", issue_date=date(2026, 10, 20))  # due 2026-11-19
    invoiced("CAFE", issue_date=date(2026, 10, 20))  # CAFE: due on receipt
    usual_levels(uow)
    notices = run(uow, "2026-11-26").notices
    assert [(n.customer, n.level, [(i.invoice, i.level) for i in n.items]) for n in notices] == [
        ("ACME", 3, [("INV-00001", 3), ("INV-00002", 1)]),
        ("CAFE", 3, [("INV-00003", 3)]),
    ]
    # The charge invoice belongs to the order of the oldest overdue invoice.
    assert notices[0].order_number == "SO-00001"
    checked(uow)


def test_instalments_by_due_order_and_what_payments_cover(invoiced, make_order, uow):
    with uow() as session:
        payment_terms.add_terms(session=session, code="HALF", days=30, splits=["50@0", "50@30"])
    order = make_order("ACME", [("DESK-OAK", "2")], order_date=ISSUED)
    with uow() as session:
        invoicing.create_invoice(
            session=session, order_number=order, issue_date=ISSUED, terms="HALF"
        )  # 1163.82: 581.91 due 09-01, 581.91 due 10-01
    usual_levels(uow)
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=Decimal("600"),
            invoices=[("INV-00001", None)],
            received_on=date(2026, 9, 5),
        )
    # The payment covers the first instalment and 18.09 of the second.
    [notice] = run(uow, "2026-10-08").notices
    assert [(i.position, i.open, i.level) for i in notice.items] == [(2, 56382, 1)]
    with uow(write=False) as session:
        report = worklist(session=session, as_of=date(2026, 9, 4))
    # Before the payment, the first instalment was overdue whole.
    [row] = report["customers"]
    assert (row["overdue"], row["oldest_due_date"], row["next_step"]) == (
        Decimal("581.91"),
        date(2026, 9, 1),
        "level 1 (Reminder) on 2026-09-08",
    )
    checked(uow)


def test_a_dry_run_plans_the_same_and_writes_nothing(acme, uow, unchanged):
    with unchanged():
        planned = run(uow, "2026-11-10", dry_run=True).notices
    [written] = run(uow, "2026-11-10").notices
    assert [(n.customer, n.level, n.fee, n.interest) for n in planned] == [
        (written.customer, written.level, written.fee, written.interest)
    ]
    assert planned[0].number is None


def test_paid_invoices_and_other_customers_are_left_alone(acme, invoiced, uow):
    invoiced("CAFE", issue_date=ISSUED)
    with uow() as session:
        payments.record_payment(
            session=session, customer_code="ACME", amount=Decimal("581.91"), received_on=ISSUED
        )
    assert [n.customer for n in run(uow, "2026-11-10", customer="ACME").notices] == []
    assert [n.customer for n in run(uow, "2026-11-10").notices] == ["CAFE"]


@pytest.mark.parametrize(
    ("on", "error", "message"),
    [
        (
            "2027-01-01",
            InvalidInput,
            "dunning notice date 2027-01-01 is in the future (today is 2026-12-31)",
        ),
        (
            "2026-11-01",
            RuleViolation,
            "dunning notice dated 2026-11-01 cannot come after DUN-00001, dated 2026-11-10: "
            "a later number never carries an earlier date",
        ),
    ],
)
def test_dates_of_a_run(acme, invoiced, uow, refused, on, error, message):
    invoiced("CAFE", issue_date=ISSUED)
    run(uow, "2026-11-10", customer="ACME")
    refused(error, message, lambda s: dunning.run_collections(session=s, on=date.fromisoformat(on)))


# --- credit hold ------------------------------------------------------------------------


def test_a_final_notice_holds_credit_until_released(acme, uow, refused, events_of, make_order):
    order = make_order("ACME", [("DESK-OAK", "1")], confirm=False)
    [notice] = run(uow, "2026-11-10").notices
    reason = "Final notice DUN-00001 of 2026-11-10 (level 3)"
    with uow(write=False) as session:
        assert ordering.get_order(session=session, number=order).customer_id
        customer = session.exec(select(Customer).where(Customer.code == "ACME")).one()
        assert customer.credit_hold == reason
    error = refused(
        RuleViolation,
        f"cannot confirm {order}: customer ACME is on credit hold: {reason}",
        lambda s: ordering.confirm_order(session=s, number=order),
    )
    assert "--override-credit REASON" in error.hint
    with uow() as session:
        ordering.confirm_order(session=session, number=order, override_credit="pays cash")
    assert events_of(order)[-2][0] == "credit_override"
    assert "credit hold overridden" in events_of(order)[-2][1]
    with uow() as session:
        credit_holds.release_credit_hold(session=session, customer="ACME", reason="paid by phone")
    assert events_of("ACME")[-1] == (
        "credit_hold_released",
        f"credit hold released ({reason}); reason: paid by phone",
    )
    refused(
        RuleViolation,
        "customer ACME is not on credit hold",
        lambda s: credit_holds.release_credit_hold(session=s, customer="ACME", reason="again"),
    )
    refused(
        InvalidInput,
        "--reason must not be empty",
        lambda s: credit_holds.release_credit_hold(session=s, customer="ACME", reason=" "),
    )


def test_a_hold_already_in_place_keeps_its_reason(acme, uow):
    with uow() as session:
        customer = session.exec(select(Customer).where(Customer.code == "ACME")).one()
        customer.credit_hold = "by hand"
        session.add(customer)
    [notice] = run(uow, "2026-11-10").notices
    assert notice.hold_reason is None
    with uow(write=False) as session:
        assert (
            session.exec(select(Customer.credit_hold).where(Customer.code == "ACME")).one()
            == "by hand"
        )


# --- the worklist and recorded notices ---------------------------------------------------


def test_the_worklist_names_the_last_notice_and_the_next_step(acme, invoiced, uow):
    invoiced("CAFE", issue_date=date(2026, 10, 25))
    run(uow, "2026-10-08")
    with uow(write=False) as session:
        report = worklist(session=session, as_of=date(2026, 10, 20))
    assert [
        (c["customer"], c["days_overdue"], c["last_notice"], c["next_step"])
        for c in report["customers"]
    ] == [
        (
            "ACME",
            19,
            {"number": "DUN-00001", "level": 1, "date": date(2026, 10, 8)},
            "level 2 (Second reminder) on 2026-10-22",
        )
    ]
    with uow(write=False) as session:
        report = worklist(session=session)
    assert [(c["customer"], c["next_step"]) for c in report["customers"]] == [
        ("ACME", "level 3 (Final notice) now"),
        ("CAFE", "level 3 (Final notice) now"),
    ]
    assert report["totals"]["overdue"] == Decimal("1163.82")


def test_a_recorded_notice_reads_back_as_it_was_run(acme, uow):
    [notice] = run(uow, "2026-11-10").notices
    with uow(write=False) as session:
        found = dunning_notices.get_notice(session=session, number="dun-00001")
        [again] = dunning_notices.stored(session, [found])
        unsent = dunning_notices.unsent(session=session, on=date(2026, 11, 10))
    assert [n.number for n in unsent] == ["DUN-00001"]
    assert (again.level, again.fee, again.interest, again.charge) == (
        notice.level,
        notice.fee,
        notice.interest,
        notice.charge,
    )
    assert [(i.invoice, i.open, i.level) for i in again.items] == [
        (i.invoice, i.open, i.level) for i in notice.items
    ]


def test_an_unknown_notice_is_not_found(seeded, uow):
    with uow(write=False) as session, pytest.raises(NotFound, match="no dunning notice DUN-09999"):
        dunning_notices.get_notice(session=session, number="DUN-09999")


# --- invariants ---------------------------------------------------------------------------


@pytest.fixture
def fresh_ledgers(ledger_templates, tmp_path_factory):
    """A new seeded ledger per call, for a property test's examples (SQLite files)."""
    import shutil

    from ordercli.db.engine import open_ledger, resolve_location, unit_of_work

    folder = tmp_path_factory.mktemp("dunning-examples")
    made = []

    def make():
        path = folder / f"ledger-{len(made)}.db"
        shutil.copyfile(ledger_templates["seeded"], path)
        engine = open_ledger(resolve_location(str(path)))
        made.append(engine)
        return lambda write=True: unit_of_work(engine, write=write)

    return make


@pytest.mark.sqlite_only("each example copies a ledger file")
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=20),
            st.sampled_from(["run", "run", "pay", "level"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_no_level_twice_and_never_ahead_of_due_date_and_days(fresh_ledgers, steps):
    """Runs on increasing days, with payments and level changes in between: no
    instalment gets a level twice, none before its due date and its level's days (as
    they stood when it was sent), and ``check`` stays clean."""
    from ordercli.services.settlement.dunning_levels import list_levels

    uow = fresh_ledgers()
    with uow() as session:
        payment_terms.add_terms(
            session=session, code="THIRDS", days=20, splits=["40@0", "30@10", "30@20"]
        )
        order = ordering.new_order(session=session, customer_code="ACME", order_date=ISSUED)
        ordering.add_order_line(
            session=session, number=order.number, sku="DESK-OAK", qty=Decimal(2)
        )
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        invoicing.create_invoice(
            session=session, order_number=order.number, issue_date=ISSUED, terms="THIRDS"
        )
    usual_levels(uow)
    day = ISSUED
    levels_then: dict[str, dict[int, int]] = {}  # per notice, each level's days as they stood
    for gap, action in steps:
        day += timedelta(days=gap)
        if action == "run":
            for notice in run(uow, day.isoformat()).notices:
                with uow(write=False) as session:
                    levels_then[notice.number or ""] = {
                        r.level: r.days_overdue for r in list_levels(session=session)
                    }
        elif action == "pay":
            with uow() as session:
                payments.record_payment(
                    session=session, customer_code="ACME", amount=Decimal("150"), received_on=day
                )
        else:
            level = 1 + gap % 3
            days = {1: 1, 2: 8, 3: 22}[level] + 3 * gap
            try:
                with uow() as session:
                    dunning_levels.set_level(session=session, change=LevelChange(level, days=days))
            except RuleViolation:
                pass  # days that would not increase with the level: refused, nothing changed
    with uow(write=False) as session:
        rows = session.exec(
            select(DunningNoticeItem, DunningNotice.notice_date, DunningNotice.number).join(
                DunningNotice, col(DunningNotice.id) == DunningNoticeItem.notice_id
            )
        ).all()
    pairs = [(item.instalment_id, item.level) for item, _, _ in rows]
    assert len(pairs) == len(set(pairs))
    for item, dated, number in rows:
        assert item.days_overdue == (dated - item.due_date).days
        assert dated >= item.due_date + timedelta(days=levels_then[number][item.level])
    checked(uow)


def test_check_names_a_notice_ahead_of_its_days_and_a_wrong_charge(acme, uow):
    from sqlalchemy import text

    run(uow, "2026-11-10")
    with uow() as session:
        session.connection().execute(text("UPDATE dunning_notice_item SET days_overdue = 3"))
        session.connection().execute(text("UPDATE dunning_notice SET fee = 900"))
    with uow(write=False) as session:
        problems = [p["problem"] for p in run_checks(session=session)["problems"]]
    assert (
        "DUN-00001 of 2026-11-10 reminds of INV-00001 instalment 1 (due 2026-10-01) at level 3 "
        "after 3 day(s); the level needs 35" in problems
    )
    assert (
        "charge invoice INV-00002 of DUN-00001: total 15.10, the notice charges 14.10, its "
        "lines sum to 15.10" in problems
    )


def test_a_level_changed_after_a_notice_is_not_held_against_it(acme, uow):
    run(uow, "2026-11-10")
    with uow() as session:
        dunning_levels.set_level(session=session, change=LevelChange(3, days=60))
    checked(uow)


def test_the_worklist_without_levels_still_shows_what_is_overdue(invoiced, uow):
    invoiced("ACME", issue_date=ISSUED)
    with uow(write=False) as session:
        [row] = worklist(session=session, customer="ACME")["customers"]
    assert (row["overdue"], row["next_level"], row["next_step"]) == (
        Decimal("581.91"),
        None,
        "no dunning levels set",
    )
