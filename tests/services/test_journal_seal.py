"""Tamper evidence for the journal (SPEC rules 4 and 18): every entry is sealed.

Each journal entry stores a hash of its content (date, source, memo and its
lines) chained to the entry before it of the same source document; ``ordercli
check`` recomputes the seals and names the first entry that no longer matches.
The tests edit, re-date, move and delete entries behind ordercli's back (with
``sqlite3`` on the file, or a plain connection on PostgreSQL), including the two
cases of the "Corrections" issue that no other check sees: a cent moved from
revenue to sales tax inside an invoice's entry (it still balances) and a
payment's entry re-dated a year earlier. Each prints the figure it proves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

import ordercli.db.engine
from ordercli.books import checks, journal_seal
from ordercli.books.integrity import ZERO
from ordercli.books.journal import Entry, Posting, post_entries
from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
from ordercli.db.migrations import runner
from ordercli.models import JournalEntry
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import payments
from tests.services.test_integrity import behind_the_back, issue_everything

D = Decimal
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MIGRATION = Path(runner.__file__).resolve().parent / "versions" / "0008_corrections.py"
CHECK = "posted journal entries are never edited"


def changed(named: str) -> str:
    return (
        f"{named} does not match its seal: changed after it was posted "
        "(or an entry before it of the same source was deleted)"
    )


def add_credit_applications(engine) -> None:
    """On top of the integrity scenario: a customer's credit applied three times to one
    invoice, so one source (``credit_applied`` of that invoice) has a chain of three."""
    with unit_of_work(engine) as session:  # nothing open yet: all of it is credit
        payments.record_payment(session=session, customer_code="WIEN", amount=D("30"))
    with unit_of_work(engine) as session:
        order = ordering.new_order(session=session, customer_code="WIEN")
        ordering.add_order_line(session=session, number=order.number, sku="DESK-OAK", qty=D(1))
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        invoicing.create_invoice(session=session, order_number=order.number)
    for _ in range(3):
        with unit_of_work(engine) as session:
            payments.apply_credit(
                session=session, customer_code="WIEN", invoice_number="INV-00006", amount=D(10)
            )


def build(engine) -> None:
    issue_everything(engine)
    add_credit_applications(engine)


@pytest.fixture
def engine(scenario_template, ledger_from):
    """A seeded ledger on which every posting path ran (built once, copied per test)."""
    return ledger_from(scenario_template("journal-seal", build))


def problems(engine) -> list[dict]:
    with unit_of_work(engine, write=False) as session:
        return checks.run_checks(session=session)["problems"]


def seal_report(engine) -> list[str]:
    return [p["problem"] for p in problems(engine) if p["check"] == CHECK]


def entry_rows(engine, where: str = "1 = 1", **params) -> list[tuple]:
    """``(id, entry_date, source_kind, source_number, chain_hash)`` in id order."""
    with unit_of_work(engine, write=False) as session:
        return list(
            session.connection().execute(
                text(
                    "SELECT id, entry_date, source_kind, source_number, chain_hash "
                    f"FROM journal_entry WHERE {where} ORDER BY id"
                ),
                params,
            )
        )


def named(row) -> str:
    entry_id, day, kind, number, _ = row
    day = day.isoformat() if isinstance(day, date) else day
    return f"journal entry {entry_id} ({kind.replace('_', ' ')} {number}, {day})"


def load_migration():
    spec = importlib.util.spec_from_file_location("migration_0008", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


# --- the content and the hash ----------------------------------------------------------------


def test_the_content_is_canonical_json_of_the_entry_and_its_sorted_lines():
    lines = [
        Posting("revenue", credit=24990),
        Posting("receivable", debit=29738, customer_id=3, invoice_id=7),
        Posting("sales_tax", credit=4748),
    ]
    content = journal_seal.content_of(
        date(2026, 11, 22), "invoice", "INV-00007", "invoice INV-00007 to ÉCOLE", lines
    )
    assert content == (
        b'{"entry_date":"2026-11-22","kind":"journal_entry","lines":['
        b'["receivable",29738,0,3,7],["revenue",0,24990,null,null],'
        b'["sales_tax",0,4748,null,null]],"memo":"invoice INV-00007 to \\u00c9COLE",'
        b'"source_kind":"invoice","source_number":"INV-00007","v":1}'
    )
    assert json.loads(content)["v"] == journal_seal.FORMAT == 1
    # Stored dates come back as text (SQLite) or dates (PostgreSQL): the same bytes.
    assert content == journal_seal.content_of(
        "2026-11-22", "invoice", "INV-00007", "invoice INV-00007 to ÉCOLE", reversed(lines)
    )
    assert content == journal_seal.content_of(
        datetime(2026, 11, 22, 9, 30), "invoice", "INV-00007", "invoice INV-00007 to ÉCOLE", lines
    )
    first = journal_seal.seal_of(ZERO, "2026-11-22", "invoice", "INV-00007", "x", lines)
    assert (
        first
        == hashlib.sha256(
            ZERO.encode()
            + journal_seal.content_of("2026-11-22", "invoice", "INV-00007", "x", lines)
        ).hexdigest()
    )
    assert journal_seal.seal_of(first, "2026-11-22", "invoice", "INV-00007", "x", lines) != first
    print(f"\njournal content: {len(content)} bytes of canonical JSON, chained by SHA-256")


def test_the_migration_seals_exactly_as_the_services_do(engine):
    """Migration 0008 keeps a frozen copy of format 1: the same query and the same bytes,
    and over a whole ledger the same seals the services gave every entry."""
    migration = load_migration()
    assert journal_seal.FORMAT == 1
    assert migration.JOURNAL_SQL == journal_seal.ENTRIES_SQL
    samples = [
        ("2026-01-02", "invoice", "INV-00001", "m", [("revenue", 0, 5, None, None)]),
        (date(2026, 1, 2), "payment", "PAY-1", "é", [("cash", 5, 0, None, None)]),
        (datetime(2026, 1, 2, 3, 4), "refund", "RF-1", "", []),
        # a dangling reference beside a present one: sorted all the same
        ("2026-01-02", "credit_applied", "INV-9", "m", [("a", 1, 0, None, 2), ("a", 1, 0, 3, 2)]),
    ]
    for sample in samples:
        assert migration._journal_content(*sample) == journal_seal.content_of(*sample), sample
    with unit_of_work(engine, write=False) as session:
        query = text(journal_seal.ENTRIES_SQL)
        theirs = list(migration._journal_seals(session.connection().execute(query)))
        ours = list(journal_seal.rechain(session.connection().execute(query)))
        posted = dict(session.exec(select(JournalEntry.id, JournalEntry.chain_hash)).all())
    assert theirs == ours
    assert {entry_id: seal for seal, entry_id in ours} == posted
    print(f"\nformat 1: the migration and the services agree on {len(posted)} entries")


# --- a clean ledger ---------------------------------------------------------------------------


def test_every_entry_is_sealed_to_the_one_before_it_of_its_source(engine):
    rows = entry_rows(engine)
    assert rows and all(seal and len(seal) == 64 for *_, seal in rows)
    assert problems(engine) == []
    sources: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        sources.setdefault((row[2], row[3]), []).append(row)
    chained = sources[("credit_applied", "INV-00006")]
    assert len(chained) == 3
    kinds = {kind for kind, _ in sources}
    assert {"invoice", "payment", "credit_memo", "refund", "credit_applied"} <= kinds
    # Every seal is unique: no two entries chain to the same predecessor with one content.
    assert len({seal for *_, seal in rows}) == len(rows)
    print(f"\nsealed: {len(rows)} entries of {len(sources)} sources, every chain intact")


def test_entries_of_one_source_in_one_batch_chain_to_each_other(engine, uow):
    """``post_entries`` given two entries of one source seals the second to the first,
    and the first to the source's latest entry already written."""
    before = entry_rows(engine, "source_kind = 'credit_applied' AND source_number = 'INV-00006'")
    with uow() as session:
        ids = post_entries(
            session=session,
            entries=[
                Entry(
                    date(2026, 11, 22),
                    "credit_applied",
                    "INV-00006",
                    f"test {n}",
                    [Posting("cash", debit=n), Posting("revenue", credit=n)],
                )
                for n in (1, 2)
            ],
        )
        first, second = (session.get(JournalEntry, entry_id).chain_hash for entry_id in ids)
    postings = [("cash", 1, 0, None, None), ("revenue", 0, 1, None, None)]
    assert first == journal_seal.seal_of(
        before[-1][4], "2026-11-22", "credit_applied", "INV-00006", "test 1", postings
    )
    postings = [("cash", 2, 0, None, None), ("revenue", 0, 2, None, None)]
    assert second == journal_seal.seal_of(
        first, "2026-11-22", "credit_applied", "INV-00006", "test 2", postings
    )
    assert seal_report(engine) == []


