"""Commands import the heavy libraries only when they use them (issue 7: fast start-up).

Each command runs in a fresh interpreter, the way the `ordercli` console
script runs it, and then the process lists what it imported
(``sorted(sys.modules)``). Help and lookups must not pay for PDF, templates,
spreadsheets, PostgreSQL, images, locale dates or mail; writing an invoice
PDF does import ReportLab, so the check sees real imports. No timing is
asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordercli.cli.app import app
from ordercli.db.engine import dispose_all
from ordercli.io.demo import sample_data_dir

HEAVY = ("reportlab", "jinja2", "openpyxl", "psycopg", "PIL", "babel.dates", "smtplib", "aiosmtpd")
MARK = "@@modules@@"

RUN_AND_LIST = f"""
import json, sys
sys.argv = ["ordercli", *json.loads(sys.argv[1])]
from ordercli.cli.app import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print({MARK!r} + json.dumps({{"exit": code, "modules": sorted(sys.modules)}}))
"""


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """A SQLite ledger with the sample shop and SO-00001 confirmed and invoiced (INV-00001)."""
    path = tmp_path_factory.mktemp("startup") / "ledger.db"
    runner = CliRunner()
    folder = sample_data_dir()
    steps = [
        ["init", "--company", "Startup Test Ltd"],
        ["import", "customers", str(folder / "customers.csv")],
        ["import", "products", str(folder / "products.csv")],
        ["order", "new", "ACME"],
        ["order", "add-line", "SO-00001", "DESK-OAK", "2"],
        ["order", "confirm", "SO-00001"],
        ["invoice", "create", "SO-00001"],
    ]
    try:
        for step in steps:
            result = runner.invoke(app, ["--db", str(path), *step, "--json"])
            assert result.exit_code == 0, (step, result.stdout, result.stderr)
    finally:
        dispose_all()
    return path


def imported_by(*args: str) -> set[str]:
    """The modules a fresh `ordercli ARGS…` process has imported when it ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERCLI_")}
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, json.dumps(list(args))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    assert found, (done.stdout, done.stderr)
    report = json.loads(found[-1][len(MARK) :])
    assert report["exit"] in (0, None), (args, report["exit"], done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return set(report["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return [name for name in HEAVY if name in modules]


def test_help_imports_no_heavy_library():
    modules = imported_by("--help")
    assert "ordercli.cli.app" in modules
    assert heavy_in(modules) == []
    # Help needs no database layer at all.
    assert "sqlalchemy" not in modules
    assert "ordercli.models" not in modules


def test_order_show_imports_no_heavy_library(ledger):
    modules = imported_by("--db", str(ledger), "order", "show", "SO-00001")
    assert "ordercli.models" in modules  # it did read the ledger
    assert heavy_in(modules) == []


@pytest.mark.parametrize(
    "command",
    [
        ["version"],
        ["invoice", "show", "INV-00001"],
        ["customer", "list"],
        ["report", "aging"],
    ],
    ids=lambda command: " ".join(command),
)
def test_everyday_commands_import_no_heavy_library(ledger, command):
    modules = imported_by("--db", str(ledger), *command)
    assert heavy_in(modules) == []


def test_a_command_loads_only_its_own_noun(ledger):
    """Nouns are built when named: `customer list` never imports the order or report commands."""
    modules = imported_by("--db", str(ledger), "customer", "list")
    assert "ordercli.cli.customer" in modules
    assert "ordercli.cli.order" not in modules
    assert "ordercli.cli.report" not in modules
    assert "ordercli.cli.misc" not in modules


def test_invoice_pdf_does_import_reportlab(ledger, tmp_path):
    """The check is real: the one command that lays out a PDF does load ReportLab."""
    target = tmp_path / "INV-00001.pdf"
    modules = imported_by("--db", str(ledger), "invoice", "pdf", "INV-00001", "-o", str(target))
    assert target.read_bytes().startswith(b"%PDF")
    assert "reportlab" in modules
    assert "jinja2" in modules  # the PDF is laid out from the HTML template
