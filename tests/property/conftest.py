"""Support for the property tests: a fresh seeded ledger per example, and ledger-wide checks.

Hypothesis runs a test body many times inside one pytest test, so function-scoped
fixtures cannot give each example its own ledger. Instead one seeded ledger (the
sample customers and catalog) is built once per session, and ``LedgerKit.ledger()``
copies that file over a scratch ledger for every example: a few milliseconds, no
migrations. The scratch ledger keeps one engine for the session (its compiled
statement cache is worth keeping); the engine's pool is disposed before the file is
replaced, so no connection ever sees the swap.

``LedgerKit.check_ledger`` reads the whole ledger with plain SQL and asserts the
ledger-wide rules (SPEC rules 2, 8, 9, 10, 12) with integer arithmetic that does not
use the product's money code, then returns a snapshot for model comparisons.

On PostgreSQL (``ORDERCLI_TEST_BACKEND=postgresql``) the scratch ledger is a database
that ``PgLedgerKit`` remakes for every example from a seeded template database
(``PgLedgers.refill`` in ``tests/conftest.py``), keeping the one engine likewise.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
from ordercli.io.demo import sample_data_dir, seed_demo

ON_POSTGRESQL = os.environ.get("ORDERCLI_TEST_BACKEND", "").strip().lower() == "postgresql"

QTY_SCALE = 1000  # quantities are held as thousandths
PCT_SCALE = 10**6  # percentages are held as ten-thousandths of a percent: 100 % = 10**6
ACTIVE_STATUSES = ("confirmed", "on_hold")


def half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up, for non-negative integers."""
    assert numerator >= 0 and denominator > 0
    return (2 * numerator + denominator) // (2 * denominator)


def exact_net(qty_units: int, price_minor: int, discount_units: int) -> int:
    """Rule 10 net in minor units, from database integers: qty × price × (1 − discount)."""
    return half_up_div(
        qty_units * price_minor * (PCT_SCALE - discount_units), QTY_SCALE * PCT_SCALE
    )


def exact_tax(net_minor: int, rate_units: int) -> int:
    """Rule 10 tax in minor units: net × rate, rounded half-up."""
    return half_up_div(net_minor * rate_units, PCT_SCALE)


def qty_text(units: int) -> str:
    """A quantity in thousandths as a user would type it (``3``, ``0.125``)."""
    whole, frac = divmod(units, QTY_SCALE)
    return str(whole) if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")


def money_text(minor: int, digits: int = 2) -> str:
    whole, frac = divmod(minor, 10**digits)
    return f"{whole}.{frac:0{digits}d}" if digits else str(whole)


def pct_text(units: int) -> str:
    """Ten-thousandths of a percent as typed (``19``, ``12.3456``)."""
    whole, frac = divmod(units, 10**4)
    return str(whole) if frac == 0 else f"{whole}.{frac:04d}".rstrip("0")


@dataclass(frozen=True)
class ProductInfo:
    sku: str
    price: int
    tax_rate: int
    service: bool
    stock: int


@dataclass
class Snapshot:
    """What ``check_ledger`` read, keyed for model comparisons."""

    orders: dict[str, dict] = field(default_factory=dict)
    lines: dict[str, list[dict]] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    invoices: list[dict] = field(default_factory=list)
    shipments: list[dict] = field(default_factory=list)


