"""Shared fixtures: a temporary ledger, a CLI runner, and a business-like catalog.

The fixtures read like the business: a dozen customers and a real-looking
catalog come from ``sample_data/`` (the same files the demo uses).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ordercli.cli.app import app
from ordercli.db import open_ledger, resolve_location, unit_of_work
from ordercli.services.demo import sample_data_dir, seed_demo

# Tests never see the developer's real ledger or clock.
os.environ.pop("ORDERCLI_DB", None)
os.environ.pop("ORDERCLI_TODAY", None)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def engine(ledger_path: Path):
    return open_ledger(resolve_location(str(ledger_path)))


@pytest.fixture
def uow(engine):
    """``with uow() as session:`` — one committed unit of work, as a command has."""

    def make(write: bool = True):
        return unit_of_work(engine, write=write)

    return make


@pytest.fixture
def seeded(engine, uow):
    """A ledger holding the sample customers and catalog."""
    with uow() as session:
        seed_demo(session=session, folder=sample_data_dir())
    return engine


class Cli:
    """Runs ``ordercli --db LEDGER …`` in-process and parses ``--json`` output."""

    def __init__(self, ledger: Path):
        self.ledger = ledger
        self.runner = CliRunner()

    def run(self, *args: str, env: dict | None = None):
        return self.runner.invoke(app, ["--db", str(self.ledger), *args], env=env)

    def ok(self, *args: str, env: dict | None = None):
        """Run with --json, assert success, return the parsed document."""
        result = self.run(*args, "--json", env=env)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout)

    def fails(self, *args: str, code: int = 1, env: dict | None = None) -> str:
        """Run, assert a refusal with one ``error:`` line and no traceback; return it."""
        result = self.run(*args, env=env)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
        first = result.stderr.splitlines()[0]
        assert first.startswith("error: "), result.stderr
        return first


@pytest.fixture
def cli(ledger_path: Path) -> Cli:
    return Cli(ledger_path)


@pytest.fixture
def shop(cli: Cli, seeded) -> Cli:
    """A CLI on a ledger with the sample customers and catalog."""
    return cli


def ledger_fingerprint(engine) -> dict[str, list]:
    """Every row of every table, to prove a refusal changed nothing."""
    with engine.connect() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name NOT LIKE 'sqlite_%' "
                    "ORDER BY name"
                )
            )
        ]
        return {
            t: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]
            for t in tables
        }


@pytest.fixture
def fingerprint():
    return ledger_fingerprint


@pytest.fixture
def unchanged(engine) -> Iterator:
    """``with unchanged(): …`` asserts the block leaves every table as it was."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = ledger_fingerprint(engine)
        yield
        assert ledger_fingerprint(engine) == before, "the ledger changed"

    return check


# --- PostgreSQL ---------------------------------------------------------------------

PG_URL = os.environ.get("ORDERCLI_TEST_PG_URL", "")
PG_LOCK_FILE = Path(tempfile.gettempdir()) / "ordercli-test-postgres.lock"


@pytest.fixture
def pg_engine():
    """An ordercli ledger on an empty PostgreSQL schema, for this test alone.

    Skips without ``ORDERCLI_TEST_PG_URL``. Tests on several workers share the one
    database, so they take turns through a file lock."""
    if not PG_URL:
        pytest.skip("set ORDERCLI_TEST_PG_URL to run PostgreSQL tests")
    import fcntl

    from sqlalchemy import create_engine

    import ordercli.db

    with PG_LOCK_FILE.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            ordercli.db.dispose_all()
            admin = create_engine(PG_URL)
            try:
                with admin.begin() as conn:
                    conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            finally:
                admin.dispose()
            yield open_ledger(PG_URL)
        finally:
            ordercli.db.dispose_all()
            fcntl.flock(lock, fcntl.LOCK_UN)
