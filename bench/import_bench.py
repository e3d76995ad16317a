"""`import orders` of 100,000 order lines against raw sqlite3 `executemany`.

Generates a deterministic web-shop file (25,000 orders of 4 lines for 200
customers and 500 products), then, alternating, several times:

* ordercli: `ordercli import orders FILE` as a user runs it (a whole process),
  on a copy of a ledger that already holds the customers and products;
* raw: a plain Python script with only `sqlite3` and `csv` that reads the same
  file and inserts the same orders and lines (customer and product ids looked
  up, net and tax computed) with `executemany` into a copy of the very same
  ledger file: the same schema, indexes and durability settings (WAL,
  synchronous=FULL), one transaction.

Both are timed as whole processes, and also in-process (the import call
against the insert loop, without interpreter start-up and imports). Prints
medians and ratios. Target: ordercli within 2x of raw.

    .venv/bin/python bench/import_bench.py [--lines 100000] [--runs 3] [--confirm]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDERCLI = str(Path(sys.executable).parent / "ordercli")


def generate(folder: Path, lines: int, confirm: bool) -> tuple[Path, Path, Path]:
    rng = random.Random(20261122)
    customers = folder / "customers.csv"
    products = folder / "products.csv"
    orders = folder / "orders.csv"
    with customers.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "email", "terms_days"])
        for n in range(200):
            writer.writerow([f"C{n:04d}", f"Customer {n}", f"c{n}@shop.example", 30])
    prices = {}
    with products.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "unit_price", "tax_rate", "stock"])
        for n in range(500):
            prices[n] = f"{rng.randint(100, 99999) / 100:.2f}"
            writer.writerow([f"SKU-{n:04d}", f"Product {n}", prices[n], 19, 1_000_000])
    with orders.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "order_ref",
                "customer_code",
                "order_date",
                "sku",
                "qty",
                "unit_price",
                "discount_pct",
                "tax_rate",
                "confirm",
            ]
        )
        for n in range(lines):
            order = n // 4
            rng_order = random.Random(order)
            product = rng.randrange(500)
            writer.writerow(
                [
                    f"WEB-{order:07d}",
                    f"C{rng_order.randrange(200):04d}",
                    f"2026-{1 + order % 10:02d}-{1 + order % 28:02d}",
                    f"SKU-{product:04d}",
                    rng.choice(("1", "1", "2", "3", "0.5", "12")),
                    prices[product],
                    rng.choice(("", "0", "5", "10", "12.5")),
                    rng.choice(("19", "19", "7")),
                    "true" if confirm else "false",
                ]
            )
    return customers, products, orders


def run(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--confirm", action="store_true", help="confirm=true on every order")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ordercli-import-bench-"))
    try:
        customers, products, orders = generate(folder, options.lines, options.confirm)
        env = {**os.environ, "ORDERCLI_TODAY": "2026-11-22"}
        template = folder / "template.db"
        steps = [
            ["init"],
            ["import", "customers", str(customers)],
            ["import", "products", str(products)],
        ]
        for step in steps:
            subprocess.run(
                [ORDERCLI, "--db", str(template), *step],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        loader = Path(__file__).with_name("raw_orders_loader.py")
        sys.path.insert(0, str(loader.parent))
        import raw_orders_loader as raw_loader

        from ordercli.db.engine import dispose_all, open_ledger, resolve_location, unit_of_work
        from ordercli.io.imports import import_file

        whole = {"ordercli": [], "raw": []}
        inproc = {"ordercli": [], "raw": []}
        for n in range(options.runs):
            ours, raw = folder / f"ours{n}.db", folder / f"raw{n}.db"
            for target in (ours, raw, folder / "ours_in.db", folder / "raw_in.db"):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(template, target)
            whole["ordercli"].append(
                run([ORDERCLI, "--db", str(ours), "import", "orders", str(orders)], env)
            )
            whole["raw"].append(run([sys.executable, str(loader), str(raw), str(orders)], env))
            os.environ["ORDERCLI_TODAY"] = "2026-11-22"
            engine = open_ledger(resolve_location(str(folder / "ours_in.db")))
            start = time.perf_counter()
            with unit_of_work(engine) as session:
                result = import_file(session=session, kind="orders", path=orders)
            inproc["ordercli"].append(time.perf_counter() - start)
            assert not result.errors, result.errors[:3]
            dispose_all()
            start = time.perf_counter()
            raw_loader.load(str(folder / "raw_in.db"), str(orders))
            inproc["raw"].append(time.perf_counter() - start)
        print(
            f"import orders: {options.lines:,} lines, {options.lines // 4:,} orders, "
            f"confirm={'true' if options.confirm else 'false'}, {options.runs} runs, medians"
        )
        for label, figures in (("whole process", whole), ("in process", inproc)):
            ours = statistics.median(figures["ordercli"])
            raw = statistics.median(figures["raw"])
            print(
                f"  {label:13s}  ordercli {ours:6.2f} s ({options.lines / ours:9,.0f} lines/s)"
                f"   raw executemany {raw:6.2f} s ({options.lines / raw:9,.0f} lines/s)"
                f"   ratio {ours / raw:4.2f}x"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
