"""Shared fixtures: a temporary ledger, a CLI runner, and a business-like catalog.

The fixtures read like the business: a dozen customers and a real-looking
catalog come from ``sample_data/`` (the same files the demo uses).

Backends: by default every ledger is a SQLite file at ``ledger_path``. With
``ORDERCLI_TEST_BACKEND=postgresql`` and ``ORDERCLI_TEST_PG_URL`` naming a database
on a PostgreSQL server, ``engine``, ``cli``, ``shop`` and ``seeded`` use a fresh
database of their own on that server instead (see ``PgLedgers``), and tests
marked ``sqlite_only`` are skipped there with their reason.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from typer.testing import CliRunner

from ordercli.cli.app import app
from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
from ordercli.io.demo import sample_data_dir, seed_demo

# Hypothesis draws the same examples on every run of the suite, so a fresh clone sees
# what CI saw; ORDERCLI_HYPOTHESIS_RANDOM=1 (the soak job) explores new ones.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
# A failure found while exploring prints the @reproduce_failure line that replays it.
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(
    "explore" if os.environ.get("ORDERCLI_HYPOTHESIS_RANDOM") else "repeatable"
)


# Tests never see the developer's real ledger or clock.
os.environ.pop("ORDERCLI_DB", None)
os.environ.pop("ORDERCLI_TODAY", None)
# Nor a terminal width: output follows COLUMNS, and pytest-xdist's workers inherit one.
# Without it captured output is as wide as a pipe's (160); tests that want a width say so.
os.environ.pop("COLUMNS", None)

PG_URL = os.environ.get("ORDERCLI_TEST_PG_URL", "")
BACKEND = os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() or "sqlite"
ON_POSTGRESQL = BACKEND == "postgresql"


def pytest_configure(config):
    if BACKEND not in {"sqlite", "postgresql"}:
        raise pytest.UsageError(
            f"ORDERCLI_TEST_BACKEND={BACKEND!r}: use 'sqlite' (the default) or 'postgresql'"
        )
    if ON_POSTGRESQL and not PG_URL:
        raise pytest.UsageError(
            "ORDERCLI_TEST_BACKEND=postgresql needs ORDERCLI_TEST_PG_URL, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )


def pytest_report_header(config):
    return f"ordercli test backend: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL: skip ``sqlite_only`` tests, expect ``xfail_on_postgresql`` ones to fail."""
    if not ON_POSTGRESQL:
        return
    for item in items:
        only = item.get_closest_marker("sqlite_only")
        if only is not None:
            why = only.args[0] if only.args else only.kwargs.get("reason", "SQLite by nature")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))
        bug = item.get_closest_marker("xfail_on_postgresql")
        if bug is not None:
            why = bug.args[0] if bug.args else bug.kwargs["reason"]
            item.add_marker(pytest.mark.xfail(reason=f"on PostgreSQL: {why}", strict=True))


class Cli:
    """Runs ``ordercli --db LEDGER …`` in-process and parses ``--json`` output.

    ``LEDGER`` is a ledger file, or a database URL on PostgreSQL."""

    def __init__(self, ledger: Path | str):
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
def uow(engine):
    """``with uow() as session:`` — one committed unit of work, as a command has."""

    def make(write: bool = True):
        return unit_of_work(engine, write=write)

    return make