def _fast_sqlite(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def _rows(conn, sql: str) -> list[dict]:
    return [dict(row._mapping) for row in conn.execute(text(sql))]


class LedgerKit:
    # The independent arithmetic, for the test modules (a conftest is not importable).
    exact_net = staticmethod(exact_net)
    exact_tax = staticmethod(exact_tax)
    qty_text = staticmethod(qty_text)
    money_text = staticmethod(money_text)
    pct_text = staticmethod(pct_text)

    def __init__(self, template: Path, workdir: Path):
        self.template = template
        # One engine for every example: SQLAlchemy's statement cache lives on the engine,
        # and a new engine per example would recompile every statement each time.
        self.path = workdir / "scratch.db"
        self._engine: Engine | None = None
        self._in_use = False
        conn = sqlite3.connect(template)
        conn.row_factory = sqlite3.Row
        try:
            self.products = {
                r["sku"]: ProductInfo(
                    r["sku"], r["unit_price"], r["tax_rate"], bool(r["service"]), r["on_hand"]
                )
                for r in conn.execute("SELECT * FROM product")
            }
            self.credit_limits = {
                r["code"]: r["credit_limit"] for r in conn.execute("SELECT * FROM customer")
            }
        finally:
            conn.close()

    @staticmethod
    def _connect(engine: Engine):
        return engine.connect().execution_options(sqlite_begin="DEFERRED")

    def open(self) -> Engine:
        """The scratch ledger, reset to the seeded template; ``close`` it after use."""
        assert not self._in_use, "one scratch ledger at a time"
        if self._engine is not None:
            self._engine.dispose()  # no connection holds the file while it is replaced
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.path)
        if self._engine is None:
            self._engine = open_ledger(resolve_location(str(self.path)))
            # A scratch ledger needs no durability: skip the fsyncs of synchronous=FULL on
            # the connections opened from now on (this listener runs after the product's).
            self._engine.dispose()
            event.listen(self._engine, "connect", _fast_sqlite)
        self._in_use = True
        return self._engine

    def close(self, engine: Engine) -> None:
        assert engine is self._engine
        engine.dispose()
        self._in_use = False

    @contextmanager
    def ledger(self) -> Iterator[Engine]:
        engine = self.open()
        try:
            yield engine
        finally:
            self.close(engine)

    TABLES_SQL = (
        "SELECT name FROM sqlite_master WHERE type='table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )

    def fingerprint(self, engine: Engine) -> dict[str, list]:
        """Every row of every table, to prove a refusal changed nothing."""
        with self._connect(engine) as conn:
            tables = [r[0] for r in conn.execute(text(self.TABLES_SQL))]
            return {
                t: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]
                for t in tables
            }

    def check_ledger(self, engine: Engine) -> Snapshot:
        """Assert the ledger-wide rules; return what was read."""
        with self._connect(engine) as conn:
            orders = _rows(conn, "SELECT * FROM sales_order ORDER BY id")
            lines = _rows(conn, "SELECT * FROM order_line ORDER BY order_id, position")
            products = _rows(conn, "SELECT * FROM product ORDER BY id")
            moves = _rows(
                conn, "SELECT product_id, SUM(qty) AS total FROM stock_move GROUP BY product_id"
            )
            invoices = _rows(conn, "SELECT * FROM invoice ORDER BY id")
            inv_lines = _rows(
                conn,
                "SELECT il.*, i.number AS invoice_number FROM invoice_line il "
                "JOIN invoice i ON i.id = il.invoice_id ORDER BY i.id, il.position",
            )
            shipments = _rows(conn, "SELECT * FROM shipment ORDER BY id")
            # A reversed shipment (rule 12) ships nothing any more; a return's replacement
            # shipment counts as replaced, not shipped (rule 15).
            ship_lines = _rows(
                conn,
                "SELECT sl.* FROM shipment_line sl JOIN shipment s ON s.id = sl.shipment_id "
                "WHERE s.status != 'reversed' AND s.return_id IS NULL "
                "ORDER BY sl.shipment_id, sl.position",
            )
            # Invoices and credit memos in the order they were issued (their journal
            # entries'), so a rebill credit is taken off what stood invoiced at the time.
            issued = {
                (r["source_kind"], r["source_number"]): r["id"]
                for r in _rows(
                    conn,
                    "SELECT id, source_kind, source_number FROM journal_entry "
                    "WHERE source_kind IN ('invoice', 'credit_memo')",
                )
            }
            rebills = _rows(
                conn,
                "SELECT ml.*, m.number AS memo_number FROM credit_memo_line ml "
                "JOIN credit_memo m ON m.id = ml.credit_memo_id WHERE ml.effect = 'rebill'",
            )
        sku_of = {p["id"]: p["sku"] for p in products}
        order_by_id = {o["id"]: o for o in orders}
        line_by_id = {ln["id"]: ln for ln in lines}
        snap = Snapshot()

        # Rule 2: numbers sequential, no gaps, no duplicates.
        for rows, prefix in ((orders, "SO-"), (invoices, "INV-"), (shipments, "SH-")):
            numbers = [r["number"] for r in rows]
            assert numbers == [f"{prefix}{i:05d}" for i in range(1, len(rows) + 1)], numbers

        # Rules 9 and 10 on order lines.
        lines_of: dict[int, list[dict]] = {o["id"]: [] for o in orders}
        for ln in lines:
            where = f"{order_by_id[ln['order_id']]['number']} line {ln['position']}"
            assert ln["qty"] > 0, where
            # Nothing short-closed is invoiced or shipped; nothing credited as not to
            # be delivered is shipped (rules 9, 14).
            to_ship = ln["qty"] - ln["qty_cancelled"] - ln["qty_closed"] - ln["qty_shipped"]
            assert 0 <= ln["qty_closed"] and 0 <= ln["qty_cancelled"], (where, ln)
            assert 0 <= ln["qty_invoiced"] <= ln["qty"] - ln["qty_closed"], (where, ln)
            assert 0 <= ln["qty_shipped"] and to_ship >= 0, (where, ln)
            assert 0 <= ln["qty_backordered"] <= to_ship, (where, ln)
            # Every credited quantity is billed in error, not delivered or returned.
            assert ln["qty_reopened"] + ln["qty_cancelled"] <= ln["qty_credited"], (where, ln)
            net = exact_net(ln["qty"], ln["unit_price"], ln["discount"])
            assert ln["net"] == net, (where, ln, net)
            assert ln["tax"] == exact_tax(net, ln["tax_rate"]), (where, ln)
            lines_of[ln["order_id"]].append(ln)

        # Documents total the sums of their rounded lines.
        for o in orders:
            own = lines_of[o["id"]]
            subtotal = sum(ln["net"] for ln in own)
            tax = sum(ln["tax"] for ln in own)
            assert (o["subtotal"], o["tax"], o["total"]) == (subtotal, tax, subtotal + tax), o
        lines_of_invoice: dict[int, list[dict]] = {i["id"]: [] for i in invoices}
        for il in inv_lines:
            lines_of_invoice[il["invoice_id"]].append(il)
        for inv in invoices:
            own = lines_of_invoice[inv["id"]]
            assert own, f"{inv['number']} has no lines"
            subtotal = sum(il["net"] for il in own)
            tax = sum(il["tax"] for il in own)
            assert (inv["subtotal"], inv["tax"], inv["total"]) == (subtotal, tax, subtotal + tax)
            assert order_by_id[inv["order_id"]]["customer_id"] == inv["customer_id"]

        # Partial invoices: rule 10 per portion, the completing one takes the remainder.
        done: dict[int, dict] = {
            ln["id"]: {"qty": 0, "net": 0, "tax": 0, "ship": 0} for ln in lines
        }
        # A rebill credit (rule 14) takes its quantity and money off what stands invoiced.
        history = [(issued[("invoice", il["invoice_number"])], 0, il) for il in inv_lines] + [
            (issued[("credit_memo", ml["memo_number"])], 1, ml) for ml in rebills
        ]
        history.sort(key=lambda item: (item[0], item[1], item[2]["position"]))
        for _, is_credit, il in history:
            ln = line_by_id[il["order_line_id"]]
            if is_credit:
                acc = done[ln["id"]]
                acc["qty"] -= il["qty"]
                acc["net"] -= il["net"]
                acc["tax"] -= il["tax"]
                assert min(acc["qty"], acc["net"], acc["tax"]) >= 0, (il, ln, acc)
                continue
            acc = done[ln["id"]]
            assert il["qty"] > 0 and il["net"] >= 0 and il["tax"] >= 0, il
            assert (il["unit_price"], il["discount"], il["tax_rate"]) == (
                ln["unit_price"],
                ln["discount"],
                ln["tax_rate"],
            ), (il, ln)
            net_before = exact_net(acc["qty"], ln["unit_price"], ln["discount"])
            acc["qty"] += il["qty"]
            net_after = exact_net(acc["qty"], ln["unit_price"], ln["discount"])
            formula_net = exact_net(il["qty"], ln["unit_price"], ln["discount"])
            # Rule 10 per portion, except the portion that completed the line at the
            # time (it takes the remainder of the line's own rounded amounts) and a
            # portion clamped to what little was left.
            by_formula = il["net"] == formula_net and il["tax"] == exact_tax(
                il["net"], ln["tax_rate"]
            )
            completed = (acc["net"] + il["net"], acc["tax"] + il["tax"]) == (
                net_after,
                exact_tax(net_after, ln["tax_rate"]),
            )
            clamped = il["net"] < formula_net or il["tax"] < exact_tax(il["net"], ln["tax_rate"])
            assert by_formula or completed or clamped, (il, ln, net_before)
            acc["net"] += il["net"]
            acc["tax"] += il["tax"]
        for sl in ship_lines:
            assert sl["qty"] > 0, sl
            done[sl["order_line_id"]]["ship"] += sl["qty"]
        for ln in lines:
            acc = done[ln["id"]]
            assert acc["qty"] == ln["qty_invoiced"], (ln, acc)
            assert (acc["net"], acc["tax"]) == (ln["net_invoiced"], ln["tax_invoiced"]), (ln, acc)
            assert acc["ship"] == ln["qty_shipped"], (ln, acc)
            if ln["qty_invoiced"] == ln["qty"]:
                assert (acc["net"], acc["tax"]) == (ln["net"], ln["tax"]), (ln, acc)
            rebilled = sum(ml["qty"] for ml in rebills if ml["order_line_id"] == ln["id"])
            assert ln["qty_reopened"] == rebilled, (ln, rebilled)

        # Rule 8 (and 6, 7, 12): statuses agree with what was done. A service is never
        # shipped: invoicing it delivers it, so an order is complete when every line is
        # invoiced and its goods are shipped.
        service = {p["id"]: bool(p["service"]) for p in products}
        for ln in lines:
            if service[ln["product_id"]]:
                assert (ln["qty_shipped"], ln["qty_backordered"]) == (0, 0), ln
        for o in orders:
            own = lines_of[o["id"]]
            invoiced = any(ln["qty_invoiced"] for ln in own)
            shipped = any(ln["qty_shipped"] for ln in own)
            # Short-closed and not-delivered quantities are off the order; a service is
            # delivered by what stands invoiced of it and was not credited as not delivered.
            complete = bool(own) and all(
                ln["qty_invoiced"] == ln["qty"] - ln["qty_closed"]
                and (
                    ln["qty_invoiced"] - ln["qty_cancelled"]
                    if service[ln["product_id"]]
                    else ln["qty_shipped"]
                )
                >= ln["qty"] - ln["qty_cancelled"] - ln["qty_closed"]
                for ln in own
            )
            was_confirmed = o["confirmed_at"] is not None
            assert o["status"] in {"draft", "confirmed", "on_hold", "completed", "cancelled"}
            if o["status"] == "completed":
                assert complete and was_confirmed, o
            if was_confirmed and complete:
                assert o["status"] == "completed", (o, own)
            if not was_confirmed:
                assert o["status"] in {"draft", "on_hold", "cancelled"}, o
            if o["status"] in {"draft", "cancelled"} or not was_confirmed:
                assert not invoiced and not shipped, (o, own)
            if o["status"] == "on_hold":
                assert o["status_before_hold"] == ("confirmed" if was_confirmed else "draft"), o

        # Rule 12: stock never negative, on hand = its moves, reserved = still to ship.
        # Backorders follow stock (services/inventory/stock.py): what the open lines of a product
        # still have to ship beyond its stock on hand is backordered, and nothing else.
        moved = {m["product_id"]: m["total"] for m in moves}
        reserved = {p["id"]: 0 for p in products}
        backordered = {p["id"]: 0 for p in products}
        for ln in lines:
            o = order_by_id[ln["order_id"]]
            if o["confirmed_at"] is not None and o["status"] in ACTIVE_STATUSES:
                reserved[ln["product_id"]] += (
                    ln["qty"] - ln["qty_cancelled"] - ln["qty_closed"] - ln["qty_shipped"]
                )
                backordered[ln["product_id"]] += ln["qty_backordered"]
            else:
                assert ln["qty_backordered"] == 0, ("backorder on a closed/draft order", o, ln)
        for p in products:
            assert p["on_hand"] >= 0 and p["reserved"] >= 0, p
            assert p["on_hand"] == moved.get(p["id"], 0), (p, moved.get(p["id"]))
            if p["service"]:
                assert (p["on_hand"], p["reserved"]) == (0, 0), p
            else:
                assert p["reserved"] == reserved[p["id"]], (p, reserved[p["id"]])
                short = max(0, p["reserved"] - p["on_hand"])
                assert backordered[p["id"]] == short, ("backorders", p, backordered[p["id"]])

        for o in orders:
            snap.orders[o["number"]] = o
            snap.lines[o["number"]] = [
                {**ln, "sku": sku_of[ln["product_id"]]} for ln in lines_of[o["id"]]
            ]
        snap.products = {p["sku"]: p for p in products}
        snap.invoices = invoices
        snap.shipments = shipments
        return snap


