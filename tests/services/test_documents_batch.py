"""``invoice pdf --all``: many invoices into a directory, each file whole or not at all.

A batch writes each invoice to a temporary file beside its name, makes a group
of them durable at once (one ``syncfs``, or one ``fsync`` per file where there
is none) and only then renames them onto their names: a name holds the old
file or the complete new one, never part of one. These tests follow the system
calls a batch makes, what it leaves behind when an invoice fails, and the
files' permissions.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from ordercli.documents import files, render_document
from ordercli.domain.errors import InvalidInput
from tests.documents_support import pdf_text

TODAY = "2026-03-20"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


@pytest.fixture
def invoices(seeded, invoiced):
    """``invoices(n)``: the numbers of n invoices, one per order."""

    def make(count: int) -> list[str]:
        return [invoiced("ACME", [("DESK-OAK", str(n + 1))])[1] for n in range(count)]

    return make


@pytest.fixture(params=["one process", "workers"])
def mode(request, monkeypatch) -> str:
    """Lay out in this process, or in worker processes whatever the machine's cores."""
    if request.param == "workers":
        if "fork" not in multiprocessing.get_all_start_methods():
            pytest.skip("worker processes need fork")
        monkeypatch.setattr(files, "_WORKERS", 2)
    else:
        monkeypatch.setattr(files, "_WORKERS", 1)
    return request.param


def write_batch(uow, directory: Path) -> dict:
    with uow(write=False) as session:
        return files.write_invoice_batch(session, directory=str(directory))


def everything_in(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))  # hidden temporaries too


def test_a_batch_writes_the_bytes_of_each_invoice_and_nothing_else(invoices, uow, tmp_path, mode):
    numbers = invoices(9)
    out = tmp_path / "out"
    done = write_batch(uow, out)
    assert done["files"] == [str(out / f"{number}.pdf") for number in numbers]
    assert everything_in(out) == sorted(f"{number}.pdf" for number in numbers)
    with uow(write=False) as session:
        for number in numbers:
            alone = render_document(session, "invoice", number).content
            assert (out / f"{number}.pdf").read_bytes() == alone


def test_new_files_get_the_usual_permissions_and_a_replaced_file_keeps_its_own(
    invoices, uow, tmp_path
):
    first, second = invoices(2)
    out = tmp_path / "out"
    out.mkdir()
    kept = out / f"{first}.pdf"
    kept.write_bytes(b"the old file")
    kept.chmod(0o600)
    umask = os.umask(0o022)
    try:
        write_batch(uow, out)
    finally:
        os.umask(umask)
    assert kept.stat().st_mode & 0o777 == 0o600
    assert f"Invoice no. {first}" in pdf_text(kept.read_bytes())
    assert (out / f"{second}.pdf").stat().st_mode & 0o777 == 0o644


@pytest.fixture
def calls(monkeypatch):
    """The file system calls a batch makes, in order: sync, fsync, replace."""
    seen: list[tuple[str, str]] = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(source, target, *args, **kwargs):
        seen.append(("replace", Path(target).name))
        return real_replace(source, target, *args, **kwargs)

    def fsync(descriptor):
        seen.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    return seen


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc to name descriptors")
def test_files_are_durable_before_they_get_their_names(invoices, uow, tmp_path, calls, monkeypatch):
    def syncfs(descriptor):
        calls.append(("syncfs", os.readlink(f"/proc/self/fd/{descriptor}")))
        return 0

    monkeypatch.setattr(files, "_syncfs", lambda: syncfs)
    numbers = invoices(3)
    out = tmp_path / "out"
    write_batch(uow, out)
    assert calls == [
        ("syncfs", str(out)),
        *[("replace", f"{number}.pdf") for number in numbers],
        ("fsync", str(out)),  # the names themselves
    ]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc to name descriptors")
def test_without_syncfs_each_file_is_synced_before_it_is_renamed(
    invoices, uow, tmp_path, calls, monkeypatch
):
    monkeypatch.setattr(files, "_syncfs", lambda: None)
    numbers = invoices(3)
    out = tmp_path / "out"
    write_batch(uow, out)
    synced = [Path(path).name for call, path in calls if call == "fsync"]
    renamed = [name for call, name in calls if call == "replace"]
    assert renamed == [f"{number}.pdf" for number in numbers]
    first_rename = calls.index(("replace", renamed[0]))
    before = [Path(path).name for call, path in calls[:first_rename] if call == "fsync"]
    assert len(before) == 3
    for name, number in zip(before, numbers, strict=True):  # the temporaries, in order
        assert name.startswith(f".{number}.pdf.") and name.endswith(".part")
    assert synced[-1] == "out"  # and the directory once, after the renames


def test_a_failing_invoice_keeps_those_before_it_and_leaves_no_temporary(
    invoices, uow, tmp_path, mode
):
    numbers = invoices(9)
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{numbers[4]}.pdf").mkdir()  # this invoice's name cannot become a file
    with pytest.raises(InvalidInput, match="is a directory"):
        write_batch(uow, out)
    assert everything_in(out) == sorted(f"{number}.pdf" for number in numbers[:5])
    for number in numbers[:4]:
        assert f"Invoice no. {number}" in pdf_text((out / f"{number}.pdf").read_bytes())


def test_a_batch_publishes_a_group_at_a_time(invoices, uow, tmp_path, monkeypatch, calls):
    """Past a group's size the files already laid out get their names: an interrupted
    batch loses at most one group."""
    monkeypatch.setattr(files, "BATCH", 2)
    monkeypatch.setattr(files, "_syncfs", lambda: lambda descriptor: 0)
    numbers = invoices(5)
    write_batch(uow, tmp_path / "out")
    directory_syncs = [i for i, (call, _) in enumerate(calls) if call == "fsync"]
    renames = [name for call, name in calls if call == "replace"]
    assert renames == [f"{number}.pdf" for number in numbers]
    assert len(directory_syncs) == 3  # after 2, after 4, and the last one


def test_a_template_failing_on_one_invoice_keeps_those_laid_out_before_it(
    invoices, uow, tmp_path, mode, monkeypatch
):
    """Invoices still with the workers when the failing one is reached are written too."""
    numbers = invoices(9)
    real = files.render_page

    def render_page(kind, number, context, **options):
        if number == numbers[5]:
            raise InvalidInput(f"template invoice.html, line 1: cannot print {number}")
        return real(kind, number, context, **options)

    monkeypatch.setattr(files, "render_page", render_page)
    monkeypatch.setattr(files, "render_context", _rendering_through(render_page))
    with pytest.raises(InvalidInput, match=f"cannot print {numbers[5]}"):
        write_batch(uow, tmp_path / "out")
    assert everything_in(tmp_path / "out") == sorted(f"{number}.pdf" for number in numbers[:5])


def _rendering_through(render_page):
    """``render_context`` for one process, failing where ``render_page`` does."""
    from ordercli.documents import page_to_pdf

    def render_context(kind, key, context, *, fmt="pdf", template_dir=None):
        return page_to_pdf(render_page(kind, key, context, template_dir=template_dir))

    return render_context
