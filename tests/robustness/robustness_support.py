"""Helpers shared by the robustness tests (and safe to import in child processes)."""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# "Today" for every ledger here, so dates in generated files are never in the future.
TODAY = "2026-06-15"


def snapshot(source: Path, target: Path) -> Path:
    """A consistent single-file copy of a ledger, whatever state its WAL is in."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def ordercli_command(*args: str) -> list[str]:
    """``ordercli ARGS`` as a user runs it: its own Python process."""
    return [sys.executable, "-m", "ordercli.cli.app", *args]


def run_ordercli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORDERCLI_TODAY": TODAY}
    return subprocess.run(
        ordercli_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


# Sample customers; those without a credit limit get confirmed orders (stock reserved,
# backorders recorded), the others drafts, so the import writes every kind of row.
UNLIMITED = ("MUELLER", "TOKYO", "SCHOOL")
LIMITED = ("ACME", "BRIGHT", "NORD", "CAFE", "DUBLIN", "MADRID", "WIEN", "HOTEL", "STUDIO")
REF_PREFIX = "CRASH-"  # the order_ref of every order write_orders writes
LINES_PER_ORDER = 4


def sample_products() -> list[tuple[str, str]]:
    products = ROOT / "ordercli" / "io" / "sample_data" / "products.csv"
    with products.open(newline="", encoding="utf-8") as handle:
        return [(row["sku"], row["unit_price"]) for row in csv.DictReader(handle)]


def write_orders(path: Path, lines: int, seed: int) -> int:
    """A web-shop file of ``lines`` order lines, four per order; returns the orders."""
    rng = random.Random(seed)
    products = sample_products()
    customers = UNLIMITED + LIMITED
    with path.open("w", newline="", encoding="utf-8") as handle:
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
            order = n // LINES_PER_ORDER
            customer = customers[order % len(customers)]
            sku, price = rng.choice(products)
            writer.writerow(
                [
                    f"{REF_PREFIX}{order:06d}",
                    customer,
                    f"2026-{1 + order % 5:02d}-{1 + order % 28:02d}",
                    sku,
                    rng.randint(1, 5),
                    price,
                    rng.choice(("0", "0", "5", "12.5")),
                    "",
                    "true" if customer in UNLIMITED else "false",
                ]
            )
    return (lines + LINES_PER_ORDER - 1) // LINES_PER_ORDER
