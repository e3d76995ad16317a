"""Tamper evidence (SPEC rule 4): issued documents are sealed by a hash chain.

Every invoice, shipment, payment, credit memo and refund stores a hash of its
content chained to the previous document of its kind; ``ordercli check``
recomputes the chains and names the first document that no longer matches.
The tests edit and delete documents behind ordercli's back (with ``sqlite3``
itself, or a plain connection on PostgreSQL) and see each caught; they run the
whole lifecycle, concurrent writers and upgrades of every released ledger and
see the chains stay intact. Each prints the figure it proves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import service_workers as workers
from sqlalchemy import inspect, text
from sqlmodel import select

import ordercli.db.engine
from ordercli.books import checks, integrity
from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
from ordercli.db.migrations import runner
from ordercli.domain.errors import RuleViolation
from ordercli.models import CreditMemo, Invoice, Payment, Refund, Shipment
from ordercli.services.inventory import stock, warehouses
from ordercli.services.sales import fulfilment, invoicing, ordering
from ordercli.services.settlement import credit_memos, payments, returns

D = Decimal
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MIGRATION = Path(runner.__file__).resolve().parent / "versions" / "0005_document_hash_chain.py"
MODELS = {"invoice": Invoice, "shipment": Shipment, "payment": Payment}
MODELS |= {"credit_memo": CreditMemo, "refund": Refund}
EDITED = "does not match its recorded hash: it was changed after it was issued "
EDITED += "(or a document before it was)"


# --- helpers ---------------------------------------------------------------------------


def chain_report(engine) -> list[str]:
    """The rule-4 problems ``ordercli check`` finds (and every check's verdict)."""
    with unit_of_work(engine, write=False) as session:
        report = checks.run_checks(session=session)
    return [p["problem"] for p in report["problems"] if p["rule"] == "4"]


def all_problems(engine) -> list[dict]:
    with unit_of_work(engine, write=False) as session:
        return checks.run_checks(session=session)["problems"]


def behind_the_back(engine, *statements: str, **params) -> None:
    """Change the ledger without ordercli: ``sqlite3`` on the file itself, or a plain
    connection on PostgreSQL. Foreign keys stay off, as in any ``sqlite3`` shell."""
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(engine.url.database) as conn:
            for statement in statements:
                conn.execute(statement, params)
        conn.close()
    else:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), params)


def sealed_counts(engine) -> dict[str, tuple[int, int]]:
    """Per kind: how many documents, and how many of them carry a hash."""
    with unit_of_work(engine, write=False) as session:
        found = {}
        for kind, model in MODELS.items():
            hashes = session.exec(select(model.chain_hash)).all()
            found[kind] = (len(hashes), sum(1 for h in hashes if h and len(h) == 64))
        return found


