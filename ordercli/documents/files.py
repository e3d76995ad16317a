"""Writing documents to files: one named file, or a batch of invoices into a directory."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from functools import cache
from pathlib import Path
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from ordercli.db.queries import check_date_range
from ordercli.documents import (
    Page,
    Rendered,
    page_to_pdf,
    render_context,
    render_document,
    render_page,
)
from ordercli.documents.context import invoice_contexts
from ordercli.documents.pdf import prepare
from ordercli.domain.errors import InvalidInput
from ordercli.domain.paths import check_path
from ordercli.io.files import atomic_file, check_target, file_mode
from ordercli.models import Invoice
from ordercli.services.parties.customers import get_customer

# multiprocessing and ctypes are imported inside the functions that lay out a batch
# of PDFs in worker processes or sync the file system: a single document needs neither.


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


BATCH = 200  # invoices whose contexts are read together, and files put in place together
_WORKERS = min(os.cpu_count() or 1, 4)


def invoice_ids(
    session: Session, *, date_from: date | None, date_to: date | None, customer: str | None
) -> list[int]:

    check_date_range(date_from, date_to)
    query = select(col(Invoice.id)).order_by(col(Invoice.id))
    if date_from:
        query = query.where(col(Invoice.issue_date) >= date_from)
    if date_to:
        query = query.where(col(Invoice.issue_date) <= date_to)
    if customer:
        query = query.where(
            col(Invoice.customer_id) == get_customer(session=session, code=customer).id
        )
    # Invoice.id is the primary key: never NULL in a row
    return cast("list[int]", list(session.scalars(query)))


FIRST_CHUNK = 16


def _chunks(count: int):
    """(start, stop) of the invoices read together: a small first chunk, so that the
    workers have invoices to lay out while the rest are read, then ``BATCH`` at a time."""
    start = 0
    while start < count:
        stop = min(start + (FIRST_CHUNK if start == 0 else BATCH), count)
        yield start, stop
        start = stop


def _pool(count: int):
    """Worker processes that lay out PDFs while this one reads the ledger and renders HTML.

    Only with ``fork`` (the workers need nothing but the HTML) and only when
    there are cores and invoices enough to gain from it.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if _WORKERS < 2 or count < 8 or "fork" not in multiprocessing.get_all_start_methods():
        return None

    # Loaded once here rather than in every worker: parsing the fonts and
    # importing ReportLab cost as much as laying out dozens of invoices.
    prepare()
    return ProcessPoolExecutor(_WORKERS, mp_context=multiprocessing.get_context("fork"))


@cache
def _syncfs():
    """Linux's syncfs(2), which makes a whole file system durable in one call; else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    return function


def _stage(rendered: Rendered, directory: Path) -> tuple[str, str]:
    """Write a document to a temporary file beside its name: (temporary, final path).

    Without ``syncfs`` the file is synced here (in a worker, in parallel);
    with it, ``_Staging.publish`` syncs a whole group at once.
    """
    path = directory / rendered.filename
    check_target(path)
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below in every case
            mode="wb", dir=directory, prefix=f".{path.name}.", suffix=".part", delete=False
        )
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
    try:
        with handle:
            handle.write(rendered.content)
            if _syncfs() is None:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException as exc:
        Path(handle.name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return handle.name, str(path)


def _stage_pdf(page: Page, directory: str) -> tuple[str, str]:
    """In a worker: one invoice laid out as a PDF and staged."""
    return _stage(page_to_pdf(page), Path(directory))


class _Staging:
    """A batch's files, written as temporaries and put under their names a group at a time.

    An fsync per file made every invoice wait for the disk. Instead a group's
    temporaries are made durable together (one ``syncfs``), then each is renamed
    onto its name and the directory is synced once. A name therefore only ever
    holds a complete document, the old one or the new one, whether the batch
    fails, is killed or the machine loses power.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.staged: list[tuple[str, str]] = []
        self.files: list[str] = []
        _syncfs()  # looked up once, before any worker is forked

    def add(self, staged: tuple[str, str]) -> None:
        self.staged.append(staged)
        if len(self.staged) >= BATCH:
            self.publish()

    def publish(self) -> None:
        if not self.staged:
            return
        final = str(self.directory)
        try:
            if _syncfs() is not None:
                self._sync(_sync_file_system)
            while self.staged:
                temporary, final = self.staged[0]
                os.chmod(temporary, file_mode(Path(final)))
                os.replace(temporary, final)
                self.staged.pop(0)
                self.files.append(final)
            self._sync(os.fsync)
        except OSError as exc:
            self.discard()
            raise InvalidInput(f"cannot write {final}: {exc.strerror or exc}") from None

    def _sync(self, sync) -> None:
        """Sync through a descriptor of the directory (where one can be opened)."""
        if os.name != "posix":
            return
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            sync(descriptor)
        finally:
            os.close(descriptor)

    def discard(self) -> None:
        for temporary, _ in self.staged:
            Path(temporary).unlink(missing_ok=True)
        self.staged.clear()


def _sync_file_system(descriptor: int) -> None:
    """Everything written to the file system holding ``descriptor``, on disk."""
    import ctypes

    if _syncfs()(descriptor) != 0:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))


def _collect(pending: list, staging: _Staging, progress, *, keep: int) -> list:
    """Take finished files in order, keeping at most ``keep`` invoices in flight."""
    while len(pending) > keep:
        staged = pending[0].result()  # a failed invoice stays pending, for _settle
        pending.pop(0)
        staging.add(staged)
        if progress is not None:
            progress.advance()
    return pending


def _settle(pending: list, staging: _Staging) -> None:
    """After a failure: keep, in order, the invoices laid out before the first that failed."""
    failed = False
    for future in pending:
        try:
            staged = future.result()
        except BaseException:  # that invoice's own error: the batch's first is raised
            failed = True
            continue
        if failed:
            Path(staged[0]).unlink(missing_ok=True)
        else:
            staging.add(staged)


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
    """Every invoice issued in the period as its own file in ``directory``.

    When one fails, the invoices before it are written and none after it.
    """
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

    ids = invoice_ids(session, date_from=date_from, date_to=date_to, customer=customer)
    target.mkdir(exist_ok=True)
    if progress is not None:
        progress.start(len(ids), "writing invoices")
    staging = _Staging(target)
    pool = _pool(len(ids)) if fmt == "pdf" else None
    pending = []
    try:
        for start, stop in _chunks(len(ids)):
            chunk = list(
                session.scalars(
                    select(Invoice)
                    .where(col(Invoice.id).in_(ids[start:stop]))
                    .order_by(col(Invoice.id))
                )
            )
            for context in invoice_contexts(session, chunk):
                number = context["invoice"]["number"]
                if pool is None:
                    rendered = render_context(
                        "invoice", number, context, fmt=fmt, template_dir=template_dir
                    )
                    staging.add(_stage(rendered, target))
                    if progress is not None:
                        progress.advance()
                    continue
                page = render_page("invoice", number, context, template_dir=template_dir)
                pending.append(pool.submit(_stage_pdf, page, str(target)))
                pending = _collect(pending, staging, progress, keep=2 * _WORKERS)
        _collect(pending, staging, progress, keep=0)
    except BaseException:
        try:
            _settle(pending, staging)
            staging.publish()
        except Exception:  # the first error is the one to report
            staging.discard()
        raise
    else:
        staging.publish()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return {
        "directory": str(target),
        "format": fmt,
        "count": len(staging.files),
        "files": staging.files,
    }
