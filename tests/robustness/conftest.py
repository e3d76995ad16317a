"""Fixtures for the tests that try to break the ledger (on top of ``tests/conftest.py``).

The root fixtures (``cli``, ``shop``, ``seeded``, ``engine``, ``unchanged``,
``ledger_path``) work here as everywhere; two things only make them cheaper, as
``tests/cli/conftest.py`` does for the CLI tests:

* the sample ledger (migrated, then seeded from ``sample_data/`` by the very same
  ``seed_demo``) is built once per test process and each test gets its own copy
  at ``ledger_path``;
* Typer's command tree, which never changes, is built once instead of on every
  in-process run.

``tests/services`` is put on ``sys.path`` so that its spawn-safe workers
(``service_workers``) can be imported here and by child processes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import typer.main
import typer.testing

from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
from ordercli.io.demo import sample_data_dir, seed_demo

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "services"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from robustness_support import TODAY, snapshot  # noqa: E402

_real_get_command = typer.testing._get_command
_commands: dict[int, object] = {}


def _cached_get_command(app):
    command = _commands.get(id(app))
    if command is None:
        command = _commands[id(app)] = _real_get_command(app)
    return command


@pytest.fixture(autouse=True)
def _fast_typer_and_today(monkeypatch):
    monkeypatch.setattr(typer.testing, "_get_command", _cached_get_command)
    monkeypatch.setattr(typer.main, "get_command", _cached_get_command)
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    yield
    # Each test's ledger is its own file; close its pooled connections afterwards.
    dispose_all()


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory) -> Path:
    """The sample ledger (customers and catalog of ``sample_data/``) as a closed file."""
    build = tmp_path_factory.mktemp("robustness-build")
    new_ledger = open_ledger(resolve_location(str(build / "sample.db")), create=True)
    with unit_of_work(new_ledger) as session:
        seed_demo(session=session, folder=sample_data_dir())
    template = snapshot(build / "sample.db", tmp_path_factory.mktemp("robustness") / "sample.db")
    dispose_all()
    return template


@pytest.fixture
def ledger_path(request, tmp_path: Path) -> Path:
    """This test's own ledger: a copy of the sample one when the test uses ``seeded``."""
    path = tmp_path / "ledger.db"
    if "seeded" in request.fixturenames:
        shutil.copyfile(request.getfixturevalue("sample_template"), path)
    return path


@pytest.fixture
def seeded(engine):
    """The ledger holding the sample customers and catalog (copied in by ``ledger_path``)."""
    return engine
