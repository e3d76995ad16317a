"""Reports against hand-written SQL on the same ledger (issue 6: reports are SQL).

Builds (or reuses) a deterministic ledger with ``bench/ledger_gen.py``, then
for each report, alternating, ``--runs`` times:

* ordercli in process: the report's service function on an already opened
  ledger (one read-only unit of work and the call; no interpreter start-up,
  no rendering);
* ordercli as a whole process: ``ordercli --db LEDGER … --json``, as a user or
  a script runs it;
* raw SQL: a hand-written query (or, for the dashboard, one query per figure)
  computing the same figures from the same rows, run with plain ``sqlite3`` on
  the same file.

Before timing, every report's figures are compared once with the raw
query's, in process and from the JSON, so the comparison is honest; a
difference stops the bench. Prints medians and the ratio in-process / raw.
Target (issue 6): every ratio within 1.5. No assertion on time.

    .venv/bin/python bench/report_bench.py [--lines 1000000] [--runs 3] [--ledger PATH]
        [--only aging,matrix] [--profile] [--explain]

Generated ledgers are kept in the temporary directory by size and seed and
reused by the next run; ``--ledger PATH`` uses (or creates) that file instead.
``--profile`` prints the top of a cProfile of each in-process call;
``--explain`` prints SQLite's plan for each statement ordercli sends.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_gen  # noqa: E402

TODAY = ledger_gen.LEDGER_END
ORDERCLI = str(Path(sys.executable).parent / "ordercli")
TARGET = 1.5
LOW_STOCK = 5000  # thousandths: `ordercli status`'s default --low-stock 5


def units(value) -> int:
    """Money from a report (Decimal, or a string in JSON) in minor units."""
    return int(Decimal(str(value)).scaleb(2))


def qty_units(value) -> int:
    return int(Decimal(str(value)).scaleb(3))


def day_text(value) -> str | None:
    return None if value is None else str(value)[:10]


@dataclass
class Report:
    name: str
    args: list[str]
    service: Callable  # (session) -> document
    raw: Callable  # (sqlite3 connection, accounts) -> comparable figures
    figures: Callable  # (document) -> comparable figures


# -- aging ----------------------------------------------------------------------------------

AGING_SQL = """
WITH open_balance AS (
    SELECT l.invoice_id, SUM(l.debit - l.credit) AS balance
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
    WHERE l.account_id = :receivable AND e.entry_date <= :day
    GROUP BY l.invoice_id
)
SELECT c.code,
       SUM(CASE WHEN v.due_date >= :day THEN b.balance ELSE 0 END),
       SUM(CASE WHEN v.due_date < :day AND v.due_date >= :d30 THEN b.balance ELSE 0 END),
       SUM(CASE WHEN v.due_date < :d30 AND v.due_date >= :d60 THEN b.balance ELSE 0 END),
       SUM(CASE WHEN v.due_date < :d60 AND v.due_date >= :d90 THEN b.balance ELSE 0 END),
       SUM(CASE WHEN v.due_date < :d90 THEN b.balance ELSE 0 END)
FROM open_balance b
JOIN invoice v ON v.id = b.invoice_id
JOIN customer c ON c.id = v.customer_id
WHERE b.balance <> 0
GROUP BY c.code
ORDER BY c.code
"""

AGING_BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


def aging_raw(day: date):
    def run(connection, accounts):
        params = {
            "receivable": accounts["receivable"],
            "day": day.isoformat(),
            **{f"d{n}": (day - timedelta(days=n)).isoformat() for n in (30, 60, 90)},
        }
        return {code: tuple(amounts) for code, *amounts in connection.execute(AGING_SQL, params)}

    return run


def aging_figures(doc) -> dict:
    return {
        row["customer"]: tuple(units(row[bucket]) for bucket in AGING_BUCKETS)
        for row in doc["customers"]
    }


# -- trial balance --------------------------------------------------------------------------

TRIAL_BALANCE_SQL = """
SELECT a.code, COALESCE(t.debit, 0), COALESCE(t.credit, 0)
FROM account a
LEFT JOIN (SELECT account_id, SUM(debit) AS debit, SUM(credit) AS credit
           FROM journal_line GROUP BY account_id) t ON t.account_id = a.id
ORDER BY a.code
"""


def trial_balance_raw(connection, accounts):
    return [tuple(row) for row in connection.execute(TRIAL_BALANCE_SQL)]


def trial_balance_figures(doc):
    return [(a["code"], units(a["debit"]), units(a["credit"])) for a in doc["accounts"]]


# -- sales ----------------------------------------------------------------------------------

SALES_SQL = {
    "month": """
