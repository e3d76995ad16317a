"""Every benchmark of issue 7 in order, then one summary table.

Runs each figure's script (start-up, lookups, `import orders`, reports,
exports, invoice PDFs, `invoice create --all`, aging against hledger; `import
orders` priced from a price list, issue 18; e-invoices per format) as its
own process, showing its output as it goes, and collects the figures into one
table: figure, ordercli, anchor, ratio, target, met? (`--quick` judges no
target: the targets are for the full sizes). `--markdown FILE` also
writes the table as Markdown rows for docs/performance.md.

Generated ledgers are cached (see ``benchlib``): the first full run builds the
1,000,000-line ledger (a few minutes); later runs reuse it.

    .venv/bin/python bench/run_all.py [--quick] [--runs N] [--only startup,lookup]
        [--markdown FILE]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from benchlib import PYTHON, Figure

HERE = Path(__file__).resolve().parent

# (name, script, arguments in full runs, arguments in --quick runs)
SCRIPTS = [
    ("startup", "startup_bench.py", [], []),
    ("lookup", "lookup_bench.py", [], []),
    ("import", "import_bench.py", ["--lines", "100000"], ["--lines", "10000"]),
    ("price-import", "price_import_bench.py", [], []),
    ("reports", "report_bench.py", [], []),
    ("export", "export_bench.py", [], []),
    ("pdf", "pdf_bench.py", [], []),
    ("invoice-all", "invoice_all_bench.py", [], []),
    ("aging-hledger", "aging_vs_hledger.py", [], []),
    ("render", "render_bench.py", [], []),
    ("einvoice", "einvoice_bench.py", [], []),
]
# Scripts that predate the per-figure ones print their own tables; their figures are
# read from that output.
PRINTED = {"import", "reports"}

IMPORT_ROW = re.compile(
    r"^\s+(whole process|in process)\s+ordercli\s+([\d.]+) s \(\s*([\d,]+) lines/s\)"
    r".*raw executemany\s+([\d.]+) s .*ratio\s+([\d.]+)x"
)
REPORT_ROW = re.compile(r"^(\S.*?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)(\s+over [\d.]+)?$")


def import_figures(output: str, lines: str) -> list[Figure]:
    figures = []
    for line in output.splitlines():
        found = IMPORT_ROW.match(line)
        if not found:
            continue
        side, ours, rate, raw, ratio = found.groups()
        whole = side == "whole process"
        figures.append(
            Figure(
                figure=f"import orders, {int(lines):,} lines, {side}",
                ordercli=f"{float(ours):.2f} s ({rate} lines/s)",
                anchor=f"raw executemany {float(raw):.2f} s",
                ratio=f"{float(ratio):.2f}x",
                target="<= 2x" if whole else "(info)",
                met=float(ratio) <= 2.0 if whole else None,
                how="bench/import_bench.py",
            )
        )
    return figures


def report_figures(output: str, lines: int) -> list[Figure]:
    figures, table = [], False
    for line in output.splitlines():
        if line.startswith("report") and "in-process" in line:
            table = True
            continue
        if not table or not line.strip():
            if table and not line.strip():
                break
            continue
        found = REPORT_ROW.match(line)
        if not found:
            continue
        name, in_process, process, raw, ratio, _ = found.groups()
        figures.append(
            Figure(
                figure=f"{name}, {lines:,} lines, in process",
                ordercli=f"{float(in_process):.3f} s (process {float(process):.2f} s)",
                anchor=f"hand-written SQL {float(raw):.3f} s",
                ratio=f"{float(ratio):.2f}x",
                target="<= 1.5x",
                met=float(ratio) <= 1.5,
                how="bench/report_bench.py",
            )
        )
    return figures


def run_script(name: str, script: str, extra: list[str], args, folder: Path) -> list[Figure]:
    command = [PYTHON, str(HERE / script), *extra]
    if name == "reports":
        lines = 100_000 if args.quick else 1_000_000
        ledger = benchlib.generated_ledger(lines, args.seed)
        command += ["--lines", str(lines), "--ledger", str(ledger)]
        command += ["--runs", str(args.runs or (2 if args.quick else 5))]
    elif name == "import":
        command += ["--runs", str(args.runs or (2 if args.quick else 5))]
    else:
        results = folder / f"{name}.json"
        command += ["--results", str(results), "--seed", str(args.seed)]
        if args.quick:
            command.append("--quick")
        if args.runs:
            command += ["--runs", str(args.runs)]
    print(f"\n{'=' * 100}\n$ {' '.join(command)}", flush=True)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    captured = []
    for line in process.stdout:
        sys.stdout.write(line)
        captured.append(line.rstrip("\n"))
    process.wait()
    print(f"[{name}: {time.perf_counter() - start:.0f} s, exit {process.returncode}]", flush=True)
    output = "\n".join(captured)
    if process.returncode != 0:
        return [Figure(f"{name}: FAILED (exit {process.returncode})", "-", "-", "-", "-", False)]
    if name == "import":
        return import_figures(output, extra[extra.index("--lines") + 1])
    if name == "reports":
        return report_figures(output, 100_000 if args.quick else 1_000_000)
    return benchlib.load_figures(folder / f"{name}.json")


def markdown(figures: list[Figure]) -> str:
    rows = [
        "| figure | ordercli | anchor | ratio | target | met? |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        rows.append(
            f"| {f.figure} | {f.ordercli} | {f.anchor} | {f.ratio} | {f.target} | "
            f"{benchlib.met_text(f.met)} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 runs each")
    parser.add_argument("--runs", type=int, help="runs per side (default: each script's)")
    parser.add_argument("--seed", type=int, default=1)
    names = [name for name, *_ in SCRIPTS]
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--markdown", type=Path, help="write the summary as Markdown rows here")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",")] if args.only else names
    unknown = set(chosen) - set(names)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="ordercli-bench-results-") as tmp:
        for name, script, full, quick in SCRIPTS:
            if name in chosen:
                figures += run_script(name, script, quick if args.quick else full, args, Path(tmp))
    minutes = (time.perf_counter() - started) / 60
    if args.quick:
        # Small sizes and two runs: a smoke run; the targets are for the full sizes.
        for figure in figures:
            if figure.met is not None:
                figure.met = None
                figure.target += " (full run)"
    print(f"\n{'=' * 100}")
    benchlib.print_figures(
        figures,
        f"summary ({'quick' if args.quick else 'full'} run, {minutes:.0f} min; ratios of medians "
        f"of alternating runs in the same session)",
    )
    missed = [f.figure for f in figures if f.met is False]
    print(
        f"\n{sum(f.met is True for f in figures)} targets met, {len(missed)} missed"
        + (f": {'; '.join(missed)}" if missed else "")
    )
    if args.markdown:
        args.markdown.write_text(markdown(figures))
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
