"""Lookups on a big ledger cost what they cost on a small one (issue 7: indexed lookups).

`order show`, `invoice show`, `customer list` and `customer show`, each as a
whole `ordercli` process, on a generated 10,000-line ledger and on a big one
(`--lines-big`, default 1,000,000 order lines; `bench/ledger_gen.py`), with
`python -c pass` as the anchor, all alternating, `--runs` times; medians.

The documents looked up are alike in both ledgers: the newest completed order
with four lines, the newest invoice with four lines, the customer of that
invoice (whose history, unlike a document's, does grow with the ledger).

Targets: each command on the big ledger within 1.2x the same command on the
10,000-line one, and within 45x `python -c pass`. `customer show` is shown
for information (a customer's history grows with the ledger).

    .venv/bin/python bench/lookup_bench.py [--lines-big 1000000] [--runs 5] [--quick] [--profile]
        [--explain]

`--explain` lists each command's slowest SQL statements with SQLite's plans;
`--profile` a cProfile of each whole run on the big ledger.
"""

from __future__ import annotations

import sys
from pathlib import Path

import benchlib
from benchlib import ORDERCLI, PYTHON, Figure, median, run_process, scalar

GROWTH_TARGET = 1.2
PASS_TARGET = 45.0
SMALL = 10_000

ORDER_SQL = """
SELECT o.number FROM sales_order o
WHERE o.status = 'completed'
  AND (SELECT COUNT(*) FROM order_line l WHERE l.order_id = o.id) = 4
ORDER BY o.id DESC LIMIT 1
"""
INVOICE_SQL = """
SELECT v.number, c.code FROM invoice v JOIN customer c ON c.id = v.customer_id
WHERE (SELECT COUNT(*) FROM invoice_line l WHERE l.invoice_id = v.id) = 4
ORDER BY v.id DESC LIMIT 1
"""


def lookups(ledger: Path) -> dict[str, list[str]]:
    import sqlite3

    order = scalar(ledger, ORDER_SQL)
    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        invoice, customer = connection.execute(INVOICE_SQL).fetchone()
    finally:
        connection.close()
    return {
        "order show": ["order", "show", order],
        "invoice show": ["invoice", "show", invoice],
        "customer list": ["customer", "list"],
        "customer show": ["customer", "show", customer],
    }


def full_scans(ledger: Path, statements) -> set[str]:
    """Tables a command's SELECTs read whole (SQLite's plan says SCAN without an index)."""
    import sqlite3

    found = set()
    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        for statement in statements:
            text = statement.sql.lstrip().upper()
            if statement.executemany or not text.startswith(("SELECT", "WITH")):
                continue
            for row in connection.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params):
                detail = row[3]
                if detail.startswith("SCAN ") and " USING " not in detail:
                    table = detail.split()[1]
                    if table not in (
                        "sqlite_master",
                        "alembic_version",
                        "account",
                        "setting",
                        "customer",
                    ):
                        found.add(table)
    finally:
        connection.close()
    return found


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__)
    parser.add_argument("--lines-big", type=int, default=None, help="big ledger (1,000,000)")
    parser.add_argument("--profile", action="store_true", help="cProfile each on the big ledger")
    parser.add_argument(
        "--explain", action="store_true", help="slowest SQL of each, with plans, on both ledgers"
    )
    args = benchlib.finish_args(parser.parse_args(argv))
    big_lines = args.lines_big or (100_000 if args.quick else 1_000_000)
    env = benchlib.process_env()
    ledgers = {
        "small": benchlib.generated_ledger(SMALL, args.seed),
        "big": benchlib.generated_ledger(big_lines, args.seed),
    }
    commands = {size: lookups(path) for size, path in ledgers.items()}
    for size, path in ledgers.items():
        print(
            f"{size:5s} ledger {path.name}: "
            + "; ".join(" ".join(c) for c in commands[size].values())
        )

    def trace() -> tuple[dict, dict]:
        """The SQL each command sends, timed, once per ledger (and the tables it scans)."""
        sql_ms: dict[str, dict[str, float]] = {}
        scans: dict[str, set[str]] = {}
        for name in commands["small"]:
            sql_ms[name] = {}
            for size, path in ledgers.items():
                statements = benchlib.sql_trace(["--db", str(path), *commands[size][name]], env)
                reads = benchlib.replay_reads(path, statements)
                sql_ms[name][size] = sum(st.seconds for st in reads) * 1000
                if size == "big":
                    scans[name] = full_scans(path, statements)
        return sql_ms, scans

    trace()  # checks that every command works, and warms the caches for the timing

    sides = [("python -c pass", lambda: run_process([PYTHON, "-c", "pass"], env=env).seconds)]
    for name in commands["small"]:
        for size, path in ledgers.items():
            command = [ORDERCLI, "--db", str(path), *commands[size][name]]
            sides.append((f"{name} {size}", lambda c=command: run_process(c, env=env).seconds))
    times = benchlib.alternate(sides, args.runs, warmup=False)
    base = median(times["python -c pass"])
    sql_ms, scans = trace()  # now with warm caches, as in the timed runs

    print(
        f"\nlookups, whole process, medians of {args.runs} alternating runs; "
        f"python -c pass {base * 1000:.1f} ms"
    )
    print(
        f"  {'command':14s} {f'{SMALL:,} lines':>13s} {f'{big_lines:,} lines':>15s}"
        f" {'big/small':>9s} {'big/pass':>9s}   reads small / big (full scans on big)"
    )
    figures = []
    for name in commands["small"]:
        small = median(times[f"{name} small"])
        big = median(times[f"{name} big"])
        growth, vs_pass = big / small, big / base
        print(
            f"  {name:14s} {small * 1000:10.0f} ms {big * 1000:12.0f} ms"
            f" {growth:8.2f}x {vs_pass:8.1f}x   {sql_ms[name]['small']:6.1f} / "
            f"{sql_ms[name]['big']:6.1f} ms"
            + (f" (SCAN {', '.join(sorted(scans[name]))})" if scans[name] else "")
        )
        info = name == "customer show"
        how = f"bench/lookup_bench.py, whole process, median of {args.runs}"
        figures.append(
            Figure(
                figure=f"{name}: {big_lines:,} vs {SMALL:,} lines",
                ordercli=benchlib.ms(big),
                anchor=f"{SMALL:,} lines {benchlib.ms(small)}",
                ratio=f"{growth:.2f}x",
                target="(info)" if info else f"<= {GROWTH_TARGET}x",
                met=None if info else growth <= GROWTH_TARGET,
                how=how,
            )
        )
        figures.append(
            Figure(
                figure=f"{name}: {big_lines:,} lines vs python -c pass",
                ordercli=benchlib.ms(big),
                anchor=f"python -c pass {benchlib.ms(base)}",
                ratio=f"{vs_pass:.1f}x",
                target="(info)" if info else f"<= {PASS_TARGET:g}x",
                met=None if info else vs_pass <= PASS_TARGET,
                how=how,
            )
        )

    if args.explain:
        for name in commands["small"]:
            for size, path in ledgers.items():
                print(f"\n== SQL of {name} on the {size} ledger")
                print(benchlib.explain_trace(path, ["--db", str(path), *commands[size][name]], env))
    if args.profile:
        for command in commands["big"].values():
            full = ["--db", str(ledgers["big"]), *command]
            print(
                f"\n== cProfile of the whole `ordercli {' '.join(command)}` on {big_lines:,} lines"
            )
            print(benchlib.cli_profile(full, env, top=25, sort="tottime"))
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
