"""A deterministic order-to-cash ledger of any size, for benchmarks and tests.

    .venv/bin/python bench/ledger_gen.py LEDGER --lines 100000 [--seed 1] [--force]

The ledger is made by ordercli itself as far as ordercli has a bulk path:
what ``ordercli init`` does (migrations, chart of accounts, number series,
warehouse MAIN) and what ``ordercli import customers`` / ``import products``
do on generated CSV files (2,000 customers, 1,000 products with opening
stock), called in process to spare three interpreter start-ups. Everything else is
written with plain ``sqlite3`` ``executemany``, because calling the services
once per document would take hours at a million lines, and it is written the
way the services write it:

* sales orders (about 4 lines each) dated evenly over the three years up to
  ``LEDGER_END``; most confirmed, some drafts, a few cancelled or on hold;
  line net and tax by rule 10 (``domain.money.line_amounts_units``);
* shipments from MAIN with their stock moves; stock arrives just in time
  (a receipt before the shipment that needs it), so on hand never goes below
  zero on any day, except that a few "scarce" products get no stock in the
  last 45 days, which leaves their lines backordered;
* an invoice per shipment, priced portion by portion as
  ``domain.money.portion_amounts`` does (the portion that completes a line
  takes what is left of it);
* payments (most on time, some late, some in two parts, a few overpaid,
  a few never) with their allocations;
* credit memos on some invoices (by quantity, whole lines or parts, settled
  as store credit or refunded, some restocking the goods);
* for every invoice, payment, credit memo and refund the journal entry the
  services post (same roles, same customer/invoice on the lines), and the
  events of each step;
* every invoice, shipment, payment, credit memo and refund sealed by its hash
  chain, computed in one pass per kind once the documents are written, and
  every journal entry sealed to the one before it of its source, in one pass.

Documents are simulated day by day in date order, so every document is dated
on or after what it depends on and the ledger "as of" any past day is one the
services could have produced. Counters that follow from the documents (stock
on hand, reservations, backorders by the allocation rule, the number series)
are set at the end with set-based SQL. The result passes ``ordercli check``,
which the generator runs for ledgers of up to 100,000 lines.

Deterministic for a seed: the same ``--lines`` and ``--seed`` give the same
rows, timestamps and numbers (import timestamps are normalised to the day
before the first order). Memory stays bounded: an order is kept only until
its last scheduled step (shipments, invoices, payments, credits) is done, and
rows go to the database in batches.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import heapq
import os
import random
import sqlite3
import sys
import time
from array import array
from datetime import date
from pathlib import Path

from ordercli.domain.money import PCT_WHOLE, line_amounts_units
from ordercli.domain.states import completed_because
from ordercli.services.parties.snapshots import BUYER_FIELDS, SELLER_KEYS, canonical

# Bumped whenever the generated data changes, so cached bench ledgers are rebuilt.
VERSION = 4
# "Today" of every generated ledger: the bench and tests set ORDERCLI_TODAY to it.
LEDGER_END = date(2026, 6, 30)
DAYS = 3 * 365
CUSTOMERS = 2000
PRODUCTS = 1000
SERVICES = 50
CHECK_UP_TO = 100_000
SCARCE_WINDOW = 45
OS_USER = "ledger-gen"
BATCH = 20_000

# Roles of the chart of accounts, as ordercli.books.journal names them.
ROLES = ("cash", "receivable", "sales_tax", "customer_credit", "revenue", "refunds")

INSERTS = {
    "sales_order": "INSERT INTO sales_order (id, number, customer_id, status, hold_reason, "
    "status_before_hold, order_date, confirmed_at, subtotal, tax, total, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "order_line": "INSERT INTO order_line (id, order_id, position, product_id, description, qty, "
    "unit_price, discount, tax_rate, net, tax, qty_invoiced, qty_shipped, qty_credited, "
    "qty_returned, qty_backordered, net_invoiced, tax_invoiced, last_state_change, qty_replaced, "
    "unit, qty_reopened, qty_cancelled, qty_closed) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?, 0, ?, 0)",
    "invoice": "INSERT INTO invoice (id, number, order_id, customer_id, issue_date, due_date, "
    "subtotal, tax, total, paid, credited, created_at, seller_id, buyer_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "invoice_line": "INSERT INTO invoice_line (id, invoice_id, order_line_id, position, "
    "product_id, sku, description, qty, unit_price, discount, tax_rate, net, tax, qty_credited, "
    "net_credited, tax_credited, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "shipment": "INSERT INTO shipment (id, number, order_id, customer_id, status, carrier, "
    "tracking, ship_date, delivered_at, created_at, warehouse_id, seller_id, buyer_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "shipment_line": "INSERT INTO shipment_line (shipment_id, order_line_id, position, product_id, "
    "sku, description, qty, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "stock_move": "INSERT INTO stock_move (product_id, warehouse_id, at, qty, kind, reference) "
    "VALUES (?, 1, ?, ?, ?, ?)",
    "payment": "INSERT INTO payment (id, number, customer_id, amount, method, reference, "
    "received_on, unapplied, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "allocation": "INSERT INTO allocation (customer_id, payment_id, credit_memo_id, invoice_id, "
    "refund_id, amount, applied_on, at_receipt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "credit_memo": "INSERT INTO credit_memo (id, number, invoice_id, order_id, customer_id, "
    "issue_date, subtotal, tax, total, settlement, applied, released, credit_left, restock, "
    "reason, created_at, seller_id, buyer_id, cancels_invoice) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
    "credit_memo_line": "INSERT INTO credit_memo_line (credit_memo_id, invoice_line_id, "
    "order_line_id, position, sku, description, qty, unit_price, tax_rate, net, tax, unit, "
    "effect) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "refund": "INSERT INTO refund (id, number, customer_id, credit_memo_id, amount, method, "
    "reference, refunded_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "journal_entry": "INSERT INTO journal_entry (id, entry_date, source_kind, source_number, "
    "memo, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    "journal_line": "INSERT INTO journal_line (entry_id, account_id, debit, credit, customer_id, "
    "invoice_id) VALUES (?, ?, ?, ?, ?, ?)",
    "event": "INSERT INTO event (at, os_user, subject_kind, subject_number, action, message, "
    "order_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
}

# Counters the documents imply, set once at the end (as the services keep them).
FINISH = (
    # Each invoice's schedule (rule 20): the customers have no terms template, so one
    # instalment, its whole total on its due date, as the services write it.
    "INSERT INTO invoice_instalment (invoice_id, position, due_date, amount) "
    "SELECT id, 1, due_date, total FROM invoice",
    # On hand is the sum of the moves (rule 12); reserved what confirmed orders still ship.
    "UPDATE product SET on_hand = COALESCE((SELECT SUM(qty) FROM stock_move m "
    "WHERE m.product_id = product.id), 0)",
    "UPDATE product SET reserved = COALESCE((SELECT SUM(l.qty - l.qty_shipped) "
    "FROM order_line l JOIN sales_order o ON o.id = l.order_id "
    "WHERE l.product_id = product.id AND o.status IN ('confirmed', 'on_hold') "
    "AND o.confirmed_at IS NOT NULL), 0) WHERE service = 0",
    # Backorders by levels.allocate_stock's rule, for every product at once.
    "UPDATE order_line SET qty_backordered = alloc.backordered FROM ("
    " SELECT id, CASE WHEN running - on_hand <= 0 THEN 0"
    " WHEN running - on_hand >= to_ship THEN to_ship ELSE running - on_hand END AS backordered"
    " FROM (SELECT ol.id AS id, ol.qty - ol.qty_shipped AS to_ship, p.on_hand AS on_hand,"
    " SUM(ol.qty - ol.qty_shipped) OVER (PARTITION BY ol.product_id"
    " ORDER BY so.confirmed_at, so.id, ol.position ROWS UNBOUNDED PRECEDING) AS running"
    " FROM order_line ol JOIN sales_order so ON so.id = ol.order_id"
    " JOIN product p ON p.id = ol.product_id"
    " WHERE p.service = 0 AND ol.qty > ol.qty_shipped"
    " AND so.status IN ('confirmed', 'on_hold') AND so.confirmed_at IS NOT NULL) AS open_lines"
    ") AS alloc WHERE order_line.id = alloc.id AND alloc.backordered > 0",
)


def _money(units: int) -> str:
    sign = "-" if units < 0 else ""
    units = abs(units)
    return f"{sign}{units // 100}.{units % 100:02d}"


def _tax_of(net: int, rate: int) -> int:
    """``domain.money.line_tax`` in minor units and ten-thousandths of a percent."""
    return (2 * net * rate + PCT_WHOLE) // (2 * PCT_WHOLE)


def _portion(qty, unit_price, discount, rate, net_left, tax_left, completes):
    """``domain.money.portion_amounts`` in database units."""
    if completes:
        return net_left, tax_left
    net = min(line_amounts_units(qty, unit_price, discount, rate)[0], net_left)
    return net, min(_tax_of(net, rate), tax_left)


class Product:
    __slots__ = ("id", "sku", "name", "price", "rate", "service", "unit", "lot", "scarce", "stock")


class Line:
    __slots__ = (
        "id",
        "order",
        "position",
        "product",
        "qty",
        "price",
        "discount",
        "rate",
        "net",
        "tax",
        "invoiced",
        "shipped",
        "credited",
        "returned",
        "net_invoiced",
        "tax_invoiced",
        "changed",
    )


class Order:
    __slots__ = (
        "id",
        "number",
        "customer",
        "status",
        "hold_reason",
        "before_hold",
        "day",
        "confirmed_at",
        "created_at",
        "lines",
        "pending",
    )


class Invoice:
    __slots__ = (
        "id",
        "number",
        "order",
        "issue_day",
        "due_day",
        "subtotal",
        "tax",
        "total",
        "paid",
        "credited",
        "created_at",
        "lines",
        "pending",
    )


class InvoiceLine:
    __slots__ = ("id", "line", "position", "qty", "net", "tax", "qty_cr", "net_cr", "tax_cr")


class Writer:
    """Rows per table, sent with ``executemany`` in batches."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        self.rows: dict[str, list] = {table: [] for table in INSERTS}
        self.counts: dict[str, int] = dict.fromkeys(INSERTS, 0)

    def add(self, table: str, row: tuple) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.rows):
            rows = self.rows[name]
            if rows:
                self.connection.executemany(INSERTS[name], rows)
                self.counts[name] += len(rows)
                rows.clear()