# --- edits behind ordercli's back ------------------------------------------------------------


def test_a_cent_moved_from_revenue_to_sales_tax_is_caught(engine):
    """Issue "Corrections" (1): the entry still balances, the trial balance and every
    receivable still agree; only the seal tells."""
    (row,) = entry_rows(engine, "source_kind = 'invoice' AND source_number = 'INV-00002'")
    behind_the_back(
        engine,
        "UPDATE journal_line SET credit = credit - 1 WHERE entry_id = :id AND account_id = "
        "(SELECT id FROM account WHERE role = 'revenue')",
        "UPDATE journal_line SET credit = credit + 1 WHERE entry_id = :id AND account_id = "
        "(SELECT id FROM account WHERE role = 'sales_tax')",
        id=row[0],
    )
    found = problems(engine)
    assert [p["problem"] for p in found if p["check"] == CHECK] == [changed(named(row))]
    assert [p["rule"] for p in found] == ["4"]  # balanced: no other check sees it
    print(f"\none cent moved: {named(row)} named, by the seal alone")


def test_a_payment_entry_re_dated_a_year_earlier_is_caught(engine):
    """Issue "Corrections" (2): every as-of balance moves, no document changes."""
    (row,) = entry_rows(engine, "source_kind = 'payment' AND source_number = 'PAY-00002'")
    day = row[1] if isinstance(row[1], date) else date.fromisoformat(row[1])
    earlier = day.replace(year=day.year - 1)
    behind_the_back(
        engine,
        "UPDATE journal_entry SET entry_date = :d WHERE id = :id",
        d=earlier.isoformat(),
        id=row[0],
    )
    redated = (row[0], earlier.isoformat(), *row[2:])
    assert seal_report(engine) == [changed(named(redated))]
    assert f"payment PAY-00002, {earlier.isoformat()})" in named(redated)
    print(f"\nre-dated: {named(redated)} named (posted on {day})")