SELECT substr(day, 1, 7), SUM(invoiced_net), SUM(invoiced_tax), SUM(credited_net),
       SUM(credited_tax)
FROM (SELECT v.issue_date AS day, l.net AS invoiced_net, l.tax AS invoiced_tax,
             0 AS credited_net, 0 AS credited_tax
      FROM invoice_line l JOIN invoice v ON v.id = l.invoice_id
      UNION ALL
      SELECT m.issue_date, 0, 0, l.net, l.tax
      FROM credit_memo_line l JOIN credit_memo m ON m.id = l.credit_memo_id)
GROUP BY 1 ORDER BY 1
""",
    "customer": """
SELECT c.code, SUM(invoiced_net), SUM(invoiced_tax), SUM(credited_net), SUM(credited_tax)
FROM (SELECT v.customer_id AS customer_id, l.net AS invoiced_net, l.tax AS invoiced_tax,
             0 AS credited_net, 0 AS credited_tax
      FROM invoice_line l JOIN invoice v ON v.id = l.invoice_id
      UNION ALL
      SELECT m.customer_id, 0, 0, l.net, l.tax
      FROM credit_memo_line l JOIN credit_memo m ON m.id = l.credit_memo_id) s
JOIN customer c ON c.id = s.customer_id
GROUP BY c.id
""",
    "product": """
SELECT p.sku, SUM(invoiced_net), SUM(invoiced_tax), SUM(credited_net), SUM(credited_tax)
FROM (SELECT product_id, net AS invoiced_net, tax AS invoiced_tax,
             0 AS credited_net, 0 AS credited_tax
      FROM invoice_line
      UNION ALL
      SELECT il.product_id, 0, 0, l.net, l.tax
      FROM credit_memo_line l JOIN invoice_line il ON il.id = l.invoice_line_id) s
JOIN product p ON p.id = s.product_id
GROUP BY p.id
""",
}


def sales_raw(by: str):
    def run(connection, accounts):
        return {
            key: (inet - cnet, itax - ctax, inet, cnet)
            for key, inet, itax, cnet, ctax in connection.execute(SALES_SQL[by])
        }

    return run


def sales_figures(doc) -> dict:
    # Months without documents are shown as zero rows by the report; SQL has no row.
    return {
        row["key"]: (
            units(row["net"]),
            units(row["tax"]),
            units(row["invoiced"]),
            units(row["credited"]),
        )
        for row in doc["rows"]
        if any(units(row[k]) for k in ("invoiced", "credited", "tax"))
    }


# -- order matrix ---------------------------------------------------------------------------

MATRIX_SQL = """
WITH shipped AS (
    SELECT sl.order_line_id AS id, MAX(s.ship_date) AS last
    FROM shipment_line sl JOIN shipment s ON s.id = sl.shipment_id
    WHERE s.ship_date <= :day GROUP BY sl.order_line_id
), invoiced AS (
    SELECT il.order_line_id AS id, MAX(v.issue_date) AS last
    FROM invoice_line il JOIN invoice v ON v.id = il.invoice_id
    WHERE v.issue_date <= :day GROUP BY il.order_line_id
), changed AS (
    SELECT order_id, substr(MAX(at), 1, 10) AS last FROM event
    WHERE order_id IS NOT NULL AND at < :end
      AND action IN ('created', 'confirmed', 'held', 'released', 'cancelled', 'line_added',
                     'line_edited', 'completed')
    GROUP BY order_id
), lines AS (
    SELECT CASE WHEN o.status IN ('cancelled', 'draft', 'on_hold') THEN o.status
                WHEN l.qty > l.qty_shipped AND l.qty_backordered > 0 THEN 'backordered'
                WHEN l.qty > l.qty_shipped THEN 'to_ship'
                WHEN l.qty > l.qty_invoiced THEN 'to_invoice'
                ELSE 'completed' END AS state,
           MAX(o.order_date, COALESCE(sh.last, ''), COALESCE(iv.last, ''),
               COALESCE(ch.last, '')) AS last_day
    FROM order_line l
    JOIN sales_order o ON o.id = l.order_id
    LEFT JOIN shipped sh ON sh.id = l.id
    LEFT JOIN invoiced iv ON iv.id = l.id
    LEFT JOIN changed ch ON ch.order_id = l.order_id
)
SELECT state,
       CASE WHEN last_day >= :day THEN 'under_1_day'
            WHEN last_day >= :week THEN 'd1_7' ELSE 'over_7_days' END,
       COUNT(*)