def issue_everything(engine) -> None:
    """Every path that issues a document, and every later change that must not break
    a chain: partial and full invoices, `invoice create --all`, shipments from two
    warehouses (services are never shipped), payments named and oldest-first with credit
    left, credit applied later, credit memos by line (restocked, refunded), by amount
    (store credit) and from a return, a replacement shipment, refunds, a delivery."""

    def run(action):
        with unit_of_work(engine) as session:
            return action(session)

    def order(customer, *lines):
        def make(session):
            so = ordering.new_order(session=session, customer_code=customer)
            for sku, qty in lines:
                ordering.add_order_line(session=session, number=so.number, sku=sku, qty=D(qty))
            ordering.confirm_order(session=session, number=so.number, override_credit="test")
            return so.number

        return run(make)

    run(lambda s: warehouses.add_warehouse(session=s, code="SHOP", name="Shop floor"))
    run(
        lambda s: stock.transfer_stock(
            session=s, sku="LAMP-LED", qty=D(5), source="MAIN", target="SHOP"
        )
    )
    so1 = order("ACME", ("DESK-OAK", "4"), ("LAMP-LED", "2"), ("INSTALL", "3"))
    run(lambda s: invoicing.create_invoice(session=s, order_number=so1, lines=[("DESK-OAK", D(2))]))
    run(
        lambda s: fulfilment.create_shipment(
            session=s,
            order_number=so1,
            lines=[("DESK-OAK", D(2))],
            carrier="DHL",
            tracking="JD0146",
        )
    )
    inv2 = run(lambda s: invoicing.create_invoice(session=s, order_number=so1)).number
    run(lambda s: fulfilment.create_shipment(session=s, order_number=so1, carrier="UPS"))
    so2 = order("BRIGHT", ("LAMP-LED", "3"))
    run(lambda s: fulfilment.create_shipment(session=s, order_number=so2, warehouse="SHOP"))
    order("BRIGHT", ("INSTALL", "2"))  # a service alone: invoicing delivers it
    issued = run(lambda s: invoicing.invoice_all(session=s))
    inv3, inv4 = (i.number for i in issued)
    run(
        lambda s: payments.record_payment(
            session=s,
            customer_code="ACME",
            amount=D("300.00"),
            invoices=[("INV-00001", None)],
            reference="SEPA-1",
        )
    )
    run(lambda s: payments.record_payment(session=s, customer_code="ACME", amount=D("9000")))
    run(lambda s: payments.record_payment(session=s, customer_code="BRIGHT", amount=D("50")))
    run(lambda s: fulfilment.deliver_shipment(session=s, number="SH-00001"))
    run(
        lambda s: credit_memos.create_credit_memo(
            session=s,
            invoice_number=inv2,
            lines=[("LAMP-LED", D(1))],
            settlement="refund",
            restock=True,
            reason="scratched",
        )
    )
    run(
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number=inv4, amount=D("10.00"), settlement="store_credit"
        )
    )
    rma = run(
        lambda s: returns.request_return(
            session=s, order_number=so2, lines=[("LAMP-LED", D(1))], reason="broken"
        )
    ).number
    run(lambda s: returns.authorize_return(session=s, number=rma))
    run(lambda s: returns.receive_return(session=s, number=rma, restock=True))
    run(
        lambda s: returns.resolve_return(
            session=s, number=rma, replace=True, carrier="DPD", tracking="DPD-7"
        )
    )
    rma = run(
        lambda s: returns.request_return(
            session=s, order_number=so1, lines=[("DESK-OAK", D(1))], reason="wrong finish"
        )
    ).number
    run(lambda s: returns.authorize_return(session=s, number=rma))
    run(lambda s: returns.receive_return(session=s, number=rma, restock=True))
    run(lambda s: returns.resolve_return(session=s, number=rma, credit_memo=True))
    so4 = order("ACME", ("CHAIR-ERGO", "1"))
    inv5 = run(lambda s: invoicing.create_invoice(session=s, order_number=so4)).number
    run(lambda s: payments.apply_credit(session=s, customer_code="ACME", invoice_number=inv5))
    run(lambda s: payments.refund_customer(session=s, customer_code="ACME", amount=D("5")))
    assert inv3  # issued by invoice_all


@pytest.fixture
def engine(scenario_template, ledger_from):
    """Tests here start from a seeded ledger on which ``issue_everything`` ran (built
    once per session, copied for each test)."""
    return ledger_from(scenario_template("integrity-everything", issue_everything))


@pytest.fixture
def everything(engine):
    return engine


def number_of(engine, table: str, position: int) -> str:
    """The number of the ``position``-th document (1-based, id order) of a kind."""
    model = MODELS[table]
    with unit_of_work(engine, write=False) as session:
        numbers = session.exec(select(model.number).order_by(model.id)).all()
    return numbers[position - 1]


# --- the content and the hash --------------------------------------------------------------


def test_the_content_is_canonical_json_of_what_never_changes():
    row = {
        "number": "INV-00007",
        "issue_date": date(2026, 11, 22),
        "due_date": "2026-12-06",
        "subtotal": 24990,
        "tax": 4748,
        "total": 29738,
        "order": "SO-00003",
        "customer": "ACME",
        "paid": 100,  # not part of the content
    }
    line = {"position": 1, "order_line_id": 5, "sku": "LAMP-LED", "description": "LED lamp"}
    line |= {"qty": 5000, "unit_price": 4998, "discount": 0, "tax_rate": 190000}
    line |= {"net": 24990, "tax": 4748, "qty_credited": 1000}
    second = dict(line, position=2, sku="ÉCRAN")
    content = integrity.content_of("invoice", row, [second, line])
    assert content == (
        b'{"customer":"ACME","due_date":"2026-12-06","issue_date":"2026-11-22","kind":"invoice",'
        b'"lines":[[1,5,"LAMP-LED","LED lamp",5000,4998,0,190000,24990,4748],'
        b'[2,5,"\\u00c9CRAN","LED lamp",5000,4998,0,190000,24990,4748]],"number":"INV-00007",'
        b'"order":"SO-00003","subtotal":24990,"tax":4748,"total":29738,"v":1}'
    )
    assert json.loads(content)["v"] == integrity.FORMAT == 1
    first = integrity.chain_hash(integrity.ZERO, content)
    assert first == hashlib.sha256(b"0" * 64 + content).hexdigest()
    assert integrity.chain_hash(first, content) != first  # the same content, chained again
    print(f"\ncontent: {len(content)} bytes of canonical JSON, chained by SHA-256")


