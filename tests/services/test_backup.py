"""`ordercli backup` and `ordercli restore`: consistent copies, checked restores."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import service_workers as workers
from sqlmodel import select

from ordercli.books.checks import run_checks
from ordercli.db.engine import dispose_all, forget_ledger, open_ledger, unit_of_work
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.io.backup import backup_ledger, restore_ledger
from ordercli.models import Invoice

pytestmark = pytest.mark.sqlite_only("backup and restore copy SQLite ledger files")


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _invoices(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT number FROM invoice ORDER BY id")]


def _check_clean(path: Path) -> dict:
    url = _url(path)
    try:
        with unit_of_work(open_ledger(url), write=False) as session:
            report = run_checks(session=session)
            count = len(session.scalars(select(Invoice.id)).all())
    finally:
        forget_ledger(url)
    assert report["ok"], report["problems"]
    return {"invoices": count}


def test_a_backup_taken_while_four_processes_invoice_opens_clean(engine, ledger_path, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    orders = workers.prepare(url, 4 * 10)
    jobs = [(url, orders[i::4]) for i in range(4)]
    copies: list[Path] = []
    errors: list[BaseException] = []
    writers_done = threading.Event()

    def back_up_until_the_writers_finish():
        try:
            taken = 0
            while len(copies) < 2 or not writers_done.is_set():
                target = tmp_path / f"copy-{taken}.db"
                taken += 1
                backup_ledger(url=url, target=str(target))
                if copies and not _invoices(target) and not _invoices(copies[-1]):
                    target.unlink()  # the writers have not started: one such copy is enough
                    continue
                copies.append(target)
                if len(copies) >= 50:
                    break
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=back_up_until_the_writers_finish)
    thread.start()
    try:
        workers.spawn_all(workers.issue_invoices, jobs)
    finally:
        writers_done.set()
        thread.join()
    assert not errors, errors
    counts = [_check_clean(copy)["invoices"] for copy in copies]
    print(
        f"\n{len(copies)} backups taken while 4 processes issued 40 invoices; "
        f"invoices in them: {sorted(set(counts))}; every backup passed ordercli check"
    )
    assert counts == sorted(counts)  # each copy is a moment of the ledger, in order
    assert counts[-1] > 0, "no backup was taken once the writers had started"
    assert counts[-1] <= 40
    for copy in copies:
        numbers = _invoices(copy)
        assert numbers == [f"INV-{n:05d}" for n in range(1, len(numbers) + 1)]


def test_backup_never_overwrites_and_needs_a_real_directory(engine, ledger_path, tmp_path):
    url = _url(ledger_path)
    existing = tmp_path / "old.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(InvalidInput, match="not overwriting"):
        backup_ledger(url=url, target=str(existing))
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(InvalidInput, match="does not exist"):
        backup_ledger(url=url, target=str(tmp_path / "missing" / "b.db"))
    with pytest.raises(InvalidInput, match="needs a FILE"):
        backup_ledger(url=url, target=" ")
    with pytest.raises(InvalidInput):
        backup_ledger(url=url, target=str(ledger_path))
    assert not list(tmp_path.glob(".*.part"))


def test_backup_of_a_server_ledger_is_refused():
    with pytest.raises(RuleViolation, match="SQLite ledger") as refused:
        backup_ledger(url="postgresql+psycopg://u@localhost/x", target="b.db")
    assert "pg_dump" in refused.value.hint


def test_restore_brings_back_the_books_and_keeps_the_current_ledger(
    shop, engine, ledger_path, tmp_path
):
    shop.ok("order", "new", "ACME")
    backup = tmp_path / "before.db"
    backup_ledger(url=_url(ledger_path), target=str(backup))
    shop.ok("order", "new", "BRIGHT")
    assert len(shop.ok("order", "list")) == 2
    dispose_all()
    doc = restore_ledger(url=_url(ledger_path), source=str(backup))
    kept = Path(doc["previous_ledger_kept_at"])
    assert kept.exists()
    assert [o["customer"] for o in shop.ok("order", "list")] == ["ACME"]
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT count(*) FROM sales_order").fetchone()[0] == 2
    _check_clean(ledger_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a SQLite file"),
        (b"hello, I am a spreadsheet", "not a SQLite file"),
        (None, "not an ordercli ledger"),
    ],
)
def test_restore_refuses_what_is_not_a_ledger_and_changes_nothing(
    shop, engine, ledger_path, tmp_path, unchanged, content, message
):
    source = tmp_path / "bad.db"
    if content is None:
        with sqlite3.connect(source) as conn:
            conn.execute("CREATE TABLE invoice (id INTEGER)")
    else:
        source.write_bytes(content)
    with unchanged(), pytest.raises(InvalidInput, match=message):
        restore_ledger(url=_url(ledger_path), source=str(source))
    assert not list(ledger_path.parent.glob("*.before-restore-*"))


def test_restore_refuses_a_backup_that_fails_the_ledger_checks(
    shop, engine, ledger_path, tmp_path, unchanged
):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "2")
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("invoice", "create", "SO-00001")
    backup = tmp_path / "tampered.db"
    backup_ledger(url=_url(ledger_path), target=str(backup))
    with sqlite3.connect(backup) as conn:  # behind ordercli's back
        conn.execute("UPDATE invoice SET total = total + 100")
    with unchanged(), pytest.raises(InvalidInput, match="ledger check"):
        restore_ledger(url=_url(ledger_path), source=str(backup))


def test_restore_refuses_a_backup_from_a_newer_ordercli(
    shop, engine, ledger_path, tmp_path, unchanged
):
    backup = tmp_path / "newer.db"
    backup_ledger(url=_url(ledger_path), target=str(backup))
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff'")
    with unchanged(), pytest.raises(InvalidInput, match="newer than this ordercli"):
        restore_ledger(url=_url(ledger_path), source=str(backup))


def test_restore_upgrades_an_older_ledger(ledger_path, tmp_path):
    fixture = Path(__file__).parent.parent / "fixtures" / "ledger-0001.db"
    doc = restore_ledger(url=_url(ledger_path), source=str(fixture))
    assert doc["previous_ledger_kept_at"] is None
    with sqlite3.connect(ledger_path) as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    from ordercli.db.engine import HEAD_REVISION

    assert revision == HEAD_REVISION
    _check_clean(ledger_path)


def test_backup_and_restore_through_the_cli(shop, ledger_path, tmp_path):
    target = tmp_path / "cli-backup.db"
    doc = shop.ok("backup", str(target))
    assert doc["backup"] == str(target) and target.exists()
    assert "not overwriting" in shop.fails("backup", str(target))
    shop.ok("customer", "add", "Later Ltd", "--code", "LATER")
    dispose_all()
    restored = shop.ok("restore", str(target))
    assert restored["restored_from"] == str(target)
    assert "LATER" not in {c["code"] for c in shop.ok("customer", "list", "--all")}
    assert "does not exist" in shop.fails("restore", str(tmp_path / "nope.db"))
