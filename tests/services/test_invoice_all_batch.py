"""`invoice create --all` issues in batches exactly what invoicing order after order issues.

Both are ``issue_invoices`` (``services/sales/issuing.py``): ``invoice create ORDER`` a
batch of one, ``--all`` batches of up to ``BATCH`` orders. These tests hold the batching
itself to account: the same orders invoiced one at a time through ``create_invoice``
and all at once through ``invoice_all`` (in batches of 500, 3 or 2) must leave the same
ledger, row for row, ids and timestamps included: invoice numbers and their order, lines
and amounts, due dates, chain hashes, journal entries and lines, events, order line
counters and order statuses. The scenario holds what `--all` must take (partly invoiced,
partly shipped, services, discounts, tax at 19, 7 and 0 %, an order that invoices to
zero, payment terms from 0 to 60 days) and what it must leave (a draft, an order on
hold, a cancelled, a completed and a fully invoiced one). A Hypothesis test does the
same over random sets of orders, and spawned processes check that `--all` beside
concurrent single invoices issues every number once, in order.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from decimal import Decimal

import invoice_all_workers
import pytest
import service_workers
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlmodel import Session

from ordercli.books import checks, clock
from ordercli.db import engine as db
from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
from ordercli.domain.errors import InvalidInput, NotFound
from ordercli.models import Invoice, SalesOrder, metadata
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import fulfilment, invoicing, issuing, ordering

D = Decimal
# Imported by name, "conftest" could be tests/cli's when both folders are collected.
ON_POSTGRESQL = os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() == "postgresql"
TODAY = "2026-03-02"
FROZEN = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
EACH, BATCH = "each order", "batch"


def invoice_each_order(*, session, customer=None, issue_date=None, progress=None):
    """Every open order through ``create_invoice``, one at a time, as `invoice create ORDER`
    would one command after the other."""
    customer_id = None
    if customer is not None:
        customer_id = customers.get_customer(session=session, code=customer).id
    numbers = list(
        session.scalars(invoicing.open_orders(SalesOrder.number, customer_id=customer_id))
    )
    if progress is not None:
        progress.start(len(numbers))
    issued = []
    for number in numbers:
        issued.append(
            invoicing.create_invoice(session=session, order_number=number, issue_date=issue_date)
        )
        if progress is not None:
            progress.advance()
    return issued


PATHS = {EACH: invoice_each_order, BATCH: invoicing.invoice_all}


@pytest.fixture
def frozen_clock(monkeypatch):
    """Every ``clock.now()`` is one instant and ``clock.today()`` its day, so the two paths
    can differ in nothing, timestamps included."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return FROZEN if tz is not None else FROZEN.replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", Frozen)
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def ledger_rows(connection) -> dict[str, list[tuple]]:
    """Every row of every ledger table, by primary key."""
    return {
        table.name: [
            tuple(row)
            for row in connection.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in metadata.sorted_tables
    }


def assert_same_ledger(reference: dict, batch: dict) -> None:
    """Table by table, row by row, so a difference names its table and row."""
    assert reference.keys() == batch.keys()
    for name, rows in reference.items():
        for want, got in zip(rows, batch[name], strict=False):
            assert got == want, f"{name}: batch wrote {got}, each order {want}"
        assert len(batch[name]) == len(rows), f"{name}: {len(batch[name])} rows, not {len(rows)}"


def add_lines(session: Session, number: str, lines) -> None:
    """Lines as typed: ``(SKU, QTY)`` or ``(SKU, QTY, PRICE or None, DISCOUNT or None)``."""
    for sku, qty, price, discount in ((*spec, None, None)[:4] for spec in lines):
        ordering.add_order_line(
            session=session,
            number=number,
            sku=sku,
            qty=D(qty),
            price=price and D(price),
            discount=discount and D(discount),
        )


def issue(session: Session, path: str, **options) -> list[tuple[str, str]]:
    """``(invoice number, order number)`` of what ``path`` issued, in issue order."""
    issued = PATHS[path](session=session, **options)
    orders = dict(session.exec(select(SalesOrder.id, SalesOrder.number)).all())
    return [(invoice.number, orders[invoice.order_id]) for invoice in issued]


# --- the scenario ----------------------------------------------------------------------


def build_scenario(engine) -> None:
    """Orders in every state `--all` meets, each step a command of its own."""

    def run(action):
        with unit_of_work(engine) as session:
            return action(session)

    def order(customer, *lines, confirm=True):
        def make(session):
            number = ordering.new_order(session=session, customer_code=customer).number
            add_lines(session, number, lines)
            if confirm:
                ordering.confirm_order(session=session, number=number, override_credit="test")
            return number

        return run(make)

    def portions(*lines):
        return [(sku, D(qty)) for sku, qty in lines] or None

    def invoice(number, *lines):
        run(
            lambda s: invoicing.create_invoice(
                session=s, order_number=number, lines=portions(*lines)
            )
        )

    def ship(number, *lines):
        run(
            lambda s: fulfilment.create_shipment(
                session=s, order_number=number, lines=portions(*lines)
            )
        )

    run(
        lambda s: catalog.add_product(
            session=s, sku="BOOK", name="Office handbook", price=D("18.90"), stock=D(50)
        )
    )
    # SO-00001: partly invoiced and partly shipped, goods and a service.
    so = order("ACME", ("DESK-OAK", "4"), ("LAMP-LED", "2"), ("INSTALL", "3"))
    invoice(so, ("DESK-OAK", "2"))
    ship(so, ("DESK-OAK", "3"))
    # SO-00002: shipped whole, with discounts: invoicing it completes it.
    so = order("BRIGHT", ("LAMP-LED", "3", None, "12.5"), ("CHAIR-VISIT", "7", "79.90", "33.3333"))
    ship(so)
    # SO-00003: services only, no payment terms: invoicing delivers them and completes it.
    order("CAFE", ("INSTALL", "2.5"), ("DELIVERY", "1"))
    order("TOKYO", ("LAMP-LED", "1"), confirm=False)  # SO-00004: a draft
    so = order("MUELLER", ("CHAIR-ERGO", "2"))  # SO-00005: on hold
    run(lambda s: ordering.hold_order(session=s, number=so, reason="address check"))
    so = order("NORD", ("MAT-CHAIR", "2"))  # SO-00006: cancelled
    run(lambda s: ordering.cancel_order(session=s, number=so, reason="changed mind"))
    # SO-00007: 7 % and 0 % tax, fractional quantities, 60 days' terms.
    order("MADRID", ("COFFEE-KG", "2.5"), ("PLANT-FICUS", "1"), ("BOOK", "3"))
    invoice(order("ACME", ("CHAIR-ERGO", "1")))  # SO-00008: fully invoiced, not shipped
    so = order("ACME", ("CABLE-TRAY", "2"))  # SO-00009: completed
    ship(so)
    invoice(so)
    order("HOTEL", ("DESIGN", "2", None, "100"))  # SO-00010: invoices to zero
    # SO-00011: portions priced by rule 10 on their own; --all takes what is left.
    so = order("STUDIO", ("CHAIR-VISIT", "3", "0.05"), ("BOOK", "0.5", None, "10"))
    invoice(so, ("CHAIR-VISIT", "1"))
    invoice(so, ("CHAIR-VISIT", "1"))
    so = order("WIEN", ("MONITOR-ARM", "1"), ("DELIVERY", "1"))  # SO-00012: held, released
    run(lambda s: ordering.hold_order(session=s, number=so, reason="waiting for payment"))
    run(lambda s: ordering.release_order(session=s, number=so))
    # SO-00013: one line invoiced, the rest open, shipped in part: not completed.
    so = order("SCHOOL", ("WHITEBOARD", "2"), ("SHELF-WALL", "4"), ("MAT-CHAIR", "1"))
    invoice(so, ("WHITEBOARD", "2"))
    ship(so, ("SHELF-WALL", "1"))
    # SO-00014: shipped whole, invoiced in part, two lines of one product.
    so = order("DUBLIN", ("LAMP-LED", "2"), ("LAMP-LED", "5", "45.00"), ("DESIGN", "1.25"))
    ship(so)
    invoice(so, ("LAMP-LED", "3"))
    order("ACME", ("LAMP-LED", "1"), ("INSTALL", "0.5"))  # SO-00015


@pytest.fixture
def twins(scenario_template, tmp_path, request, frozen_clock):
    """Two ledgers holding the scenario, by the path that will invoice them."""
    template = scenario_template("invoice-all-batch", build_scenario)
    if ON_POSTGRESQL:
        pg = request.getfixturevalue("pg_ledgers")
        urls = [pg.take(template) for _ in PATHS]
    else:
        urls = []
        for path in PATHS:
            copy = tmp_path / f"{path.replace(' ', '-')}.db"
            shutil.copyfile(template, copy)
            urls.append(resolve_location(str(copy)))
    yield {path: open_ledger(url) for path, url in zip(PATHS, urls, strict=True)}
    for url in urls:
        db.forget_ledger(url)
        if ON_POSTGRESQL:
            pg.release(url)


def invoice_twins(twins, **options) -> dict[str, list[tuple[str, str]]]:
    issued = {}
    for path, engine in twins.items():
        with unit_of_work(engine) as session:
            issued[path] = issue(session, path, **options)
    with twins[EACH].connect() as reference, twins[BATCH].connect() as batch:
        assert_same_ledger(ledger_rows(reference), ledger_rows(batch))
    return issued


def test_batch_writes_the_ledger_invoicing_each_order_writes(twins, ledger_ok):
    acme = invoice_twins(twins, customer="ACME")
    assert acme[BATCH] == acme[EACH] == [("INV-00008", "SO-00001"), ("INV-00009", "SO-00015")]
    rest = invoice_twins(twins)
    assert rest[BATCH] == rest[EACH]
    assert rest[BATCH] == [
        (f"INV-{n:05d}", order)
        for n, order in enumerate(
            ["SO-00002", "SO-00003", "SO-00007", "SO-00010"]
            + ["SO-00011", "SO-00012", "SO-00013", "SO-00014"],
            start=10,
        )
    ]
    assert invoice_twins(twins) == {EACH: [], BATCH: []}
    for engine in twins.values():
        ledger_ok(engine)
    with unit_of_work(twins[BATCH], write=False) as session:
        statuses = dict(session.exec(select(SalesOrder.number, SalesOrder.status)).all())
        zero = session.scalars(select(Invoice).where(Invoice.order_id == 10)).one()
    # SO-00010 holds a service alone: invoicing it delivered it
    assert [n for n, s in sorted(statuses.items()) if s == "completed"] == [
        "SO-00002",
        "SO-00003",
        "SO-00009",
        "SO-00010",
        "SO-00014",
    ]
    assert (statuses["SO-00004"], statuses["SO-00005"], statuses["SO-00006"]) == (
        "draft",
        "on_hold",
        "cancelled",
    )
    assert (zero.number, zero.total) == ("INV-00013", 0)


def test_batches_continue_one_another(twins, monkeypatch):
    """Numbers and the hash chain run on from one batch into the next."""
    monkeypatch.setattr(issuing, "BATCH", 3)
    issued = invoice_twins(twins)
    assert issued[BATCH] == issued[EACH]
    assert len(issued[BATCH]) == 10


def test_unknown_customer_is_refused_and_changes_nothing(seeded, refused):
    refused(
        NotFound, "no customer 'NOPE'", lambda s: invoicing.invoice_all(session=s, customer="NOPE")
    )


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_customer_is_refused_not_read_as_everyone(seeded, refused, empty):
    """`--customer "$CODE"` with CODE unset must not invoice every customer's orders."""
    refused(
        InvalidInput,
        "customer code is empty",
        lambda s: invoicing.invoice_all(session=s, customer=empty),
    )


def test_progress_counts_every_order(twins):
    class Progress:
        def __init__(self):
            self.total, self.done = None, 0

        def start(self, total):
            self.total = total

        def advance(self, count=1):
            self.done += count

    progress = Progress()
    with unit_of_work(twins[BATCH]) as session:
        issued = invoicing.invoice_all(session=session, progress=progress)
    assert progress.total == progress.done == len(issued) == 10


def test_orders_already_loaded_in_the_session_are_read_afresh(twins):
    with unit_of_work(twins[BATCH]) as session:
        order = ordering.get_order(session=session, number="SO-00002")
        lines = ordering.order_lines(session=session, order=order)
        assert (order.status, lines[0].qty_invoiced) == ("confirmed", 0)
        invoicing.invoice_all(session=session, customer="BRIGHT")
        assert (order.status, lines[0].qty_invoiced) == ("completed", lines[0].qty)


# --- random sets of orders -------------------------------------------------------------

SKUS = ("LAMP-LED", "TEA-KG", "BOOK", "INSTALL", "CHAIR-VISIT")  # 19, 7 and 0 %; a service
SERVICES = {"INSTALL"}
CUSTOMERS = ("ACME", "CAFE", "MADRID", "BRIGHT")
STATES = (
    "draft",
    "confirmed",
    "on_hold",
    "released",
    "cancelled",
    "part_invoiced",
    "part_shipped",
    "shipped",
    "shipped_part_invoiced",
    "invoiced",
)
line = st.tuples(
    st.sampled_from(SKUS),
    st.sampled_from(["1", "2", "3", "0.5", "1.25"]),
    st.sampled_from([None, "0.05", "12.34"]),
    st.sampled_from([None, None, "12.5", "33.3333", "100"]),
)
an_order = st.tuples(
    st.sampled_from(CUSTOMERS), st.lists(line, min_size=1, max_size=3), st.sampled_from(STATES)
)


def make_orders(session: Session, orders) -> None:
    catalog.add_product(
        session=session,
        sku="TEA-KG",
        name="Green tea",
        price=D("31.70"),
        tax_rate=D(7),
        stock=D(500),
    )
    catalog.add_product(
        session=session, sku="BOOK", name="Handbook", price=D("18.90"), stock=D(500)
    )
    for customer, lines, state in orders:
        number = ordering.new_order(session=session, customer_code=customer).number
        add_lines(session, number, lines)
        if state == "draft":
            continue
        ordering.confirm_order(session=session, number=number, override_credit="test")
        first = [(lines[0][0], D(lines[0][1]) / 2)]
        # Only goods are shipped: a service is delivered by invoicing it (rule 12).
        goods = [line for line in lines if line[0] not in SERVICES]
        if state in {"on_hold", "released"}:
            ordering.hold_order(session=session, number=number, reason="check")
        if state == "released":
            ordering.release_order(session=session, number=number)
        if state == "cancelled":
            ordering.cancel_order(session=session, number=number)
        if state in {"shipped", "shipped_part_invoiced"} and goods:
            fulfilment.create_shipment(session=session, order_number=number)
        if state == "part_shipped" and goods:
            fulfilment.create_shipment(
                session=session,
                order_number=number,
                lines=[(goods[0][0], D(goods[0][1]) / 2)],
            )
        if state in {"part_invoiced", "shipped_part_invoiced"}:
            invoicing.create_invoice(session=session, order_number=number, lines=first)
        if state == "invoiced":
            invoicing.create_invoice(session=session, order_number=number)


def sequence_positions(connection) -> list[tuple[str, int | None]]:
    """PostgreSQL's sequences, which a rollback does not put back (SQLite reuses ids)."""
    if connection.dialect.name != "postgresql":
        return []
    return list(
        connection.execute(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
                "FROM pg_sequences WHERE schemaname = current_schema()"
            )
        ).all()
    )


