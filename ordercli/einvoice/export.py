"""`invoice einvoice` and `credit-memo einvoice`: the ledger's documents written as
e-invoices, checked before anything is written.

For each document: what the format needs must be in the ledger (refused with the
command that sets each missing item), its amounts must fit EN 16931's two
decimals, and the file must pass the validator (``validation``) unless the user
says ``--no-validate`` — a file the buyer's software would reject is never
written silently. A batch (``--all``) is checked whole first and written only
when every document passed: all files or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.books.settings import get_setting
from ordercli.db.queries import check_date_range
from ordercli.documents import render_context, render_document
from ordercli.documents.context import invoice_contexts
from ordercli.domain.einvoice import CII_FORMATS, FORMATS, PDF_FORMATS, EInvoice
from ordercli.domain.errors import InvalidInput
from ordercli.einvoice.cii import write_cii
from ordercli.einvoice.collect import collect_credit_memos, collect_invoices
from ordercli.einvoice.facturx_pdf import facturx_pdf
from ordercli.einvoice.requirements import impossible, missing_items
from ordercli.einvoice.ubl import write_ubl
from ordercli.einvoice.validation import validate_xml
from ordercli.io.files import atomic_file, check_target
from ordercli.models import CreditMemo, Invoice
from ordercli.services.parties.customers import get_customer

INVOICE, CREDIT_MEMO = "invoice", "credit-memo"
MODELS = {INVOICE: Invoice, CREDIT_MEMO: CreditMemo}
DEFAULT_FORMAT = "facturx"
BATCH = 100  # documents read, written and checked together
SHOWN_PROBLEMS = 20  # lines of a refusal before "… and N more"


@dataclass(frozen=True)
class Written:
    number: str
    file: Path
    size: int
    warnings: tuple[str, ...]


def check_format(fmt: str | None) -> str:
    chosen = (fmt or DEFAULT_FORMAT).strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(f"unknown e-invoice format {fmt!r} (use {', '.join(FORMATS)})")
    return chosen


def file_name(number: str, fmt: str) -> str:
    return f"{number}-{fmt}.{'pdf' if fmt in PDF_FORMATS else 'xml'}"


def _documents(session: Session, kind: str, rows: Sequence) -> list[EInvoice]:
    if kind == INVOICE:
        return collect_invoices(session, cast("Sequence[Invoice]", rows))
    return collect_credit_memos(session, cast("Sequence[CreditMemo]", rows))


def _by_number(session: Session, kind: str, number: str):
    model: Any = MODELS[kind]
    key = number.strip().upper()
    row = session.scalars(select(model).where(col(model.number) == key)).first()
    if row is None:
        raise InvalidInput(f"{kind.replace('-', ' ')} {number!r} not found")
    return row


def _in_period(session: Session, kind: str, date_from, date_to, customer: str | None) -> list:
    check_date_range(date_from, date_to)
    model: Any = MODELS[kind]
    query = select(model).order_by(col(model.id))
    if date_from:
        query = query.where(col(model.issue_date) >= date_from)
    if date_to:
        query = query.where(col(model.issue_date) <= date_to)
    if customer:
        query = query.where(
            col(model.customer_id) == get_customer(session=session, code=customer).id
        )
    return list(session.scalars(query))


def _serialise(document: EInvoice, fmt: str) -> bytes:
    if fmt in CII_FORMATS:
        return write_cii(document, fmt=fmt)
    return write_ubl(document, fmt=fmt)


def _refuse(fmt: str, problems: list[tuple[str, list[str]]], why: str) -> InvalidInput:
    lines: list[str] = []
    shared: dict[str, list[str]] = {}
    for number, items in problems:
        for item in items:
            shared.setdefault(item, []).append(number)
    for item, numbers in shared.items():
        who = numbers[0] if len(numbers) == 1 else f"{numbers[0]} and {len(numbers) - 1} more"
        lines.append(f"  {who}: {item}")
    shown = lines[:SHOWN_PROBLEMS]
    if len(lines) > SHOWN_PROBLEMS:
        shown.append(f"  … and {len(lines) - SHOWN_PROBLEMS} more")
    first = problems[0][0] if len(problems) == 1 else f"{len(problems)} documents"
    return InvalidInput(f"{first} cannot be written as {fmt}: {why}\n" + "\n".join(shown))


def export_einvoices(
    session: Session,
    *,
    kind: str,
    number: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    customer: str | None = None,
    fmt: str | None = None,
    output: str | None = None,
    validate: bool = True,
    progress=None,
) -> list[Written]:
    """Write one document (``number``, to ``output`` or its own name) or every one of a
    period (``number`` None: into the directory ``output``); the files written."""
    fmt = check_format(fmt)
    if output is not None and not output.strip():
        raise InvalidInput("-o needs a file name")
    if number is not None:
        rows = [_by_number(session, kind, number)]
        target_dir = None
    else:
        if not output:
            raise InvalidInput("--all needs -o DIR: the directory the files go to")
        target_dir = Path(output)
        if target_dir.exists() and not target_dir.is_dir():
            raise InvalidInput(f"-o {output}: not a directory")
        rows = _in_period(session, kind, date_from, date_to, customer)
    if progress is not None:
        progress.start(len(rows))
    staged: list[tuple[str, bytes, tuple[str, ...]]] = []
    missing: list[tuple[str, list[str]]] = []
    cannot: list[tuple[str, list[str]]] = []
    invalid: list[tuple[str, list[str]]] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        documents = _documents(session, kind, chunk)
        contexts = _page_contexts(session, kind, chunk) if fmt in PDF_FORMATS else {}
        for row, document in zip(chunk, documents, strict=True):
            reason = impossible(document)
            if reason:
                cannot.append((document.number, [reason]))
                continue
            problems = missing_items(document, fmt)
            if problems:
                missing.append((document.number, problems))
                continue
            if missing or cannot:
                continue  # refused anyway: no need to write what will not be kept
            content = _serialise(document, fmt)
            warnings: tuple[str, ...] = ()
            if validate:
                report = validate_xml(content)
                if not report.ok:
                    invalid.append((document.number, [_said(f) for f in report.failures]))
                    continue
                warnings = tuple(_said(f) for f in report.warnings)
            if fmt in PDF_FORMATS:
                content = _facturx(session, kind, contexts.get(row.id), document, content)
            staged.append((document.number, content, warnings))
        if progress is not None:
            progress.advance(len(chunk))
    if cannot:
        raise _refuse(fmt, cannot, "EN 16931 cannot state it")
    if missing:
        raise _refuse(fmt, missing, "set first")
    if invalid:
        raise _refuse(
            fmt, invalid, "the file would fail validation (--no-validate writes it anyway)"
        )
    return _write_all(staged, fmt, output if number is not None else None, target_dir)


def _said(finding) -> str:
    """A rule's finding in one line (XRechnung's messages repeat their id first)."""
    return f"{finding.rule}: {finding.message.removeprefix(f'[{finding.rule}]').strip()}"


def _page_contexts(session: Session, kind: str, rows: Sequence) -> dict[int, dict]:
    """The printed invoices' contexts, read for the whole chunk at once as `invoice pdf
    --all` reads them; credit memos are read one by one when drawn."""
    if kind != INVOICE:
        return {}
    return {
        row.id: context
        for row, context in zip(rows, invoice_contexts(session, list(rows)), strict=True)
    }


def _facturx(
    session: Session, kind: str, context: dict | None, document: EInvoice, xml: bytes
) -> bytes:
    if context is None:
        rendered = render_document(session, kind, document.number, fmt="pdf", pdfa=True)
    else:
        rendered = render_context(kind, document.number, context, fmt="pdf", pdfa=True)
    what = "Credit note" if document.is_credit_note else "Invoice"
    return facturx_pdf(
        rendered.content,
        xml,
        title=f"{what} {document.number}",
        author=document.seller.name,
        subject=f"{what} {document.number} to {document.buyer.name}",
        lang=(get_setting(session=session, key="company_locale") or "en_US").replace("_", "-"),
    )


def _write_all(
    staged: list[tuple[str, bytes, tuple[str, ...]]],
    fmt: str,
    output: str | None,
    directory: Path | None,
) -> list[Written]:
    paths = [
        Path(output) if output and directory is None else (directory or Path()) / file_name(n, fmt)
        for n, _, _ in staged
    ]
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    for path in paths:
        check_target(path)
    written = []
    for path, (number, content, warnings) in zip(paths, staged, strict=True):
        with atomic_file(path) as handle:
            handle.write(content)
        written.append(Written(number, path, len(content), warnings))
    return written
