"""Batch imports of customers, products and orders from CSV or JSON Lines (SPEC "Documents
and imports"): every row checked first, all-or-nothing, idempotent on each kind's key."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from ordercli.domain.errors import InvalidInput
from ordercli.io.imports.customers import import_customers
from ordercli.io.imports.orders import import_orders
from ordercli.io.imports.products import import_products
from ordercli.io.imports.result import ImportResult, Progress

KINDS = ("customers", "products", "orders")


def import_file(
    *,
    session: Session,
    kind: str,
    path: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    override_credit: str | None = None,
    prices_include_tax: bool | None = None,
) -> ImportResult:
    """Import one file of ``kind``; ``override_credit`` (orders only) confirms past
    credit limits with a logged reason, as ``order confirm --override-credit`` does;
    ``prices_include_tax`` (orders only) is the tax basis of orders whose rows do not
    say (None: each customer's price list decides)."""
    if override_credit is not None and kind != "orders":
        raise InvalidInput("--override-credit applies to import orders only")
    if prices_include_tax is not None and kind != "orders":
        raise InvalidInput("--prices-include-tax applies to import orders only")
    if kind == "orders":
        return import_orders(
            session=session,
            path=path,
            fmt=fmt,
            dry_run=dry_run,
            progress=progress,
            override_credit=override_credit,
            prices_include_tax=prices_include_tax,
        )
    keyed = {"customers": import_customers, "products": import_products}
    if kind not in keyed:
        raise InvalidInput(f"unknown import kind {kind!r} (one of {', '.join(KINDS)})")
    return keyed[kind](session=session, path=path, fmt=fmt, dry_run=dry_run, progress=progress)


__all__ = ["KINDS", "ImportResult", "Progress", "import_file"]
