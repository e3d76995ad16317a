"""Migration 0007 on the ledgers of earlier releases: every invoice, credit memo and
shipment gets a seller and a buyer, frozen with the details as they stood at upgrade
(SPEC rule 4), and the upgraded ledger passes every check.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

import ordercli.db.engine
from ordercli.books import checks
from ordercli.db.engine import HEAD_REVISION, open_ledger, resolve_location, unit_of_work
from ordercli.models import CreditMemo, Customer, Invoice, Shipment
from ordercli.services.parties.snapshots import buyer_fields, seller_fields, snapshot_fields

pytestmark = pytest.mark.sqlite_only("upgrades the SQLite ledgers of earlier releases")

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("ledger-*.db"))


def test_the_newest_migration_is_the_revision_a_ledger_is_opened_at():
    """A ledger of the previous release is upgraded only when its revision is not this."""
    from alembic.script import ScriptDirectory

    from ordercli.db.migrations.runner import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def _documents(path: Path) -> dict[str, int]:
    """How many documents of each kind the ledger holds (0.1 had no credit memos)."""
    conn = sqlite3.connect(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            if table in tables
            else 0
            for table in ("invoice", "credit_memo", "shipment")
        }
    finally:
        conn.close()


@pytest.fixture(params=FIXTURES, ids=[p.stem for p in FIXTURES])
def upgraded(request, tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(request.param, path)
    counts = _documents(path)
    url = resolve_location(str(path))
    try:
        yield counts, open_ledger(url)
    finally:
        ordercli.db.engine.forget_ledger(url)


def test_every_document_of_an_earlier_release_gets_a_seller_and_a_buyer(upgraded):
    counts, engine = upgraded
    assert counts["invoice"] > 0
    with unit_of_work(engine, write=False) as session:
        documents = [
            *session.scalars(select(Invoice)),
            *session.scalars(select(CreditMemo)),
            *session.scalars(select(Shipment)),
        ]
        assert len(documents) == sum(counts.values())
        parties = snapshot_fields(
            session, {d.seller_id for d in documents} | {d.buyer_id for d in documents}
        )
        seller_now = seller_fields(session)
        customers = {c.id: c for c in session.scalars(select(Customer))}
        for document in documents:
            # Frozen as the company and the customer stood at upgrade.
            assert parties[document.seller_id] == seller_now, document.number
            assert parties[document.buyer_id] == buyer_fields(customers[document.customer_id]), (
                document.number
            )
        report = checks.run_checks(session=session)
    assert (report["ok"], report["problems"]) == (True, [])


def test_documents_issued_after_the_upgrade_share_the_frozen_snapshots(upgraded):
    from ordercli.services.parties.snapshots import freeze_parties_of

    _, engine = upgraded
    with unit_of_work(engine) as session:
        invoice = session.scalars(select(Invoice).order_by(Invoice.id)).first()
        assert invoice is not None
        assert freeze_parties_of(session, invoice.customer_id) == (
            invoice.seller_id,
            invoice.buyer_id,
        )
