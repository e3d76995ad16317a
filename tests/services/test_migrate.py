"""`ordercli migrate-to URL`: the whole ledger, row for row, into another database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ordercli.db.engine import dispose_all, open_ledger, unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.io.migrate import migrate_ledger
from ordercli.models import metadata

pytestmark = pytest.mark.sqlite_only


def _busy_ledger(cli) -> None:
    """A ledger with a bit of everything: orders, invoices, payments, shipments, credit."""
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "LAMP-LED", "3")
    cli.ok("order", "confirm", "SO-00001")
    cli.ok("invoice", "create", "SO-00001", "--partial", "--line", "LAMP-LED=2")
    cli.ok("shipment", "create", "SO-00001")
    cli.ok("payment", "record", "ACME", "10.00")
    cli.ok("credit-memo", "create", "INV-00001", "--line", "LAMP-LED=1", "--store-credit")


def _rows(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(map(str, row)) for row in conn.execute(select(table))), key=str
            )
            for table in metadata.sorted_tables
            if table.name != "alembic_version"
        }


def _migrate_and_compare(shop, ledger_path, target_url):
    _busy_ledger(shop)
    source_url = f"sqlite:///{ledger_path}"
    doc = migrate_ledger(source_url=source_url, target_url=target_url)
    assert doc["check"] == "ok"
    source_rows = _rows(open_ledger(source_url))
    target_rows = _rows(open_ledger(target_url))
    assert target_rows == source_rows
    print(f"\nmigrate-to: {doc['rows']} rows in {doc['tables']} tables, identical")
    return doc


def test_every_row_arrives_and_the_numbers_carry_on(shop, ledger_path, tmp_path):
    target = tmp_path / "copy.db"
    _migrate_and_compare(shop, ledger_path, f"sqlite:///{target}")
    dispose_all()
    # The copy is a working ledger: its series continue where the source's stood.
    copy = type(shop)(target)
    assert copy.ok("order", "new", "BRIGHT")["number"] == "SO-00002"
    assert (
        copy.ok("invoice", "show", "INV-00001")["total"]
        == shop.ok("invoice", "show", "INV-00001")["total"]
    )


def test_a_target_in_use_is_refused_and_left_alone(shop, ledger_path, tmp_path):
    _busy_ledger(shop)
    target = tmp_path / "other.db"
    other = type(shop)(target)
    other.ok("init")
    other.ok("customer", "add", "Someone Else", "--code", "ELSE")
    with pytest.raises(RuleViolation, match="already holds a ledger in use"):
        migrate_ledger(source_url=f"sqlite:///{ledger_path}", target_url=f"sqlite:///{target}")
    assert [c["code"] for c in other.ok("customer", "list", "--all")] == ["ELSE"]


def test_the_ledger_itself_or_nothing_is_refused(shop, ledger_path):
    url = f"sqlite:///{ledger_path}"
    with pytest.raises(InvalidInput):
        migrate_ledger(source_url=url, target_url=url)
    with pytest.raises(InvalidInput):
        migrate_ledger(source_url=url, target_url=" ")


def test_migrate_to_through_the_cli(shop, tmp_path):
    target = tmp_path / "cli-copy.db"
    doc = shop.ok("migrate-to", str(target))
    assert doc["rows"] > 0 and doc["check"] == "ok"
    assert "already holds a ledger in use" in shop.fails("migrate-to", str(target))


def test_to_postgresql(shop, ledger_path, pg_engine):
    url = pg_engine.url.render_as_string(hide_password=False)
    _migrate_and_compare(shop, ledger_path, url)
    # New documents on the server get the next numbers and fresh ids.
    with unit_of_work(open_ledger(url)) as session:
        from ordercli.services.sales import ordering

        order = ordering.new_order(session=session, customer_code="BRIGHT")
        assert order.number == "SO-00002"
    with open_ledger(url).connect() as conn:
        from ordercli.models import SalesOrder

        assert conn.execute(select(func.count()).select_from(SalesOrder)).scalar_one() == 2
