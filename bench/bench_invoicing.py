"""How much ordercli costs over raw sqlite3 for the work users wait on.

Prints, for each case, ordercli's time, a raw-sqlite3 baseline doing the
equivalent writes in the same run, and their ratio. Both sides use the same
durability settings (WAL, synchronous=FULL, one transaction per document), so
the ratio is the price of the ORM, the rules and the event log.

    .venv/bin/python bench/bench_invoicing.py [--orders 200]
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ordercli_invoicing(folder: Path, orders: int) -> float:
    from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
    from ordercli.services.inventory import catalog
    from ordercli.services.parties import customers
    from ordercli.services.sales import invoicing, ordering

    engine = open_ledger(resolve_location(str(folder / "bench.db")), create=True)
    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Bench Ltd", code="BENCH")
        catalog.add_product(
            session=session,
            sku="W",
            name="Widget",
            price=Decimal("12.50"),
            tax_rate=Decimal(20),
            stock=Decimal(orders * 10),
        )
    numbers = []
    for _ in range(orders):
        with unit_of_work(engine) as session:
            order = ordering.new_order(session=session, customer_code="BENCH")
            ordering.add_order_line(
                session=session, number=order.number, sku="W", qty=Decimal(3), discount=Decimal(5)
            )
            ordering.confirm_order(session=session, number=order.number)
            numbers.append(order.number)

    def issue():
        for number in numbers:
            with unit_of_work(engine) as session:
                invoicing.create_invoice(session=session, order_number=number)

    elapsed = timed(issue)
    dispose_all()
    return elapsed


def raw_invoicing(folder: Path, orders: int) -> float:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript("""
        CREATE TABLE series (kind TEXT PRIMARY KEY, next INTEGER);
        INSERT INTO series VALUES ('invoice', 1);
        CREATE TABLE line (id INTEGER PRIMARY KEY, qty INTEGER, invoiced INTEGER,
                           price INTEGER, net INTEGER, tax INTEGER);
        CREATE TABLE invoice (id INTEGER PRIMARY KEY, number TEXT UNIQUE, total INTEGER);
        CREATE TABLE invoice_line (id INTEGER PRIMARY KEY, invoice_id INTEGER, line_id INTEGER,
                                   qty INTEGER, net INTEGER, tax INTEGER);
        CREATE TABLE event (id INTEGER PRIMARY KEY, message TEXT);
    """)
    conn.executemany(
        "INSERT INTO line (qty, invoiced, price, net, tax) VALUES (3, 0, 1250, 3563, 713)",
        [()] * orders,
    )

    def issue():
        for line_id in range(1, orders + 1):
            conn.execute("BEGIN IMMEDIATE")
            qty, invoiced, net, tax = conn.execute(
                "SELECT qty, invoiced, net, tax FROM line WHERE id = ?", (line_id,)
            ).fetchone()
            (value,) = conn.execute(
                "UPDATE series SET next = next + 1 WHERE kind = 'invoice' RETURNING next - 1"
            ).fetchone()
            cur = conn.execute(
                "INSERT INTO invoice (number, total) VALUES (?, ?)", (f"INV-{value:05d}", net + tax)
            )
            conn.execute(
                "INSERT INTO invoice_line (invoice_id, line_id, qty, net, tax) "
                "VALUES (?, ?, ?, ?, ?)",
                (cur.lastrowid, line_id, qty - invoiced, net, tax),
            )
            conn.execute("UPDATE line SET invoiced = qty WHERE id = ?", (line_id,))
            conn.execute("INSERT INTO event (message) VALUES ('issued')")
            conn.execute("COMMIT")

    elapsed = timed(issue)
    conn.close()
    return elapsed


def command_startup(repeat: int) -> tuple[float, float]:
    exe = Path(sys.executable).with_name("ordercli")

    def run(cmd):
        for _ in range(repeat):
            subprocess.run(cmd, check=True, capture_output=True)

    ours = timed(lambda: run([str(exe), "--help"])) / repeat
    base = timed(lambda: run([sys.executable, "-c", "import sqlite3"])) / repeat
    return ours, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours = ordercli_invoicing(folder, args.orders)
        base = raw_invoicing(folder, args.orders)
    print(f"issue {args.orders} invoices, one transaction each:")
    print(
        f"  ordercli {ours:.3f} s ({ours / args.orders * 1000:.2f} ms each), "
        f"raw sqlite3 {base:.3f} s, ratio {ours / base:.1f}x"
    )
    startup, python = command_startup(args.repeat)
    print("start a command (`ordercli --help` vs `python -c 'import sqlite3'`):")
    print(
        f"  ordercli {startup * 1000:.0f} ms, bare python {python * 1000:.0f} ms, "
        f"ratio {startup / python:.1f}x"
    )


if __name__ == "__main__":
    main()
