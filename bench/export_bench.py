"""`ordercli export invoice-lines` against the `sqlite3` command-line shell (issue 7).

On generated ledgers of 100,000 and 1,000,000 order lines (`--sizes`), both
as whole processes, alternating, `--runs` times:

* ordercli: `ordercli --db LEDGER export invoice-lines -o FILE.csv`;
* for comparison (no target): that query run by a bare Python process with the
  ``sqlite3`` and ``csv`` modules, which is what a Python program can get
  down to when SQLite writes the decimal text;
* anchor: `sqlite3 -csv -header LEDGER "<query>" > FILE.csv`, the query that
  `ordercli/io/exports/queries.py` builds for invoice lines (invoice
  lines joined to their invoice and customer, in invoice and position
  order), written out by hand with the same decimal text (money with the
  currency's minor digits, quantities and percentages without trailing
  zeros), so both files hold the same cells, which is checked first.

Each process's peak memory (ru_maxrss, from ``wait4``) and CPU time are kept
beside its wall time; on a shared machine the CPU times show the work when
the wall times wait for a core.
Targets: at the biggest size ordercli within 3x the shell's time; ordercli's
peak memory flat, the same within 10% at every size (it streams rows from
a cursor). If the `sqlite3` shell is missing, the anchor is Python's
``sqlite3`` + ``csv`` modules running the same query (and the output says so).

    .venv/bin/python bench/export_bench.py [--sizes 100000,1000000] [--runs 5] [--quick] [--profile]
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import benchlib
from benchlib import ORDERCLI, PYTHON, Figure, median, run_process, scalar

TIME_TARGET = 3.0
MEMORY_FLAT = 0.10


def money(column: str, digits: int) -> str:
    if digits == 0:
        return f"CAST({column} AS TEXT)"
    return (
        f"printf('%s%d.%0{digits}d', CASE WHEN {column} < 0 THEN '-' ELSE '' END, "
        f"abs({column}) / {10**digits}, abs({column}) % {10**digits})"
    )


def trimmed(column: str, digits: int) -> str:
    """Decimal text without trailing zeros (``domain.money.decimal_text(trim=True)``)."""
    scale = 10**digits
    return (
        f"CASE WHEN {column} % {scale} = 0 THEN CAST({column} / {scale} AS TEXT) "
        f"ELSE printf('%s%d.%s', CASE WHEN {column} < 0 THEN '-' ELSE '' END, "
        f"abs({column}) / {scale}, rtrim(printf('%0{digits}d', abs({column}) % {scale}), '0')) END"
    )


def invoice_lines_sql(minor_digits: int) -> str:
    """ordercli's invoice-lines export query, by hand, with its decimal text."""
    return f"""
SELECT v.number AS invoice, v.issue_date AS issue_date, c.code AS customer,
       l.position AS position, l.sku AS sku, l.description AS description,
       {trimmed("l.qty", 3)} AS qty,
       {money("l.unit_price", minor_digits)} AS unit_price,
       {trimmed("l.discount", 4)} AS discount_pct,
       {trimmed("l.tax_rate", 4)} AS tax_rate,
       {money("l.net", minor_digits)} AS net,
       {money("l.tax", minor_digits)} AS tax,
       {money("(l.net + l.tax)", minor_digits)} AS total,
       {trimmed("l.qty_credited", 3)} AS qty_credited,
       {money("l.net_credited", minor_digits)} AS net_credited,
       {money("l.tax_credited", minor_digits)} AS tax_credited
FROM invoice_line l
JOIN invoice v ON v.id = l.invoice_id
JOIN customer c ON c.id = v.customer_id
ORDER BY v.id, l.position
"""  # noqa: S608 - the column expressions of this module


PYTHON_ANCHOR = """
import csv, sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
cursor = connection.execute(sys.argv[3])
with open(sys.argv[2], "w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle, lineterminator="\\r\\n")
    writer.writerow([d[0] for d in cursor.description])
    for row in cursor:
        writer.writerow(row)
"""


def first_difference(left: Path, right: Path) -> str | None:
    """Where two CSV files first hold different cells (quoting aside: the shell quotes
    text with spaces, Python's csv only what needs it)."""
    with left.open(newline="") as a, right.open(newline="") as b:
        for number, (x, y) in enumerate(zip(csv.reader(a), csv.reader(b), strict=False), 1):
            if x != y:
                return f"DIFFERENT at row {number}:\n  ordercli {x}\n  anchor   {y}"
        if next(csv.reader(a), None) is not None or next(csv.reader(b), None) is not None:
            return "DIFFERENT: one file has more rows"
    return None