def test_the_migration_seals_exactly_as_the_services_do():
    """Migration 0005 keeps a frozen copy of format 1: the same fields, the same queries,
    the same bytes for every kind (while ``integrity.FORMAT`` is 1)."""
    spec = importlib.util.spec_from_file_location("migration_0005", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert integrity.FORMAT == 1
    # Kinds added later (payment voids, shipment reversals: 0008) had no documents to seal.
    older = integrity.KINDS[: len(migration.KINDS)]
    assert [k.name for k in integrity.KINDS[len(older) :]] == ["payment_void", "shipment_reversal"]
    samples = 0
    for frozen, kind in zip(migration.KINDS, older, strict=True):
        name, header, lines, dates, flags, header_sql, lines_sql, update = frozen
        assert (name, header, lines) == (kind.name, kind.header, kind.lines)
        assert (dates, flags) == (set(kind.dates), set(kind.flags))
        assert (header_sql, lines_sql) == (kind.header_sql, kind.lines_sql)
        assert update == kind.update.replace("= ? WHERE id = ?", "= :h WHERE id = :id")
        row = tuple(
            date(2026, 1, 2) if f in kind.dates else 1 if f in kind.flags else f"{f}-1"
            for f in kind.header
        )
        line_rows = [tuple(range(len(kind.lines), 0, -1)), tuple(range(len(kind.lines)))]
        ours = integrity.content_of(
            name,
            dict(zip(header, row, strict=True)),
            [dict(zip(lines, r, strict=True)) for r in line_rows],
        )
        theirs = migration._content(name, header, lines, dates, flags, row, line_rows)
        assert ours == theirs, name
        samples += 1
    print(f"\nformat 1: the migration and the services agree on {samples} kinds")


# --- a clean ledger, and every legitimate change after issue --------------------------------


def test_every_issuing_path_seals_and_the_lifecycle_leaves_every_chain_intact(everything):
    counts = sealed_counts(everything)
    assert {kind: n for kind, (n, _) in counts.items()} == {
        "invoice": 5,
        "shipment": 4,
        "payment": 3,
        "credit_memo": 3,
        "refund": 2,
    }
    assert all(n == sealed for n, sealed in counts.values()), counts
    assert all_problems(everything) == []
    with unit_of_work(everything, write=False) as session:
        replacement = session.exec(select(Shipment).where(Shipment.return_id.is_not(None))).one()
        no_warehouse = session.exec(select(Shipment).where(Shipment.warehouse_id.is_(None)))
        assert replacement.number == "SH-00004" and no_warehouse.all() == []
        assert session.exec(select(CreditMemo).where(CreditMemo.return_id.is_not(None))).one()
    total = sum(n for n, _ in counts.values())
    print(f"\nlifecycle: {total} documents issued by every path, all sealed, chains intact")


def test_later_changes_never_touch_a_seal(everything, uow):
    """Payments applied, credits, deliveries and returns change invoices, lines,
    payments, memos and shipments after issue, but never their hashes."""
    with uow(write=False) as session:
        before = {
            kind: dict(session.exec(select(model.number, model.chain_hash)).all())
            for kind, model in MODELS.items()
        }
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="WIEN")
        ordering.add_order_line(session=session, number=order.number, sku="LAMP-LED", qty=D(2))
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        invoice = invoicing.create_invoice(session=session, order_number=order.number)
        fulfilment.create_shipment(session=session, order_number=order.number)
    with uow() as session:
        payments.record_payment(session=session, customer_code="WIEN", amount=D("500"))
    with uow() as session:
        fulfilment.deliver_shipment(session=session, number="SH-00002")
        credit_memos.create_credit_memo(
            session=session, invoice_number=invoice.number, lines=[("LAMP-LED", D(1))]
        )
    with uow() as session:
        order = ordering.new_order(session=session, customer_code="ACME")
        ordering.add_order_line(session=session, number=order.number, sku="INSTALL", qty=D(1))
        ordering.confirm_order(session=session, number=order.number, override_credit="test")
        later = invoicing.create_invoice(session=session, order_number=order.number)
    with uow() as session:
        payments.apply_credit(session=session, customer_code="ACME", invoice_number=later.number)
    with uow(write=False) as session:
        after = {
            kind: dict(session.exec(select(model.number, model.chain_hash)).all())
            for kind, model in MODELS.items()
        }
    kept = 0
    for kind, seals in before.items():
        for number, seal in seals.items():
            assert after[kind][number] == seal, number
            kept += 1
    assert all_problems(everything) == []
    print(f"\nlater changes: {kept} seals unchanged after payments, credits and deliveries")