def put_back(connection, positions) -> None:
    for name, last in positions:
        connection.execute(
            text("SELECT setval(:name, :value, :called)"),
            {"name": name, "value": last or 1, "called": last is not None},
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(orders=st.lists(an_order, min_size=1, max_size=6), customer=st.sampled_from([None, "ACME"]))
@example(  # no tax at all, and nothing to pay: entries without those journal lines
    orders=[
        ("CAFE", [("BOOK", "2", None, None)], "confirmed"),
        ("ACME", [("INSTALL", "1", None, "100")], "shipped"),
        ("ACME", [("TEA-KG", "1.25", "0.05", None), ("BOOK", "1", None, "100")], "part_invoiced"),
    ],
    customer=None,
)
def test_any_set_of_orders_is_invoiced_as_order_after_order(seeded, frozen_clock, orders, customer):
    """Each example builds its orders, invoices them by the reference inside a savepoint,
    rolls that back, invoices them in batches of two, and compares; then it rolls
    everything back, so the next example starts from the seeded ledger again."""
    with seeded.connect() as connection, Session(bind=connection) as session:
        make_orders(session, orders)
        session.flush()
        sequences = sequence_positions(connection)
        reference = session.begin_nested()
        each = issue(session, EACH, customer=customer)
        session.flush()
        expected = ledger_rows(connection)
        reference.rollback()
        put_back(connection, sequences)
        issuing.BATCH, batch_size = 2, issuing.BATCH
        try:
            batch = issue(session, BATCH, customer=customer)
        finally:
            issuing.BATCH = batch_size
        assert batch == each
        assert_same_ledger(expected, ledger_rows(connection))
        report = checks.run_checks(session=session)
        assert (report["ok"], report["problems"]) == (True, [])
        session.rollback()


# --- concurrent writers ----------------------------------------------------------------


def test_invoice_all_beside_single_invoices_issues_each_number_once(engine, ledger_ok):
    """One process invoices everything while two others invoice single orders of the
    same set, one of them from the newest order back: every order is invoiced exactly
    once, without a deadlock, the numbers have no gap and rise with the ids (the
    chain's order), and the ledger checks clean."""
    url = engine.url.render_as_string(hide_password=False)
    orders = service_workers.prepare(url, 40)
    reports = service_workers.spawn_all(
        invoice_all_workers.invoice, [(url, None), (url, orders[::-3]), (url, orders[1::3])]
    )
    issued = [(n, order) for _, done, _ in reports for what, n, order in done if what == "issued"]
    refused = [message for _, done, _ in reports for what, message, _ in done if what == "refused"]
    assert sorted(number for number, _ in issued) == [f"INV-{n:05d}" for n in range(1, 41)]
    assert len({order for _, order in issued}) == 40
    for _, done, _ in reports:  # each process sees its own numbers rise
        numbers = [number for what, number, _ in done if what == "issued"]
        assert numbers == sorted(numbers)
    # each order holds a service alone, so the invoice that delivered it completed it
    assert all(
        m.startswith("nothing left to invoice on SO-")
        or m.endswith(": it is completed: fully invoiced and shipped")
        for m in refused
    ), refused
    with unit_of_work(engine, write=False) as session:
        by_id = session.exec(select(Invoice.number).order_by(Invoice.id)).all()
    assert by_id == sorted(by_id)
    ledger_ok(engine)
    print(
        f"\nwriters: invoice create --all beside two processes invoicing single orders: "
        f"{len(issued)} invoices, INV-00001..INV-00040 each once, {len(refused)} single "
        "invoices refused as already invoiced, no deadlock"
    )
