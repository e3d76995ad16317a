"""Seller and buyer frozen on issued documents (SPEC rule 4), at the service level.

A snapshot is stored once per distinct content: issuing many documents to one
customer adds one row, the same content asked for twice gives the same row, and
two writers storing the same new snapshot at once on PostgreSQL both get it (the
insert does nothing on a digest already there). Reprints read the snapshots in a
fixed number of queries however many documents they print.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select

from ordercli.documents.context import invoice_contexts
from ordercli.models import Invoice, PartySnapshot
from ordercli.services.parties import company, customers
from ordercli.services.parties.snapshots import (
    freeze_parties,
    freeze_parties_of,
    snapshot_field,
    snapshot_fields,
)

TODAY = "2026-03-20"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def snapshot_count(uow) -> int:
    with uow(write=False) as session:
        return session.scalar(select(func.count()).select_from(PartySnapshot))


def acme_id(session) -> int:
    customer = customers.get_customer(session=session, code="ACME")
    assert customer.id is not None
    return customer.id


def test_a_new_ledger_holds_no_snapshot_until_a_document_is_issued(seeded, uow):
    """Migration 0007 freezes only what was issued: `migrate-to` wants a new ledger empty."""
    assert snapshot_count(uow) == 0


def test_the_same_parties_frozen_twice_are_one_snapshot_each(seeded, uow):
    with uow() as session:
        first = freeze_parties_of(session, acme_id(session))
    with uow() as session:
        again = freeze_parties_of(session, acme_id(session))
        seller, buyers = freeze_parties(session, [acme_id(session), acme_id(session)])
        both = (seller, buyers[acme_id(session)])
    assert first == again == both
    assert first[0] != first[1]
    assert snapshot_count(uow) == 2


def test_many_invoices_to_one_customer_add_one_buyer_snapshot(invoiced, uow):
    for _ in range(4):
        invoiced("ACME", [("DESK-OAK", "1")])
    assert snapshot_count(uow) == 2  # the company and ACME
    with uow(write=False) as session:
        pairs = set(session.execute(select(Invoice.seller_id, Invoice.buyer_id)).all())
    assert len(pairs) == 1

    with uow() as session:
        customers.edit_customer(session=session, code="ACME", changes={"tax_id": "GB000"})
    invoiced("ACME", [("DESK-OAK", "1")])
    with uow() as session:
        company.update_company(session, bank_details="IBAN NEW")
    invoiced("ACME", [("DESK-OAK", "1")])
    assert snapshot_count(uow) == 4  # a new buyer, then a new seller


def test_a_snapshot_keeps_the_fields_a_document_prints(seeded, uow):
    with uow() as session:
        company.update_company(session, name="Nordhafen", address="Kai 41\nHamburg")
        customers.edit_customer(
            session=session,
            code="ACME",
            changes={"name": "Acme «Ltd»", "billing_address": "1 Road\nBristol"},
        )
        seller_id, buyer_id = freeze_parties_of(session, acme_id(session))
    with uow(write=False) as session:
        found = snapshot_fields(session, [seller_id, buyer_id])
        # The same fields, read by the database itself (what exports use).
        in_sql = session.execute(
            select(
                snapshot_field(PartySnapshot.content, "name"),
                snapshot_field(PartySnapshot.content, "billing_address"),
                snapshot_field(PartySnapshot.content, "footer"),
            )
            .where(PartySnapshot.id == buyer_id)
            .union_all(
                select(
                    snapshot_field(PartySnapshot.content, "name"),
                    snapshot_field(PartySnapshot.content, "address"),
                    snapshot_field(PartySnapshot.content, "footer"),
                ).where(PartySnapshot.id == seller_id)
            )
        ).all()
    assert found[seller_id] == {
        "name": "Nordhafen",
        "address": "Kai 41\nHamburg",
        "tax_id": None,
        "bank_details": None,
        "footer": None,
    }
    assert found[buyer_id]["name"] == "Acme «Ltd»"
    assert found[buyer_id]["billing_address"] == "1 Road\nBristol"
    assert set(found[buyer_id]) == {
        "code",
        "name",
        "email",
        "phone",
        "billing_address",
        "shipping_address",
        "tax_id",
    }
    assert [tuple(row) for row in in_sql] == [
        ("Acme «Ltd»", "1 Road\nBristol", None),
        ("Nordhafen", "Kai 41\nHamburg", None),
    ]
    with pytest.raises(ValueError, match="no field 'iban'"):
        snapshot_field(PartySnapshot.content, "iban")


def test_invoice_contexts_read_the_parties_in_the_same_queries_for_any_number(
    invoiced, uow, engine
):
    """`invoice pdf --all` reads every invoice's seller and buyer without a query each."""
    for code in ("ACME", "NORD", "BRIGHT"):
        invoiced(code, [("DESK-OAK", "1")])

    def queries_for(count: int) -> int:
        statements: list[str] = []

        def counted(conn, cursor, statement, *args):
            statements.append(statement)

        with uow(write=False) as session:
            wanted = session.scalars(select(Invoice).order_by(Invoice.id).limit(count)).all()
            event.listen(engine, "before_cursor_execute", counted)
            try:
                contexts = invoice_contexts(session, list(wanted))
            finally:
                event.remove(engine, "before_cursor_execute", counted)
        assert len(contexts) == count
        return len(statements)

    assert queries_for(1) == queries_for(3)
    with uow(write=False) as session:
        contexts = invoice_contexts(session, list(session.scalars(select(Invoice))))
    assert [c["customer"]["code"] for c in contexts] == ["ACME", "NORD", "BRIGHT"]


