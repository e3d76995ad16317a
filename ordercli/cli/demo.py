"""`ordercli demo`: a fresh demo ledger and one order walked through its life.

Each step runs the real command, shown as the user would type it, so the
demo doubles as a tour of the command line.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.rule import Rule
from rich.text import Text

from ordercli.cli.output import output
from ordercli.domain.errors import RuleViolation
from ordercli.domain.text import document_number

if TYPE_CHECKING:
    from typer._click import Command

EARLIER_STEPS = [
    (
        "Your company, as every quote, invoice and statement will show it:",
        [
            "company",
            "set",
            "--name",
            "Nordhafen Office Supply GmbH",
            "--address",
            "Am Sandtorkai 41\\n20457 Hamburg\\nGermany",
            "--vat-id",
            "DE136695976",
            "--bank-details",
            "Commerzbank Hamburg · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX",
            "--footer",
            "Nordhafen Office Supply GmbH · Registered at Amtsgericht Hamburg, HRB 123456",
            "--email-from",
            "Nordhafen Accounts <accounts@nordhafen.example>",
            "--logo",
            "{sample:logo.png}",
        ],
    ),
    (
        "What e-invoices need besides: the address in parts, a contact, the account to pay "
        "into and an electronic address (each identifier is checked as it is typed).",
        [
            "company",
            "set",
            "--street",
            "Am Sandtorkai 41",
            "--postcode",
            "20457",
            "--city",
            "Hamburg",
            "--country",
            "DE",
            "--contact",
            "Jana Petersen",
            "--phone",
            "+49 40 3012 4400",
            "--iban",
            "DE89 3704 0044 0532 0130 00",
            "--bic",
            "COBADEFFXXX",
            "--endpoint",
            "9930:DE136695976",
        ],
    ),
    (
        "The same for the customer: VAT id, address, and the reference they want on every invoice.",
        [
            "customer",
            "edit",
            "BRIGHT",
            "--vat-id",
            "DE811907980",
            "--street",
            "Friedrichstraße 68",
            "--postcode",
            "10117",
            "--city",
            "Berlin",
            "--country",
            "DE",
            "--buyer-reference",
            "991-01234-56",
            "--endpoint",
            "9930:DE811907980",
        ],
    ),
    (
        "A customer asks for an offer: a quote, valid for 14 days.",
        ["quote", "new", "BRIGHT", "--valid-days", "14"],
    ),
    (
        "Two lines: goods from stock and an hour-based service.",
        ["quote", "add-line", "Q-00001", "DESK-OAK", "4", "--discount", "5"],
    ),
    (None, ["quote", "add-line", "Q-00001", "INSTALL", "2.5"]),
    (
        "The negotiation is kept on the quote.",
        ["quote", "note", "Q-00001", "Can you do 5% off the desks?", "--from", "buyer"],
    ),
    (None, ["quote", "send", "Q-00001"]),
    (None, ["quote", "accept", "Q-00001"]),
    (
        "The accepted quote becomes a draft order with the same lines and prices.",
        ["quote", "convert", "Q-00001"],
    ),
    (
        "They add chairs before confirming; confirming reserves stock.",
        ["order", "add-line", "SO-00001", "CHAIR-ERGO", "6"],
    ),
    (None, ["order", "confirm", "SO-00001"]),
    (None, ["product", "show", "DESK-OAK"]),
    (
        "Invoice part of it now (the desks they take today)…",
        ["invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=2"],
    ),
    (
        "…and ship what is ready.",
        [
            "ship",
            "SO-00001",
            "--line",
            "DESK-OAK=2",
            "--line",
            "CHAIR-ERGO=6",
            "--carrier",
            "DHL",
            "--tracking",
            "JD014600003828",
        ],
    ),
    (None, ["order", "show", "SO-00001"]),
    (
        "The rest: one invoice for everything still open, one shipment for the rest.",
        ["invoice", "create", "SO-00001"],
    ),
    (None, ["shipment", "create", "SO-00001", "--carrier", "DHL", "--tracking", "JD014600003901"]),
    (None, ["shipment", "deliver", "SH-00001"]),
    (
        "Invoicing the installation delivered it (a service is never shipped); with every "
        "line invoiced and the goods shipped, the order is completed. Its history:",
        ["order", "timeline", "SO-00001"],
    ),
    (None, ["invoice", "list"]),
    (
        "After the sale. The customer pays part of the first invoice…",
        [
            "payment",
            "record",
            "BRIGHT",
            "500.00",
            "--invoice",
            "INV-00001",
            "--reference",
            "SEPA-0042",
        ],
    ),
    (
        "…then transfers more than they owe: the rest is kept as their credit.",
        ["payment", "record", "BRIGHT", "5000.00", "--reference", "SEPA-0057"],
    ),
    (None, ["customer", "show", "BRIGHT"]),
    (
        "A chair arrived scratched: credit it, refund the money, put the chair back into stock.",
        [
            "credit-memo",
            "create",
            "INV-00002",
            "--line",
            "CHAIR-ERGO=1",
            "--refund",
            "--restock",
            "--reason",
            "arrived scratched",
        ],
    ),
    (
        "A desk comes back: a return (RMA), authorized, received into stock, credited.",
        ["return", "request", "SO-00001", "--line", "DESK-OAK=1", "--reason", "wrong finish"],
    ),
    (None, ["return", "authorize", "RMA-00001"]),
    (None, ["return", "receive", "RMA-00001", "--restock"]),
    (None, ["return", "resolve", "RMA-00001", "--credit-memo", "--store-credit"]),
    (
        "Their next order is paid from the credit they hold.",
        ["order", "new", "BRIGHT"],
    ),
    (None, ["order", "add-line", "SO-00002", "LAMP-LED", "4"]),
    (None, ["order", "confirm", "SO-00002"]),
    (None, ["invoice", "create", "SO-00002"]),
    (None, ["payment", "apply", "BRIGHT", "--invoice", "INV-00003"]),
    ("Every money movement:", ["payment", "transactions"]),
]
# The first customer's story happened this many days ago: ledger time only runs forward
# (rule 4a), so the overdue invoice below, dated 45 days ago, is numbered after it.
STORY_DAYS_AGO = 46

STEPS = [
    (
        "Another customer's invoice, issued weeks ago and still unpaid, is overdue.",
        ["order", "new", "ACME", "--date", "{days_ago:50}"],
    ),
    (None, ["order", "add-line", "SO-00003", "MONITOR-ARM", "2"]),
    (None, ["order", "confirm", "SO-00003"]),
    (None, ["invoice", "create", "SO-00003", "--date", "{days_ago:45}"]),
    ("Who owes what, and for how long:", ["report", "aging"]),
    (None, ["report", "statement", "BRIGHT"]),
    (
        "The books: every document posted a balanced entry, so the trial balance sums to zero.",
        ["report", "trial-balance"],
    ),
    (
        "A web shop sends its orders as a file: every row is checked before anything is written…",
        ["import", "orders", "{sample:orders.csv}"],
    ),
    (
        "…and the same file sent again creates nothing twice.",
        ["import", "orders", "{sample:orders.csv}"],
    ),
    (
        "A trade customer buys from a price list: its own price, and less from 5 on.",
        ["pricelist", "add", "TRADE"],
    ),
    (None, ["pricelist", "set-price", "TRADE", "DESK-STAND", "699.00"]),
    (None, ["pricelist", "set-price", "TRADE", "DESK-STAND", "659.00", "--min-qty", "5"]),
    (None, ["customer", "edit", "ACME", "--price-list", "TRADE"]),
    (
        "An order for more standing desks than are in stock, priced from the list, "
        "with 3% off the whole order…",
        ["order", "new", "ACME"],
    ),
    (None, ["order", "add-line", "SO-00012", "DESK-STAND", "8"]),
    (None, ["order", "discount", "SO-00012", "--pct", "3"]),
    ("…confirmed: the rest is backordered.", ["order", "confirm", "SO-00012"]),
    (None, ["report", "backorders"]),
    (
        "…and why it cannot ship in full, with what can happen next:",
        ["order", "explain", "SO-00012"],
    ),
    (
        "The supplier delivers; the backorder clears, earliest order first.",
        ["stock", "receive", "DESK-STAND", "10", "--reference", "PO-4711"],
    ),
    ("What the warehouse picks for every order that can ship now:", ["shipment", "pick-list"]),
    (None, ["ship", "SO-00012", "--carrier", "UPS", "--tracking", "1Z999AA10123456784"]),
    ("What the customer is told:", ["order", "track", "SO-00012"]),
    ("Where every order line stands, and for how long:", ["report", "matrix"]),
    ("What was sold, net of credits:", ["report", "sales", "--by", "product"]),
    (
        "A volume rebate: 2% of ACME's quarter from 10,000 on, 3% from 25,000:",
        [
            "rebate",
            "add",
            "ACME",
            "--period",
            "quarter",
            "--tier",
            "10000=2",
            "--tier",
            "25000=3",
            "--from",
            "{days_ago:60}",
        ],
    ),
    (None, ["rebate", "status"]),
    (
        "Payment terms a customer can be given: 2% off within 10 days, else net 30.",
        [
            "terms",
            "add",
            "2-10-NET30",
            "--days",
            "30",
            "--discount",
            "2@10",
            "--description",
            "2% within 10 days, net 30",
        ],
    ),
    ("Who is overdue, and what comes next:", ["collections", "list"]),
    ("Everything waiting on someone, on one screen:", ["status"]),
    (
        "Documents for the customer, as PDF (or --html) from the bundled templates:",
        ["quote", "pdf", "Q-00001", "-o", "{docs:Q-00001.pdf}"],
    ),
    (None, ["invoice", "pdf", "INV-00001", "-o", "{docs:INV-00001.pdf}"]),
    (None, ["credit-memo", "pdf", "CM-00001", "-o", "{docs:CM-00001.pdf}"]),
    (None, ["shipment", "slip", "SH-00001", "-o", "{docs:packing-slip-SH-00001.pdf}"]),
    (None, ["report", "statement", "ACME", "--pdf", "-o", "{docs:statement-ACME.pdf}"]),
    (
        "An overdue invoice, emailed with its PDF (--dry-run writes the email to a file):",
        ["invoice", "send", "INV-00004", "--dry-run", "-o", "{docs:INV-00004.eml}"],
    ),
    (
        "The invoice as an e-invoice the buyer's software reads: XRechnung for a German "
        "public buyer (Factur-X, ZUGFeRD and Peppol too), checked before it is written…",
        [
            "invoice",
            "einvoice",
            "INV-00001",
            "--format",
            "xrechnung-cii",
            "-o",
            "{docs:INV-00001-xrechnung.xml}",
        ],
    ),
    (None, ["invoice", "einvoice", "INV-00001", "-o", "{docs:INV-00001-facturx.pdf}"]),
    (
        "…and any e-invoice checked with the official rules:",
        ["einvoice", "validate", "{docs:INV-00001-facturx.pdf}"],
    ),
    ("And the ledger checks itself:", ["check"]),
]


_DOCUMENTS_DIR = Path("demo-documents")


def _resolve(arg: str) -> str:
    """``{days_ago:N}``: a date N days before today, so the demo always has history;
    ``{sample:FILE}``: a file of the bundled sample shop; ``{docs:FILE}``: a file in the
    folder of documents beside the demo ledger."""
    if arg.startswith("{sample:") and arg.endswith("}"):
        from ordercli.io.demo import sample_data_dir

        return str(sample_data_dir() / arg[8:-1])
    if arg.startswith("{docs:") and arg.endswith("}"):
        _DOCUMENTS_DIR.mkdir(exist_ok=True)
        return str(_DOCUMENTS_DIR / arg[6:-1])
    if arg.startswith("{days_ago:") and arg.endswith("}"):
        from datetime import timedelta

        from ordercli.books.clock import today

        return (today() - timedelta(days=int(arg[10:-1]))).isoformat()
    return arg


def _next_order_number(engine) -> str:
    """The number the next order will get (the hint below names it)."""
    from ordercli.db.engine import unit_of_work
    from ordercli.models import NumberSeries

    with unit_of_work(engine, write=False) as session:
        series = session.get(NumberSeries, "order")
        # Every ledger is created with its number series (the migrations seed them).
        assert series is not None
        return document_number(series.prefix, series.width, series.next_value)


def _demo_path(path: str | None) -> Path:
    if path:
        return Path(path).expanduser().absolute()
    from platformdirs import user_data_path

    return user_data_path("ordercli", appauthor=False) / "demo.db"


def _clear_previous(target: Path) -> None:
    """Remove a previous demo ledger; refuse to touch any other file."""
    if not target.exists():
        return
    import sqlite3

    try:
        with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
            marker = conn.execute("SELECT value FROM setting WHERE key = 'demo'").fetchone()
    except sqlite3.Error:
        marker = None
    if not marker:
        raise RuleViolation(
            f"{target} exists and is not a demo ledger; not overwriting it",
            hint="give the demo another --path",
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


def _run_steps(steps: list, target: Path, root: Command) -> None:
    for explanation, args in steps:
        if explanation:
            output.print(Text(f"\n{explanation}", style="bold"))
        args = [_resolve(arg) for arg in args]
        output.print(Text(f"$ ordercli {shlex.join(args)}", style="cyan"))
        root.main(["--db", str(target), *args], standalone_mode=False)


@contextmanager
def _clock_set_back(days: int) -> Iterator[None]:
    """Run steps as if today were ``days`` earlier (``ORDERCLI_TODAY``), then put it back."""
    import os
    from datetime import timedelta

    from ordercli.books.clock import today

    before = os.environ.get("ORDERCLI_TODAY")
    os.environ["ORDERCLI_TODAY"] = (today() - timedelta(days=days)).isoformat()
    try:
        yield
    finally:
        if before is None:
            del os.environ["ORDERCLI_TODAY"]
        else:
            os.environ["ORDERCLI_TODAY"] = before


def run_demo(path: str | None, *, root: Command) -> None:
    """Build the demo ledger, then run each step through ``root``, the command line the
    user typed ``ordercli demo`` into."""
    from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
    from ordercli.io.demo import sample_data_dir, seed_demo

    global _DOCUMENTS_DIR
    target = _demo_path(path)
    _DOCUMENTS_DIR = target.parent / f"{target.stem}-documents"
    folder = sample_data_dir()
    _clear_previous(target)
    forget_ledger(resolve_location(str(target)))
    engine = open_ledger(resolve_location(str(target)), create=True)
    with unit_of_work(engine) as session:
        customers, products = seed_demo(session=session, folder=folder)
    output.print(Rule("ordercli demo"))
    output.print(f"Demo ledger: {target}")
    output.print(f"Loaded {customers} customers and {products} products from {folder}/.\n")
    with _clock_set_back(STORY_DAYS_AGO):
        _run_steps(EARLIER_STEPS, target, root)
    _run_steps(STEPS, target, root)
    output.print(Rule("try it yourself"))
    import shutil
    import sys

    if shutil.which("ordercli") is None:
        bin_dir = Path(sys.executable).parent
        output.print(f"ordercli is installed in {bin_dir}: run `source {bin_dir}/activate` first.")
    order = _next_order_number(engine)
    output.print(
        "The demo ledger is yours to play with. Point ordercli at it and drive a second order:\n"
        f"  export ORDERCLI_DB={shlex.quote(str(target))}\n"
        "  ordercli customer list\n"
        "  ordercli order new CAFE\n"
        f"  ordercli order add-line {order} LAMP-LED 3\n"
        f"  ordercli order confirm {order}\n"
        f"  ordercli invoice create {order} --partial --line LAMP-LED=1 --json\n"
        f"  ordercli ship {order} --carrier UPS --tracking 1Z999AA10123456784\n"
        "  ordercli payment record CAFE 20.00\n"
        f"  ordercli order timeline {order}\n"
        f"  ordercli invoice pdf --all -o {shlex.quote(str(_DOCUMENTS_DIR))}\n"
        "Without ORDERCLI_DB (or --db) ordercli uses your real ledger; the README has the tour."
    )
