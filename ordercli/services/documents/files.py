"""Writing documents to files: one named file, or a batch of invoices into a directory."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from ordercli.domain.errors import InvalidInput
from ordercli.models import Invoice
from ordercli.services.common import check_path
from ordercli.services.documents import (
    Rendered,
    page_to_pdf,
    render_context,
    render_document,
    render_page,
)
from ordercli.services.exports.files import atomic_file, check_target


def write_rendered(
    rendered: Rendered, output: str | None, *, directory: Path | None = None
) -> Path:
    """Write a rendered document whole or not at all; the default name is the document's own."""
    if output is not None and not output.strip():
        raise InvalidInput("-o needs a file name")
    path = Path(output) if output else (directory or Path()) / rendered.filename
    check_target(path)
    with atomic_file(path) as handle:
        handle.write(rendered.content)
    return path


def write_document(
    session: Session,
    kind: str,
    key: str,
    *,
    output: str | None = None,
    fmt: str = "pdf",
    template_dir: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict:
    rendered = render_document(
        session,
        kind,
        key,
        fmt=fmt,
        template_dir=template_dir,
        date_from=date_from,
        date_to=date_to,
    )
    path = write_rendered(rendered, output)
    return {
        "kind": kind,
        "document": key,
        "format": fmt,
        "file": str(path),
        "bytes": len(rendered.content),
    }


BATCH = 200  # invoices whose contexts are read together
_WORKERS = min(os.cpu_count() or 1, 4)


def invoice_ids(
    session: Session, *, date_from: date | None, date_to: date | None, customer: str | None
) -> list[int]:
    from ordercli.services.common import check_date_range

    check_date_range(date_from, date_to)
    query = select(Invoice.id).order_by(Invoice.id)
    if date_from:
        query = query.where(Invoice.issue_date >= date_from)
    if date_to:
        query = query.where(Invoice.issue_date <= date_to)
    if customer:
        from ordercli.services.customers import get_customer

        query = query.where(Invoice.customer_id == get_customer(session=session, code=customer).id)
    return list(session.scalars(query))


def _pool(count: int):
    """Worker processes that lay out PDFs while this one reads the ledger and renders HTML.

    Only with ``fork`` (the workers need nothing but the HTML) and only when
    there are cores and invoices enough to gain from it.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if _WORKERS < 2 or count < 8 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(_WORKERS, mp_context=multiprocessing.get_context("fork"))


def _write_pdf(page, directory: str) -> str:
    """In a worker: one invoice's PDF, written whole or not at all."""
    return str(write_rendered(page_to_pdf(page), None, directory=Path(directory)))


def _collect(pending: list, files: list[str], progress, *, keep: int) -> list:
    """Take finished files in order, keeping at most ``keep`` invoices in flight."""
    while len(pending) > keep:
        files.append(pending.pop(0).result())
        if progress is not None:
            progress.advance()
    return pending


def write_invoice_batch(
    session: Session,
    *,
    directory: str,
    date_from: date | None = None,
    date_to: date | None = None,
    customer: str | None = None,
    fmt: str = "pdf",
    template_dir: str | None = None,
    progress=None,
) -> dict:
    """Every invoice issued in the period as its own file in ``directory``."""
    if not directory or not directory.strip():
        raise InvalidInput("--all needs -o DIR: the directory the files go to")
    target = Path(directory)
    check_path(target)
    if target.exists() and not target.is_dir():
        raise InvalidInput(
            f"{target} is a file; --all writes one file per invoice into a directory"
        )
    if not target.parent.is_dir():
        raise InvalidInput(
            f"cannot write into {target}: the directory {target.parent} does not exist"
        )
    from ordercli.services.documents.context import invoice_contexts

    ids = invoice_ids(session, date_from=date_from, date_to=date_to, customer=customer)
    target.mkdir(exist_ok=True)
    if progress is not None:
        progress.start(len(ids), "writing invoices")
    files: list[str] = []
    pool = _pool(len(ids)) if fmt == "pdf" else None
    pending = []
    try:
        for start in range(0, len(ids), BATCH):
            chunk = list(
                session.scalars(
                    select(Invoice)
                    .where(Invoice.id.in_(ids[start : start + BATCH]))
                    .order_by(Invoice.id)
                )
            )
            for context in invoice_contexts(session, chunk):
                number = context["invoice"]["number"]
                if pool is None:
                    rendered = render_context(
                        "invoice", number, context, fmt=fmt, template_dir=template_dir
                    )
                    files.append(str(write_rendered(rendered, None, directory=target)))
                    if progress is not None:
                        progress.advance()
                    continue
                page = render_page("invoice", number, context, template_dir=template_dir)
                pending.append(pool.submit(_write_pdf, page, str(target)))
                pending = _collect(pending, files, progress, keep=2 * _WORKERS)
        _collect(pending, files, progress, keep=0)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return {"directory": str(target), "format": fmt, "count": len(files), "files": files}