# --- two writers at once on PostgreSQL ---------------------------------------------------


@pytest.mark.postgres
def test_two_writers_storing_the_same_new_snapshot_at_once_share_it(pg_engine):
    """The second writer looks before the first commits, finds nothing, and inserts the
    same digest: its insert waits for the first and then does nothing, where a plain
    insert would fail on the unique digest and refuse the second document."""
    from ordercli.db.engine import unit_of_work

    with unit_of_work(pg_engine) as session:
        customers.add_customer(session=session, name="Acme", code="ACME")
    insert_reached = threading.Event()
    results: dict[str, tuple[int, int]] = {}
    errors: list[BaseException] = []

    def second_writer():
        try:
            with unit_of_work(pg_engine) as other:

                @event.listens_for(other.connection(), "before_cursor_execute")
                def about_to(conn, cursor, statement, *args):
                    if statement.lstrip().upper().startswith("INSERT INTO PARTY_SNAPSHOT"):
                        insert_reached.set()

                results["second"] = freeze_parties_of(other, acme_id(other))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with unit_of_work(pg_engine) as session:
        results["first"] = freeze_parties_of(session, acme_id(session))
        thread = threading.Thread(target=second_writer)
        thread.start()
        # The first commits only once the second has looked and is about to insert.
        assert insert_reached.wait(timeout=60), "the second writer never tried to insert"
    thread.join(timeout=60)
    assert not thread.is_alive(), "the second writer never finished"
    assert not errors, errors
    assert results["first"] == results["second"]
    with unit_of_work(pg_engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(PartySnapshot)) == 2


# --- multi-line addresses -----------------------------------------------------------------


def test_a_typed_backslash_n_in_an_address_is_a_line_break(seeded, uow):
    with uow() as session:
        added = customers.add_customer(
            session=session,
            name="Hafen Kontor",
            code="HAFEN",
            billing_address=r"Kai 1 \n 20457 Hamburg\n\nGermany",
            shipping_address="Lager 3\r\nHamburg",
        )
        assert added.billing_address == "Kai 1\n20457 Hamburg\nGermany"
        assert added.shipping_address == "Lager 3\nHamburg"
        edited = customers.edit_customer(
            session=session, code="HAFEN", changes={"shipping_address": r"Tor 2\nBremen"}
        )
        assert edited.shipping_address == "Tor 2\nBremen"


def test_an_address_with_control_characters_is_refused_and_nothing_changes(seeded, refused):
    from ordercli.domain.errors import InvalidInput

    refused(
        InvalidInput,
        "billing address contains control characters",
        lambda s: customers.edit_customer(
            session=s, code="ACME", changes={"billing_address": "1 Road\\nBristol\x07"}
        ),
    )


def test_import_customers_reads_a_typed_backslash_n_as_a_line_break(seeded, uow, tmp_path):
    from ordercli.io.imports import import_file

    path = tmp_path / "customers.csv"
    path.write_text(
        "code,name,billing_address,shipping_address\n"
        'HAFEN,Hafen Kontor,Kai 1\\n20457 Hamburg,"Lager 3\n Hamburg"\n'
        "ACME,Acme Office Supplies Ltd,1 Temple Quay\\nBristol,\n",
        encoding="utf-8",
    )
    with uow() as session:
        result = import_file(session=session, kind="customers", path=path)
    assert result.errors == []
    with uow(write=False) as session:
        hafen = customers.get_customer(session=session, code="HAFEN")
        acme = customers.get_customer(session=session, code="ACME")
        assert hafen.billing_address == "Kai 1\n20457 Hamburg"
        assert hafen.shipping_address == "Lager 3\nHamburg"
        assert acme.billing_address == "1 Temple Quay\nBristol"
    with uow() as session:  # the same file again changes nothing
        again = import_file(session=session, kind="customers", path=path)
    assert (again.created, again.updated) == (0, 0)
