"""Which ledger a command uses, and why: ``--db``, else ``$ORDERCLI_DB``, else the default.

Kept apart from ``engine.py`` so that ``ordercli --version`` can name the ledger
without loading SQLAlchemy or touching the ledger at all.
"""

from __future__ import annotations

import os
from pathlib import Path

# platformdirs is imported inside ``default_ledger_path``: a ledger named by --db or
# ORDERCLI_DB needs none of it.

# Where the choice of ledger came from, as ``location_origin`` names it.
FROM_OPTION = "--db"
FROM_ENVIRONMENT = "ORDERCLI_DB"
FROM_DEFAULT = "default"


def default_ledger_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("ordercli", appauthor=False) / "ordercli.db"


def location_origin(db: str | None) -> str:
    """Where the ledger's location comes from: ``--db``, ``ORDERCLI_DB`` or ``default``."""
    if db:
        return FROM_OPTION
    if os.environ.get("ORDERCLI_DB"):
        return FROM_ENVIRONMENT
    return FROM_DEFAULT


def resolve_location(db: str | None) -> str:
    """The ledger's SQLAlchemy URL: ``--db``, else ``$ORDERCLI_DB``, else the user's data dir."""
    location = db or os.environ.get("ORDERCLI_DB") or str(default_ledger_path())
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser().absolute()}"


def ledger_file(url: str) -> Path | None:
    """The file of a SQLite ledger's URL; ``None`` for a server or an in-memory database."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return None
    return Path(url.removeprefix("sqlite:///"))


def describe_location(url: str) -> str:
    """The ledger as users see it: a file's path, or a URL without its password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