def test_a_refused_document_leaves_no_seal_behind(everything, refused, uow):
    """Refused after its number and seal were taken: the rollback takes both back, and
    the next document chains to the last one that was issued."""
    refused(
        RuleViolation,
        "cannot restock 1 × CHAIR-ERGO: only 0 shipped and not yet returned",
        lambda s: credit_memos.create_credit_memo(
            session=s, invoice_number="INV-00005", lines=[("CHAIR-ERGO", D(1))], restock=True
        ),
    )
    with uow() as session:
        memo = credit_memos.create_credit_memo(
            session=session, invoice_number="INV-00005", lines=[("CHAIR-ERGO", D(1))]
        )
    assert memo.number == "CM-00004"
    assert all_problems(everything) == []


def test_sealing_a_written_document_again_gives_its_seal(everything, uow):
    """``seal`` on a document already in the ledger chains it to the one before it (not to
    itself), so the same content gives the same hash."""
    from ordercli.models import Customer, InvoiceLine, SalesOrder

    with uow() as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-00002")).one()
        recorded = invoice.chain_hash
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        refs = {
            "order": session.get(SalesOrder, invoice.order_id).number,
            "customer": session.get(Customer, invoice.customer_id).code,
        }
        invoice.chain_hash = None
        assert integrity.seal(session, invoice, refs=refs, lines=lines.all()) == recorded
    assert all_problems(everything) == []


# --- edits and deletions behind ordercli's back ---------------------------------------------

# (what is edited, the statement, the document named): the first of each table's rows.
EDITS = [
    ("an invoice's total", "UPDATE invoice SET total = total + 100 WHERE id = 2", "invoice", 2),
    (
        "an invoice's due date",
        "UPDATE invoice SET due_date = '2099-01-01' WHERE id = 3",
        "invoice",
        3,
    ),
    (
        "an invoice line's quantity",
        "UPDATE invoice_line SET qty = qty - 1000 WHERE id = "
        "(SELECT MIN(id) FROM invoice_line WHERE invoice_id = 2)",
        "invoice",
        2,
    ),
    (
        "an invoice line's description",
        "UPDATE invoice_line SET description = 'Gold desk' WHERE invoice_id = 1",
        "invoice",
        1,
    ),
    ("a payment's amount", "UPDATE payment SET amount = amount + 1 WHERE id = 2", "payment", 2),
    (
        "a payment's reference",
        "UPDATE payment SET reference = 'SEPA-9' WHERE id = 1",
        "payment",
        1,
    ),
    (
        "what a payment paid at receipt",
        "UPDATE allocation SET invoice_id = invoice_id + 1 WHERE payment_id = 3 "
        "AND at_receipt = TRUE",
        "payment",
        3,
    ),
    (
        "a shipment's tracking number",
        "UPDATE shipment SET tracking = 'FAKE-1' WHERE id = 1",
        "shipment",
        1,
    ),
    (
        "a shipment line's quantity",
        "UPDATE shipment_line SET qty = qty + 1000 WHERE shipment_id = 3",
        "shipment",
        3,
    ),
    (
        "a credit memo line's amount",
        "UPDATE credit_memo_line SET net = net + 1 WHERE credit_memo_id = 2",
        "credit_memo",
        2,
    ),
    (
        "a credit memo's reason",
        "UPDATE credit_memo SET reason = 'goodwill' WHERE id = 1",
        "credit_memo",
        1,
    ),
    ("a refund's amount", "UPDATE refund SET amount = amount + 1 WHERE id = 2", "refund", 2),
]


