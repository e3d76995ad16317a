"""The anchor of bench/import_bench.py: the same orders file loaded with nothing but
``sqlite3`` and ``csv``, the way a hand-written loader would do it.

Reads the file, looks up customer and product ids, computes net and tax with
integer arithmetic, and inserts orders and order lines with ``executemany`` in
one transaction, with the ledger's own durability settings. No checks, no
event log, no numbering: the floor of what loading these rows can cost.

    python bench/raw_orders_loader.py LEDGER.db ORDERS.csv
"""

import csv
import sqlite3
import sys
from datetime import UTC, datetime
from decimal import Decimal


def load(db: str, path: str) -> int:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("BEGIN IMMEDIATE")
    customers = dict(conn.execute("SELECT code, id FROM customer"))
    products = {
        sku: (pid, name) for sku, pid, name in conn.execute("SELECT sku, id, name FROM product")
    }
    now = datetime.now(UTC).isoformat(sep=" ")
    orders: dict[str, list] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for ref, code, day, sku, qty, price, discount, rate, _confirm in reader:
            q = int(Decimal(qty) * 1000)
            p = int(Decimal(price) * 100)
            d = int(Decimal(discount or "0") * 10000)
            r = int(Decimal(rate) * 10000)
            net = (2 * q * p * (1000000 - d) + 10**9) // (2 * 10**9)
            tax = (2 * net * r + 1000000) // 2000000
            order = orders.get(ref)
            if order is None:
                order = orders[ref] = [len(orders) + 1, customers[code], day, []]
            pid, name = products[sku]
            order[3].append((pid, name, q, p, d, r, net, tax))
    base = conn.execute("SELECT coalesce(max(id), 0) FROM sales_order").fetchone()[0]
    conn.executemany(
        "INSERT INTO sales_order (id, number, customer_id, order_ref, status, order_date, "
        "subtotal, tax, total, created_at) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?)",
        [
            (
                base + n,
                f"RAW-{base + n:06d}",
                customer_id,
                ref,
                day,
                sum(line[6] for line in lines),
                sum(line[7] for line in lines),
                sum(line[6] + line[7] for line in lines),
                now,
            )
            for ref, (n, customer_id, day, lines) in orders.items()
        ],
    )
    conn.executemany(
        "INSERT INTO order_line (order_id, position, product_id, description, qty, unit_price, "
        "discount, tax_rate, net, tax, qty_invoiced, qty_shipped, qty_credited, qty_returned, "
        "qty_backordered, qty_replaced, net_invoiced, tax_invoiced, last_state_change) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, ?)",
        [
            (base + n, position, *line[:8], now)
            for n, _, _, lines in orders.values()
            for position, line in enumerate(lines, start=1)
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    return len(orders)


if __name__ == "__main__":
    load(sys.argv[1], sys.argv[2])
