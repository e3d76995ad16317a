"""Seeding the demo ledger from the bundled sample shop (customers and catalog)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlmodel import Session

from ordercli.books.settings import put_setting
from ordercli.domain.errors import InvalidInput
from ordercli.io.imports import import_file


def sample_data_dir() -> Path:
    """The sample shop: package data of ``ordercli.io``, in a checkout and in an
    installed wheel alike."""
    candidate = Path(str(resources.files("ordercli.io") / "sample_data"))
    if not (candidate / "customers.csv").is_file():
        raise InvalidInput(
            f"sample data not found at {candidate}",
            hint="reinstall ordercli: the sample shop is part of the package",
        )
    return candidate


def seed_demo(*, session: Session, folder: Path) -> tuple[int, int]:
    """Load the sample customers and catalog through the importer, as a user would."""
    put_setting(session=session, key="demo", value="1")
    created = []
    for kind in ("customers", "products"):
        result = import_file(session=session, kind=kind, path=folder / f"{kind}.csv")
        if result.errors:
            first = result.errors[0]
            raise InvalidInput(f"sample {kind}.csv line {first.line}: {first.message}")
        created.append(result.created)
    return created[0], created[1]
