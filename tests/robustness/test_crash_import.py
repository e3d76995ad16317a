"""A laptop that dies mid-import: `import orders` killed with SIGKILL at random moments.

An import is one transaction (SPEC rule 3, "an import is all-or-nothing"), and the
ledger runs SQLite in WAL mode with ``synchronous=FULL``. So however the process
dies, the file must open as a sound database, pass every ledger check, and hold
either the whole batch or none of it; importing the file again then brings it in
exactly once (``order_ref`` is the idempotency key), and once more brings nothing.

The import runs as a user runs it, as its own OS process. Its typical duration is
measured once on a copy of the ledger; the kill moments are drawn (seeded) from zero
to that duration, so they fall in start-up, reading, checking and writing alike.
A kill that comes after the commit finds the batch whole; the ledger is then put
back as it was so the next kill has something to interrupt.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from robustness_support import (
    REF_PREFIX,
    ROOT,
    TODAY,
    ordercli_command,
    run_ordercli,
    snapshot,
    write_orders,
)

from ordercli.db.engine import dispose_all

pytestmark = pytest.mark.sqlite_only("kills an import midway and reads the SQLite file it left")

MAX_ROUNDS_PER_KILL = 3  # a round whose import finished before its moment is not a kill


def integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return "\n".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def query(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def batch_in_ledger(path: Path) -> tuple[int, int]:
    """(orders, order lines) of the file's batch in the ledger."""
    [(orders, lines)] = query(
        path,
        "SELECT COUNT(DISTINCT o.id), COUNT(l.id) FROM sales_order o "
        f"LEFT JOIN order_line l ON l.order_id = o.id WHERE o.order_ref LIKE '{REF_PREFIX}%'",
    )
    return orders, lines


def row_counts(path: Path) -> dict[str, int]:
    tables = [
        name
        for (name,) in query(
            path, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: query(path, f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in tables}


def order_series(path: Path) -> int:
    return query(path, "SELECT next_value FROM number_series WHERE kind = 'order'")[0][0]


def replace_ledger(ledger: Path, source: Path) -> None:
    """Put ``source`` in place of the ledger, with no write-ahead log of the old one left."""
    dispose_all()
    for suffix in ("-wal", "-shm"):
        Path(f"{ledger}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, ledger)


def assert_sound(cli, ledger: Path) -> None:
    """What must hold after every kill: SQLite's own check and every ledger check."""
    assert integrity(ledger) == "ok"
    result = cli.run("check", "--json")
    dispose_all()
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)


def import_args(ledger: Path, orders_file: Path) -> list[str]:
    return ["--db", str(ledger), "import", "orders", str(orders_file), "--json"]


def crash_import(cli, ledger: Path, folder: Path, *, lines: int, kills: int, seed: int) -> dict:
    orders_file = folder / "orders.csv"
    orders = write_orders(orders_file, lines, seed)
    dispose_all()
    pristine = snapshot(ledger, folder / "pristine.db")
    first_number = order_series(pristine)

    # The import's typical duration, once, on a copy.
    trial = snapshot(pristine, folder / "trial.db")
    started = time.monotonic()
    done = run_ordercli(*import_args(trial, orders_file))
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert batch_in_ledger(trial) == (orders, lines)

    rng = random.Random(seed)
    env = {**os.environ, "ORDERCLI_TODAY": TODAY}
    outcome = Counter(
        {"killed": 0, "ledger open": 0, "finished first": 0, "batch absent": 0, "batch whole": 0}
    )
    rounds = 0
    while outcome["killed"] < kills:
        rounds += 1
        assert rounds <= kills * MAX_ROUNDS_PER_KILL, f"only {outcome['killed']} kills landed"
        moment = rng.uniform(0, duration)
        process = subprocess.Popen(
            ordercli_command(*import_args(ledger, orders_file)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            process.wait(timeout=moment)
            outcome["finished first"] += 1
        except subprocess.TimeoutExpired:
            # The ledger was open (its write-ahead log exists) when the kill came.
            outcome["ledger open"] += Path(f"{ledger}-wal").exists()
            process.send_signal(signal.SIGKILL)
            process.wait()
            assert process.returncode == -signal.SIGKILL
            outcome["killed"] += 1
        assert_sound(cli, ledger)
        found = batch_in_ledger(ledger)
        assert found in {(0, 0), (orders, lines)}, f"half a batch after a kill: {found}"
        if found == (0, 0):
            # A rolled-back import takes no order number either (SPEC rule 2).
            assert order_series(ledger) == first_number
            outcome["batch absent"] += 1
        else:
            outcome["batch whole"] += 1
            replace_ledger(ledger, pristine)

    # Importing again completes the batch exactly once…
    done = run_ordercli(*import_args(ledger, orders_file))
    assert done.returncode == 0, done.stderr
    assert '"created": ' + str(orders) in done.stdout
    assert batch_in_ledger(ledger) == (orders, lines)
    assert (
        query(
            ledger,
            f"SELECT order_ref FROM sales_order WHERE order_ref LIKE '{REF_PREFIX}%' "
            "GROUP BY order_ref HAVING COUNT(*) > 1",
        )
        == []
    )
    numbers = [n for (n,) in query(ledger, "SELECT number FROM sales_order ORDER BY id")]
    assert numbers == [f"SO-{n:05d}" for n in range(first_number, first_number + orders)]
    assert_sound(cli, ledger)
    # …and once more creates nothing at all.
    before = row_counts(ledger)
    again = run_ordercli(*import_args(ledger, orders_file))
    assert again.returncode == 0, again.stderr
    assert '"created": 0' in again.stdout and f'"skipped": {orders}' in again.stdout
    assert row_counts(ledger) == before
    assert_sound(cli, ledger)
    return {"orders": orders, "duration": duration, "rounds": rounds, **outcome}


def report(lines: int, kills: int, result: dict) -> None:
    print(
        f"crash: {result['killed']} SIGKILLs of `import orders` ({lines:,} lines, "
        f"{result['orders']:,} orders, typical run {result['duration']:.1f}s; "
        f"{result['ledger open']} with the ledger open) survived: "
        f"integrity ok and check clean every time; batch absent {result['batch absent']}, "
        f"whole {result['batch whole']} (killed after commit or finished first "
        f"{result['finished first']}); re-run imported {result['orders']:,} orders exactly "
        "once, a second re-run created nothing"
    )


@pytest.mark.parametrize(
    ("lines", "kills"),
    [(3_000, 3), pytest.param(50_000, 20, marks=pytest.mark.soak, id="soak-50k-20-kills")],
)
def test_import_killed_at_random_moments_leaves_all_or_nothing(
    cli, seeded, ledger_path, tmp_path, lines, kills
):
    result = crash_import(cli, ledger_path, tmp_path, lines=lines, kills=kills, seed=8_2026)
    assert result["killed"] == kills
    report(lines, kills, result)