if not ON_POSTGRESQL:  # SQLite: the ledger is a file of the test's own

    @pytest.fixture
    def ledger_path(tmp_path: Path) -> Path:
        return tmp_path / "ledger.db"

    @pytest.fixture
    def engine(ledger_path: Path):
        return open_ledger(resolve_location(str(ledger_path)), create=True)

    @pytest.fixture
    def seeded(engine, uow):
        """A ledger holding the sample customers and catalog."""
        with uow() as session:
            seed_demo(session=session, folder=sample_data_dir())
        return engine

    @pytest.fixture
    def cli(ledger_path: Path) -> Cli:
        return Cli(ledger_path)

    @pytest.fixture
    def ledger_from(ledger_path: Path):
        """``ledger_from(template)``: make this test's ledger a copy of ``template`` (a
        ledger file here, a template database on PostgreSQL); returns its engine."""

        def make(template: Path):
            import shutil

            from ordercli.db.engine import forget_ledger

            url = resolve_location(str(ledger_path))
            forget_ledger(url)  # no pooled connection may hold the file being replaced
            for suffix in ("-wal", "-shm"):
                Path(f"{ledger_path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, ledger_path)
            return open_ledger(url)

        return make

else:  # PostgreSQL: the ledger is a database of the test's own (see PgLedgers)

    @pytest.fixture
    def ledger_url(request, pg_ledgers) -> Iterator[str]:
        """This test's database: a copy of the sample ledger when the test uses
        ``seeded``, else of the empty migrated one; recycled or dropped afterwards."""
        url = pg_ledgers.take("sample" if "seeded" in request.fixturenames else "empty")
        yield url
        pg_ledgers.release(url)

    @pytest.fixture
    def ledger_path(ledger_url: str) -> str:
        """The ledger's location is its URL (a ``str``): ``str(ledger_path)`` is what
        ``--db`` takes and what commands report, on either backend. A test that handles
        the file itself (``read_bytes``, ``sqlite3.connect``) fails here: mark it
        ``sqlite_only``."""
        return ledger_url

    @pytest.fixture
    def engine(ledger_url: str):
        return open_ledger(ledger_url)

    @pytest.fixture
    def seeded(engine):
        """A ledger holding the sample customers and catalog (a copy, see ``ledger_url``)."""
        return engine

    @pytest.fixture
    def cli(ledger_url: str) -> Cli:
        return Cli(ledger_url)

    @pytest.fixture
    def ledger_from(ledger_url: str, pg_ledgers):
        """``ledger_from(template)``: make this test's ledger a copy of ``template`` (a
        template database here, a ledger file on SQLite); returns its engine."""

        def make(template: str):
            pg_ledgers.refill(ledger_url, template)
            return open_ledger(ledger_url)

        return make


@pytest.fixture
def shop(cli: Cli, seeded) -> Cli:
    """A CLI on a ledger with the sample customers and catalog."""
    return cli


def ledger_fingerprint(engine) -> dict[str, list]:
    """Every row of every table, to prove a refusal changed nothing."""
    if engine.dialect.name == "sqlite":
        tables_sql = (
            "SELECT name FROM sqlite_master WHERE type='table' "
            "AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    else:
        tables_sql = (
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    with engine.connect() as conn:
        tables = [row[0] for row in conn.execute(text(tables_sql))]
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

PG_LOCK_FILE = Path(tempfile.gettempdir()) / "ordercli-test-postgres.lock"


@pytest.fixture
def pg_empty_url():
    """The URL of a PostgreSQL database with an empty schema (no ledger), for this test
    alone.

    Skips without ``ORDERCLI_TEST_PG_URL``. Tests on several workers share the one
    database, so they take turns through a file lock."""
    if not PG_URL:
        pytest.skip("set ORDERCLI_TEST_PG_URL to run PostgreSQL tests")
    import fcntl

    from sqlalchemy import create_engine

    import ordercli.db.engine

    with PG_LOCK_FILE.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            ordercli.db.engine.dispose_all()
            admin = create_engine(PG_URL)
            try:
                with admin.begin() as conn:
                    conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            finally:
                admin.dispose()
            yield PG_URL
        finally:
            ordercli.db.engine.dispose_all()
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def pg_engine(pg_empty_url):
    """An ordercli ledger on an empty PostgreSQL schema, for this test alone."""
    return open_ledger(pg_empty_url, create=True)


# --- The PostgreSQL backend: a fresh database per test ------------------------------

PG_NAME_PREFIX = "ordercli_t_"  # every database the fixtures make; see PgLedgers.clean_stale
PG_STALE_AFTER_SECONDS = 24 * 3600
PRISTINE = "ordercli_test_pristine"  # the schema a template keeps its own rows in


class PgLedgers:
    """The PostgreSQL databases of one test process (one pytest-xdist worker).

    A template database per kind of ledger (``empty``: migrated; ``sample``: migrated
    and seeded from ``sample_data/``; or any ledger a ``build`` made) is made once per
    process. A test gets a database of its own copied from one with ``CREATE DATABASE
    … TEMPLATE …`` (no migration runs again).

    Copying is cheap, but dropping a database forces a checkpoint that syncs every
    file written since the last one (a few hundred per copy), which is what makes a
    copy per test slow. So a copy a test is done with is recycled instead: every
    template keeps its own rows in a ``ordercli_test_pristine`` schema, and the copy
    is put back to exactly those rows (and sequence positions) in one transaction.
    A copy on which anything changed the schema (an event trigger notes every DDL
    command) is dropped instead, and so is every copy when recycling is off
    (``ORDERCLI_TEST_PG_RECYCLE=0``, or a server user that may not create event
    triggers). Scratch ledgers need no durability: they commit without waiting for
    the disk (``synchronous_commit = off``; what a transaction sees is unchanged).

    Names are ``ordercli_t_<start time>_<host>_<pid>_…``: unique per process and run.
    Whatever a crashed run left behind (its process gone, or older than a day) is
    dropped when the next run starts; a run drops its own at the end.
    """

    def __init__(self, url: str):
        import itertools
        import socket
        import time
        import zlib

        from sqlalchemy.engine import make_url

        self.base = make_url(url)
        self.host = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFF:04x}"
        self.prefix = f"{PG_NAME_PREFIX}{int(time.time())}_{self.host}_{os.getpid()}_"
        self.counter = itertools.count(1)
        self.admin = self._connect()
        self.templates: dict[str, str] = {}  # kind -> template database
        self.restore_sql: dict[str, str] = {}  # template database -> how a copy is reset
        self.pool: dict[str, list[str]] = {}  # template database -> clean copies
        self.origin: dict[str, str] = {}  # copy -> its template database
        self.broken: dict[str, str] = {}  # kind -> why building its template failed
        superuser = self.admin.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        self.recycle = bool(superuser and superuser[0]) and os.environ.get(
            "ORDERCLI_TEST_PG_RECYCLE", "1"
        ) not in {"0", "no", "false"}
        self.clean_stale()

    # -- names and connections --

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    @staticmethod
    def name_of(url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(url).database

    def _connect(self, database: str | None = None):
        import psycopg

        u = self.base
        params = {
            "host": u.host,
            "port": u.port,
            "user": u.username,
            "password": u.password,
            "dbname": database or u.database,
            **{k: v for k, v in u.query.items() if isinstance(v, str)},
        }
        conn = psycopg.connect(
            **{k: v for k, v in params.items() if v is not None}, autocommit=True
        )
        conn.execute("SET synchronous_commit = off")
        return conn

    def _new_name(self, what: str = "") -> str:
        return f"{self.prefix}{what}{next(self.counter)}"

    @staticmethod
    def _sql(template: str, *names: str):
        from psycopg import sql

        return sql.SQL(template).format(*(sql.Identifier(n) for n in names))

    def _create(self, name: str, template: str | None) -> None:
        if template is None:
            self.admin.execute(self._sql("CREATE DATABASE {}", name))
        else:
            self.admin.execute(self._sql("CREATE DATABASE {} TEMPLATE {}", name, template))
            self.origin[name] = template
        self.admin.execute(self._sql("ALTER DATABASE {} SET synchronous_commit = off", name))

    def _drop(self, name: str) -> None:
        self.admin.execute(self._sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", name))
        self.origin.pop(name, None)

    def _rename(self, name: str, new: str) -> None:
        self.admin.execute(self._sql("ALTER DATABASE {} RENAME TO {}", name, new))
        self.origin[new] = self.origin.pop(name)

    def _disconnect(self, name: str) -> None:
        """Close every connection to database ``name``: ours, and any a test left open."""
        import time

        from ordercli.db.engine import forget_ledger

        forget_ledger(self.url(name))
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        # A closed connection's server process exits a moment later; until it has, the
        # database cannot be renamed or copied (the server would wait 100 ms steps).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = self.admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
            if not row[0]:
                return
            time.sleep(0.002)

    # -- templates --

    def template(self, kind: str, build=None, base: str | None = None) -> str:
        """The template database of ``kind``, made on first use: a copy of the template
        of ``base`` (else a new migrated ledger), then ``build(url)`` on it."""
        if kind in self.templates:
            return self.templates[kind]
        if kind in self.broken:
            raise RuntimeError(f"building the ledger {kind!r} failed earlier: {self.broken[kind]}")
        name = self._new_name("tpl_" + "".join(c if c.isalnum() else "_" for c in kind)[:20] + "_")
        self._create(name, self.template_of(base) if base else None)
        try:
            # Migrates a new ledger, checks a copied one.
            open_ledger(self.url(name), create=True)
            if build is not None:
                build(self.url(name))
        except BaseException as exc:
            self.broken[kind] = f"{type(exc).__name__}: {exc}"[:500]
            self._disconnect(name)
            self._drop(name)
            raise
        self._disconnect(name)
        if self.recycle:
            self._keep_pristine(name)
        # Nothing connects to a template: copying it needs it idle.
        self.admin.execute(self._sql("ALTER DATABASE {} ALLOW_CONNECTIONS false", name))
        self.pool[name] = []
        self.templates[kind] = name
        return name

    def _keep_pristine(self, name: str) -> None:
        """Keep the template's rows and sequence positions beside it, note DDL from now on,
        and work out the one transaction that puts a copy back to them."""
        from psycopg import sql

        conn = self._connect(name)
        try:
            conn.execute(f"DROP EVENT TRIGGER IF EXISTS {PRISTINE}_ddl")
            conn.execute(f"DROP SCHEMA IF EXISTS {PRISTINE} CASCADE")  # a base template's
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            sequences = conn.execute(
                "SELECT sequencename, start_value, last_value FROM pg_sequences "
                "WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()
            conn.execute(f"CREATE SCHEMA {PRISTINE}")
            conn.execute(f"CREATE TABLE {PRISTINE}._ddl (tag text)")
            steps = [
                sql.SQL("BEGIN"),
                sql.SQL("SET LOCAL session_replication_role = replica"),  # no FKs, no triggers
                sql.SQL(
                    f"DO $$ BEGIN IF EXISTS (SELECT FROM {PRISTINE}._ddl) THEN "
                    "RAISE EXCEPTION 'the schema changed'; END IF; END $$"
                ),
            ]
            for table in tables:
                kept = sql.Identifier(PRISTINE, table)
                live = sql.Identifier("public", table)
                conn.execute(sql.SQL("CREATE TABLE {} AS TABLE {}").format(kept, live))
                steps.append(sql.SQL("DELETE FROM {}").format(live))
                steps.append(
                    sql.SQL("INSERT INTO {} OVERRIDING SYSTEM VALUE TABLE {}").format(live, kept)
                )
            for sequence, start, last in sequences:
                steps.append(
                    sql.SQL("SELECT setval({}, {}, {})").format(
                        sql.Literal(f'public."{sequence}"'),
                        sql.Literal(start if last is None else last),
                        sql.Literal(last is not None),
                    )
                )
            steps.append(sql.SQL("COMMIT"))
            conn.execute(
                f"CREATE FUNCTION {PRISTINE}.note_ddl() RETURNS event_trigger LANGUAGE plpgsql "
                f"AS $$ BEGIN INSERT INTO {PRISTINE}._ddl VALUES (tg_tag); END $$"
            )
            conn.execute(
                f"CREATE EVENT TRIGGER {PRISTINE}_ddl ON ddl_command_start "
                f"EXECUTE FUNCTION {PRISTINE}.note_ddl()"
            )
            self.restore_sql[name] = sql.SQL("; ").join(steps).as_string(conn)
        finally:
            conn.close()

    def template_of(self, kind: str) -> str:
        """The template database of ``kind``: ``empty``, ``sample``, one ``template``
        made, or a template database's own name."""
        if kind == "empty":
            return self.template("empty")
        if kind == "sample":

            def seed(url: str) -> None:
                with unit_of_work(open_ledger(url)) as session:
                    seed_demo(session=session, folder=sample_data_dir())

            return self.template("sample", seed, base="empty")
        if kind in self.templates:
            return self.templates[kind]
        if kind in self.pool:
            return kind
        raise KeyError(f"no template database {kind!r}")

    # -- the databases of tests --

    def _copy(self, template: str) -> str:
        """A clean copy of ``template``: a recycled one, else a new one; its name."""
        pool = self.pool[template]
        if pool:
            return pool.pop()
        name = self._new_name()
        self._create(name, template)
        return name

    def _put_back(self, name: str) -> None:
        """Done with copy ``name`` (no connection left): recycle it, else drop it."""
        template = self.origin[name]
        if self.recycle:
            import psycopg

            try:
                conn = self._connect(name)
                try:
                    conn.execute(self.restore_sql[template], prepare=False)
                finally:
                    conn.close()
            except psycopg.Error:  # its schema changed: only a new copy will do
                pass
            else:
                self.pool[template].append(name)
                return
        self._drop(name)

    def take(self, kind: str) -> str:
        """The URL of a database of the test's own, a clean copy of ``kind``."""
        return self.url(self._copy(self.template_of(kind)))

    def release(self, url: str) -> None:
        """The test is done with the database at ``url``."""
        name = self.name_of(url)
        self._disconnect(name)
        self._put_back(name)

    def refill(self, url: str, kind: str) -> None:
        """Make the database at ``url`` a clean copy of ``kind``, under the same name.

        An engine already open on ``url`` stays usable: it connects to the copy."""
        name = self.name_of(url)
        template = self.template_of(kind)
        self._disconnect(name)
        if self.recycle and self.origin.get(name) == template:
            try:
                self._reset(name)
                return
            except Exception:  # its schema changed
                pass
        fresh = self._copy(template)
        old = self._new_name("old_")
        self._rename(name, old)
        self._rename(fresh, name)
        self._put_back(old)

    def _reset(self, name: str) -> None:
        conn = self._connect(name)
        try:
            conn.execute(self.restore_sql[self.origin[name]], prepare=False)
        finally:
            conn.close()

    # -- clean-up --

    def close(self) -> None:
        from ordercli.db.engine import dispose_all

        dispose_all()
        names = self.admin.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (self.prefix,)
        ).fetchall()
        self._drop_all([name for (name,) in names])
        self.admin.close()

    def _drop_all(self, names: list[str]) -> None:
        """Drop databases several at a time: each drop waits for a checkpoint, and drops
        waiting together share one."""
        from concurrent.futures import ThreadPoolExecutor

        def drop(batch: list[str]) -> None:
            conn = self._connect()
            try:
                for name in batch:
                    try:
                        conn.execute(self._sql("DROP DATABASE IF EXISTS {} WITH (FORCE)", name))
                    except Exception:  # gone already (another run cleaning up)
                        pass
            finally:
                conn.close()

        lanes = min(8, len(names))
        if lanes:
            with ThreadPoolExecutor(lanes) as pool:
                list(pool.map(drop, [names[i::lanes] for i in range(lanes)]))

    def clean_stale(self) -> None:
        """Drop the databases runs that crashed left: their process is gone (same
        machine), or they are older than a day."""
        import time

        rows = self.admin.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (PG_NAME_PREFIX,)
        ).fetchall()
        stale_names = []
        for (name,) in rows:
            parts = name[len(PG_NAME_PREFIX) :].split("_")
            try:
                started, host, pid = int(parts[0]), parts[1], int(parts[2])
            except (IndexError, ValueError):
                continue
            stale = time.time() - started > PG_STALE_AFTER_SECONDS
            if host == self.host and pid != os.getpid():
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    stale = True
                except PermissionError:
                    pass
            if stale:
                stale_names.append(name)
        self._drop_all(stale_names)


@pytest.fixture(scope="session")
def pg_ledgers() -> Iterator[PgLedgers]:
    """This test process's PostgreSQL databases (``ORDERCLI_TEST_BACKEND=postgresql``)."""
    if not ON_POSTGRESQL:
        pytest.skip("the PostgreSQL backend is off (ORDERCLI_TEST_BACKEND=postgresql)")
    ledgers = PgLedgers(PG_URL)
    try:
        yield ledgers
    finally:
        ledgers.close()