FROM lines GROUP BY 1, 2
"""


def matrix_raw(connection, accounts):
    params = {
        "day": TODAY.isoformat(),
        "week": (TODAY - timedelta(days=7)).isoformat(),
        "end": f"{TODAY + timedelta(days=1)} 00:00:00.000000",
    }
    return {(state, age): count for state, age, count in connection.execute(MATRIX_SQL, params)}


def matrix_figures(doc) -> dict:
    return {
        (row["state"], age): row[age]
        for row in doc["rows"]
        for age in ("under_1_day", "d1_7", "over_7_days")
        if row[age]
    }


# -- backorders -----------------------------------------------------------------------------

# One pass over the order lines: the waiting lines are kept (MATERIALIZED) and both
# summaries grouped from them. Left to itself, SQLite (the ledger has no ANALYZE
# statistics) would group by walking ix_order_line_product_id and fetch every line
# by rowid, ten times slower than one scan of the table.
BACKORDERS_SQL = """
WITH waiting AS MATERIALIZED (
    SELECT p.id AS product_id, p.sku, p.on_hand, p.reserved, o.number, o.confirmed_at,
           o.id AS order_id, c.id AS customer_id, c.code, l.position, l.qty_backordered AS qty
    FROM order_line l
    JOIN sales_order o ON o.id = l.order_id
    JOIN product p ON p.id = l.product_id
    JOIN customer c ON c.id = o.customer_id
    WHERE l.qty_backordered > 0
)
SELECT 1, sku, number, code, position, qty, confirmed_at, order_id FROM waiting
UNION ALL
SELECT 2, sku, on_hand, reserved, SUM(qty), NULL, NULL, NULL FROM waiting GROUP BY product_id
UNION ALL
SELECT 3, code, COUNT(*), SUM(qty), NULL, NULL, NULL, NULL FROM waiting GROUP BY customer_id
"""


def backorders_raw(connection, accounts):
    waiting, products, customers = [], [], []
    for part, key, a, b, c, d, confirmed_at, order_id in connection.execute(BACKORDERS_SQL):
        if part == 1:
            waiting.append((key, confirmed_at, order_id, c, a, b, d))
        elif part == 2:
            products.append((key, a, b, c))
        else:
            customers.append((key, a, b))
    # The report's orders: by product, then earliest confirmed first; customers by units.
    waiting.sort()
    products.sort()
    customers.sort(key=lambda row: (-row[2], row[0]))
    return {
        "waiting": [
            (sku, number, code, position, qty) for sku, _, _, position, number, code, qty in waiting
        ],
        "products": products,
        "customers": customers,
    }


def backorders_figures(doc) -> dict:
    return {
        "waiting": [
            (p["sku"], o["order"], o["customer"], o["line"], qty_units(o["qty"]))
            for p in doc["products"]
            for o in p["orders"]
        ],
        "products": [
            (
                p["sku"],
                qty_units(p["on_hand"]),
                qty_units(p["reserved"]),
                qty_units(p["backordered"]),
            )
            for p in doc["products"]
        ],
        "customers": [
            (c["customer"], c["lines"], qty_units(c["backordered"])) for c in doc["customers"]
        ],
    }


# -- status (the dashboard): one hand-written query per figure -------------------------------

STATUS_SQL = {
    "to_confirm": """
SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.net), 0), COALESCE(SUM(l.net + l.tax), 0)
FROM sales_order o LEFT JOIN order_line l ON l.order_id = o.id WHERE o.status = 'draft'
""",
    "to_ship": """
SELECT COUNT(DISTINCT l.order_id), COUNT(*), COALESCE(SUM(l.qty_backordered > 0), 0),
       COUNT(DISTINCT CASE WHEN l.qty_backordered > 0 THEN l.order_id END)
FROM order_line l JOIN sales_order o ON o.id = l.order_id
WHERE o.status IN ('confirmed', 'on_hold') AND o.confirmed_at IS NOT NULL
  AND l.qty > l.qty_shipped
""",
    "to_invoice": """
SELECT COUNT(DISTINCT l.order_id), COUNT(*), COALESCE(SUM(l.net - l.net_invoiced), 0),
       COALESCE(SUM(l.net + l.tax - l.net_invoiced - l.tax_invoiced), 0)