def minor_digits(ledger: Path) -> int:
    currency = scalar(ledger, "SELECT value FROM setting WHERE key = 'currency'") or "EUR"
    return {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}.get(currency, 2)


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__)
    parser.add_argument("--sizes", help="ledger sizes in order lines (100000,1000000)")
    parser.add_argument("--profile", action="store_true", help="cProfile the biggest export")
    args = benchlib.finish_args(parser.parse_args(argv))
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    sizes = sizes or ([10_000, 100_000] if args.quick else [100_000, 1_000_000])
    env = benchlib.process_env()
    shell = shutil.which("sqlite3")
    anchor_name = "sqlite3 -csv" if shell else "python sqlite3+csv"
    if not shell:
        print("the sqlite3 shell is not installed: the anchor is Python's sqlite3 + csv modules")
    folder = benchlib.work_dir("export-bench")
    results: dict[int, dict[str, list]] = {}
    rows: dict[int, int] = {}
    try:
        for size in sizes:
            ledger = benchlib.generated_ledger(size, args.seed)
            sql = invoice_lines_sql(minor_digits(ledger))
            ours_file, anchor_file = folder / f"ordercli-{size}.csv", folder / f"anchor-{size}.csv"
            ours = [ORDERCLI, "--db", str(ledger), "export", "invoice-lines", "-o", str(ours_file)]
            python = [PYTHON, "-c", PYTHON_ANCHOR, str(ledger), str(anchor_file), sql]
            if shell:
                anchor = [shell, "-csv", "-header", f"file:{ledger}?mode=ro", sql]
                anchor_out = anchor_file
            else:
                anchor, anchor_out = python, None

            def run_ours(command=ours):
                return run_process(command, env=env)

            def run_anchor(command=anchor, out=anchor_out):
                return run_process(command, env=env, stdout_path=out)

            def run_python(command=python):
                return run_process(command, env=env)

            sides = [("ordercli", run_ours), ("anchor", run_anchor)]
            if shell:
                sides.append(("python", run_python))
            run_ours()
            run_anchor()
            rows[size] = sum(1 for _ in ours_file.open("rb")) - 1
            difference = first_difference(ours_file, anchor_file)
            print(
                f"{size:,} order lines: {rows[size]:,} invoice lines, "
                f"{ours_file.stat().st_size / 2**20:,.1f} MiB of CSV; "
                + (difference or "the same rows and cells in both files")
            )
            results[size] = benchlib.alternate(sides, args.runs, warmup=False)
    finally:
        benchlib.remove(folder)

    print(f"\nexport invoice-lines, whole process, medians of {args.runs} alternating runs:")
    figures = []
    peaks = {}
    for size in sizes:
        found = results[size]
        ours_s = median([r.seconds for r in found["ordercli"]])
        anchor_s = median([r.seconds for r in found["anchor"]])
        ours_mb = median([r.max_rss_kib for r in found["ordercli"]]) / 1024
        anchor_mb = median([r.max_rss_kib for r in found["anchor"]]) / 1024
        ours_cpu = median([r.cpu_seconds for r in found["ordercli"]])
        anchor_cpu = median([r.cpu_seconds for r in found["anchor"]])
        peaks[size] = ours_mb
        ratio = ours_s / anchor_s
        print(
            f"  {size:>9,} lines ({rows[size]:,} rows): ordercli {ours_s:6.2f} s "
            f"{ours_mb:6.0f} MiB peak ({rows[size] / ours_s:9,.0f} rows/s)   {anchor_name} "
            f"{anchor_s:6.2f} s {anchor_mb:6.0f} MiB   ratio {ratio:.2f}x"
        )
        # On a shared machine wall time waits for the CPU; CPU time shows the work.
        print(
            f"  {'':>9s}   CPU time: ordercli {ours_cpu:6.2f} s, "
            f"{anchor_name} {anchor_cpu:6.2f} s, ratio {ours_cpu / anchor_cpu:.2f}x"
        )
        if "python" in found:
            python_s = median([r.seconds for r in found["python"]])
            python_mb = median([r.max_rss_kib for r in found["python"]]) / 1024
            print(
                f"  {'':>9s}   for comparison, the same query through Python's sqlite3 + csv: "
                f"{python_s:6.2f} s {python_mb:6.0f} MiB ({python_s / anchor_s:.2f}x the shell)"
            )
        biggest = size == sizes[-1]
        figures.append(
            Figure(
                figure=f"export invoice-lines, {size:,} lines",
                ordercli=f"{ours_s:.2f} s, {ours_mb:.0f} MiB",
                anchor=f"{anchor_name} {anchor_s:.2f} s, {anchor_mb:.0f} MiB",
                ratio=f"{ratio:.2f}x",
                target=f"<= {TIME_TARGET:g}x" if biggest else "(info)",
                met=(ratio <= TIME_TARGET) if biggest else None,
                how=f"bench/export_bench.py, whole process, median of {args.runs}",
            )
        )
    low, high = min(peaks.values()), max(peaks.values())
    spread = (high - low) / low
    figures.append(
        Figure(
            figure=f"export peak memory, {sizes[0]:,} vs {sizes[-1]:,} lines",
            ordercli=f"{peaks[sizes[-1]]:.0f} MiB",
            anchor=f"{peaks[sizes[0]]:.0f} MiB",
            ratio=f"+{spread * 100:.0f}%",
            target=f"within {MEMORY_FLAT * 100:.0f}%",
            met=spread <= MEMORY_FLAT,
            how="bench/export_bench.py, ru_maxrss of each process",
        )
    )
    if args.profile:
        ledger = benchlib.generated_ledger(sizes[-1], args.seed)
        target = benchlib.work_dir("export-profile") / "lines.csv"
        command = ["--db", str(ledger), "export", "invoice-lines", "-o", str(target)]
        print(f"\n== cProfile of the whole `ordercli export invoice-lines` on {sizes[-1]:,} lines")
        print(benchlib.cli_profile(command, env, top=25, sort="tottime"))
        benchlib.remove(target.parent)
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
