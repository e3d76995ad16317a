"""Backing up a SQLite ledger and restoring one, without ever losing the current one.

``backup`` copies with SQLite's online backup API, which gives a consistent
snapshot even while other processes write. ``restore`` first proves the file
is a good ledger (a SQLite file, ``integrity_check`` ok, a schema this
ordercli knows, every ledger invariant holding) on a private copy, keeps the
current ledger beside itself, and then copies the restored pages into the
ledger in one transaction, so a process that has the ledger open sees either
the old books or the restored ones.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from ordercli.books.checks import run_checks
from ordercli.db.engine import forget_ledger, open_ledger, unit_of_work
from ordercli.domain.errors import InvalidInput, LedgerUnavailable, RuleViolation
from ordercli.domain.paths import check_path

SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_path(url: str, what: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise RuleViolation(
            f"{what} works on a SQLite ledger; this one is on a server",
            hint="back up a PostgreSQL ledger with the server's own tools (pg_dump)",
        )
    return Path(url.removeprefix("sqlite:///"))


def _copy(source: Path, target: Path, *, busy_seconds: float = 30.0) -> None:
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=busy_seconds)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        # The copy stands alone: one file, no write-ahead log beside it.
        dst.execute("PRAGMA journal_mode = DELETE")


def backup_ledger(*, url: str, target: str) -> dict:
    """A consistent copy of the ledger at ``target``; an existing file is never overwritten."""
    ledger = _sqlite_path(url, "backup")
    if not target or not target.strip():
        raise InvalidInput("backup needs a FILE to write")
    path = Path(target)
    check_path(path)
    if path.exists():
        raise InvalidInput(f"{path} exists; not overwriting it (choose a new file name)")
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the directory {path.parent} does not exist")
    if path.resolve() == ledger.resolve():
        raise InvalidInput("the backup cannot be the ledger itself")
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    temporary = Path(name)
    try:
        _copy(ledger, temporary)
        verdict = _integrity(temporary)
        if verdict != "ok":
            raise LedgerUnavailable(f"the copy of {ledger} failed its integrity check: {verdict}")
        os.replace(temporary, path)
    except sqlite3.Error as exc:
        raise LedgerUnavailable(f"could not back up {ledger}: {exc}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return {"ledger": str(ledger), "backup": str(path), "bytes": path.stat().st_size}


def _integrity(path: Path) -> str:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return "ok" if rows == ["ok"] else "; ".join(rows[:3])


def _checked_copy(source: Path, folder: Path) -> Path:
    """A private copy of ``source`` at the current schema whose every check passes."""
    if not source.is_file():
        raise InvalidInput(f"{source} does not exist or is not a file")
    with source.open("rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise InvalidInput(f"{source} is not a ledger backup (not a SQLite file)")
    candidate = folder / "candidate.db"
    try:
        _copy(source, candidate)
        verdict = _integrity(candidate)
    except sqlite3.Error as exc:
        raise InvalidInput(f"{source} cannot be read as a ledger: {exc}") from None
    if verdict != "ok":
        raise InvalidInput(f"{source} is damaged: {verdict}")
    with closing(sqlite3.connect(candidate)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "alembic_version" not in tables or "invoice" not in tables:
        raise InvalidInput(f"{source} is not an ordercli ledger")
    url = f"sqlite:///{candidate}"
    try:
        engine = open_ledger(url)  # refuses a newer schema; upgrades an older one
        with unit_of_work(engine, write=False) as session:
            report = run_checks(session=session)
    except LedgerUnavailable as exc:
        raise InvalidInput(f"{source} cannot be restored: {exc.message}") from None
    finally:
        forget_ledger(url)
    if not report["ok"]:
        first = report["problems"][0]["problem"]
        raise InvalidInput(
            f"{source} fails {len(report['problems'])} ledger check(s), e.g. {first}; "
            "not restoring it"
        )
    return candidate


def restore_ledger(*, url: str, source: str) -> dict:
    """Replace the ledger's contents with a checked backup; the old ledger is kept beside it."""
    ledger = _sqlite_path(url, "restore")
    if not source or not source.strip():
        raise InvalidInput("restore needs the backup FILE to read")
    source_path = Path(source)
    check_path(source_path)
    if source_path.exists() and ledger.exists() and source_path.resolve() == ledger.resolve():
        raise InvalidInput("that file is the ledger itself; restore reads a backup of it")
    # The backup is checked beside the ledger; a ledger restored into a folder that does
    # not exist yet (a new machine) is checked in the temporary folder, and its folder
    # made only once the backup has passed.
    beside = ledger.parent if ledger.parent.is_dir() else None
    with tempfile.TemporaryDirectory(dir=beside, prefix=".ordercli-restore-") as folder:
        candidate = _checked_copy(source_path, Path(folder))
        kept = None
        if ledger.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = ledger.with_name(f"{ledger.name}.before-restore-{stamp}.bak")
            _copy(ledger, kept)
        else:
            ledger.parent.mkdir(parents=True, exist_ok=True)

        forget_ledger(url)
        try:
            with (
                closing(sqlite3.connect(candidate)) as src,
                closing(sqlite3.connect(ledger, timeout=30)) as dst,
            ):
                src.backup(dst)
        except sqlite3.Error as exc:
            raise LedgerUnavailable(
                f"could not restore into {ledger}: {exc}",
                hint=f"the ledger as it was is kept at {kept}" if kept else None,
            ) from None
    return {
        "ledger": str(ledger),
        "restored_from": str(source_path),
        "previous_ledger_kept_at": str(kept) if kept else None,
    }
