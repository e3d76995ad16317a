"""Top-level commands (`version`, `init`, `numbering`, `demo`), ledger errors and JSON output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ordercli import __version__
from ordercli.cli.app import app
from ordercli.db.engine import dispose_all

# --- version ---------------------------------------------------------------


def test_version(cli, human, ledger_path):
    on_a_server = "://" in str(ledger_path)  # no file to look for
    assert cli.ok("version") == {
        "version": __version__,
        "ledger": str(ledger_path),
        "ledger_from": "--db",
        "ledger_exists": None if on_a_server else True,
    }
    assert human("version").splitlines() == [
        f"ordercli {__version__}",
        f"ledger: {ledger_path} (from --db)",
    ]
    wrong = cli.run("version", "--verbose")
    assert wrong.exit_code == 2 and "--verbose" in wrong.stderr


def test_version_option_prints_the_version_and_does_nothing_else(tmp_path):
    """`ordercli --version`, as Python tools answer it (scripts read the first line), and
    the ledger in use; no ledger is opened or created."""
    ledger = tmp_path / "never.db"
    for args in (["--db", str(ledger), "--version"], ["--version", "--db", str(ledger)]):
        result = CliRunner().invoke(app, [*args, "customer", "list"])
        assert (result.exit_code, result.stdout) == (
            0,
            f"ordercli {__version__}\nledger: {ledger} (from --db; no ledger there yet)\n",
        )
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_runs_the_same_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERCLI_")}
    done = subprocess.run(
        [sys.executable, "-m", "ordercli", "--version"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == f"ordercli {__version__}"
    typo = subprocess.run(
        [sys.executable, "-m", "ordercli", "invoce", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert typo.returncode == 2
    assert "Did you mean 'invoice'" in typo.stderr


# --- init ------------------------------------------------------------------


def test_init(cli, ledger_path, human):
    doc = cli.ok("init", "--company", "Widgets & Co <b>", "--currency", "EUR")
    assert doc == {"ledger": str(ledger_path), "company": "Widgets & Co <b>", "currency": "EUR"}
    again = cli.ok("init")
    assert again == doc  # init is idempotent and keeps what was set
    assert cli.ok("init", "--company", "株式会社ウィジェット")["company"] == "株式会社ウィジェット"
    out = human("init", "--company", "Widgets & Co")
    assert "ledger ready at" in out and "Widgets & Co" in out and "EUR" in out


def test_init_creates_a_new_ledger(cli_at, tmp_path):
    target = tmp_path / "sub" / "dir" / "books.db"
    doc = cli_at(target).ok("init", "--company", "New Books")
    assert doc == {"ledger": str(target), "company": "New Books", "currency": "EUR"}
    assert target.is_file()
    series = {row["kind"]: row["next"] for row in cli_at(target).ok("numbering", "list")}
    assert series["credit_memo"] == "CM-00001"


def test_init_currency_sets_minor_digits(cli, unchanged):
    assert cli.ok("init", "--currency", "jpy")["currency"] == "JPY"
    with unchanged():
        assert cli.fails("product", "add", "W", "Widget", "--price", "10.5") == (
            "error: price '10.5' has more than 0 decimal places"
        )
    product = cli.ok("product", "add", "W", "Widget", "--price", "1050", "--tax-rate", "10")
    assert product["unit_price"] == "1050"
    cli.ok("customer", "add", "Tokyo KK", "--code", "TK", "--credit-limit", "100000")
    cli.ok("order", "new", "TK")
    order = cli.ok("order", "add-line", "SO-00001", "W", "3", "--discount", "5")
    assert (order["subtotal"], order["tax"], order["total"]) == ("2993", "299", "3292")
    bhd = cli.run("init", "--currency", "BHD")
    assert bhd.exit_code == 1
    assert "cannot change the currency to BHD" in bhd.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--currency", "ZZZ"], "unknown currency 'ZZZ' (use an ISO 4217 code such as EUR)"),
        (["--currency", "euro"], "unknown currency 'EURO' (use an ISO 4217 code such as EUR)"),
        (
            ["--currency", "USD"],
            "cannot change the currency to USD: the ledger already holds 25 priced records in EUR",
        ),
        (["--company", "x" * 201], "company name is longer than 200 characters"),
    ],
)
def test_init_refused(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("init", *args) == f"error: {message}"


@pytest.mark.parametrize("company", ["Widgets [/b] Co", "[bold]Widgets[/bold]"])
def test_init_human_output_shows_the_company_name_verbatim(cli, company):
    result = cli.run("init", "--company", company)
    assert result.exit_code == 0, result.stderr
    assert company in result.stdout


# --- numbering -------------------------------------------------------------

SERIES = [
    "billing_agreement",
    "credit_memo",
    "customer",
    "deposit_applied",
    "dunning_notice",
    "early_discount",
    "invoice",
    "order",
    "payment",
    "payment_void",
    "quote",
    "rebate_agreement",
    "rebate_settlement",
    "refund",
    "return",
    "shipment",
    "shipment_reversal",
    "write_off",
]


def test_numbering_list(cli, human):
    rows = cli.ok("numbering", "list")
    assert [row["kind"] for row in rows] == SERIES
    by_kind = {row["kind"]: row for row in rows}
    assert by_kind["invoice"] == {
        "kind": "invoice",
        "prefix": "INV-",
        "width": 5,
        "next": "INV-00001",
    }
    assert by_kind["order"]["next"] == "SO-00001"
    assert by_kind["quote"]["next"] == "Q-00001"
    assert by_kind["shipment"]["next"] == "SH-00001"
    out = human("numbering", "list")
    assert "Number series" in out and "INV-00001" in out and "SH-00001" in out


def test_numbering_follows_issued_documents(confirmed):
    confirmed.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=1")
    by_kind = {row["kind"]: row["next"] for row in confirmed.ok("numbering", "list")}
    assert (by_kind["order"], by_kind["invoice"], by_kind["shipment"]) == (
        "SO-00002",
        "INV-00002",
        "SH-00001",
    )


def test_numbering_set_changes_future_numbers_only(confirmed, human):
    confirmed.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=1")
    rows = confirmed.ok("numbering", "set", "INVOICE", "--prefix", "INV-2027-", "--width", "4")
    assert {row["kind"]: row["next"] for row in rows}["invoice"] == "INV-2027-0002"
    doc = confirmed.ok("invoice", "create", "SO-00001", "--line", "DESK-OAK=1")
    assert doc["number"] == "INV-2027-0002"
    assert confirmed.ok("invoice", "show", "INV-00001")["number"] == "INV-00001"
    assert [i["number"] for i in confirmed.ok("invoice", "list")] == ["INV-2027-0002", "INV-00001"]
    out = human("numbering", "set", "order", "--prefix", "AB/")
    assert "AB/00002" in out
    assert confirmed.ok("order", "new", "ACME")["number"] == "AB/00002"


PREFIX_RULE = "must be 1–16 letters, digits or - _ . / and start with a letter or digit"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["widgets", "--prefix", "W-"], "no number series 'widgets'"),
        (["invoice", "--prefix", ""], f"prefix '' {PREFIX_RULE}"),
        (["invoice", "--prefix", "-INV"], f"prefix '-INV' {PREFIX_RULE}"),
        (["invoice", "--prefix", "INV 2027"], f"prefix 'INV 2027' {PREFIX_RULE}"),
        (["invoice", "--prefix", "A" * 17], f"prefix '{'A' * 17}' {PREFIX_RULE}"),
        (["invoice", "--prefix", "Ü-"], f"prefix 'Ü-' {PREFIX_RULE}"),
        (["invoice", "--width", "0"], "width 0 must be between 1 and 12"),
        (["invoice", "--width", "13"], "width 13 must be between 1 and 12"),
        (["invoice", "--width=-1"], "width -1 must be between 1 and 12"),
    ],
)
def test_numbering_set_refused(cli, unchanged, args, message):
    with unchanged():
        assert cli.fails("numbering", "set", *args) == f"error: {message}"


def test_numbering_set_width_not_a_number(cli, unchanged):
    with unchanged():
        result = cli.run("numbering", "set", "invoice", "--width", "five")
    assert result.exit_code == 2 and "--width" in result.stderr


# --- demo ------------------------------------------------------------------


@pytest.mark.sqlite_only("the demo ledger is a SQLite file")
def test_demo_builds_its_own_ledger(cli, cli_at, tmp_path, ledger_path, fingerprint, engine):
    before = fingerprint(engine)
    target = tmp_path / "demo.db"
    result = cli.run("demo", "--path", str(target))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    for fact in (
        "ordercli demo",
        f"Demo ledger: {target}",
        "Loaded 12 customers and 16 products",
        "$ ordercli quote new BRIGHT --valid-days 14",
        "$ ordercli invoice create SO-00001 --partial --line DESK-OAK=2",
        "Timeline of SO-00001",
        "INV-00002",
        "try it yourself",
        f"export ORDERCLI_DB={target}",
    ):
        assert fact in out, fact
    assert fingerprint(engine) == before  # the --db ledger was not touched

    demo = cli_at(target)
    order = demo.ok("order", "show", "SO-00001")
    assert (
        order["status"],
        order["billing_status"],
        order["fulfilment_status"],
        order["quote"],
    ) == (
        "completed",
        "invoiced",
        "shipped",
        "Q-00001",
    )
    invoices = {i["number"]: i for i in demo.ok("invoice", "list")}
    assert {n: (i["total"], i["status"]) for n, i in invoices.items()} == {
        "INV-00001": ("1105.63", "paid"),
        "INV-00002": ("3530.26", "paid"),
        "INV-00003": ("237.76", "paid"),
        "INV-00004": ("211.82", "overdue"),
    }
    assert demo.ok("shipment", "show", "SH-00001")["status"] == "delivered"
    # 8 left after shipping, plus the desk returned into stock.
    assert demo.ok("product", "show", "DESK-OAK")["on_hand"] == "9"
    assert [m["settlement"] for m in demo.ok("credit-memo", "list")] == ["store_credit", "refund"]
    assert demo.ok("customer", "show", "BRIGHT")["balance"] == "-1179.16"
    trial = demo.ok("report", "trial-balance")
    assert trial["total_debit"] == trial["total_credit"] == "12119.80"
    aging = demo.ok("report", "aging")
    assert aging["totals"]["d1_30"] == aging["totals"]["total"] == "211.82"
    assert demo.ok("check")["ok"] is True
    # The web shop's file: 8 orders imported once, although the demo sends it twice.
    imported = [o for o in demo.ok("order", "list") if o["order_ref"]]
    assert sorted(o["order_ref"] for o in imported) == [f"WEB-1000{n}" for n in range(1, 9)]
    assert sum(o["status"] == "confirmed" for o in imported) == 7
    # The stand order was backordered, cleared by the receipt and shipped in full.
    stand = demo.ok("order", "show", "SO-00012")
    assert (stand["fulfilment_status"], stand["lines"][0]["qty_shipped"]) == ("shipped", "8")
    assert demo.ok("report", "backorders")["products"] == []
    assert demo.ok("shipment", "show", "SH-00003")["warehouse"] == "MAIN"

    dispose_all()  # a second `ordercli demo` is a new process
    again = cli.run("demo", "--path", str(target))
    assert again.exit_code == 0, again.stderr
    assert len(cli_at(target).ok("order", "list")) == 12


@pytest.mark.sqlite_only("the demo ledger is a SQLite file")
def test_demo_refuses_to_overwrite_another_file(cli, tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("my precious notes\n")
    line = cli.fails("demo", "--path", str(notes))
    assert line == f"error: {notes} exists and is not a demo ledger; not overwriting it"
    assert notes.read_text() == "my precious notes\n"


@pytest.mark.sqlite_only("the demo writes a SQLite file, here over the ledger file")
def test_demo_refuses_to_overwrite_a_real_ledger(cli, ledger_path, unchanged):
    cli.ok("customer", "add", "Real customer", "--code", "REAL")
    with unchanged():
        line = cli.fails("demo", "--path", str(ledger_path))
    assert line == f"error: {ledger_path} exists and is not a demo ledger; not overwriting it"


# --- ledgers that cannot be used (exit 3) ----------------------------------


@pytest.mark.parametrize(
    "args", [["customer", "list"], ["order", "new", "ACME"], ["numbering", "list"]]
)
def test_text_file_is_not_a_ledger(cli_at, tmp_path, args):
    notes = tmp_path / "notes.txt"
    notes.write_text("groceries: milk, eggs\n" * 5)
    line = cli_at(notes).fails(*args, code=3)
    assert line == f"error: {notes} is not an ordercli ledger (not a SQLite file)"
    result = cli_at(notes).run(*args, "--json")
    assert (result.exit_code, result.stdout) == (3, "")
    assert notes.read_text() == "groceries: milk, eggs\n" * 5


def test_directory_is_not_a_ledger(cli_at, tmp_path):
    folder = tmp_path / "books"
    folder.mkdir()
    assert cli_at(folder).fails("customer", "list", code=3) == (
        f"error: {folder} is a directory, not a ledger"
    )
    assert cli_at(folder).fails("init", code=3) == f"error: {folder} is a directory, not a ledger"
    assert list(folder.iterdir()) == []


def test_other_sqlite_database_is_not_a_ledger(cli_at, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('pancakes')")
    conn.close()
    assert cli_at(other).fails("order", "list", code=3) == (
        f"error: {other} is not an ordercli ledger (it holds other tables)"
    )
    with sqlite3.connect(other) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = conn.execute("SELECT name FROM recipes").fetchall()
    conn.close()
    assert (tables, rows) == (["recipes"], [("pancakes",)])


@pytest.mark.sqlite_only("copies the ledger file and edits it with sqlite3")
def test_ledger_from_a_newer_ordercli(cli_at, tmp_path, ledger_path):
    newer = tmp_path / "newer.db"
    newer.write_bytes(ledger_path.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    assert cli_at(newer).fails("customer", "list", code=3) == (
        f"error: {newer} has schema revision 9999, newer than this ordercli knows"
    )


def test_path_below_a_file_cannot_be_created(cli_at, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    assert cli_at(notes / "ledger.db").fails("customer", "list", code=3) == (
        f"error: no ledger at {notes / 'ledger.db'}"
    )
    line = cli_at(notes / "ledger.db").fails("init", code=3)
    assert line.startswith(f"error: cannot create the ledger at {notes / 'ledger.db'}")


def test_version_needs_no_ledger(cli_at, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    assert cli_at(notes).ok("version")["version"] == __version__
    assert notes.read_text() == "x"


# --- ORDERCLI_TODAY --------------------------------------------------------


def test_bad_ordercli_today_is_refused(shop, unchanged):
    with unchanged():
        assert shop.fails("order", "new", "ACME", env={"ORDERCLI_TODAY": "31/01/2027"}) == (
            "error: ORDERCLI_TODAY '31/01/2027' is not a date (use YYYY-MM-DD)"
        )


# --- --json prints exactly one document ------------------------------------


def test_json_output_is_exactly_one_document(shop):
    shop.ok("quote", "new", "ACME")
    shop.ok("quote", "add-line", "Q-00001", "DESK-OAK", "15")
    shop.ok("quote", "note", "Q-00001", "東京 <b>&</b>")
    shop.ok("quote", "accept", "Q-00001")
    shop.ok("quote", "convert", "Q-00001")
    shop.ok("order", "add-line", "SO-00001", "INSTALL", "2.5")
    commands = [
        ["order", "confirm", "SO-00001"],  # backordered: the notice must not reach stdout
        ["order", "show", "SO-00001"],
        ["order", "list"],
        ["order", "list", "--status", "completed"],  # an empty list is still one document
        ["order", "timeline", "SO-00001"],
        ["invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=2"],
        ["invoice", "show", "INV-00001"],
        ["invoice", "list", "--unpaid"],
        ["ship", "SO-00001", "--line", "DESK-OAK=2"],
        ["shipment", "show", "SH-00001"],
        ["shipment", "list"],
        ["shipment", "deliver", "SH-00001"],
        ["quote", "show", "Q-00001"],
        ["quote", "list"],
        ["customer", "show", "TOKYO"],
        ["customer", "list", "--search", "nobody"],
        ["product", "show", "DESK-OAK"],
        ["product", "list"],
        ["numbering", "list"],
        ["version"],
    ]
    for args in commands:
        result = shop.run(*args, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
        text = result.stdout
        document, end = json.JSONDecoder().raw_decode(text)
        assert text[end:].strip() == "", (args, text[end:])
        assert isinstance(document, dict | list), args
    assert "東京 <b>&</b>" in shop.run("quote", "show", "Q-00001", "--json").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["order", "show", "SO-00404"],
        ["invoice", "create", "SO-00404"],
        ["customer", "add", ""],
        ["product", "list", "--limit", "0"],
    ],
)
def test_json_errors_leave_stdout_empty(shop, args):
    result = shop.run(*args, "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
