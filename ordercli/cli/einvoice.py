"""`ordercli invoice einvoice`, `ordercli credit-memo einvoice` and
`ordercli einvoice validate`: EN 16931 e-invoices written and checked.

The two export commands are registered on their nouns' apps
(``invoice.app.command("einvoice")(invoice_einvoice)``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import FromOpt, JsonOpt, day, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import ProgressBar, output, render
from ordercli.domain.errors import InvalidInput, RuleViolation

export = lazy_module("ordercli.einvoice.export")
validation = lazy_module("ordercli.einvoice.validation")

app = typer.Typer(
    help="E-invoices (EN 16931: Factur-X, ZUGFeRD, XRechnung, Peppol): validate files.",
    no_args_is_help=True,
)

FORMAT_HELP = (
    "facturx (a PDF/A-3 with the XML inside; the default), zugferd (the same), "
    "xrechnung-cii, xrechnung-ubl or peppol (XML)."
)
FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", metavar="FORMAT", help=FORMAT_HELP)
]
OutOpt = Annotated[
    str | None,
    typer.Option(
        "-o",
        "--output",
        metavar="FILE_OR_DIR",
        help="The file to write (default NUMBER-FORMAT.xml or .pdf here); with --all, the "
        "directory.",
    ),
]
NoValidateOpt = Annotated[
    bool,
    typer.Option(
        "--no-validate", help="Write the file even if it fails the EN 16931 rules (not advised)."
    ),
]
AllOpt = Annotated[
    bool, typer.Option("--all", help="Every document of the --from/--to period into -o DIR.")
]
ToDateOpt = Annotated[
    str | None, typer.Option("--to", metavar="DATE", help="Issued on or before (YYYY-MM-DD).")
]
CustomerOpt = Annotated[
    str | None, typer.Option("--customer", metavar="CODE", help="With --all: only this customer's.")
]


def _written_document(written: list, fmt: str) -> dict:
    return {
        "format": fmt,
        "count": len(written),
        "files": [
            {
                "number": w.number,
                "file": str(w.file),
                "bytes": w.size,
                "warnings": list(w.warnings),
            }
            for w in written
        ],
    }


def _say_written(doc: dict) -> None:
    files = doc["files"]
    if len(files) == 1 and doc["count"] == 1:
        only = files[0]
        output.line(f"wrote {only['file']}: {only['number']} as {doc['format']}, validated")
    else:
        output.line(f"wrote {doc['count']} {doc['format']} e-invoice(s)")
    # A batch repeats the same warning on many files: each is said once, with where.
    where: dict[str, list[str]] = {}
    for entry in files:
        for warning in entry["warnings"]:
            where.setdefault(warning, []).append(entry["number"])
    for warning, numbers in where.items():
        more = f" and {len(numbers) - 3} more" if len(numbers) > 3 else ""
        output.notice(f"warning: {', '.join(numbers[:3])}{more}: {warning}")


def _export(
    ctx: typer.Context,
    kind: str,
    number: str | None,
    fmt: str | None,
    output_path: str | None,
    every: bool,
    date_from: str | None,
    date_to: str | None,
    customer: str | None,
    no_validate: bool,
    as_json: bool,
) -> None:
    what = "INVOICE" if kind == "invoice" else "CREDIT_MEMO"
    if every and number:
        raise InvalidInput(f"--all writes every {kind.replace('-', ' ')}: give no {what}")
    if not every and not number:
        raise InvalidInput(f"give the {what} to write, or --all -o DIR")
    if not every and (date_from or date_to or customer):
        raise InvalidInput("--from, --to and --customer go with --all")
    chosen = export.check_format(fmt)
    progress = ProgressBar("writing e-invoices", enabled=every and not as_json)
    try:
        with ledger(ctx, write=False) as session:
            written = export.export_einvoices(
                session,
                kind=kind,
                number=number,
                date_from=day(date_from, "--from"),
                date_to=day(date_to, "--to"),
                customer=customer,
                fmt=chosen,
                output=output_path,
                validate=not no_validate,
                progress=progress if every else None,
            )
    finally:
        progress.stop()
    render(_written_document(written, chosen), as_json, _say_written)


def invoice_einvoice(
    ctx: typer.Context,
    number: Annotated[
        str | None, typer.Argument(metavar="INVOICE", help="Invoice number, e.g. INV-00001.")
    ] = None,
    fmt: FormatOpt = None,
    output_path: OutOpt = None,
    every: AllOpt = False,
    date_from: FromOpt = None,
    date_to: ToDateOpt = None,
    customer: CustomerOpt = None,
    no_validate: NoValidateOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write an invoice as an EN 16931 e-invoice the buyer's software reads.

    The file is validated (XSD and schematron) before it is written; what the
    format needs and the ledger lacks is listed with the command that sets it.

    Example: ordercli invoice einvoice INV-00001 --format xrechnung-cii
    """
    _export(
        ctx,
        "invoice",
        number,
        fmt,
        output_path,
        every,
        date_from,
        date_to,
        customer,
        no_validate,
        as_json,
    )


