"""Payment schedules (SPEC rule 20) for any total and any valid split:

- the schedule sums to the total to the cent, no amount is negative, due dates never
  go back, and each instalment falls its split's days after the issue date;
- a split written as ``PCT@DAYS`` text reads back as the same split;
- what is open of each instalment (settlements cover them in due order) adds up to
  ``max(total - settled, 0)`` and never exceeds an instalment's amount, and nothing
  of an instalment is settled before every earlier one is settled whole;
- on a ledger, invoices issued on random split terms and paid in random parts on
  random days: on every day aging (each instalment bucketed by its own due date) totals
  the receivable account, and the SQL's open part of each instalment is the domain's.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select as sa_select
from sqlmodel import select

from ordercli.books import journal
from ordercli.db.engine import unit_of_work
from ordercli.domain.money import PCT_WHOLE, pct_text
from ordercli.domain.terms import Split, Terms, open_parts, parse_splits, schedule
from ordercli.models import Invoice, InvoiceInstalment
from ordercli.reports import receivables
from ordercli.services.parties.payment_terms import add_terms
from ordercli.services.sales.invoicing import create_invoice
from ordercli.services.sales.ordering import add_order_line, confirm_order, new_order
from ordercli.services.settlement.payments import record_payment

TODAY = date(2026, 9, 30)
START = date(2026, 1, 5)


@st.composite
def splits(draw, max_parts: int = 6) -> tuple[Split, ...]:
    """A valid split: positive shares (ten-thousandths of a percent) summing to 100 %,
    on strictly later days."""
    count = draw(st.integers(1, max_parts))
    cuts = sorted(
        draw(st.sets(st.integers(1, PCT_WHOLE - 1), min_size=count - 1, max_size=count - 1))
    )
    bounds = [0, *cuts, PCT_WHOLE]
    shares = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    days = sorted(draw(st.sets(st.integers(0, 3660), min_size=count, max_size=count)))
    return tuple(Split(pct, day) for pct, day in zip(shares, days, strict=True))


totals = st.integers(0, 10**13)
issue_dates = st.dates(date(2000, 1, 1), date(2090, 12, 31))


@given(total=totals, parts=splits(), issued=issue_dates)
def test_a_schedule_sums_to_its_total(total, parts, issued):
    terms = Terms(code="T", days=parts[-1].days, splits=parts)
    items = schedule(total, issued, terms)
    assert sum(item.amount for item in items) == total
    assert all(item.amount >= 0 for item in items)
    dues = [item.due_date for item in items]
    assert dues == sorted(dues)
    assert dues == [issued + timedelta(days=split.days) for split in parts]
    assert [item.position for item in items] == list(range(1, len(parts) + 1))
    # Every instalment but the last is its share rounded half-up.
    for item, split in zip(items[:-1], parts[:-1], strict=True):
        assert abs(item.amount * PCT_WHOLE - total * split.pct) <= PCT_WHOLE


@given(total=totals, issued=issue_dates, days=st.integers(0, 3660))
def test_without_a_split_one_instalment_on_the_net_days(total, issued, days):
    (item,) = schedule(total, issued, Terms(code="", days=days))
    assert (item.amount, item.due_date) == (total, issued + timedelta(days=days))


@given(parts=splits())
def test_split_text_reads_back(parts):
    texts = [f"{pct_text(split.pct)}@{split.days}" for split in parts]
    assert parse_splits(texts) == parts
    assert parse_splits([",".join(texts)]) == parts


@given(
    amounts=st.lists(st.integers(0, 10**12), min_size=1, max_size=8),
    settled=st.integers(0, 10**13),
)
def test_open_parts_cover_instalments_in_due_order(amounts, settled):
    parts = open_parts(amounts, settled)
    assert sum(parts) == max(sum(amounts) - settled, 0)
    assert all(0 <= part <= amount for part, amount in zip(parts, amounts, strict=True))
    for index, (part, amount) in enumerate(zip(parts, amounts, strict=True)):
        if part < amount:  # something of it settled: every earlier one is settled whole
            assert all(p == 0 for p in parts[:index])
        if part > 0:  # something of it open: every later one is open whole
            assert parts[index + 1 :] == amounts[index + 1 :]


# --- on a ledger ---------------------------------------------------------------------

SETTINGS = settings(
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def fixed_today():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORDERCLI_TODAY", TODAY.isoformat())
        yield


ledger_splits = st.lists(st.integers(1, 40), min_size=1, max_size=4, unique=True).map(sorted)
invoices = st.lists(
    st.tuples(
        st.integers(0, 20),  # days after the one before
        ledger_splits,  # due days of equal-ish shares
        st.sampled_from(["DESK-OAK", "LAMP-LED", "INSTALL"]),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=3,
)
payments = st.lists(
    st.tuples(st.integers(0, 25), st.integers(1, 120)), min_size=0, max_size=4
)  # (days on, percent of what is owed; above 100 leaves credit)


def _terms_texts(days: list[int]) -> list[str]:
    share = PCT_WHOLE // len(days)
    pcts = [share] * (len(days) - 1) + [PCT_WHOLE - share * (len(days) - 1)]
    return [f"{pct_text(p)}@{d}" for p, d in zip(pcts, days, strict=True)]


def _open_by_sql(session, as_of: date) -> dict[int, list[int]]:
    parts = receivables.open_instalments(receivables.receivable_balances(session, as_of))
    found: dict[int, list[int]] = {}
    for invoice_id, _, amount in session.execute(
        sa_select(parts.c.invoice_id, parts.c.due_date, parts.c.open).order_by(
            parts.c.invoice_id, parts.c.due_date
        )
    ):
        found.setdefault(invoice_id, []).append(amount)
    return found


@SETTINGS
@given(plan=invoices, money=payments)
def test_aging_by_instalment_totals_the_receivable_on_every_day(ledger_kit, plan, money):
    on = START
    days = {TODAY}
    with ledger_kit.ledger() as engine:
        for index, (gap, due_days, sku, qty) in enumerate(plan):
            on += timedelta(days=gap)
            with unit_of_work(engine) as session:
                add_terms(
                    session=session,
                    code=f"T{index}",
                    days=str(due_days[-1]),
                    splits=_terms_texts(due_days),
                )
                number = new_order(
                    session=session, customer_code="ACME", order_date=on, terms=f"T{index}"
                ).number
                add_order_line(session=session, number=number, sku=sku, qty=Decimal(qty))
                confirm_order(session=session, number=number, override_credit="test")
                create_invoice(session=session, order_number=number, issue_date=on)
            days |= {on + timedelta(days=d) for d in (-1, 0, *due_days)}
        for gap, percent in money:
            on += timedelta(days=gap)
            if on > TODAY:
                break
            with unit_of_work(engine) as session:
                owed = sum(i.balance for i in session.exec(select(Invoice)))
                amount = max(owed * percent // 100, 1)
                record_payment(
                    session=session,
                    customer_code="ACME",
                    amount=Decimal(amount).scaleb(-2),
                    received_on=on,
                )
            days |= {on - timedelta(days=1), on}
        with unit_of_work(engine, write=False) as session:
            schedules: dict[int, list[int]] = {}
            for item in session.exec(
                select(InvoiceInstalment).order_by(
                    InvoiceInstalment.invoice_id, InvoiceInstalment.position
                )
            ):
                schedules.setdefault(item.invoice_id, []).append(item.amount)
            totals = {i.id: i.total for i in session.exec(select(Invoice))}
            for invoice_id, amounts in schedules.items():
                assert sum(amounts) == totals[invoice_id]
            for day in sorted(days):
                report = receivables.aging(session=session, as_of=day)
                trial = journal.trial_balance(session=session, as_of=day)
                wanted = next(a["balance"] for a in trial["accounts"] if a["role"] == "receivable")
                assert report["totals"]["total"] == wanted, day
                of_day = receivables.receivable_balances(session, day)
                balances = dict(
                    session.execute(sa_select(of_day.c.invoice_id, of_day.c.balance)).all()
                )
                by_sql = _open_by_sql(session, day)
                for invoice_id, amounts in schedules.items():
                    balance = balances.get(invoice_id, 0)
                    if balance == 0:
                        assert invoice_id not in by_sql
                        continue
                    settled = totals[invoice_id] - balance
                    assert by_sql[invoice_id] == open_parts(amounts, settled), (day, invoice_id)
