"""`ordercli invoice create --all` over 10,000 confirmed orders in one transaction (issue 7).

The ledger: `ordercli init`, then `ordercli import customers|products|orders`
of the deterministic web-shop files `bench/import_bench.py` writes (200
customers, 500 products, `--orders` orders of four lines each, every one
with confirm=true), built once and cached; every run works on a fresh copy.
Alternating, `--runs` times:

* ordercli, whole process: `ordercli invoice create --all` (its usual table
  of issued invoices goes to /dev/null);
* ordercli, in process: ``invoicing.invoice_all`` in one unit of work on an
  open ledger (set-based, in batches: ``services/sales/issuing.py``);
* with ``--reference``, ordercli in process one order at a time: every order
  through ``create_invoice`` as ``invoice create ORDER`` does, each a batch of
  one of the same ``issue_invoices`` (slow);
* anchor: plain ``sqlite3`` in one transaction with the ledger's durability
  settings (WAL, synchronous=FULL): one SELECT of the open lines of confirmed
  orders, then ``executemany`` of the same number of invoice and invoice_line
  rows (numbers, due dates, amounts from the order lines). Nothing else: no
  journal, no events, no order-line updates, no checks; the floor of writing
  those rows.

Reported: invoices/s and invoice lines/s for each, how many rows ordercli
writes per invoice (every table's row count before and after) and how many SQL
statements it sends per invoice in process (an ``executemany`` counts once).
No target: issue 7 asks for the rate.

    .venv/bin/python bench/invoice_all_bench.py [--orders 10000] [--runs 5] [--quick] [--profile]
        [--reference]
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import benchlib
import import_bench
from benchlib import ORDERCLI, Figure, median, run_process

TODAY = "2026-11-22"  # the day import_bench's orders are imported and invoiced
TEMPLATE_VERSION = 1


def template(orders: int) -> Path:
    """The cached ledger holding ``orders`` confirmed, uninvoiced orders."""
    path = benchlib.cache_dir() / (
        f"invoice-all-{orders}-v{TEMPLATE_VERSION}-r{benchlib.schema_revision()}.db"
    )
    if path.exists():
        print(f"ledger: reusing {path}")
        return path
    folder = benchlib.work_dir("invoice-all-build")
    env = benchlib.process_env(TODAY)
    try:
        customers, products, order_file = import_bench.generate(folder, orders * 4, True)
        building = folder / "ledger.db"
        steps = [
            ["init", "--company", "Bench Trading Ltd", "--currency", "EUR"],
            ["import", "customers", str(customers)],
            ["import", "products", str(products)],
            ["import", "orders", str(order_file)],
        ]
        start = time.perf_counter()
        for step in steps:
            run_process([ORDERCLI, "--db", str(building), *step], env=env)
        confirmed = benchlib.scalar(
            building, "SELECT COUNT(*) FROM sales_order WHERE status = 'confirmed'"
        )
        if confirmed != orders:
            raise SystemExit(f"expected {orders} confirmed orders, the import made {confirmed}")
        benchlib.copy_ledger(building, path)
        print(f"ledger: {orders:,} confirmed orders in {time.perf_counter() - start:.0f} s: {path}")
    finally:
        benchlib.remove(folder)
    return path


def row_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        count = 'SELECT COUNT(*) FROM "{}"'  # table names from sqlite_master
        return {t: connection.execute(count.format(t)).fetchone()[0] for t in tables}
    finally:
        connection.close()


def raw_invoicing(path: Path, today: str) -> tuple[int, int]:
    """The anchor: the same invoice and invoice_line rows with sqlite3 executemany."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("BEGIN IMMEDIATE")
    issued = date.fromisoformat(today)
    moment = datetime.now().isoformat(sep=" ")
    invoice_id = connection.execute("SELECT COALESCE(MAX(id), 0) FROM invoice").fetchone()[0]
    line_id = connection.execute("SELECT COALESCE(MAX(id), 0) FROM invoice_line").fetchone()[0]
    # One stand-in party snapshot: the anchor writes rows, it does not freeze parties.
    connection.execute(
        "INSERT OR IGNORE INTO party_snapshot (digest, content) VALUES ('bench-anchor', '{}')"
    )
    parties = connection.execute(
        "SELECT id FROM party_snapshot WHERE digest = 'bench-anchor'"
    ).fetchone()[0]
    invoices, lines = [], []
    current = None
    for (
        order_id,
        customer_id,
        terms,
        ol_id,
        product_id,
        sku,
        description,
        unit,
        qty,
        price,
        discount,
        rate,
        net,
        tax,
    ) in connection.execute(
        "SELECT o.id, o.customer_id, c.terms_days, l.id, l.product_id, p.sku, l.description, "
        "l.unit, l.qty - l.qty_invoiced, l.unit_price, l.discount, l.tax_rate, "
        "l.net - l.net_invoiced, l.tax - l.tax_invoiced "
        "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
        "JOIN customer c ON c.id = o.customer_id JOIN product p ON p.id = l.product_id "
        "WHERE o.status = 'confirmed' AND l.qty > l.qty_invoiced ORDER BY o.id, l.position"
    ):
        if current is None or current[2] != order_id:
            invoice_id += 1
            current = [
                invoice_id,
                f"RAW-{invoice_id:06d}",
                order_id,
                customer_id,
                issued,
                terms,
                0,
                0,
            ]
            invoices.append(current)
            position = 0
        position += 1
        line_id += 1
        lines.append(
            (line_id, invoice_id, ol_id, position, product_id, sku, description, qty, price)
            + (discount, rate, net, tax, 0, 0, 0, unit)
        )
        current[6] += net
        current[7] += tax
    connection.executemany(
        benchlib.ledger_gen.INSERTS["invoice"],
        [
            (i, number, o, c, day.isoformat(), (day + timedelta(days=terms)).isoformat())
            + (net, tax, net + tax, 0, 0, moment, parties, parties)
            for i, number, o, c, day, terms, net, tax in invoices
        ],
    )
    connection.executemany(benchlib.ledger_gen.INSERTS["invoice_line"], lines)
    connection.execute("COMMIT")
    connection.close()
    return len(invoices), len(lines)


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__)
    parser.add_argument("--orders", type=int, default=None, help="confirmed orders (10,000)")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process run")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also time invoicing order by order, as `invoice create ORDER` does (slow)",
    )
    args = benchlib.finish_args(parser.parse_args(argv))
    orders = args.orders or (200 if args.quick else 10_000)
    source = template(orders)
    lines = benchlib.scalar(source, "SELECT COUNT(*) FROM order_line")
    env = benchlib.process_env(TODAY)
    os.environ["ORDERCLI_TODAY"] = TODAY
    os.environ.pop("ORDERCLI_DB", None)
    from sqlalchemy import event

    from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
    from ordercli.models import SalesOrder
    from ordercli.services.sales import invoicing

    def invoice_each_order(*, session, progress=None):
        """Every open order through ``create_invoice``, one at a time."""
        numbers = list(session.scalars(invoicing.open_orders(SalesOrder.number)))
        return [
            invoicing.create_invoice(session=session, order_number=number) for number in numbers
        ]

    folder = benchlib.work_dir("invoice-all")
    serial = [0]
    written: dict[str, int] = {}
    statements: dict[str, int] = {}

    def fresh() -> Path:
        serial[0] += 1
        return benchlib.copy_ledger(source, folder / f"run{serial[0]}.db")

    def invoices_in(path: Path) -> int:
        return benchlib.scalar(path, "SELECT COUNT(*) FROM invoice")

    def finish(path: Path, seconds: float) -> float:
        issued = invoices_in(path)
        if issued != orders:
            raise SystemExit(f"{path}: {issued} invoices, expected {orders}")
        if not written:
            before, after = row_counts(source), row_counts(path)
            written.update(
                {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return seconds

    def whole() -> float:
        path = fresh()
        done = run_process([ORDERCLI, "--db", str(path), "invoice", "create", "--all"], env=env)
        return finish(path, done.seconds)

    def in_process(invoice_all, name: str) -> Callable[[], float]:
        def measure() -> float:
            path = fresh()
            url = resolve_location(str(path))
            engine = open_ledger(url)
            sent = [0]

            def count(*_):
                sent[0] += 1

            event.listen(engine, "before_cursor_execute", count)
            start = time.perf_counter()
            with unit_of_work(engine) as session:
                invoice_all(session=session)
            seconds = time.perf_counter() - start
            event.remove(engine, "before_cursor_execute", count)
            statements[name] = sent[0]
            forget_ledger(url)
            return finish(path, seconds)

        return measure

    def raw() -> float:
        path = fresh()
        start = time.perf_counter()
        made, _ = raw_invoicing(path, TODAY)
        seconds = time.perf_counter() - start
        if made != orders:
            raise SystemExit(f"raw: {made} invoices, expected {orders}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return seconds

    try:
        sides = [
            ("ordercli, whole process", whole),
            ("ordercli, in process", in_process(invoicing.invoice_all, "in process")),
            ("raw sqlite3", raw),
        ]
        if args.reference:
            sides.append(
                (
                    "ordercli, in process, order by order",
                    in_process(invoice_each_order, "order by order"),
                )
            )
        times = benchlib.alternate(sides, args.runs, warmup=False)
        if args.profile:
            path = fresh()
            url = resolve_location(str(path))
            engine = open_ledger(url)

            def call():
                with unit_of_work(engine) as session:
                    invoicing.invoice_all(session=session)

            print(
                f"\n== cProfile of one in-process invoice_all over {orders:,} orders (by tottime)"
            )
            print(benchlib.profile_call(call, top=30, sort="tottime"))
            forget_ledger(url)
    finally:
        benchlib.remove(folder)

    print(
        f"\ninvoice create --all: {orders:,} confirmed orders, {lines:,} lines, one transaction; "
        f"medians of {args.runs} alternating runs"
    )
    rates = {}
    for name, values in times.items():
        seconds = median(values)
        rates[name] = seconds
        print(
            f"  {name:36s} {seconds:7.2f} s  {orders / seconds:9,.0f} invoices/s "
            f"{lines / seconds:10,.0f} lines/s"
        )
    for name, count in statements.items():
        print(f"  SQL statements per invoice, {name}: {count / orders:.2f} ({count:,} in all)")
    per_invoice = {t: n / orders for t, n in sorted(written.items())}
    print(
        "  rows ordercli writes per invoice: "
        + ", ".join(f"{t} {n:g}" for t, n in per_invoice.items())
        + f" (anchor: invoice 1, invoice_line {lines / orders:g})"
    )
    raw_s = rates["raw sqlite3"]
    figures = []
    for side in ("whole process", "in process"):
        seconds = rates[f"ordercli, {side}"]
        figures.append(
            Figure(
                figure=f"invoice create --all, {orders:,} orders, {side}",
                ordercli=f"{orders / seconds:,.0f} inv/s, {lines / seconds:,.0f} lines/s",
                anchor=f"raw inserts {orders / raw_s:,.0f} inv/s",
                ratio=f"{seconds / raw_s:.1f}x",
                target="report the rate",
                met=None,
                how=f"bench/invoice_all_bench.py, median of {args.runs}",
            )
        )
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