def test_an_entry_moved_to_another_source_is_caught(engine):
    (row,) = entry_rows(engine, "source_kind = 'refund' AND source_number = 'RF-00002'")
    behind_the_back(
        engine, "UPDATE journal_entry SET source_number = 'RF-00001' WHERE id = :id", id=row[0]
    )
    moved = (*row[:3], "RF-00001", row[4])
    assert seal_report(engine) == [changed(named(moved))]


def test_a_line_moved_to_another_entry_is_caught_at_the_earlier_entry(engine):
    invoice = entry_rows(engine, "source_kind = 'invoice' AND source_number = 'INV-00001'")[0]
    payment = entry_rows(engine, "source_kind = 'payment' AND source_number = 'PAY-00003'")[0]
    behind_the_back(
        engine,
        "UPDATE journal_line SET entry_id = :to WHERE id = (SELECT MIN(id) FROM journal_line "
        "WHERE entry_id = :id)",
        id=payment[0],
        to=invoice[0],
    )
    assert seal_report(engine) == [
        changed(named(invoice)) + "; 1 later journal entry does not match either"
    ]


def test_an_entry_deleted_from_the_middle_of_its_source_breaks_the_next_link(engine):
    first, middle, last = entry_rows(
        engine, "source_kind = 'credit_applied' AND source_number = 'INV-00006'"
    )
    behind_the_back(
        engine,
        "DELETE FROM journal_line WHERE entry_id = :id",
        "DELETE FROM journal_entry WHERE id = :id",
        id=middle[0],
    )
    assert seal_report(engine) == [changed(named(last))]
    print(f"\ndeleted: entry {middle[0]} removed, {named(last)} no longer chains")


def test_the_first_entry_of_a_source_deleted_breaks_the_second(engine):
    first, second, _ = entry_rows(
        engine, "source_kind = 'credit_applied' AND source_number = 'INV-00006'"
    )
    behind_the_back(
        engine,
        "DELETE FROM journal_line WHERE entry_id = :id",
        "DELETE FROM journal_entry WHERE id = :id",
        id=first[0],
    )
    assert seal_report(engine) == [changed(named(second))]


def test_of_two_edits_the_earlier_entry_is_named_and_the_other_counted(engine):
    rows = entry_rows(engine, "source_kind = 'invoice'")
    behind_the_back(
        engine,
        "UPDATE journal_entry SET memo = 'edited' WHERE id = :b",
        "UPDATE journal_entry SET memo = 'edited too' WHERE id = :a",
        a=rows[1][0],
        b=rows[3][0],
    )
    assert seal_report(engine) == [
        changed(named(rows[1])) + "; 1 later journal entry does not match either"
    ]


