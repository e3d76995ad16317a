"""Paths a user names: refused with a clear error when the operating system will not take them.

The only module of ``domain`` that asks the operating system anything: whether a
name can be used at all (a component too long, a file where a folder should be),
before a ledger, an import or a document is opened there.
"""

from __future__ import annotations

import os

from ordercli.domain.errors import InvalidInput


def path_error(path: str | os.PathLike[str]) -> str | None:
    """Why a path the user named cannot be used at all (e.g. a name too long), or None."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_path(path: str | os.PathLike[str], what: str = "") -> None:
    """Refuse, with a clear error, a path the operating system will not take."""
    problem = path_error(path)
    if problem:
        shown = str(path) if len(str(path)) <= 80 else str(path)[:77] + "…"
        raise InvalidInput(f"cannot use {what + ' ' if what else ''}{shown}: {problem}")