def credit_memo_einvoice(
    ctx: typer.Context,
    number: Annotated[
        str | None,
        typer.Argument(metavar="CREDIT_MEMO", help="Credit memo number, e.g. CM-00001."),
    ] = None,
    fmt: FormatOpt = None,
    output_path: OutOpt = None,
    every: AllOpt = False,
    date_from: FromOpt = None,
    date_to: ToDateOpt = None,
    customer: CustomerOpt = None,
    no_validate: NoValidateOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a credit memo as an EN 16931 credit note citing its invoice.

    Example: ordercli credit-memo einvoice CM-00001 --format peppol
    """
    _export(
        ctx,
        "credit-memo",
        number,
        fmt,
        output_path,
        every,
        date_from,
        date_to,
        customer,
        no_validate,
        as_json,
    )


def _report_document(path: str, report) -> dict:
    def findings(items) -> list[dict]:
        return [
            {
                "rule": f.rule,
                "flag": f.flag,
                # XRechnung's messages repeat their rule id in brackets first.
                "message": f.message.removeprefix(f"[{f.rule}]").strip(),
                "location": f.location,
            }
            for f in items
        ]

    return {
        "file": path,
        "valid": report.ok,
        "syntax": report.syntax,
        "specification": report.specification,
        "rule_sets": list(report.rule_sets),
        "errors": findings(report.failures),
        "warnings": findings(report.warnings),
        "notes": list(report.notes),
    }


def _say_reports(docs: list[dict]) -> None:
    for doc in docs:
        checked = ", ".join(doc["rule_sets"]) or "nothing"
        verdict = "valid" if doc["valid"] else f"INVALID ({len(doc['errors'])} errors)"
        output.line(f"{doc['file']}: {verdict}; checked: {checked}")
        for item in doc["errors"]:
            output.line(f"  {item['rule']}: {item['message']}")
        for item in doc["warnings"]:
            output.line(f"  warning {item['rule']}: {item['message']}")
        for note in doc["notes"]:
            output.line(f"  note: {note}")


@app.command("validate")
def validate(
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE…", help="E-invoices: XML (CII or UBL) or Factur-X PDFs."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Check e-invoices with the official rules: the XSD, the EN 16931 schematron,
    and XRechnung's where the file claims XRechnung; every failed rule by its id.

    Exit 1 when any file fails.

    Example: ordercli einvoice validate INV-00001-xrechnung-cii.xml
    """
    docs = [_report_document(path, validation.validate_file(path)) for path in files]
    render(docs, as_json, _say_reports)
    failed = [doc["file"] for doc in docs if not doc["valid"]]
    if failed:
        raise RuleViolation(
            f"{len(failed)} of {len(docs)} file(s) failed validation: {', '.join(failed[:5])}"
            + (" …" if len(failed) > 5 else "")
        )
