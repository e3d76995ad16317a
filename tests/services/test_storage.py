"""The ledger file: created only when asked (``ordercli init``) and upgraded on first use,
SQLite set up for a ledger, refused when missing, not ours or too new (the exit 3 path),
and money stored exactly."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal

import pytest
from sqlalchemy import text

import ordercli.db.engine
from ordercli.db.engine import HEAD_REVISION, open_ledger, resolve_location, unit_of_work
from ordercli.domain.errors import LedgerUnavailable
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import invoicing, ordering
from ordercli.views import inventory as inventory_views
from ordercli.views import sales as sales_views

pytestmark = pytest.mark.sqlite_only("the ledger file: creation, PRAGMA set-up, non-ledger files")

D = Decimal


@pytest.fixture
def fresh(tmp_path):
    """A ledger location nobody has opened yet; its engine is forgotten afterwards."""
    path = tmp_path / "nested" / "dir" / "books.db"
    url = resolve_location(str(path))
    yield path, url
    engine = ordercli.db.engine._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def forget(url: str) -> None:
    """Drop the cached engine so the next open_ledger looks at the file again."""
    ordercli.db.engine._engines.pop(url).dispose()


def test_the_ledger_is_created_at_the_current_schema_when_asked(fresh):
    path, url = fresh
    assert not path.exists()
    engine = open_ledger(url, create=True)
    assert path.is_file()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )
        kinds = dict(conn.execute(text("SELECT kind, prefix FROM number_series")).all())
    assert kinds["invoice"] == "INV-" and kinds["order"] == "SO-" and kinds["shipment"] == "SH-"
    assert open_ledger(url) is engine
    # A second program opening it finds it current and changes nothing.
    forget(url)
    before = path.read_bytes()
    again = open_ledger(url)
    with again.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    assert path.read_bytes() == before


def test_a_missing_ledger_is_refused_and_nothing_is_created(fresh):
    path, url = fresh
    with pytest.raises(LedgerUnavailable) as info:
        open_ledger(url, origin="ORDERCLI_DB")
    assert str(info.value) == f"no ledger at {path}"
    assert info.value.hint == (
        "the path comes from ORDERCLI_DB; correct it, or create a new ledger there "
        "with `ordercli init`"
    )
    assert info.value.exit_code == 3
    assert not path.parent.parent.exists()  # no folder, no file, no -wal or -shm


def test_an_empty_file_is_no_ledger_and_stays_empty(fresh):
    path, url = fresh
    path.parent.mkdir(parents=True)
    path.touch()
    with pytest.raises(LedgerUnavailable) as info:
        open_ledger(url)
    assert str(info.value) == f"no ledger at {path} (the file is empty)"
    assert [p.name for p in path.parent.iterdir()] == ["books.db"]
    assert path.stat().st_size == 0


def test_a_sqlite_file_without_tables_is_no_ledger_until_created(fresh):
    path, url = fresh
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).execute("PRAGMA user_version = 7").connection.close()
    with pytest.raises(LedgerUnavailable) as info:
        open_ledger(url, origin="--db")
    assert str(info.value) == f"no ledger at {path} (the database holds no ordercli ledger)"
    assert info.value.hint.startswith("the path was given with --db; correct it, or create")
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        assert conn.execute("PRAGMA user_version").fetchone() == (7,)
    engine = open_ledger(url, create=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )


def test_connections_are_set_up_for_a_ledger(engine):
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == int(
            ordercli.db.engine.busy_timeout_seconds() * 1000
        )
    with unit_of_work(engine) as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_a_ledger_from_a_newer_ordercli_is_unavailable(fresh):
    path, url = fresh
    open_ledger(url, create=True)
    forget(url)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(LedgerUnavailable) as info:
        open_ledger(url)
    assert str(info.value) == (f"{path} has schema revision 9999, newer than this ordercli knows")
    assert info.value.hint == "upgrade ordercli to open this ledger"
    assert info.value.exit_code == 3
    with sqlite3.connect(path) as conn:  # and it was left alone
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]


def test_a_file_that_is_not_sqlite_is_unavailable(fresh):
    path, url = fresh
    path.parent.mkdir(parents=True)
    path.write_text("order_ref,customer_code\nweb-1,ACME\n")
    with pytest.raises(LedgerUnavailable) as info:
        open_ledger(url)
    assert str(info.value) == f"{path} is not an ordercli ledger (not a SQLite file)"
    assert info.value.exit_code == 3
    assert path.read_text() == "order_ref,customer_code\nweb-1,ACME\n"


def test_a_sqlite_file_of_another_program_is_unavailable(fresh):
    path, url = fresh
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    conn.close()
    with pytest.raises(LedgerUnavailable) as info:
        open_ledger(url)
    assert str(info.value) == f"{path} is not an ordercli ledger (it holds other tables)"
    assert info.value.exit_code == 3
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert tables == ["moz_places"]


def test_a_directory_is_unavailable(fresh):
    path, url = fresh
    path.mkdir(parents=True)
    with pytest.raises(LedgerUnavailable, match="is a directory, not a ledger"):
        open_ledger(url)


@pytest.mark.parametrize(
    "price",
    ["0.00", "0.01", "0.10", "19.99", "489.00", "1234567.89", "9999999999999.99"],
)
def test_money_round_trips_exactly(fresh, price):
    path, url = fresh
    engine = open_ledger(url, create=True)
    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Round Trip", code="RT")
        catalog.add_product(session=session, sku="P", name="P", price=D(price), tax_rate=D(0))
        order = ordering.new_order(session=session, customer_code="RT")
        ordering.add_order_line(session=session, number=order.number, sku="P", qty=D(1))
        ordering.confirm_order(session=session, number=order.number)
        invoicing.create_invoice(session=session, order_number=order.number)
    forget(url)  # read back through a new engine and new connections
    engine = open_ledger(url)
    with unit_of_work(engine, write=False) as session:
        product = inventory_views.product_view(
            session, catalog.get_product(session=session, sku="P")
        )
        invoice = sales_views.invoice_view(
            session, invoicing.get_invoice(session=session, number="INV-00001")
        )
    assert product["unit_price"] == D(price)
    assert str(product["unit_price"]) == price
    assert str(invoice["total"]) == price
    assert str(invoice["lines"][0]["net"]) == price
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT unit_price, typeof(unit_price) FROM product").fetchone()
    conn.close()
    assert stored == (int(D(price) * 100), "integer")
