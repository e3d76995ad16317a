"""`ordercli invoice einvoice --all`: milliseconds per invoice, whole process, per format
(target: <= 50 ms for CII/UBL XML, <= 80 ms for Factur-X PDFs, validation included).

On a copy of a generated ledger (`--lines`, default 10,000 order lines) given the
data an e-invoice needs, the newest `--invoices` invoices (default 500; a
`--from` day is chosen so that at least that many were issued from then to the
ledger's last day) are exported, alternating, `--runs` times:

* `ordercli --db COPY invoice einvoice --all --from DAY --to LAST -o DIR --json`
  with `--format` xrechnung-cii, xrechnung-ubl, peppol and facturx, each
  validated (XSD and schematron, as a user runs it) and again with
  `--no-validate`: the difference is what validation costs;
* the anchor: `ordercli invoice pdf --all` over the same invoices, the
  ledger's existing per-document batch. It is chosen over `export invoices`
  because it also writes one file per invoice from the same documents (a
  set-based CSV export does none of the per-document work, so a ratio to it
  would say little), and because a Factur-X file is that same invoice PDF (in
  its PDF/A variant) with the XML inside, so the ratio shows what the e-invoice
  adds to the PDF a user already sends.

Also timed: one invoice exported alone (`invoice einvoice NUMBER`), the fixed
cost of a run (interpreter, imports, loading the XSDs, compiling the
stylesheets) that a batch pays once; and a check, in process, that one batch
compiles each stylesheet once, not once per file.

The copy gets the data set an e-invoice needs, written with plain ``sqlite3``:
the company's settings (country, VAT id, address, IBAN, BIC, contact, phone,
electronic address, email) and every customer's country, address, buyer
reference and Peppol participant id (a GLN), half of them a VAT id. Documents
issued before that data was set take it from today's profile, as the export
does for any older ledger. Lines the generator wrote at a zero rate get the
category `Z`, which is what ordercli records for a domestic zero-rated sale
(the generator writes every line as `S`, and EN 16931 refuses `S` at 0 %).

Reported: wall milliseconds per invoice with the target, CPU milliseconds per
invoice (the PDF batch lays out in worker processes, so its wall time depends
on free cores), the ratio to the anchor, and the share that is validation. No
assertion on time. `--profile FORMAT` adds a cProfile of one whole validated
run of that format. `--quick`: 50 invoices, 2 runs, a smoke run (a run's fixed
cost of about two seconds weighs some 40 ms on each of 50 invoices, so quick
figures say nothing of the targets); a full run takes about 20 minutes.

    .venv/bin/python bench/einvoice_bench.py [--lines 10000] [--invoices 500] [--runs 3]
        [--quick] [--formats xrechnung-cii,facturx] [--profile FORMAT]
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

import benchlib
from benchlib import ORDERCLI, Figure, median, run_process

XML_FORMATS = ("xrechnung-cii", "xrechnung-ubl", "peppol")
FORMATS = (*XML_FORMATS, "facturx")
TARGET_MS = {**dict.fromkeys(XML_FORMATS, 50.0), "facturx": 80.0}
ANCHOR = "invoice pdf --all"

COMPANY = {
    "company_country": "DE",
    "company_vat_id": "DE136695976",
    "company_street": "Hauptstraße 5",
    "company_postcode": "50667",
    "company_city": "Köln",
    "company_contact": "Anna Berg",
    "company_phone": "+49 221 555 0100",
    "company_iban": "DE89370400440532013000",
    "company_bic": "COBADEFFXXX",
    "company_endpoint": "0088:4012345000009",
    "email_from": "Bench Trading <billing@bench.example>",
}


# -- the ledger -----------------------------------------------------------------------------


def german_vat_id(number: int) -> str:
    from stdnum.iso7064 import mod_11_10

    body = f"{10_000_000 + number:08d}"
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def gln(number: int) -> str:
    from stdnum import ean

    body = f"40000010{number:04d}"
    return f"{body}{ean.calc_check_digit(body)}"


def prepare(source: Path, target: Path) -> Path:
    """A copy of the generated ledger holding what every format needs."""
    benchlib.copy_ledger(source, target)
    connection = sqlite3.connect(target)
    with connection:
        connection.executemany(
            "INSERT INTO setting (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            COMPANY.items(),
        )
        customers = connection.execute("SELECT id, code FROM customer ORDER BY id").fetchall()
        connection.executemany(
            "UPDATE customer SET country = 'DE', street = ?, postcode = ?, city = 'Berlin', "
            "vat_id = ?, buyer_reference = ?, endpoint = ? WHERE id = ?",
            [
                (
                    f"Alt-Moabit {id_ % 200 + 1}",
                    f"{10_000 + id_ % 90_000:05d}",
                    german_vat_id(id_) if id_ % 2 else None,
                    f"04011000-{id_:05d}-{code}",
                    f"0088:{gln(id_)}",
                    id_,
                )
                for id_, code in customers
            ],
        )
        connection.execute("UPDATE invoice_line SET vat_category = 'Z' WHERE tax_rate = 0")
    connection.close()
    return target


def first_day(ledger: Path, invoices: int) -> tuple[str, int, str]:
    """The first issue day of the newest ``invoices`` invoices, how many were issued from
    then to the last day, and one of them (for the single-invoice run)."""
    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        (day,) = connection.execute(
            "SELECT issue_date FROM invoice ORDER BY issue_date DESC, id DESC LIMIT 1 OFFSET ?",
            (invoices - 1,),
        ).fetchone()
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM invoice WHERE issue_date >= ? AND issue_date <= ?",
            (day, benchlib.TODAY.isoformat()),
        ).fetchone()
        (one,) = connection.execute(
            "SELECT number FROM invoice WHERE issue_date >= ? ORDER BY id LIMIT 1", (day,)
        ).fetchone()
    finally:
        connection.close()
    return day, count, one


# -- running ----------------------------------------------------------------------------------


def compilations_in_process(ledger: Path, day: str, fmt: str, folder: Path) -> tuple[int, int]:
    """(files written, stylesheets compiled) by one validated batch in this process."""
    os.environ["ORDERCLI_TODAY"] = benchlib.TODAY.isoformat()
    os.environ.pop("ORDERCLI_DB", None)
    from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
    from ordercli.einvoice import validation
    from ordercli.einvoice.export import export_einvoices

    engine = open_ledger(resolve_location(str(ledger)))
    before = validation.stylesheets_compiled()
    with unit_of_work(engine, write=False) as session:
        written = export_einvoices(
            session,
            kind="invoice",
            date_from=date.fromisoformat(day),
            date_to=benchlib.TODAY,
            fmt=fmt,
            output=str(folder),
        )
    return len(written), validation.stylesheets_compiled() - before


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__, runs=3)
    parser.add_argument("--lines", type=int, default=10_000, help="ledger size")
    parser.add_argument("--invoices", type=int, default=None, help="at least this many (500)")
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help=f"comma-separated, of: {', '.join(FORMATS)}"
    )
    parser.add_argument("--profile", metavar="FORMAT", help="cProfile one validated run")
    args = benchlib.finish_args(parser.parse_args(argv))
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(FORMATS)
    if args.profile and args.profile not in FORMATS:
        unknown.add(args.profile)
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    wanted = args.invoices or (50 if args.quick else 500)
    env = benchlib.process_env()
    folder = benchlib.work_dir("einvoice-bench")
    serial = [0]

    def fresh_dir() -> Path:
        serial[0] += 1
        return folder / f"run{serial[0]}"

    try:
        ledger = prepare(benchlib.generated_ledger(args.lines, args.seed), folder / "ledger.db")
        day, count, one = first_day(ledger, wanted)
        last = benchlib.TODAY.isoformat()
        print(
            f"{count:,} invoices issued {day} to {last} in a prepared copy of {args.lines:,} lines"
        )

        def written(path: Path, expected: int) -> None:
            found = sum(1 for _ in path.iterdir())
            if found != expected:
                raise SystemExit(f"{path}: {found} files, expected {expected}")
            benchlib.remove(path)

        def einvoice_batch(fmt: str, validate: bool):
            def measure():
                target = fresh_dir()
                command = [ORDERCLI, "--db", str(ledger), "invoice", "einvoice", "--all"]
                command += ["--from", day, "--to", last, "--format", fmt, "-o", str(target)]
                done = run_process(
                    [*command, "--json", *([] if validate else ["--no-validate"])],
                    env=env,
                    keep_stdout=True,
                )
                if json.loads(done.stdout)["count"] != count:
                    raise SystemExit(f"{fmt}: not {count} e-invoices:\n{done.stdout[:500]}")
                written(target, count)
                return done.seconds, done.cpu_seconds

            return measure

        def einvoice_one(fmt: str):
            def measure():
                target = fresh_dir()
                target.mkdir()
                done = run_process(
                    [ORDERCLI, "--db", str(ledger), "invoice", "einvoice", one, "--format", fmt]
                    + ["-o", str(target / f"one.{'pdf' if fmt == 'facturx' else 'xml'}")],
                    env=env,
                )
                written(target, 1)
                return done.seconds, done.cpu_seconds

            return measure

        def anchor():
            target = fresh_dir()
            done = run_process(
                [ORDERCLI, "--db", str(ledger), "invoice", "pdf", "--all", "--from", day]
                + ["--to", last, "-o", str(target)],
                env=env,
            )
            written(target, count)
            return done.seconds, done.cpu_seconds

        sides = [(ANCHOR, anchor)]
        for fmt in formats:
            sides += [
                (fmt, einvoice_batch(fmt, True)),
                (f"{fmt} --no-validate", einvoice_batch(fmt, False)),
                (f"{fmt}, one invoice", einvoice_one(fmt)),
            ]
        times = benchlib.alternate(sides, args.runs)

        check_format = "xrechnung-cii" if "xrechnung-cii" in formats else formats[0]
        files, compiled = compilations_in_process(ledger, day, check_format, fresh_dir())
        print(
            f"in process, one validated {check_format} batch of {files} files compiled "
            f"{compiled} stylesheet(s)"
        )

        if args.profile:
            argv_ = ["--db", str(ledger), "invoice", "einvoice", "--all", "--from", day]
            argv_ += ["--to", last, "--format", args.profile, "-o", str(fresh_dir())]
            for sort in ("cumulative", "tottime"):
                print(f"\n== cProfile of one validated {args.profile} run of {count}, by {sort}")
                print(benchlib.cli_profile(argv_, env, top=35, sort=sort))
    finally:
        benchlib.remove(folder)

    def per_invoice(name: str, n: int = count) -> tuple[float, float]:
        values = times[name]
        wall = median([v[0] for v in values]) / n * 1000
        return wall, median([v[1] for v in values]) / n * 1000

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\ninvoice einvoice --all, {count} invoices, medians of {args.runs} alternating runs "
        f"({os.cpu_count()} cores, load average now {load}):"
    )
    for name in times:
        n = 1 if name.endswith("one invoice") else count
        wall, cpu = per_invoice(name, n)
        unit = "ms wall      " if n == 1 else "ms wall/invoice"
        print(f"  {name:32s} {wall:7.1f} {unit}  {cpu:7.1f} ms CPU")
    anchor_wall, anchor_cpu = per_invoice(ANCHOR)
    how = f"bench/einvoice_bench.py, median of {args.runs}, {os.cpu_count()} cores"
    figures = []
    for fmt in formats:
        wall, cpu = per_invoice(fmt)
        bare_wall, bare_cpu = per_invoice(f"{fmt} --no-validate")
        target = TARGET_MS[fmt]
        figures.append(
            Figure(
                figure=f"invoice einvoice --all --format {fmt}, whole process, per invoice "
                f"({count})",
                ordercli=f"{wall:.1f} ms ({cpu:.1f} ms CPU)",
                anchor=f"{ANCHOR} {anchor_wall:.1f} ms ({anchor_cpu:.1f} ms CPU)",
                ratio=f"{wall / anchor_wall:.2f}x",
                target=f"<= {target:g} ms",
                met=wall <= target,
                how=how,
            )
        )
        share = (wall - bare_wall) / wall if wall else 0.0
        figures.append(
            Figure(
                figure=f"  {fmt}: the part that is validation (XSD, schematron), per invoice",
                ordercli=f"{wall - bare_wall:.1f} ms = {share:.0%} ({cpu - bare_cpu:.1f} ms CPU)",
                anchor=f"--no-validate {bare_wall:.1f} ms ({bare_cpu:.1f} ms CPU)",
                ratio=f"{wall / bare_wall:.2f}x",
                target="(info)",
                met=None,
                how=how,
            )
        )
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
