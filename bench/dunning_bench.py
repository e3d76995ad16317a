"""Collections on a generated ledger: the worklist, a dry run and a real run, against
`report aging` on the same ledger in the same process.

The ledger is ``bench/ledger_gen.py``'s (``--lines``, default 100,000 order lines,
2,000 customers, "today" its last day), copied, with the usual three dunning
levels set (reminder at 7 days, second at 21 with a fee, final notice at 35 with
a fee, interest and a credit hold). Instalments: the generator writes invoices
with plain ``sqlite3`` and no schedule, so the copy gets one instalment per
invoice (its total on its due date), exactly as migration 0010 gives an older
ledger's invoices.

Timed, alternating, ``--runs`` times each:

* in process (an open ledger, one read-only unit of work and the call):
  ``reports.receivables.aging`` (the anchor), ``reports.collections.worklist`` and
  ``services.settlement.dunning.run_collections(dry_run=True)``;
* whole processes: ``ordercli report aging --json``, ``ordercli collections list
  --json`` and ``ordercli collections run --dry-run --json``;
* a real run, each on a fresh copy: ``ordercli collections run -o DIR --json``
  (notices, charge invoices, holds and a PDF letter per notice), and in process
  the same run without letters (``run_collections`` in a unit of work), to show
  what the letters cost.

Target: seconds (every figure under 10 s on 100,000 lines); the ratios to
`report aging` are reported. No assertion on time.

    .venv/bin/python bench/dunning_bench.py [--lines 100000] [--runs 3] [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import benchlib
from benchlib import ORDERCLI, Figure, median, ms, run_process

TARGET_SECONDS = 10.0


def prepare(source: Path, target: Path) -> Path:
    """A copy of the generated ledger with schedules and the usual three levels."""
    benchlib.copy_ledger(source, target)
    connection = sqlite3.connect(target)
    with connection:
        connection.execute(
            "INSERT INTO invoice_instalment (invoice_id, position, due_date, amount) "
            "SELECT v.id, 1, v.due_date, v.total FROM invoice v WHERE NOT EXISTS "
            "(SELECT 1 FROM invoice_instalment s WHERE s.invoice_id = v.id)"
        )
    connection.close()
    env = benchlib.process_env()
    for args in (
        ("--set", "1", "--days", "7", "--name", "Reminder"),
        ("--set", "2", "--days", "21", "--name", "Second reminder", "--fee", "5"),
        ("--set", "3", "--days", "35", "--name", "Final notice", "--fee", "10")
        + ("--interest", "8", "--credit-hold"),
    ):
        run_process([ORDERCLI, "--db", str(target), "collections", "levels", *args], env=env)
    return target


def in_process(ledger: Path, runs: int) -> dict[str, list[float]]:
    os.environ["ORDERCLI_TODAY"] = benchlib.TODAY.isoformat()
    from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
    from ordercli.reports.collections import worklist
    from ordercli.reports.receivables import aging
    from ordercli.services.settlement.dunning import run_collections

    engine = open_ledger(resolve_location(str(ledger)))

    def timed(call):
        def measure() -> float:
            with unit_of_work(engine, write=False) as session:
                return benchlib.in_process_seconds(lambda: call(session))

        return measure

    return benchlib.alternate(
        [
            ("aging", timed(lambda s: aging(session=s))),
            ("list", timed(lambda s: worklist(session=s))),
            ("dry", timed(lambda s: run_collections(session=s, dry_run=True))),
        ],
        runs,
    )


def recording_only(base: Path, work: Path, runs: int) -> tuple[list[float], int]:
    """A real run without letters, in process, each on a fresh copy."""
    from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
    from ordercli.services.settlement.dunning import run_collections

    seconds, notices = [], 0
    for run in range(runs):
        copy = benchlib.copy_ledger(base, work / f"record-{run}.db")
        url = resolve_location(str(copy))
        engine = open_ledger(url)
        with unit_of_work(engine) as session:
            start = time.perf_counter()
            notices = len(run_collections(session=session).notices)
            seconds.append(time.perf_counter() - start)
        forget_ledger(url)
    return seconds, notices


def main(argv: list[str] | None = None) -> int:
    parser = benchlib.base_parser(__doc__ or "", runs=3)
    parser.add_argument("--lines", type=int, default=100_000, help="order lines (default 100,000)")
    args = benchlib.finish_args(parser.parse_args(argv))
    lines = 10_000 if args.quick else args.lines
    work = benchlib.work_dir("dunning")
    try:
        source = benchlib.generated_ledger(lines, args.seed)
        base = prepare(source, work / "base.db")
        invoices = benchlib.scalar(base, "SELECT COUNT(*) FROM invoice_line")
        print(f"ledger: {lines:,} order lines, {invoices:,} invoice lines, today {benchlib.TODAY}")
        env = benchlib.process_env()

        def cli(*words: str):
            return lambda: run_process(
                [ORDERCLI, "--db", str(base), *words, "--json"], env=env, keep_stdout=True
            )

        plan = json.loads(cli("collections", "run", "--dry-run")().stdout)
        worklist = json.loads(cli("collections", "list")().stdout)
        print(
            f"worklist: {worklist['totals']['customers']:,} customers, "
            f"{Decimal(worklist['totals']['overdue']):,} overdue; "
            f"dry run: {len(plan['notices']):,} notices"
        )
        inside = in_process(base, args.runs)
        whole = benchlib.alternate(
            [
                ("aging", lambda: cli("report", "aging")().seconds),
                ("list", lambda: cli("collections", "list")().seconds),
                ("dry", lambda: cli("collections", "run", "--dry-run")().seconds),
            ],
            args.runs,
        )
        real, letters = [], 0
        for run in range(args.runs):
            copy = benchlib.copy_ledger(base, work / f"run-{run}.db")
            folder = work / f"letters-{run}"
            done = run_process(
                [ORDERCLI, "--db", str(copy), "collections", "run", "-o", str(folder), "--json"],
                env=env,
                keep_stdout=True,
            )
            real.append(done.seconds)
            letters = len(json.loads(done.stdout)["letters"])
            checked = run_process([ORDERCLI, "--db", str(copy), "check", "--json"], env=env)
            assert checked.returncode == 0
            shutil.rmtree(folder, ignore_errors=True)
        recorded, _ = recording_only(base, work, args.runs)
        anchor_in, anchor_out = median(inside["aging"]), median(whole["aging"])
        figures = []
        for key, what in (("list", "collections list"), ("dry", "collections run --dry-run")):
            for label, found, anchor in (
                ("in process", inside[key], anchor_in),
                ("whole process", whole[key], anchor_out),
            ):
                seconds = median(found)
                figures.append(
                    Figure(
                        f"{what}, {label}",
                        ms(seconds),
                        f"report aging {ms(anchor)}",
                        f"{seconds / anchor:.2f}x",
                        f"< {TARGET_SECONDS:.0f} s",
                        seconds < TARGET_SECONDS,
                    )
                )
        seconds = median(real)
        figures.append(
            Figure(
                f"collections run, whole process ({letters:,} notices and PDF letters)",
                ms(seconds),
                f"report aging {ms(anchor_out)}",
                f"{seconds / anchor_out:.2f}x",
                f"< {TARGET_SECONDS:.0f} s",
                seconds < TARGET_SECONDS,
            )
        )
        seconds = median(recorded)
        figures.append(
            Figure(
                "collections run without letters, in process (notices, charge invoices, holds)",
                ms(seconds),
                f"report aging {ms(anchor_in)}",
                f"{seconds / anchor_in:.2f}x",
                f"< {TARGET_SECONDS:.0f} s",
                seconds < TARGET_SECONDS,
            )
        )
        benchlib.print_figures(figures, f"Collections on {lines:,} order lines")
        benchlib.save_figures(figures, args.results)
    finally:
        benchlib.remove(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