@pytest.fixture
def fresh_copy(scenario_template, ledger_from, ledger_path):
    """``fresh_copy()``: this test's ledger made a new copy of the ``everything`` scenario,
    as often as a test needs one."""
    template = scenario_template("integrity-everything", issue_everything)

    def make():
        ordercli.db.engine.forget_ledger(resolve_location(str(ledger_path)))
        for suffix in ("-wal", "-shm"):
            Path(f"{ledger_path}{suffix}").unlink(missing_ok=True)
        return ledger_from(template)

    return make


def test_every_edit_behind_ordercli_s_back_is_caught(fresh_copy):
    missed, alone = [], 0
    for what, statement, kind, position in EDITS:
        engine = fresh_copy()
        assert all_problems(engine) == []
        number = number_of(engine, kind, position)
        behind_the_back(engine, statement)
        problems = all_problems(engine)
        chain = [p["problem"] for p in problems if p["rule"] == "4"]
        if chain != [f"{integrity.BY_NAME[kind].label} {number} {EDITED}"]:
            missed.append((what, problems))
        alone += all(p["rule"] == "4" for p in problems)
    assert missed == []
    print(
        f"\ntamper: {len(EDITS)} edits behind ordercli's back, {len(EDITS) - len(missed)} "
        f"caught, the first changed document named ({alone} seen by no other check)"
    )


def test_of_two_edits_the_earlier_is_named(everything):
    first, second = number_of(everything, "invoice", 2), number_of(everything, "invoice", 4)
    behind_the_back(
        everything,
        "UPDATE invoice SET due_date = '2099-01-01' WHERE id = 4",
        "UPDATE invoice_line SET description = 'changed' WHERE invoice_id = 2",
    )
    assert chain_report(everything) == [
        f"invoice {first} {EDITED}; 1 later invoice does not match either"
    ]
    assert first < second
    print(f"\ntwo edits: {first} and {second} changed, {first} named first")


def test_a_document_deleted_in_the_middle_breaks_the_next_link(everything):
    gone, after = number_of(everything, "shipment", 2), number_of(everything, "shipment", 3)
    behind_the_back(
        everything,
        "DELETE FROM shipment_line WHERE shipment_id = 2",
        "DELETE FROM shipment WHERE id = 2",
    )
    assert chain_report(everything) == [
        f"shipment {after} {EDITED}",
        "the shipment series has issued 4 number(s) but the ledger holds 3 shipments: "
        "a document was deleted outside ordercli",
    ]
    print(f"\ndeleted: {gone} removed, {after} no longer chains")


def test_the_last_document_deleted_shows_in_its_number_series(everything):
    behind_the_back(
        everything,
        "DELETE FROM allocation WHERE refund_id = 2",
        "DELETE FROM refund WHERE id = 2",
    )
    assert chain_report(everything) == [
        "the refund series has issued 2 number(s) but the ledger holds 1 refunds: "
        "a document was deleted outside ordercli"
    ]


def test_a_document_written_without_a_hash_is_named(everything):
    number = number_of(everything, "payment", 2)
    behind_the_back(everything, "UPDATE payment SET chain_hash = NULL WHERE id = 2")
    assert chain_report(everything) == [
        f"payment {number} has no recorded hash: it was written outside ordercli"
    ]


def test_a_rewritten_hash_is_caught_at_the_document_after_it(everything):
    """Sealing an edited document anew only moves the break one document on."""
    edited, after = number_of(everything, "invoice", 2), number_of(everything, "invoice", 3)
    behind_the_back(everything, "UPDATE invoice SET total = total + 100 WHERE id = 2")
    with unit_of_work(everything, write=False) as session:
        kind = integrity.BY_NAME["invoice"]
        rows = session.connection().execute(text(kind.header_sql)).all()
        lines = session.connection().execute(text(kind.lines_sql)).all()
    forged = {doc_id: h for h, doc_id in integrity.rechain(kind, rows, lines)}
    behind_the_back(everything, "UPDATE invoice SET chain_hash = :h WHERE id = 2", h=forged[2])
    assert chain_report(everything) == [f"invoice {after} {EDITED}"]
    print(f"\nforged: {edited} edited and resealed, caught at {after}")


# --- concurrent writers ----------------------------------------------------------------------


