"""Writing a file whole or not at all: exports, documents, mail saved with --dry-run.

The rows go to a hidden temporary file beside the target, which replaces the
target (``os.replace``, atomic on one file system) only once everything is
written and synced. A failed export, an interrupted one or a full disk never
leaves half a file, and never clobbers the previous export of the same name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ordercli.domain.errors import InvalidInput
from ordercli.domain.paths import check_path


def check_target(path: Path) -> Path:
    """Refuse, before anything is read, a target that cannot become a file."""
    if str(path).strip() == "":
        raise InvalidInput("-o needs a file name")
    check_path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a directory; give a file name, e.g. {path / 'export.csv'}")
    parent = path.parent
    if not parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidInput(f"cannot write {path}: the directory {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidInput(f"cannot write {path}: the file is read-only")
    return path


def file_mode(path: Path) -> int:
    """The existing file's permissions, else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` when the block ends without an error."""
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below in every case
            mode="wb", dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
        )
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
    temporary = Path(handle.name)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, file_mode(path))
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
