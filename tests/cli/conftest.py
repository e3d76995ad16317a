"""Fixtures for the end-to-end CLI tests (on top of ``tests/conftest.py``).

Two things keep a few hundred CLI runs fast without changing what they test:

* Typer rebuilds its whole Click command tree on every ``CliRunner.invoke``;
  that tree never changes, so it is built once and reused.
* Creating a ledger runs the Alembic migrations, and seeding the sample data
  (``seed_demo``, exactly what the ``seeded`` fixture of ``tests/conftest.py``
  does) adds a few hundred rows. Both are done once per test process into
  template files; each test gets its own fresh *copy* at ``ledger_path`` (the
  seeded one when the test uses ``seeded``/``shop``), so the ``cli``, ``shop``,
  ``engine`` and ``unchanged`` fixtures of ``tests/conftest.py`` work exactly as
  before, each test on a ledger of its own.

On PostgreSQL (``ORDERCLI_TEST_BACKEND=postgresql``) the root fixtures give each
test a database copied from template databases instead (``PgLedgers`` in
``tests/conftest.py``), and ``ledger_state`` keeps its named states as template
databases too.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
import typer.main
import typer.testing

from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
from ordercli.io.demo import sample_data_dir, seed_demo

ON_POSTGRESQL = os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() == "postgresql"

_real_get_command = typer.testing._get_command
_commands: dict[int, object] = {}


def _cached_get_command(app):
    command = _commands.get(id(app))
    if command is None:
        command = _commands[id(app)] = _real_get_command(app)
    return command


@pytest.fixture(autouse=True)
def _fast_typer(monkeypatch):
    monkeypatch.setattr(typer.testing, "_get_command", _cached_get_command)
    monkeypatch.setattr(typer.main, "get_command", _cached_get_command)  # `demo` calls app()
    yield
    # Each test's ledger is its own file; close its pooled connections afterwards.
    dispose_all()


def _snapshot(source: Path, target: Path) -> Path:
    """A consistent single-file copy of a ledger (whatever WAL state the source is in)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{target}{suffix}").exists(), f"{target}{suffix} left behind"
    return target


@pytest.fixture(scope="session")
def _templates(tmp_path_factory) -> dict[str, Path]:
    build = tmp_path_factory.mktemp("build")
    folder = tmp_path_factory.mktemp("templates")
    open_ledger(resolve_location(str(build / "empty.db")), create=True)
    empty = _snapshot(build / "empty.db", folder / "empty.db")
    _snapshot(empty, build / "sample.db")
    with unit_of_work(open_ledger(resolve_location(str(build / "sample.db")))) as session:
        seed_demo(session=session, folder=sample_data_dir())
    sample = _snapshot(build / "sample.db", folder / "sample.db")
    return {"empty": empty, "sample": sample}


if not ON_POSTGRESQL:  # on PostgreSQL the root ``ledger_url`` makes the ledger

    @pytest.fixture
    def ledger_path(request, tmp_path: Path, _templates) -> Path:
        """A fresh ledger of this test's own: migrated, and seeded when the test uses
        ``seeded``."""
        path = tmp_path / "ledger.db"
        template = "sample" if "seeded" in request.fixturenames else "empty"
        shutil.copyfile(_templates[template], path)
        return path


@pytest.fixture
def seeded(engine):
    """The ledger holding the sample customers and catalog (copied in by ``ledger_path``)."""
    return engine


@pytest.fixture
def cli_at(cli):
    """``cli_at(path)``: the same kind of runner as ``cli`` on another ledger location
    (a file, or a database URL)."""
    return lambda path: type(cli)(path if "://" in str(path) else Path(path))


@pytest.fixture
def raw_json(cli):
    """``raw_json(*args)``: run with --json, assert exit 0 and that stdout is one document."""

    def run(*args: str, env: dict | None = None):
        result = cli.run(*args, "--json", env=env)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        assert result.stdout.strip(), "nothing on stdout"
        return result, json.loads(result.stdout)

    return run


@pytest.fixture(scope="session")
def _states(tmp_path_factory) -> dict:
    return {"dir": tmp_path_factory.mktemp("states"), "built": {}}


if ON_POSTGRESQL:

    @pytest.fixture
    def ledger_state(cli, ledger_url: str, pg_ledgers):
        """``ledger_state(name, build)``: as on SQLite (below), each state kept as a
        template database."""

        def use(name: str, build, base: str = "sample") -> None:
            state = f"state-{name}"
            pg_ledgers.template(state, lambda url: build(type(cli)(url)), base=base)
            pg_ledgers.refill(ledger_url, state)

        return use

else:

    @pytest.fixture
    def ledger_state(cli, ledger_path: Path, _templates, _states):
        """``ledger_state(name, build)``: put this test's ledger in a named state.

        ``build(runner)`` drives the CLI (a runner like ``cli``) on a copy of the
        sample ledger (of the empty migrated one with ``base="empty"``) the first time
        a state is asked for; the result is kept as a template and every test asking
        for the state gets a fresh copy of it, as if it had run the same commands
        itself.
        """

        def use(name: str, build, base: str = "sample") -> None:
            built = _states["built"]
            if name not in built:
                work = _states["dir"] / f"build-{name}.db"
                shutil.copyfile(_templates[base], work)
                build(type(cli)(work))
                dispose_all()
                built[name] = _snapshot(work, _states["dir"] / f"{name}.db")
            dispose_all()  # no connection may stay open on the file being replaced
            for suffix in ("", "-wal", "-shm"):
                Path(f"{ledger_path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(built[name], ledger_path)

        return use


def build_confirmed(cli) -> None:
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4")
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5")
    cli.ok("order", "confirm", "SO-00001")


@pytest.fixture
def confirmed(shop, ledger_state):
    """SO-00001 for ACME, confirmed: 4 × DESK-OAK (489.00, 19%) and 2.5 h INSTALL (65.00)."""
    ledger_state("confirmed", build_confirmed)
    return shop


@pytest.fixture
def human(cli):
    """``human(*args)``: run without --json, assert exit 0 and no error; return stdout."""

    def run(*args: str, env: dict | None = None) -> str:
        result = cli.run(*args, env=env)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        assert "error:" not in result.stderr and "Traceback" not in result.stderr
        assert result.stdout.strip(), "no human output"
        return result.stdout

    return run