class Generator:
    def __init__(self, connection: sqlite3.Connection, lines: int, seed: int, end: date):
        self.rng = random.Random(seed)
        self.out = Writer(connection)
        self.lines_wanted = lines
        self.end = end.toordinal()
        self.start = self.end - DAYS + 1
        self.accounts = dict(connection.execute("SELECT role, id FROM account"))
        self.customers = [
            (cid, code, terms)
            for cid, code, terms in connection.execute(
                "SELECT id, code, terms_days FROM customer ORDER BY id"
            )
        ]
        self.products = []
        for pid, sku, name, price, rate, service, unit, stock in connection.execute(
            "SELECT id, sku, name, unit_price, tax_rate, service, unit, on_hand FROM product "
            "ORDER BY id"
        ):
            product = Product()
            product.id, product.sku, product.name, product.unit = pid, sku, name, unit
            product.price, product.rate, product.service = price, rate, bool(service)
            product.stock, product.scarce, product.lot = stock, False, 0
            self.products.append(product)
        self.seller, self.buyers = _freeze_parties(connection)
        self.customer_weights = self._cumulative(len(self.customers), 0.9)
        self.product_weights = self._cumulative(len(self.products), 1.0)
        self.counters = {
            kind: 0
            for kind in ("order", "line", "invoice", "invoice_line", "shipment")
            + ("payment", "credit_memo", "refund", "entry")
        }
        self.queue: list = []
        self.sequence = 0
        self.day_text = {}
        self.clock = 0
        self.today = self.start
        self._plan_stock()

    # -- helpers -------------------------------------------------------------------------

    def _cumulative(self, count: int, skew: float) -> list[float]:
        """Cumulative weights of a shuffled long-tail popularity (a few best sellers)."""
        weights = [1.0 / (rank + 10) ** skew for rank in range(count)]
        self.rng.shuffle(weights)
        total, cumulative = 0.0, []
        for weight in weights:
            total += weight
            cumulative.append(total)
        return cumulative

    def _pick(self, items: list, cumulative: list[float]):
        return items[bisect.bisect_left(cumulative, self.rng.random() * cumulative[-1])]

    def _plan_stock(self) -> None:
        """Lot sizes from expected demand; 2 % of goods get no stock in the last weeks."""
        goods_qty = 5.5  # mean units of a goods line
        lines_per_day = self.lines_wanted / DAYS
        previous = 0.0
        for product, cumulative in zip(self.products, self.product_weights, strict=True):
            share = (cumulative - previous) / self.product_weights[-1]
            previous = cumulative
            if product.service:
                continue
            daily_units = lines_per_day * share * goods_qty
            product.lot = max(10, round(daily_units * 30)) * 1000
            product.scarce = self.rng.random() < 0.02

    def day(self, ordinal: int) -> str:
        text = self.day_text.get(ordinal)
        if text is None:
            text = self.day_text[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def tick(self) -> str:
        """The next moment of the simulated day: a tenth of a second apart from 08:00."""
        self.clock += 1
        tenths = 8 * 36000 + min(self.clock, 16 * 36000 - 1)
        seconds = tenths // 10
        return (
            f"{self.day(self.today)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
            f"{seconds % 60:02d}.{tenths % 10}00000"
        )

    def next_id(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    def schedule(self, ordinal: int, action: str, *payload) -> bool:
        """Plan a step; steps after the ledger's last day never happen."""
        if ordinal > self.end:
            return False
        self.sequence += 1
        heapq.heappush(self.queue, (ordinal, self.sequence, action, payload))
        return True

    def event(self, at, kind, number, action, message, order_id=None) -> None:
        self.out.add("event", (at, OS_USER, kind, number, action, message, order_id))

    def entry(self, on: str, kind: str, number: str, memo: str, at: str, postings) -> None:
        """One balanced journal entry; ``postings`` are (role, debit, credit, customer, invoice)."""
        entry_id = self.next_id("entry")
        debit = credit = 0
        self.out.add("journal_entry", (entry_id, on, kind, number, memo, at))
        for role, dr, cr, customer_id, invoice_id in postings:
            if dr or cr:
                debit += dr
                credit += cr
                self.out.add(
                    "journal_line",
                    (entry_id, self.accounts[role], dr, cr, customer_id, invoice_id),
                )
        assert debit == credit, (kind, number, postings)

    # -- the simulation --------------------------------------------------------------------

    def run(self) -> None:
        rng = self.rng
        sizes = array("B")
        left = self.lines_wanted
        while left > 0:
            size = min(left, rng.choice((1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 8)))
            sizes.append(size)
            left -= size
        orders = len(sizes)
        index = 0
        for ordinal in range(self.start, self.end + 1):
            self.today, self.clock = ordinal, 0
            last = (ordinal - self.start + 1) * orders // DAYS
            while index < last:
                self.new_order(sizes[index])
                index += 1
            while self.queue and self.queue[0][0] <= ordinal:
                _, _, action, payload = heapq.heappop(self.queue)
                getattr(self, action)(*payload)
        assert not self.queue
        self.out.flush()

    def new_order(self, size: int) -> None:
        rng = self.rng
        customer = self._pick(self.customers, self.customer_weights)
        order = Order()
        order.id = self.next_id("order")
        order.number = f"SO-{order.id:05d}"
        order.customer = customer
        order.day = self.today
        order.created_at = self.tick()
        order.hold_reason = order.before_hold = order.confirmed_at = None
        order.pending = 1
        order.lines = []
        for position in range(1, size + 1):
            product = self._pick(self.products, self.product_weights)
            line = Line()
            line.id = self.next_id("line")
            line.order, line.position, line.product = order, position, product
            if product.service:
                line.qty = 250 * rng.randint(2, 32)
            elif rng.random() < 0.05:
                line.qty = 1000 * rng.randint(12, 40)
            else:
                line.qty = 1000 * rng.randint(1, 8)
            line.price, line.rate = product.price, product.rate
            draw = rng.random()
            line.discount = 0 if draw < 0.8 else 50000 if draw < 0.9 else 100000
            if draw > 0.97:
                line.discount = 125000
            line.net, line.tax = line_amounts_units(line.qty, line.price, line.discount, line.rate)
            line.invoiced = line.shipped = line.credited = line.returned = 0
            line.net_invoiced = line.tax_invoiced = 0
            line.changed = order.created_at
            order.lines.append(line)
        code = customer[1]
        self.event(
            order.created_at,
            "order",
            order.number,
            "created",
            f"order {order.number} opened for {code} from web shop",
            order.id,
        )
        to_end = self.end - self.today
        # Recent drafts wait to be confirmed; old ones were abandoned.
        drafts = 0.06 if to_end <= 10 else 0.003
        fate = rng.random()
        if fate < drafts:
            order.status = "draft"
        elif fate < drafts + 0.01:
            order.status = "draft"
            if rng.random() < 0.5:
                self._confirm(order)
            if self.schedule(self.today + rng.randint(0, 3), "cancel", order):
                order.pending += 1
        else:
            self._confirm(order)
            if fate > 0.995:
                order.status, order.before_hold = "on_hold", "confirmed"
                order.hold_reason = "credit check"
                at = self.tick()
                self._touch(order, at)
                self.event(at, "order", order.number, "held", "put on hold: credit check", order.id)
                if to_end > 30 and self.schedule(self.today + rng.randint(1, 5), "release", order):
                    order.pending += 1
            else:
                self._plan_shipping(order)
        self.release_order(order)

    def _confirm(self, order: Order) -> None:
        order.status = "confirmed"
        order.confirmed_at = at = self.tick()
        self._touch(order, at)
        total = sum(line.net + line.tax for line in order.lines)
        self.event(
            at,
            "order",
            order.number,
            "confirmed",
            f"order {order.number} confirmed on import, total {_money(total)}",
            order.id,
        )

    def _touch(self, order: Order, at: str) -> None:
        for line in order.lines:
            line.changed = at

    def _plan_shipping(self, order: Order) -> None:
        rng = self.rng
        delay = rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4))
        split = len(order.lines) > 1 and rng.random() < 0.08
        if self.schedule(self.today + delay, "ship", order, "first" if split else "all"):
            order.pending += 1

    def cancel(self, order: Order) -> None:
        if order.status in ("draft", "confirmed"):
            order.status = "cancelled"
            at = self.tick()
            self._touch(order, at)
            self.event(
                at,
                "order",
                order.number,
                "cancelled",
                f"order {order.number} cancelled: customer withdrew",
                order.id,
            )
        self.release_order(order)

    def release(self, order: Order) -> None:
        order.status, order.before_hold, order.hold_reason = "confirmed", None, None
        at = self.tick()
        self._touch(order, at)
        self.event(
            at,
            "order",
            order.number,
            "released",
            "released from hold (credit check); back to confirmed",
            order.id,
        )
        self._plan_shipping(order)
        self.release_order(order)

    def ship(self, order: Order, part: str) -> None:
        rng = self.rng
        open_lines = [line for line in order.lines if line.qty > line.shipped]
        if part == "first":
            open_lines = open_lines[: max(1, len(open_lines) // 2)]
        taken = []
        for line in open_lines:
            product = line.product
            want = line.qty - line.shipped
            if not product.service:
                if product.stock < want and not (
                    product.scarce and self.today > self.end - SCARCE_WINDOW
                ):
                    self._receive(product, want - product.stock)
                want = min(want, product.stock)
                if want <= 0:
                    continue
                product.stock -= want
            taken.append((line, want))
        goods = [(line, qty) for line, qty in taken if not line.product.service]
        if goods:
            self._write_shipment(order, goods)
        for line, qty in taken:
            # A service is never shipped: it goes to the invoice, which delivers it.
            if line.product.service:
                line.shipped += qty
        if taken:
            self._complete(order, self.tick())
            delay = 0 if self.rng.random() < 0.8 else self.rng.randint(1, 3)
            if self.schedule(self.today + delay, "invoice", order, taken):
                order.pending += 1
        if part == "first" and self.schedule(self.today + rng.randint(2, 10), "ship", order, "all"):
            order.pending += 1
        self.release_order(order)

    def _receive(self, product: Product, short: int) -> None:
        qty = max(short, product.lot)
        product.stock += qty
        at = self.tick()
        self.out.add("stock_move", (product.id, at, qty, "receive", "purchase order"))
        self.event(
            at,
            "product",
            product.sku,
            "received",
            f"received {qty // 1000} × {product.sku} into MAIN (purchase order)",
        )

    def _write_shipment(self, order: Order, taken: list) -> None:
        rng = self.rng
        shipment_id = self.next_id("shipment")
        number = f"SH-{shipment_id:05d}"
        at = self.tick()
        for position, (line, qty) in enumerate(taken, start=1):
            product = line.product
            self.out.add(
                "shipment_line",
                (
                    shipment_id,
                    line.id,
                    position,
                    product.id,
                    product.sku,
                    product.name,
                    qty,
                    product.unit,
                ),
            )
            self.out.add("stock_move", (product.id, at, -qty, "ship", number))
            line.shipped += qty
            line.changed = at
        carrier = rng.choice(("DHL", "UPS", "DPD", "GLS"))
        tracking = f"{carrier}{shipment_id * 7919 % 10**9:09d}"
        delivered = None
        if self.today + 3 <= self.end:
            delivered = f"{self.day(self.today + 2)} 12:00:00.000000"
        self.out.add(
            "shipment",
            (
                shipment_id,
                number,
                order.id,
                order.customer[0],
                "delivered" if delivered else "shipped",
                carrier,
                tracking,
                self.day(self.today),
                delivered,
                at,
                1,
                self.seller,
                self.buyers[order.customer[0]],
            ),
        )
        self.event(
            at,
            "shipment",
            number,
            "shipped",
            f"shipment {number} for {order.number}: {len(taken)} line(s)"
            f" from MAIN via {carrier}, tracking {tracking}",
            order.id,
        )
        if delivered:
            self.event(
                delivered, "shipment", number, "delivered", f"shipment {number} delivered", order.id
            )

    def _complete(self, order: Order, at: str) -> None:
        if order.status == "confirmed" and all(
            line.invoiced == line.qty and line.shipped == line.qty for line in order.lines
        ):
            order.status = "completed"
            goods = any(not line.product.service for line in order.lines)
            self.event(
                at,
                "order",
                order.number,
                "completed",
                f"order {order.number} completed: {completed_because(has_goods=goods)}",
                order.id,
            )

    def invoice(self, order: Order, taken: list) -> None:
        invoice = Invoice()
        invoice.id = self.next_id("invoice")
        invoice.number = f"INV-{invoice.id:05d}"
        invoice.order = order
        invoice.issue_day = self.today
        invoice.due_day = self.today + order.customer[2]
        invoice.created_at = at = self.tick()
        invoice.lines = []
        invoice.paid = invoice.credited = 0
        invoice.pending = 1
        for position, (line, qty) in enumerate(taken, start=1):
            net, tax = _portion(
                qty,
                line.price,
                line.discount,
                line.rate,
                line.net - line.net_invoiced,
                line.tax - line.tax_invoiced,
                line.invoiced + qty == line.qty,
            )
            item = InvoiceLine()
            item.id = self.next_id("invoice_line")
            item.line, item.position, item.qty, item.net, item.tax = line, position, qty, net, tax
            item.qty_cr = item.net_cr = item.tax_cr = 0
            invoice.lines.append(item)
            line.invoiced += qty
            line.net_invoiced += net
            line.tax_invoiced += tax
            line.changed = at
        invoice.subtotal = sum(item.net for item in invoice.lines)
        invoice.tax = sum(item.tax for item in invoice.lines)
        invoice.total = invoice.subtotal + invoice.tax
        customer_id, code, _ = order.customer
        on = self.day(self.today)
        self.entry(
            on,
            "invoice",
            invoice.number,
            f"invoice {invoice.number} to {code}",
            at,
            [
                ("receivable", invoice.total, 0, customer_id, invoice.id),
                ("revenue", 0, invoice.subtotal, None, None),
                ("sales_tax", 0, invoice.tax, None, None),
            ],
        )
        self.event(
            at,
            "invoice",
            invoice.number,
            "issued",
            f"invoice {invoice.number} issued for {order.number}: {len(invoice.lines)} line(s), "
            f"total {_money(invoice.total)}, due {self.day(invoice.due_day)}",
            order.id,
        )
        self._complete(order, at)
        self._plan_settlement(invoice)
        self.release_invoice(invoice)
        self.release_order(order)

    def _plan_settlement(self, invoice: Invoice) -> None:
        rng = self.rng
        order = invoice.order
        terms = order.customer[2]
        plans = []
        draw = rng.random()
        if draw >= 0.015:
            pay_day = self.today + (
                rng.randint(0, terms) if rng.random() < 0.8 else terms + rng.randint(1, 75)
            )
            if draw < 0.055:
                first = self.today + rng.randint(0, max(terms // 2, 1))
                plans.append((first, "pay", invoice, "part"))
                plans.append((max(pay_day, first + 7), "pay", invoice, "rest"))
            else:
                plans.append((pay_day, "pay", invoice, "over" if draw > 0.995 else "rest"))
        if rng.random() < 0.015:
            plans.append((self.today + rng.randint(1, 40), "credit", invoice))
        for ordinal, action, *payload in plans:
            if self.schedule(ordinal, action, *payload):
                invoice.pending += 1
                order.pending += 1

    def pay(self, invoice: Invoice, mode: str) -> None:
        rng = self.rng
        order = invoice.order
        balance = invoice.total - invoice.paid - invoice.credited
        if balance > 0:
            if mode == "part":
                take = max(1, balance * rng.randint(30, 70) // 100)
            else:
                take = balance
            amount = take + (rng.randint(100, 5000) if mode == "over" else 0)
            left = amount - take
            payment_id = self.next_id("payment")
            number = f"PAY-{payment_id:05d}"
            customer_id, code, _ = order.customer
            at = self.tick()
            on = self.day(self.today)
            method = "card" if payment_id % 5 == 0 else "bank transfer"
            reference = f"BANK-{payment_id:07d}"
            self.out.add(
                "payment",
                (payment_id, number, customer_id, amount, method, reference, on, left, at),
            )
            self.out.add(
                "allocation", (customer_id, payment_id, None, invoice.id, None, take, on, 1, at)
            )
            invoice.paid += take
            self.entry(
                on,
                "payment",
                number,
                f"payment {number} from {code} ({reference})",
                at,
                [
                    ("cash", amount, 0, None, None),
                    ("receivable", 0, take, customer_id, invoice.id),
                    ("customer_credit", 0, left, customer_id, None),
                ],
            )
            after = invoice.total - invoice.paid - invoice.credited
            self.event(
                at,
                "invoice",
                invoice.number,
                "paid" if after == 0 else "partially_paid",
                f"{invoice.number}: {_money(take)} from payment {number}, "
                + ("paid in full" if after == 0 else f"balance {_money(after)}"),
                order.id,
            )
            self.event(
                at,
                "payment",
                number,
                "received",
                f"payment {number} of {_money(amount)} from {code} by {method}"
                + (f", {_money(left)} kept as credit" if left else ""),
            )
        self.release_invoice(invoice)
        self.release_order(order)

    def credit(self, invoice: Invoice) -> None:
        rng = self.rng
        order = invoice.order
        candidates = [item for item in invoice.lines if item.qty > item.qty_cr]
        if candidates:
            self._write_credit_memo(invoice, rng.choice(candidates))
        self.release_invoice(invoice)
        self.release_order(order)

    def _write_credit_memo(self, invoice: Invoice, item: InvoiceLine) -> None:
        rng = self.rng
        order, line = invoice.order, item.line
        qty_left = item.qty - item.qty_cr
        whole_units = qty_left // 1000
        qty = (
            qty_left
            if whole_units < 2 or rng.random() < 0.5
            else 1000 * rng.randint(1, whole_units - 1)
        )
        net, tax = _portion(
            qty,
            line.price,
            line.discount,
            line.rate,
            item.net - item.net_cr,
            item.tax - item.tax_cr,
            qty == qty_left,
        )
        total = net + tax
        if total <= 0:
            return
        memo_id = self.next_id("credit_memo")
        number = f"CM-{memo_id:05d}"
        customer_id, code, _ = order.customer
        balance = invoice.total - invoice.paid - invoice.credited
        applied = min(total, balance)
        released = total - applied
        settlement = "refund" if rng.random() < 0.4 else "store_credit"
        product = line.product
        restock = not product.service and line.shipped - line.returned >= qty and rng.random() < 0.3
        at = self.tick()
        on = self.day(self.today)
        refunded = released if settlement == "refund" else 0
        self.out.add(
            "credit_memo",
            (
                memo_id,
                number,
                invoice.id,
                order.id,
                customer_id,
                on,
                net,
                tax,
                total,
                settlement,
                applied,
                released,
                released - refunded,
                int(restock),
                "damaged in transit" if restock else "price adjustment",
                at,
                self.seller,
                self.buyers[customer_id],
            ),
        )
        self.out.add(
            "credit_memo_line",
            (memo_id, item.id, line.id, 1, product.sku, product.name, qty, line.price, line.rate)
            + (net, tax, product.unit, "cancel" if product.service else _goods_effect(restock)),
        )
        item.qty_cr += qty
        item.net_cr += net
        item.tax_cr += tax
        line.credited += qty
        line.changed = at
        invoice.credited += total
        invoice.paid -= released
        if restock:
            line.returned += qty
            product.stock += qty
            self.out.add("stock_move", (product.id, at, qty, "credit_restock", number))
        self.entry(
            on,
            "credit_memo",
            number,
            f"credit memo {number} on {invoice.number} for {code}",
            at,
            [
                ("refunds", net, 0, None, None),
                ("sales_tax", tax, 0, None, None),
                ("receivable", 0, applied, customer_id, invoice.id),
                ("customer_credit", 0, released, customer_id, None),
            ],
        )
        self.event(
            at,
            "credit_memo",
            number,
            "issued",
            f"credit memo {number} on {invoice.number}: {_money(total)}"
            + (" (damaged in transit), goods restocked" if restock else " (price adjustment)"),
            order.id,
        )
        if refunded:
            refund_id = self.next_id("refund")
            refund = f"RF-{refund_id:05d}"
            self.out.add(
                "refund",
                (refund_id, refund, customer_id, memo_id, refunded, "bank transfer", None, on, at),
            )
            self.out.add(
                "allocation", (customer_id, None, memo_id, None, refund_id, refunded, on, 0, at)
            )
            self.entry(
                on,
                "refund",
                refund,
                f"refund {refund} to {code} for {number}",
                at,
                [
                    ("customer_credit", refunded, 0, customer_id, None),
                    ("cash", 0, refunded, None, None),
                ],
            )
            self.event(
                at,
                "refund",
                refund,
                "refunded",
                f"refund {refund} of {_money(refunded)} to {code} by bank transfer for {number}",
                order.id,
            )

    # -- writing finished documents ----------------------------------------------------------

    def release_invoice(self, invoice: Invoice) -> None:
        invoice.pending -= 1
        if invoice.pending:
            return
        order = invoice.order
        self.out.add(
            "invoice",
            (
                invoice.id,
                invoice.number,
                order.id,
                order.customer[0],
                self.day(invoice.issue_day),
                self.day(invoice.due_day),
                invoice.subtotal,
                invoice.tax,
                invoice.total,
                invoice.paid,
                invoice.credited,
                invoice.created_at,
                self.seller,
                self.buyers[order.customer[0]],
            ),
        )
        for item in invoice.lines:
            line = item.line
            product = line.product
            self.out.add(
                "invoice_line",
                (
                    item.id,
                    invoice.id,
                    line.id,
                    item.position,
                    product.id,
                    product.sku,
                    product.name,
                    item.qty,
                    line.price,
                    line.discount,
                    line.rate,
                    item.net,
                    item.tax,
                    item.qty_cr,
                    item.net_cr,
                    item.tax_cr,
                    product.unit,
                ),
            )

    def release_order(self, order: Order) -> None:
        order.pending -= 1
        if order.pending:
            return
        subtotal = sum(line.net for line in order.lines)
        tax = sum(line.tax for line in order.lines)
        self.out.add(
            "sales_order",
            (
                order.id,
                order.number,
                order.customer[0],
                order.status,
                order.hold_reason,
                order.before_hold,
                self.day(order.day),
                order.confirmed_at,
                subtotal,
                tax,
                subtotal + tax,
                order.created_at,
            ),
        )
        for line in order.lines:
            product = line.product
            self.out.add(
                "order_line",
                (
                    line.id,
                    order.id,
                    line.position,
                    product.id,
                    product.name,
                    line.qty,
                    line.price,
                    line.discount,
                    line.rate,
                    line.net,
                    line.tax,
                    line.invoiced,
                    # The generator marks a service handed to invoicing as shipped; the
                    # ledger never ships one (rule 12).
                    0 if product.service else line.shipped,
                    line.credited,
                    line.returned,
                    line.net_invoiced,
                    line.tax_invoiced,
                    line.changed,
                    product.unit,
                    # A credited service will not be delivered (rule 14); credited goods
                    # either came back or stay with the customer (a price adjustment).
                    line.credited if product.service else 0,
                ),
            )


def _freeze_parties(connection: sqlite3.Connection) -> tuple[int, dict[int, int]]:
    """Party snapshots of the seller and every customer, as the services store them."""
    settings = dict(connection.execute("SELECT key, value FROM setting"))
    seller = canonical("seller", {f: settings.get(key) for f, key in SELLER_KEYS.items()})
    columns = ", ".join(BUYER_FIELDS)
    buyers = {
        row[0]: canonical("buyer", dict(zip(BUYER_FIELDS, row[1:], strict=True)))
        for row in connection.execute(f"SELECT id, {columns} FROM customer ORDER BY id")  # noqa: S608
    }
    unique = dict([seller, *buyers.values()])
    connection.executemany(
        "INSERT OR IGNORE INTO party_snapshot (digest, content) VALUES (?, ?)", unique.items()
    )
    ids = dict(connection.execute("SELECT digest, id FROM party_snapshot"))
    return ids[seller[0]], {cid: ids[digest] for cid, (digest, _) in buyers.items()}


# -- master data through ordercli's own importer ------------------------------------------------


def _write_master_files(folder: Path, rng: random.Random) -> tuple[Path, Path]:
    customers = folder / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "email", "terms_days"])
        for n in range(1, CUSTOMERS + 1):
            terms = rng.choice((14, 30, 30, 30, 30, 45, 60))
            writer.writerow([f"C{n:05d}", f"Customer {n} Ltd", f"ap{n}@customer.example", terms])
    products = folder / "products.csv"
    with products.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "unit_price", "tax_rate", "stock", "service"])
        for n in range(1, PRODUCTS + 1):
            if n <= SERVICES:
                price = rng.choice((4500, 6500, 8500, 12000, 15000))
                writer.writerow(
                    [f"SRV-{n:03d}", f"Service hour {n}", _money(price), 19, "", "true"]
                )
                continue
            price = int(100 * 10 ** rng.uniform(0, 3)) + rng.randint(0, 99)
            draw = rng.random()
            rate = 19 if draw < 0.8 else 7 if draw < 0.95 else 0
            stock = rng.choice((0, 20, 50, 100, 200))
            writer.writerow([f"SKU-{n:05d}", f"Article {n}", _money(price), rate, stock, "false"])
    return customers, products


def _init_and_import(path: Path, customers: Path, products: Path, day: date) -> None:
    """``ordercli init`` and ``ordercli import customers|products``, in process (what the
    commands call), on the day before the first order."""
    from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
    from ordercli.io.imports.customers import import_customers
    from ordercli.io.imports.products import import_products
    from ordercli.services.parties.company import init_ledger

    url = resolve_location(str(path))
    before = os.environ.get("ORDERCLI_TODAY")
    os.environ["ORDERCLI_TODAY"] = day.isoformat()
    try:
        engine = open_ledger(url, create=True)
        with unit_of_work(engine) as session:
            init_ledger(session=session, company="Bench Trading Ltd", currency="EUR")
        for importer, file in ((import_customers, customers), (import_products, products)):
            with unit_of_work(engine) as session:
                result = importer(session=session, path=file)
            if result.errors:
                raise RuntimeError(f"import of {file.name} refused: {result.errors[:3]}")
    finally:
        forget_ledger(url)
        if before is None:
            os.environ.pop("ORDERCLI_TODAY", None)
        else:
            os.environ["ORDERCLI_TODAY"] = before


# Init and the imports stamp the wall clock and the OS user; a seed must give the
# same ledger every time and everywhere.
NORMALISE = (
    "UPDATE customer SET created_at = ?",
    "UPDATE product SET created_at = ?",
    "UPDATE warehouse SET created_at = ?",
    "UPDATE stock_move SET at = ?",
    "UPDATE event SET at = ?, os_user = 'ledger-gen'",
)
# Number series the generated documents use (each counter is numbered from 1).
SERIES = ("order", "invoice", "shipment", "payment", "credit_memo", "refund")


def _goods_effect(restock: bool) -> str:
    """What a generated credit of goods does (rule 14): restocked goods came back; a price
    adjustment leaves them with the customer and moves no quantity."""
    return "return" if restock else "none"


def seal_documents(connection: sqlite3.Connection) -> None:
    """Chain every issued document's hash as the services do when they issue it
    (``ordercli.books.integrity``): one streamed pass per kind in id order, its
    lines joined, then one ``executemany`` of the hashes; and seal every journal
    entry the same way (``ordercli.books.journal_seal``)."""
    from ordercli.books import journal_seal
    from ordercli.books.integrity import KINDS, rechain

    for kind in KINDS:
        headers = connection.execute(kind.header_sql)
        lines = connection.execute(kind.lines_sql, {"yes": 1}) if kind.lines_sql else ()
        sealed = list(rechain(kind, headers, lines))
        connection.executemany(kind.update, sealed)
    # The journal's entries, source by source (ordercli.books.journal_seal).
    sealed = list(journal_seal.rechain(connection.execute(journal_seal.ENTRIES_SQL)))
    connection.executemany("UPDATE journal_entry SET chain_hash = ? WHERE id = ?", sealed)


def build_ledger(
    path: Path,
    lines: int,
    *,
    seed: int = 1,
    end: date = LEDGER_END,
    check: bool | None = None,
    log=print,
) -> dict:
    """Create the ledger at ``path`` (which must not exist); return row counts and timings."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; give a new path (or --force)")
    if lines < 1:
        raise ValueError("--lines must be at least 1")
    started = time.perf_counter()
    rng = random.Random(f"master-{seed}")
    first_day = date.fromordinal(end.toordinal() - DAYS)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = path.parent / f".{path.name}.master"
    folder.mkdir(exist_ok=True)
    customers_csv, products_csv = _write_master_files(folder, rng)
    try:
        _init_and_import(path, customers_csv, products_csv, first_day)
    finally:
        for file in (customers_csv, products_csv):
            file.unlink()
        folder.rmdir()
    imported = time.perf_counter()

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Bulk loading: no WAL (one big transaction with a small rollback journal,
        # as the tables start empty) and no fsync; ordercli turns WAL back on when it
        # next opens the file.
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -524288")
        connection.execute("BEGIN")
        stamp = f"{first_day.isoformat()} 07:00:00.000000"
        for statement in NORMALISE:
            connection.execute(statement, (stamp,))
        generator = Generator(connection, lines, seed, end)
        generator.run()
        for statement in FINISH:
            connection.execute(statement)
        for kind in SERIES:
            connection.execute(
                "UPDATE number_series SET next_value = ? WHERE kind = ?",
                (generator.counters[kind] + 1, kind),
            )
        sealing = time.perf_counter()
        seal_documents(connection)
        sealed = time.perf_counter() - sealing
        connection.execute("COMMIT")
    finally:
        connection.close()
    filled = time.perf_counter()
    counts = {table: count for table, count in generator.out.counts.items()}
    result = {
        "path": str(path),
        "lines": lines,
        "seed": seed,
        "end": end.isoformat(),
        "counts": counts,
        "import_seconds": round(imported - started, 2),
        "fill_seconds": round(filled - imported, 2),
        "seal_seconds": round(sealed, 2),
    }
    log(
        f"generated {path}: {lines:,} order lines, {counts['sales_order']:,} orders, "
        f"{counts['invoice']:,} invoices, {counts['payment']:,} payments, "
        f"{counts['credit_memo']:,} credit memos in {filled - started:.1f}s "
        f"(init and imports {imported - started:.1f}s, fill {filled - imported:.1f}s "
        f"of which sealing {sealed:.1f}s)"
    )
    if check is None:
        check = lines <= CHECK_UP_TO
    if check:
        problems = check_ledger(path)
        result["check_seconds"] = round(time.perf_counter() - filled, 2)
        if problems:
            for problem in problems[:20]:
                log(f"  {problem['check']}: {problem['problem']}")
            raise RuntimeError(f"ordercli check found {len(problems)} problem(s) in {path}")
        log(f"ordercli check: clean ({result['check_seconds']:.1f}s)")
    return result


def check_ledger(path: Path) -> list[dict]:
    """``ordercli check`` in process: the problems found (none on a good ledger)."""
    from ordercli.books.checks import run_checks
    from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work

    url = resolve_location(str(path))
    engine = open_ledger(url)
    try:
        with unit_of_work(engine, write=False) as session:
            return run_checks(session=session)["problems"]
    finally:
        forget_ledger(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--lines", type=int, default=10_000, help="order lines (default 10,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace an existing ledger")
    parser.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"run ordercli check at the end (default: up to {CHECK_UP_TO:,} lines)",
    )
    args = parser.parse_args(argv)
    if args.force:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{args.ledger}{suffix}").unlink(missing_ok=True)
    try:
        build_ledger(args.ledger, args.lines, seed=args.seed, check=args.check)
    except (FileExistsError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