def test_an_entry_written_without_a_seal_is_named(engine):
    (row,) = entry_rows(engine, "source_kind = 'credit_memo' AND source_number = 'CM-00001'")
    behind_the_back(engine, "UPDATE journal_entry SET chain_hash = NULL WHERE id = :id", id=row[0])
    assert seal_report(engine) == [f"{named(row)} has no seal: it was written outside ordercli"]


def test_ordercli_check_names_the_entry(engine, cli):
    assert cli.ok("check")["ok"] is True
    (row,) = entry_rows(engine, "source_kind = 'invoice' AND source_number = 'INV-00004'")
    behind_the_back(
        engine,
        "UPDATE journal_line SET credit = credit - 1 WHERE entry_id = :id AND account_id = "
        "(SELECT id FROM account WHERE role = 'revenue')",
        "UPDATE journal_line SET credit = credit + 1 WHERE entry_id = :id AND account_id = "
        "(SELECT id FROM account WHERE role = 'sales_tax')",
        id=row[0],
    )
    result = cli.run("check")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    problem = changed(named(row))
    assert f"problem (rule 4): {problem}" == " ".join(result.stdout.split())  # as wrapped
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads(cli.run("check", "--json").stdout)
    assert report["problems"] == [{"rule": "4", "check": CHECK, "problem": problem}]


# --- upgrades, copies and restores -----------------------------------------------------------


def test_migration_0008_seals_a_ledger_of_schema_0007_as_the_services_did(engine):
    """Down to 0007 (the seals dropped) and up again: the frozen format gives every entry
    the very seal the services gave it when it was posted."""
    from alembic import command

    from ordercli.db.migrations.runner import alembic_config, upgrade

    posted = {row[0]: row[4] for row in entry_rows(engine)}
    config = alembic_config()
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # tables are rebuilt; see runner.upgrade
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        connection.commit()
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("journal_entry")}
    assert "chain_hash" not in columns
    upgrade(engine)
    assert {row[0]: row[4] for row in entry_rows(engine)} == posted
    assert problems(engine) == []
    print(f"\nmigration 0008: {len(posted)} entries sealed exactly as the services sealed them")


@pytest.mark.sqlite_only("released ledgers are SQLite files")
@pytest.mark.parametrize("release", ["ledger-0002", "ledger-0004"])
def test_an_upgraded_ledger_has_every_entry_sealed_and_checks_clean(release, tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(FIXTURES / f"{release}.db", path)
    url = resolve_location(str(path))
    try:
        engine = open_ledger(url)
        rows = entry_rows(engine)
        assert rows and all(seal and len(seal) == 64 for *_, seal in rows)
        assert problems(engine) == []
        (first,) = entry_rows(engine, "source_kind = 'invoice' AND source_number = 'INV-00001'")
        behind_the_back(engine, "UPDATE journal_entry SET memo = 'x' WHERE id = :id", id=first[0])
        assert seal_report(engine) == [changed(named(first))]
    finally:
        ordercli.db.engine.forget_ledger(url)
    print(f"\nupgrade: {release} had its {len(rows)} journal entries sealed, check clean")


@pytest.mark.sqlite_only("backup and restore copy SQLite ledger files")
def test_backup_restore_and_migrate_to_keep_every_seal(engine, ledger_path, tmp_path):
    from ordercli.io.backup import backup_ledger, restore_ledger
    from ordercli.io.migrate import migrate_ledger

    posted = entry_rows(engine)
    url = f"sqlite:///{ledger_path}"
    copy = tmp_path / "copy.db"
    assert migrate_ledger(source_url=url, target_url=f"sqlite:///{copy}")["check"] == "ok"
    try:
        assert entry_rows(open_ledger(f"sqlite:///{copy}")) == posted
    finally:
        forget_ledger(f"sqlite:///{copy}")
    backup = tmp_path / "backup.db"
    backup_ledger(url=url, target=str(backup))
    with unit_of_work(engine) as session:  # something posted after the backup
        payments.record_payment(session=session, customer_code="ACME", amount=D("1"))
    forget_ledger(url)
    restore_ledger(url=url, source=str(backup))  # refuses a backup failing any check
    restored = open_ledger(url)
    assert entry_rows(restored) == posted
    assert problems(restored) == []
    print(f"\ncopies: {len(posted)} sealed entries kept by migrate-to, backup and restore")