class PgLedgerKit(LedgerKit):
    """``LedgerKit`` on PostgreSQL: the scratch ledger is one database URL that every
    ``open`` remakes as a fresh copy of the seeded template database."""

    TABLES_SQL = (
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )

    def __init__(self, pg_ledgers):
        self.pg = pg_ledgers
        self.url = pg_ledgers.take("sample")
        self._engine = open_ledger(self.url)
        self._in_use = False
        self._fresh = True  # the first example gets the copy just made
        with self._engine.connect() as conn:
            self.products = {
                r["sku"]: ProductInfo(
                    r["sku"], r["unit_price"], r["tax_rate"], bool(r["service"]), r["on_hand"]
                )
                for r in _rows(conn, "SELECT * FROM product")
            }
            self.credit_limits = {
                r["code"]: r["credit_limit"] for r in _rows(conn, "SELECT * FROM customer")
            }

    def open(self) -> Engine:
        assert not self._in_use, "one scratch ledger at a time"
        if not self._fresh:
            self.pg.refill(self.url, "sample")  # the engine stays: it reconnects to the copy
        self._fresh = False
        self._in_use = True
        return self._engine

    def release(self) -> None:
        self._engine.dispose()
        self.pg.release(self.url)


if ON_POSTGRESQL:

    @pytest.fixture(scope="session")
    def ledger_kit(pg_ledgers) -> LedgerKit:
        """A scratch database per example, copied from the seeded template database."""
        kit = PgLedgerKit(pg_ledgers)
        yield kit
        kit.release()

else:

    @pytest.fixture(scope="session")
    def ledger_kit(tmp_path_factory) -> LedgerKit:
        """One seeded template ledger per session (per xdist worker), copied fresh per
        example."""
        folder = tmp_path_factory.mktemp("property-ledger")
        seeded = folder / "seeded.db"
        engine = open_ledger(resolve_location(str(seeded)), create=True)
        with unit_of_work(engine) as session:
            seed_demo(session=session, folder=sample_data_dir())
        # A self-contained copy (no -wal beside it) that no connection ever holds open.
        template = folder / "template.db"
        source = sqlite3.connect(seeded)
        try:
            source.execute("VACUUM INTO ?", (str(template),))
        finally:
            source.close()
        kit = LedgerKit(template, folder)
        yield kit
        dispose_all()
