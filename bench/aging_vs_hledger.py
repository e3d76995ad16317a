"""`ordercli report aging` against `hledger bal` over the same ledger (issue 7: >= 10x faster).

A plain-text ledger is read whole for every report; ordercli's aging is one
query over indexed tables. On the generated ledger (`--lines`, default
1,000,000 order lines), exported once with
`ordercli export journal --format hledger` (cached beside the ledger), both as
whole processes, alternating, `--runs` times:

* ordercli: `ordercli --db LEDGER report aging`;
* anchor: `hledger -f JOURNAL bal RECEIVABLE`, the receivable account's
  balance (the least hledger can be asked that aging also answers; aging
  also splits it by customer and days past due).

Before timing, hledger's receivable balance is compared with the total of
ordercli's aging (`--json`): they must be equal. Target: ordercli at least
10x faster. Without `hledger` on PATH the comparison is skipped with a message.

    .venv/bin/python bench/aging_vs_hledger.py [--lines 1000000] [--runs 5] [--quick]
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import benchlib
from benchlib import ORDERCLI, Figure, median, run_process

TARGET = 10.0


def journal_for(ledger: Path, env) -> Path:
    path = ledger.with_suffix(".hledger.journal")
    if path.exists() and path.stat().st_mtime >= ledger.stat().st_mtime:
        print(f"journal: reusing {path}")
        return path
    done = run_process(
        [
            ORDERCLI,
            "--db",
            str(ledger),
            "export",
            "journal",
            "--format",
            "hledger",
            "-o",
            str(path),
        ],
        env=env,
    )
    print(f"journal: exported {path.stat().st_size / 2**20:,.0f} MiB in {done.seconds:.1f} s")
    return path


def receivable_account(journal: Path) -> str:
    with journal.open(encoding="utf-8") as handle:
        for line in handle:
            found = re.match(r"account (\S+)\s+;.*\brole:receivable\b", line)
            if found:
                return found.group(1)
            if line[:1].isdigit():
                break
    raise SystemExit(f"no account with role:receivable declared in {journal}")


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__)
    parser.add_argument("--lines", type=int, default=None, help="ledger size (1,000,000)")
    args = benchlib.finish_args(parser.parse_args(argv))
    lines = args.lines or (100_000 if args.quick else 1_000_000)
    hledger = shutil.which("hledger")
    if not hledger:
        print("hledger is not installed: report aging vs hledger bal skipped")
        figure = Figure(
            figure="report aging vs hledger bal",
            ordercli="-",
            anchor="hledger missing",
            ratio="-",
            target=f">= {TARGET:g}x faster",
            met=None,
            how="bench/aging_vs_hledger.py: skipped, no hledger",
        )
        benchlib.save_figures([figure], args.results)
        return [figure]
    env = benchlib.process_env()
    ledger = benchlib.generated_ledger(lines, args.seed)
    journal = journal_for(ledger, env)
    account = receivable_account(journal)
    ours = [ORDERCLI, "--db", str(ledger), "report", "aging"]
    anchor = [hledger, "-f", str(journal), "bal", account]

    # The same figure first: aging's total is the receivable account's balance.
    aging = json.loads(run_process([*ours, "--json"], env=env, keep_stdout=True).stdout)
    ours_total = Decimal(aging["totals"]["total"])
    done = run_process([*anchor, "-O", "csv"], env=env, keep_stdout=True)
    rows = list(csv.reader(io.StringIO(done.stdout)))
    hledger_total = Decimal(re.sub(r"[^0-9.\-]", "", rows[-1][-1]))
    print(
        f"receivable on {lines:,} lines: ordercli aging total {ours_total}, "
        f"hledger bal {account} {hledger_total}"
        + ("" if ours_total == hledger_total else "   MISMATCH")
    )
    if ours_total != hledger_total:
        raise SystemExit("the two programs disagree; a timing would compare different work")

    times = benchlib.alternate(
        [
            ("ordercli", lambda: run_process(ours, env=env)),
            ("hledger", lambda: run_process(anchor, env=env)),
        ],
        args.runs,
        warmup=False,
    )
    ours_s = median([r.seconds for r in times["ordercli"]])
    ledger_s = median([r.seconds for r in times["hledger"]])
    ours_mb = median([r.max_rss_kib for r in times["ordercli"]]) / 1024
    ledger_mb = median([r.max_rss_kib for r in times["hledger"]]) / 1024
    speedup = ledger_s / ours_s
    print(
        f"\nreport aging vs hledger bal, {lines:,} lines "
        f"({journal.stat().st_size / 2**20:,.0f} MiB journal), whole process, "
        f"medians of {args.runs} alternating runs:\n"
        f"  ordercli report aging   {ours_s:7.2f} s  {ours_mb:7.0f} MiB peak\n"
        f"  hledger bal             {ledger_s:7.2f} s  {ledger_mb:7.0f} MiB peak\n"
        f"  ordercli is {speedup:.1f}x faster"
    )
    figures = [
        Figure(
            figure=f"report aging vs hledger bal, {lines:,} lines",
            ordercli=f"{ours_s:.2f} s, {ours_mb:.0f} MiB",
            anchor=f"hledger {ledger_s:.2f} s, {ledger_mb:.0f} MiB",
            ratio=f"{speedup:.1f}x faster",
            target=f">= {TARGET:g}x faster",
            met=speedup >= TARGET,
            how=f"bench/aging_vs_hledger.py, whole process, median of {args.runs}",
        )
    ]
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