def _concurrent_issuers(engine) -> int:
    """Invoices (4 processes), payments (2) and shipments (2), all at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    import payment_workers

    url = engine.url.render_as_string(hide_password=False)
    payment_workers.prepare_invoices(url, 4, customer="PAYER")
    to_invoice = workers.prepare(url, 4 * 6)
    to_ship = workers.prepare_stock_race(url, orders=6, on_hand=6)
    groups = [
        (workers.issue_invoices, [(url, to_invoice[i::4]) for i in range(4)]),
        (payment_workers.record_payments, [(url, "PAYER", ["45.00"] * 4) for _ in range(2)]),
        (workers.ship_orders, [(url, to_ship[i::2]) for i in range(2)]),
    ]
    with ThreadPoolExecutor(len(groups)) as pool:
        running = [pool.submit(workers.spawn_all, target, jobs) for target, jobs in groups]
        reports = [report for future in running for report in future.result()]
    return sum(len(done) for _, done, _ in reports)


@pytest.mark.sqlite_only("the PostgreSQL variant follows")
def test_concurrent_writers_chain_every_document_once(tmp_path):
    url = resolve_location(str(tmp_path / "shared.db"))
    engine = open_ledger(url, create=True)
    documents = _concurrent_issuers(engine)
    assert documents == 24 + 8 + 6
    assert all_problems(engine) == []
    counts = sealed_counts(engine)
    assert (counts["invoice"], counts["payment"], counts["shipment"]) == ((28, 28), (8, 8), (6, 6))
    print(f"\nconcurrent: {documents} documents issued by 8 processes at once, chains intact")


@pytest.mark.postgres
def test_concurrent_writers_chain_every_document_once_on_postgresql(pg_engine):
    documents = _concurrent_issuers(pg_engine)
    assert documents == 24 + 8 + 6
    assert all_problems(pg_engine) == []
    print(f"\nconcurrent on PostgreSQL: {documents} documents by 8 processes, chains intact")


# --- upgrades of every released ledger ------------------------------------------------------


@pytest.mark.sqlite_only("released ledgers are SQLite files")
@pytest.mark.parametrize("release", ["ledger-0001", "ledger-0002", "ledger-0004"])
def test_an_upgraded_ledger_is_sealed_and_its_chains_check_clean(release, tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(FIXTURES / f"{release}.db", path)
    url = resolve_location(str(path))
    try:
        engine = open_ledger(url)
        counts = sealed_counts(engine)
        assert all(n == sealed for n, sealed in counts.values()), counts
        assert all_problems(engine) == []
        behind_the_back(engine, "UPDATE invoice SET due_date = '2099-01-01' WHERE id = 1")
        assert chain_report(engine) == [f"invoice INV-00001 {EDITED}"]
    finally:
        ordercli.db.engine.forget_ledger(url)
    total = sum(n for n, _ in counts.values())
    print(f"\nupgrade: {release} sealed {total} documents on upgrade, chains intact")


def test_migration_0005_seals_a_ledger_of_schema_0004_as_the_services_did(everything):
    """Down to 0004 (the hashes dropped) and up again: the migration's frozen format 1
    gives every document the very hash the services gave it when it was issued."""
    from alembic import command

    from ordercli.db.migrations.runner import alembic_config, upgrade

    def seals() -> dict[str, dict[str, str]]:
        with unit_of_work(everything, write=False) as session:
            return {
                kind: dict(session.exec(select(model.number, model.chain_hash)).all())
                for kind, model in MODELS.items()
            }

    issued = seals()
    config = alembic_config()
    with everything.connect() as connection:
        if connection.dialect.name == "sqlite":  # tables are rebuilt; see runner.upgrade
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
        connection.commit()
    with everything.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("invoice")}
    assert "chain_hash" not in columns
    upgrade(everything)
    assert seals() == issued
    assert all_problems(everything) == []
    sealed = sum(len(numbers) for numbers in issued.values())
    print(f"\nmigration 0005: {sealed} documents sealed exactly as the services sealed them")


# --- end to end ----------------------------------------------------------------------------


def test_ordercli_check_names_the_edited_invoice(everything, cli):
    assert cli.ok("check")["ok"] is True
    behind_the_back(everything, "UPDATE invoice_line SET unit_price = 1 WHERE id = 1")
    result = cli.run("check")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert f"problem (rule 4): invoice INV-00001 {EDITED}" in result.stdout.splitlines()
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("error: the ledger check found 1 problem(s)")
    report = json.loads(cli.run("check", "--json").stdout)
    assert report["problems"] == [
        {
            "rule": "4",
            "check": "issued documents are never edited",
            "problem": f"invoice INV-00001 {EDITED}",
        }
    ]
