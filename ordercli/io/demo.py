"""Seeding the demo ledger from ``sample_data/`` (customers and catalog)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from ordercli.books.settings import put_setting
from ordercli.domain.errors import InvalidInput
from ordercli.io.imports import import_file


def sample_data_dir() -> Path:
    """``sample_data/`` of the source checkout ordercli runs from."""
    candidate = Path(__file__).resolve().parents[2] / "sample_data"
    if not (candidate / "customers.csv").is_file():
        raise InvalidInput(
            f"sample data not found at {candidate}",
            hint="run the demo from a checkout of ordercli (make demo)",
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
