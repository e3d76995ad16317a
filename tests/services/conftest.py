"""Helpers for the service-level tests: orders in one call, refusals that change nothing.

Lines are given the way a user types them: ``("DESK-OAK", "4")`` or
``("DESK-OAK", "4", "480.00", "10")`` for SKU, quantity, price and discount (%).

Speed: migrating and seeding a ledger costs about 0.35 s, and nearly every test
here needs a fresh one. So ``engine`` and ``seeded`` are overridden to copy a
ledger migrated (and, for ``seeded``, seeded with ``sample_data/``) once per
session by the very same ``open_ledger`` and ``seed_demo``. Creation and
migration on first use are tested in ``test_storage.py`` without templates.
On PostgreSQL (``ORDERCLI_TEST_BACKEND=postgresql``) the root fixtures copy template
databases instead, and ``ledger_templates``/``scenario_template`` name those.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from ordercli.db import engine as db
from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
from ordercli.db.queries import invoice_balance
from ordercli.io.demo import sample_data_dir, seed_demo
from ordercli.models import Event, Product
from ordercli.services.sales import ordering
from ordercli.views import inventory as inventory_views
from ordercli.views import sales as sales_views

ON_POSTGRESQL = os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() == "postgresql"

if ON_POSTGRESQL:  # the root ``engine`` and ``seeded`` copy template databases

    @pytest.fixture(scope="session")
    def ledger_templates(pg_ledgers) -> dict[str, str]:
        """The template databases of a migrated empty ledger and a seeded one."""
        return {
            "empty": pg_ledgers.template_of("empty"),
            "seeded": pg_ledgers.template_of("sample"),
        }

else:

    @pytest.fixture(scope="session")
    def ledger_templates(tmp_path_factory) -> dict[str, Path]:
        """A migrated empty ledger and a seeded one, each a single closed SQLite file."""
        folder = tmp_path_factory.mktemp("ledger-templates")
        templates = {}
        for name in ("empty", "seeded"):
            path = folder / f"{name}.db"
            url = resolve_location(str(path))
            engine = open_ledger(url, create=True)
            if name == "seeded":
                with unit_of_work(engine) as session:
                    seed_demo(session=session, folder=sample_data_dir())
            db._engines.pop(url).dispose()
            # The last connection closed checkpointed the WAL: the file alone is the ledger.
            assert not path.with_name(path.name + "-wal").exists()
            templates[name] = path
        return templates

    @pytest.fixture
    def engine(ledger_path: Path, ledger_templates, request):
        """The ledger at ``ledger_path``: a copy of the seeded template when the test uses
        ``seeded``, else of the empty migrated one."""
        kind = "seeded" if "seeded" in request.fixturenames else "empty"
        shutil.copyfile(ledger_templates[kind], ledger_path)
        return open_ledger(resolve_location(str(ledger_path)))

    @pytest.fixture
    def seeded(engine):
        """A ledger holding the sample customers and catalog (copied, see ``engine``)."""
        return engine


def dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def add_lines(session, number: str, lines: Iterable[tuple]) -> None:
    for spec in lines:
        sku, qty, price, discount = (*spec, None, None)[:4]
        ordering.add_order_line(
            session=session,
            number=number,
            sku=sku,
            qty=dec(qty),
            price=dec(price),
            discount=dec(discount),
        )


@pytest.fixture
def make_order(seeded, uow) -> Callable[..., str]:
    """``make_order("ACME", [("DESK-OAK", "4")])`` → ``"SO-00001"``, confirmed unless told."""

    def make(
        customer: str = "ACME", lines=(("DESK-OAK", "4"),), confirm: bool = True, order_date=None
    ) -> str:
        with uow() as session:
            order = ordering.new_order(
                session=session, customer_code=customer, order_date=order_date
            )
            add_lines(session, order.number, lines)
            if confirm:
                ordering.confirm_order(session=session, number=order.number, override_credit="test")
            return order.number

    return make


@pytest.fixture
def refused(uow, unchanged):
    """``refused(RuleViolation, "exact message", lambda s: …)``: a command that is refused
    with exactly that message, in its own unit of work, and leaves every table as it was."""

    def check(exc_type: type[Exception], message: str, action: Callable) -> Exception:
        with unchanged():
            with pytest.raises(exc_type) as info:
                with uow() as session:
                    action(session)
        assert type(info.value) is exc_type
        assert str(info.value) == message
        return info.value

    return check


@pytest.fixture
def order_state(uow):
    """The order as ``order show --json`` sees it (statuses, lines, totals)."""

    def read(number: str) -> dict:
        with uow(write=False) as session:
            return sales_views.order_view(
                session, ordering.get_order(session=session, number=number)
            )

    return read


@pytest.fixture
def stock_of(uow):
    """``stock_of("DESK-OAK")`` → ``(on_hand, reserved)`` as decimals."""

    def read(sku: str) -> tuple[Decimal, Decimal]:
        with uow(write=False) as session:
            product = session.exec(select(Product).where(Product.sku == sku)).one()
            view = inventory_views.product_view(session, product)
            return view["on_hand"], view["reserved"]

    return read


@pytest.fixture
def events_of(uow):
    """Every event of a subject (document number), oldest first, as ``(action, message)``."""

    def read(number: str) -> list[tuple[str, str]]:
        with uow(write=False) as session:
            rows = session.exec(
                select(Event).where(Event.subject_number == number).order_by(Event.id)
            )
            return [(event.action, event.message) for event in rows]

    return read


# After the sale (rules 11, 13–18) -------------------------------------------


@pytest.fixture
def invoiced(seeded, uow) -> Callable[..., tuple[str, str]]:
    """``invoiced("ACME", [("DESK-OAK", "1")], ship=True, issue_date=date(…))`` →
    ``("SO-00001", "INV-00001")``: an order confirmed (credit limit overridden), shipped
    if told, and invoiced whole, in one unit of work."""
    from ordercli.services.sales import fulfilment, invoicing

    def make(customer="ACME", lines=(("DESK-OAK", "1"),), ship=False, issue_date=None):
        with uow() as session:
            # Dated with its invoice: rule 4a refuses an invoice before its order.
            order = ordering.new_order(
                session=session, customer_code=customer, order_date=issue_date
            )
            add_lines(session, order.number, lines)
            ordering.confirm_order(session=session, number=order.number, override_credit="test")
            if ship:
                fulfilment.create_shipment(session=session, order_number=order.number)
            invoice = invoicing.create_invoice(
                session=session, order_number=order.number, issue_date=issue_date
            )
            return order.number, invoice.number

    return make


@pytest.fixture
def ledger_ok(request):
    """``ledger_ok()`` (or ``ledger_ok(engine)``): ``run_checks`` finds no problem, the
    trial balance sums to zero, the receivable account equals the open invoice balances
    and the customer credit account the unapplied payments plus store credit left.
    Returns the accounts' balances (debit − credit) by role."""
    from sqlmodel import func

    from ordercli.books import checks, journal
    from ordercli.books.settings import minor_digits
    from ordercli.domain.money import from_minor
    from ordercli.models import CreditMemo, Payment

    def check(engine=None) -> dict[str, Decimal]:
        engine = engine or request.getfixturevalue("engine")
        with unit_of_work(engine, write=False) as session:
            report = checks.run_checks(session=session)
            trial = journal.trial_balance(session=session)
            open_balance = session.exec(select(func.coalesce(func.sum(invoice_balance()), 0))).one()
            unapplied = session.exec(select(func.coalesce(func.sum(Payment.unapplied), 0))).one()
            store = session.exec(select(func.coalesce(func.sum(CreditMemo.credit_left), 0))).one()
            digits = minor_digits(session)
        assert (report["ok"], report["problems"]) == (True, [])
        assert trial["total_debit"] == trial["total_credit"]
        assert trial["balance"] == 0
        balances = {account["role"]: account["balance"] for account in trial["accounts"]}
        assert sum(balances.values()) == 0
        assert balances["receivable"] == from_minor(int(open_balance), digits)
        assert -balances["customer_credit"] == from_minor(int(unapplied + store), digits)
        return balances

    return check


@pytest.fixture(scope="session")
def scenario_template(ledger_templates, tmp_path_factory, request) -> Callable[..., Path]:
    """``scenario_template("name", build)``: a seeded ledger on which ``build(engine)`` ran
    once per session, as a closed file to copy (see ``ledger_templates``). For scenarios
    many tests start from; a module overrides ``engine`` to copy it."""
    if ON_POSTGRESQL:
        pg_ledgers = request.getfixturevalue("pg_ledgers")
        return lambda name, build: pg_ledgers.template(
            f"scenario-{name}", lambda url: build(open_ledger(url)), base="sample"
        )
    folder = tmp_path_factory.mktemp("scenario-templates")
    made: dict[str, Path] = {}

    def make(name: str, build: Callable) -> Path:
        if name not in made:
            path = folder / f"{name}.db"
            shutil.copyfile(ledger_templates["seeded"], path)
            url = resolve_location(str(path))
            build(open_ledger(url))
            db._engines.pop(url).dispose()
            assert not path.with_name(path.name + "-wal").exists()
            made[name] = path
        return made[name]

    return make