FROM order_line l JOIN sales_order o ON o.id = l.order_id
WHERE o.status = 'confirmed' AND o.confirmed_at IS NOT NULL AND l.qty > l.qty_invoiced
""",
    "receivables": """
WITH balance AS (
    SELECT l.invoice_id, SUM(l.debit - l.credit) AS amount
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
    WHERE l.account_id = :receivable AND e.entry_date <= :day GROUP BY l.invoice_id
), open_ AS (
    SELECT v.number, v.due_date, v.id, b.amount FROM balance b
    JOIN invoice v ON v.id = b.invoice_id WHERE b.amount > 0
)
SELECT COUNT(*), COALESCE(SUM(amount), 0), COALESCE(SUM(due_date < :day), 0),
       COALESCE(SUM(CASE WHEN due_date < :day THEN amount END), 0),
       (SELECT number FROM open_ WHERE due_date < :day ORDER BY due_date, id LIMIT 1),
       MIN(CASE WHEN due_date < :day THEN due_date END)
FROM open_
""",
    "credit": """
SELECT COUNT(*), COALESCE(SUM(credit), 0) FROM (
    SELECT SUM(l.credit - l.debit) AS credit
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
    WHERE l.account_id = :customer_credit AND e.entry_date <= :day GROUP BY l.customer_id
) WHERE credit > 0
""",
    "backorders": """
WITH waiting AS MATERIALIZED (
    SELECT product_id, qty_backordered FROM order_line WHERE qty_backordered > 0
)
SELECT p.sku, SUM(w.qty_backordered) AS units
FROM waiting w JOIN product p ON p.id = w.product_id
GROUP BY p.id ORDER BY units DESC, p.sku
""",
    "low_stock": """
SELECT sku, on_hand - reserved, COUNT(*) OVER () FROM product
WHERE service = 0 AND active = 1 AND on_hand - reserved <= :low
ORDER BY on_hand - reserved, sku LIMIT 5
""",
    "activity": """
SELECT (SELECT COUNT(*) FROM sales_order WHERE order_date = :day),
       (SELECT COUNT(*) FROM invoice WHERE issue_date = :day),
       (SELECT COALESCE(SUM(total), 0) FROM invoice WHERE issue_date = :day),
       (SELECT COUNT(*) FROM payment WHERE received_on = :day),
       (SELECT COALESCE(SUM(amount), 0) FROM payment WHERE received_on = :day),
       (SELECT COUNT(*) FROM shipment WHERE ship_date = :day)
