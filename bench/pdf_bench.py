"""`ordercli invoice pdf --all`: milliseconds per invoice (issue 7: <= 10 ms per invoice).

On a generated ledger (`--lines`, default 10,000 order lines), the newest
`--invoices` invoices (default 500; a `--from` day is chosen so that at least
that many were issued from then to the ledger's last day) are written as PDFs,
alternating, `--runs` times:

* ordercli, whole process: `ordercli invoice pdf --all --from DAY -o DIR`;
* ordercli, in process: ``documents.files.write_invoice_batch`` on an open
  ledger (no interpreter start-up, imports already done);
* anchor: the same invoices laid out directly with ReportLab's platypus from
  plain ``sqlite3`` rows (header, customer, a table of the lines, totals, in
  the same embedded DejaVu fonts), one process, no templates and no HTML:
  the floor of what a PDF per invoice costs with this library.

Reported: wall milliseconds per invoice, and CPU milliseconds per invoice
(ordercli lays PDFs out in worker processes, so wall time depends on free
cores; CPU time does not). `--profile` adds a cProfile of one in-process
batch (the workers' layout runs in process for the profile).

    .venv/bin/python bench/pdf_bench.py [--lines 10000] [--invoices 500] [--runs 5] [--quick]
        [--profile]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path

import benchlib
from benchlib import ORDERCLI, PYTHON, Figure, median, run_process

TARGET_MS = 10.0


def first_day(ledger: Path, invoices: int) -> tuple[str, int]:
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
    finally:
        connection.close()
    return day, count


# -- the anchor: platypus straight from sqlite3 rows ----------------------------------------


def raw_pdfs(ledger: Path, day: str, directory: Path) -> int:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    fonts = benchlib.ROOT / "ordercli" / "fonts"
    if "Bench-Sans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Bench-Sans", fonts / "DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont("Bench-Sans-Bold", fonts / "DejaVuSans-Bold.ttf"))
    body = ParagraphStyle("body", fontName="Bench-Sans", fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName="Bench-Sans-Bold", fontSize=16, leading=20)
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Bench-Sans", 8.5),
            ("FONT", (0, 0), (-1, 0), "Bench-Sans-Bold", 8.5),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ]
    )

    def money(units: int) -> str:
        return f"{units // 100:,}.{units % 100:02d}"

    def qty(units: int) -> str:
        return f"{units / 1000:g}"

    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    company = (
        connection.execute("SELECT value FROM setting WHERE key = 'company_name'").fetchone()
        or ("",)
    )[0]
    lines: dict[int, list] = {}
    for invoice_id, *row in connection.execute(
        "SELECT l.invoice_id, l.position, l.sku, l.description, l.qty, l.unit_price, "
        "l.discount, l.tax_rate, l.net FROM invoice_line l JOIN invoice v ON v.id = l.invoice_id "
        "WHERE v.issue_date >= ? AND v.issue_date <= ? ORDER BY l.invoice_id, l.position",
        (day, benchlib.TODAY.isoformat()),
    ):
        lines.setdefault(invoice_id, []).append(row)
    count = 0
    for (
        invoice_id,
        number,
        issued,
        due,
        subtotal,
        tax,
        total,
        name,
        code,
        order,
    ) in connection.execute(
        "SELECT v.id, v.number, v.issue_date, v.due_date, v.subtotal, v.tax, v.total, c.name, "
        "c.code, o.number FROM invoice v JOIN customer c ON c.id = v.customer_id "
        "JOIN sales_order o ON o.id = v.order_id "
        "WHERE v.issue_date >= ? AND v.issue_date <= ? ORDER BY v.id",
        (day, benchlib.TODAY.isoformat()),
    ):
        data = [["#", "SKU", "Description", "Qty", "Price", "Disc. %", "Tax %", "Net"]]
        for position, sku, description, q, price, discount, rate, net in lines[invoice_id]:
            data.append(
                [position, sku, description, qty(q), money(price), f"{discount / 10000:g}"]
                + [f"{rate / 10000:g}", money(net)]
            )
        story = [
            Paragraph(company, body),
            Paragraph(f"Invoice {number}", title),
            Paragraph(f"{name} ({code})<br/>Order {order}", body),
            Paragraph(f"Issued {issued}, due {due}", body),
            Spacer(1, 6 * mm),
            Table(data, style=grid, repeatRows=1),
            Spacer(1, 4 * mm),
            Table(
                [["Subtotal", money(subtotal)], ["Tax", money(tax)], ["Total", money(total)]],
                style=grid,
                hAlign="RIGHT",
            ),
        ]
        document = SimpleDocTemplate(
            str(directory / f"{number}.pdf"), pagesize=A4, title=f"Invoice {number}"
        )
        document.build(story)
        count += 1
    connection.close()
    return count


# -- running ----------------------------------------------------------------------------------


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__)
    parser.add_argument("--lines", type=int, default=10_000, help="ledger size")
    parser.add_argument("--invoices", type=int, default=None, help="at least this many (500)")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process batch")
    parser.add_argument("--raw", nargs=3, metavar=("LEDGER", "DAY", "DIR"), help=argparse.SUPPRESS)
    args = benchlib.finish_args(parser.parse_args(argv))
    if args.raw:
        ledger, day, directory = args.raw
        raw_pdfs(Path(ledger), day, Path(directory))
        return []
    wanted = args.invoices or (50 if args.quick else 500)
    env = benchlib.process_env()
    ledger = benchlib.generated_ledger(args.lines, args.seed)
    day, count = first_day(ledger, wanted)
    print(f"{count:,} invoices issued {day} to {benchlib.TODAY} in {ledger.name}")

    os.environ["ORDERCLI_TODAY"] = benchlib.TODAY.isoformat()
    os.environ.pop("ORDERCLI_DB", None)
    from ordercli.db.engine import open_ledger, resolve_location, unit_of_work
    from ordercli.documents.files import write_invoice_batch

    engine = open_ledger(resolve_location(str(ledger)))
    folder = benchlib.work_dir("pdf-bench")
    serial = [0]

    def fresh_dir() -> Path:
        serial[0] += 1
        path = folder / f"run{serial[0]}"
        return path

    def written(path: Path) -> int:
        found = len(list(path.glob("*.pdf")))
        if found != count:
            raise SystemExit(f"{path}: {found} PDF files, expected {count}")
        benchlib.remove(path)
        return found

    def whole():
        target = fresh_dir()
        command = [ORDERCLI, "--db", str(ledger), "invoice", "pdf", "--all", "--from", day]
        done = run_process(
            [*command, "--to", benchlib.TODAY.isoformat(), "-o", str(target)], env=env
        )
        written(target)
        return done.seconds, done.cpu_seconds

    def in_process():
        target = fresh_dir()
        cpu, start = cpu_now(), time.perf_counter()
        with unit_of_work(engine, write=False) as session:
            write_invoice_batch(
                session,
                directory=str(target),
                date_from=date.fromisoformat(day),
                date_to=benchlib.TODAY,
                fmt="pdf",
            )
        seconds, cpu = time.perf_counter() - start, cpu_now() - cpu
        written(target)
        return seconds, cpu

    def anchor_whole():
        target = fresh_dir()
        target.mkdir()
        done = run_process([PYTHON, __file__, "--raw", str(ledger), day, str(target)], env=env)
        written(target)
        return done.seconds, done.cpu_seconds

    def anchor_in_process():
        target = fresh_dir()
        target.mkdir()
        cpu, start = cpu_now(), time.perf_counter()
        raw_pdfs(ledger, day, target)
        seconds, cpu = time.perf_counter() - start, cpu_now() - cpu
        written(target)
        return seconds, cpu

    try:
        times = benchlib.alternate(
            [
                ("ordercli, whole process", whole),
                ("ordercli, in process", in_process),
                ("platypus from sqlite3, whole process", anchor_whole),
                ("platypus from sqlite3, in process", anchor_in_process),
            ],
            args.runs,
        )
        if args.profile:
            import ordercli.documents.files as files

            files._WORKERS = 1  # lay out in this process, so the profile sees it
            target = fresh_dir()

            def batch():
                with unit_of_work(engine, write=False) as session:
                    write_invoice_batch(
                        session,
                        directory=str(target),
                        date_from=date.fromisoformat(day),
                        date_to=benchlib.TODAY,
                    )

            for sort in ("tottime", "cumulative"):
                print(f"\n== cProfile of one in-process batch of {count} invoices, by {sort}")
                print(benchlib.profile_call(batch, top=30, sort=sort))
                benchlib.remove(target)
    finally:
        benchlib.remove(folder)

    print(f"\ninvoice pdf --all, {count} invoices, medians of {args.runs} alternating runs:")
    medians = {}
    for name, values in times.items():
        wall = median([v[0] for v in values]) / count * 1000
        cpu = median([v[1] for v in values]) / count * 1000
        medians[name] = (wall, cpu)
        print(f"  {name:38s} {wall:6.1f} ms wall/invoice   {cpu:6.1f} ms CPU/invoice")
    figures = []
    for side in ("whole process", "in process"):
        wall, cpu = medians[f"ordercli, {side}"]
        anchor_wall, anchor_cpu = medians[f"platypus from sqlite3, {side}"]
        figures.append(
            Figure(
                figure=f"invoice pdf --all, {side}, per invoice ({count})",
                ordercli=f"{wall:.1f} ms ({cpu:.1f} ms CPU)",
                anchor=f"platypus {anchor_wall:.1f} ms ({anchor_cpu:.1f} ms CPU)",
                ratio=f"{wall / anchor_wall:.2f}x",
                target=f"<= {TARGET_MS:g} ms",
                met=wall <= TARGET_MS,
                how=f"bench/pdf_bench.py, median of {args.runs}, {os.cpu_count()} cores",
            )
        )
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