""",
}


def status_raw(connection, accounts):
    params = {
        "day": TODAY.isoformat(),
        "receivable": accounts["receivable"],
        "customer_credit": accounts["customer_credit"],
        "low": LOW_STOCK,
    }
    found = {name: connection.execute(sql, params).fetchall() for name, sql in STATUS_SQL.items()}
    count, amount, overdue, overdue_amount, oldest, oldest_due = found["receivables"][0]
    backorders = found["backorders"]
    low = found["low_stock"]
    return {
        "to_confirm": tuple(found["to_confirm"][0]),
        "to_ship": tuple(found["to_ship"][0]),
        "to_invoice": tuple(found["to_invoice"][0]),
        "overdue": (
            overdue,
            overdue_amount,
            oldest,
            None if oldest_due is None else (TODAY - date.fromisoformat(oldest_due)).days,
        ),
        "open": (count, amount),
        "credit": tuple(found["credit"][0]),
        "backorders": (len(backorders), sum(u for _, u in backorders), backorders[:5]),
        "low_stock": (low[0][2] if low else 0, [(sku, available) for sku, available, _ in low]),
        "activity": tuple(found["activity"][0]),
    }


def status_figures(doc):
    confirm, ship, bill = doc["to_confirm"], doc["to_ship"], doc["to_invoice"]
    overdue, open_, credit = (
        doc["overdue_receivables"],
        doc["open_receivables"],
        doc["unapplied_credit"],
    )
    back, low, today = doc["backorders"], doc["low_stock"], doc["activity"]
    return {
        "to_confirm": (confirm["orders"], units(confirm["net"]), units(confirm["total"])),
        "to_ship": (
            ship["orders"],
            ship["lines"],
            ship["backordered_lines"],
            ship["backordered_orders"],
        ),
        "to_invoice": (bill["orders"], bill["lines"], units(bill["net"]), units(bill["total"])),
        "overdue": (
            overdue["invoices"],
            units(overdue["amount"]),
            overdue["oldest_invoice"],
            overdue["oldest_days_overdue"],
        ),
        "open": (open_["invoices"], units(open_["amount"])),
        "credit": (credit["customers"], units(credit["amount"])),
        "backorders": (
            back["products"],
            qty_units(back["units"]),
            [(item["sku"], qty_units(item["units"])) for item in back["top"]],
        ),
        "low_stock": (
            low["products"],
            [(item["sku"], qty_units(item["available"])) for item in low["lowest"]],
        ),
        "activity": (
            today["orders"],
            today["invoices"],
            units(today["invoiced"]),
            today["payments"],
            units(today["received"]),
            today["shipments"],
        ),
    }


# -- customer list with balances --------------------------------------------------------------

CUSTOMERS_SQL = """
WITH position AS (
    SELECT customer_id,
           SUM(CASE WHEN account_id = :receivable THEN debit - credit ELSE 0 END) AS receivable,
           SUM(CASE WHEN account_id = :customer_credit THEN credit - debit ELSE 0 END) AS credit
    FROM journal_line WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT c.code, c.name, c.email, c.terms_days, c.credit_limit,
       COALESCE(p.receivable, 0), COALESCE(p.credit, 0)
FROM customer c LEFT JOIN position p ON p.customer_id = c.id
WHERE c.active = 1
ORDER BY c.id DESC
"""


def customers_raw(connection, accounts):
    params = {"receivable": accounts["receivable"], "customer_credit": accounts["customer_credit"]}
    return [
        (code, receivable - credit, receivable, credit)
        for code, _, _, _, _, receivable, credit in connection.execute(CUSTOMERS_SQL, params)
    ]


def customers_figures(doc):
    return [
        (c["code"], units(c["balance"]), units(c["open_invoices"]), units(c["unapplied_credit"]))
        for c in doc
    ]


# -- the reports ----------------------------------------------------------------------------


def reports(year_ago: date) -> list[Report]:
    from ordercli.books import journal
    from ordercli.reports import backorders, dashboard, receivables
    from ordercli.reports import matrix as order_matrix
    from ordercli.reports import sales as sales_report
    from ordercli.services.parties import customers
    from ordercli.views import parties as views

    def sales(by):
        return Report(
            f"report sales --by {by}",
            ["report", "sales", "--by", by],
            lambda session: sales_report.sales_report(session=session, by=by),
            sales_raw(by),
            sales_figures,
        )

    return [
        Report(
            "report aging",
            ["report", "aging"],
            lambda session: receivables.aging(session=session),
            aging_raw(TODAY),
            aging_figures,
        ),
        Report(
            f"report aging --as-of {year_ago}",
            ["report", "aging", "--as-of", year_ago.isoformat()],
            lambda session: receivables.aging(session=session, as_of=year_ago),
            aging_raw(year_ago),
            aging_figures,
        ),
        Report(
            "report trial-balance",
            ["report", "trial-balance"],
            lambda session: journal.trial_balance(session=session),
            trial_balance_raw,
            trial_balance_figures,
        ),
        sales("month"),
        sales("customer"),
        sales("product"),
        Report(
            "report matrix",
            ["report", "matrix"],
            lambda session: order_matrix.order_matrix(session=session),
            matrix_raw,
            matrix_figures,
        ),
        Report(
            "report backorders",
            ["report", "backorders"],
            lambda session: backorders.backorder_report(session=session),
            backorders_raw,
            backorders_figures,
        ),
        Report(
            "status",
            ["status"],
            lambda session: dashboard.dashboard(session=session),
            status_raw,
            status_figures,
        ),
        Report(
            "customer list --all",
            ["customer", "list", "--all"],
            lambda session: views.customer_views(
                session, customers.list_customers(session=session, active=True, limit=None)
            ),
            customers_raw,
            customers_figures,
        ),
    ]


# -- running --------------------------------------------------------------------------------


def ledger_for(args) -> Path:
    if args.ledger is not None:
        path = args.ledger
    else:
        folder = Path(tempfile.gettempdir()) / "ordercli-bench"
        path = folder / f"ledger-{args.lines}-seed{args.seed}-v{ledger_gen.VERSION}.db"
    if path.exists():
        print(f"reusing {path}")
    else:
        ledger_gen.build_ledger(path, args.lines, seed=args.seed)
    return path


def process_env() -> dict:
    env = {**os.environ, "ORDERCLI_TODAY": TODAY.isoformat()}
    env.pop("ORDERCLI_DB", None)
    return env


def run_process(path: Path, report: Report) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run(
        [ORDERCLI, "--db", str(path), *report.args, "--json"],
        env=process_env(),
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{report.name} failed: {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def profile(report: Report, in_process: Callable) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    in_process()
    profiler.disable()
    print(f"\n== cProfile of {report.name} (top 12 by own time)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def explain(report: Report, engine, in_process: Callable, connection) -> None:
    """SQLite's plan for every statement ordercli sends for this report."""
    from sqlalchemy import event

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        in_process()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    print(f"\n== {report.name}: {len(statements)} statement(s)")
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        print(" ".join(statement.split())[:300] + " …")
        plan = connection.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        for _, parent, _, detail in plan:
            print(f"    {parent:>3} {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ledger", type=Path, help="use (or create) this ledger file")
    parser.add_argument("--only", help="comma-separated words the report names must contain")
    parser.add_argument("--profile", action="store_true", help="cProfile each in-process call")
    parser.add_argument("--explain", action="store_true", help="query plans of ordercli's SQL")
    args = parser.parse_args(argv)

    path = ledger_for(args)
    os.environ["ORDERCLI_TODAY"] = TODAY.isoformat()
    os.environ.pop("ORDERCLI_DB", None)
    from ordercli.db.engine import open_ledger, resolve_location, unit_of_work

    engine = open_ledger(resolve_location(str(path)))
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    accounts = dict(connection.execute("SELECT role, id FROM account"))
    lines = connection.execute("SELECT COUNT(*) FROM order_line").fetchone()[0]
    size = path.stat().st_size / 2**20
    print(f"ledger {path}: {lines:,} order lines, {size:,.0f} MiB; today = {TODAY}")

    chosen = reports(date(TODAY.year - 1, TODAY.month, TODAY.day))
    if args.only:
        words = [w.strip() for w in args.only.split(",") if w.strip()]
        chosen = [r for r in chosen if any(w in r.name for w in words)]

    def in_process_of(report: Report):
        def call():
            with unit_of_work(engine, write=False) as session:
                return report.service(session)

        return call

    # The figures first: a comparison with a query that computes something else is worthless.
    for report in chosen:
        call = in_process_of(report)
        expected = report.raw(connection, accounts)
        for source, document in (("in process", call()), ("JSON", run_process(path, report)[1])):
            found = report.figures(document)
            if found != expected:
                print(f"MISMATCH {report.name} ({source}):\n  ordercli {found!r:.2000}")
                print(f"  raw SQL  {expected!r:.2000}")
                return 1
        if args.profile:
            profile(report, call)
        if args.explain:
            explain(report, engine, call, connection)
    print(f"figures equal the raw queries' for all {len(chosen)} reports")

    times: dict[str, dict[str, list[float]]] = {
        r.name: {"in_process": [], "process": [], "raw": []} for r in chosen
    }
    for run in range(args.runs):
        for report in chosen:
            sides = [
                ("in_process", lambda r=report: timed(in_process_of(r))[0]),
                ("process", lambda r=report: run_process(path, r)[0]),
                ("raw", lambda r=report: timed(lambda: r.raw(connection, accounts))[0]),
            ]
            # Alternate who goes first, so no side always meets a warm or a cold cache.
            shift = run % len(sides)
            for side, measure in sides[shift:] + sides[:shift]:
                times[report.name][side].append(measure())

    width = max(len(r.name) for r in chosen)
    print(
        f"\n{'report':<{width}}  {'in-process':>10}  {'process':>8}  {'raw SQL':>8}  "
        f"{'ratio':>5}  (medians of {args.runs}, seconds; ratio = in-process / raw)"
    )
    missed = []
    for report in chosen:
        medians = {side: statistics.median(values) for side, values in times[report.name].items()}
        ratio = medians["in_process"] / medians["raw"] if medians["raw"] else float("inf")
        if ratio > TARGET:
            missed.append(report.name)
        flag = f"  over {TARGET}" if ratio > TARGET else ""
        print(
            f"{report.name:<{width}}  {medians['in_process']:>10.3f}  {medians['process']:>8.3f}"
            f"  {medians['raw']:>8.3f}  {ratio:>5.2f}{flag}"
        )
    print(
        f"\n{len(chosen) - len(missed)} of {len(chosen)} reports within {TARGET}x of raw SQL"
        + (f"; over: {', '.join(missed)}" if missed else "")
    )
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
