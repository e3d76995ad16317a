"""`import customers`: who buys, keyed by customer code.

Columns: ``code, name`` and optional ``email, phone, billing_address,
shipping_address, tax_id, terms_days, credit_limit`` and the e-invoice fields
``vat_id, street, postcode, city, country, buyer_reference, endpoint`` (rule 21,
checked as ``customer add`` checks them). A code not yet in the
ledger creates a customer; a known code (matched as the commands match it,
case-insensitively) updates the details the row gives and differ, and is
skipped when nothing differs. An empty cell means "not given": it never
clears a value, so a file with fewer columns cannot wipe details.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from ordercli.books.clock import now
from ordercli.books.events import record_events
from ordercli.books.settings import amount_of
from ordercli.db.lookup import chunks
from ordercli.domain.errors import InvalidInput
from ordercli.io.imports.fields import Columns
from ordercli.io.imports.keyed import import_keyed
from ordercli.io.imports.reader import Problem
from ordercli.io.imports.result import ImportResult, Progress
from ordercli.models import Customer
from ordercli.services.parties.customers import (
    EINVOICE_FIELDS,
    MAX_TERMS_DAYS,
    check_email,
    edit_customer,
    einvoice_value,
)

COLUMNS = (
    "code",
    "name",
    "email",
    "phone",
    "billing_address",
    "shipping_address",
    "tax_id",
    "terms_days",
    "credit_limit",
    *EINVOICE_FIELDS,
)
REQUIRED = ("code", "name")
DETAILS = COLUMNS[1:]


def import_customers(
    *,
    session: Session,
    path: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    return import_keyed(
        session=session,
        path=path,
        fmt=fmt,
        dry_run=dry_run,
        progress=progress,
        kind="customers",
        columns=COLUMNS,
        required=REQUIRED,
        model=Customer,
        key="code",
        parse_rows=_parse_rows,
        changes_of=_changes,
        write=_write,
    )


def _changes(customer: Customer, record: dict, line: int, problems: list[Problem]) -> dict:
    """The details the row gives that differ; an empty cell changes nothing."""
    return {
        key: value
        for key, value in record.items()
        if key != "code" and value is not None and getattr(customer, key) != value
    }


def _parse_rows(table, digits: int, problems: list[Problem]) -> list[tuple[int, dict]]:
    columns = Columns(table, problems)
    parsed = {
        "code": columns.code("code"),
        "name": columns.text("name", required=True, max_length=200),
        "email": columns.text("email", max_length=254),
        "phone": columns.text("phone", max_length=64),
        "billing_address": columns.multi_line("billing_address"),
        "shipping_address": columns.multi_line("shipping_address"),
        "tax_id": columns.text("tax_id", max_length=64),
        "terms_days": columns.whole("terms_days", minimum=0, maximum=MAX_TERMS_DAYS),
        "credit_limit": columns.money_units("credit_limit", digits),
        **{field: columns.text(field) for field in EINVOICE_FIELDS},
    }
    records: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for index, line in enumerate(columns.lines):
        record = {key: values[index] for key, values in parsed.items()}
        try:
            check_email(record["email"])
        except InvalidInput as exc:
            columns.fail(line, exc.message)
        for field in EINVOICE_FIELDS:
            try:  # stored as the command stores it, so the same file again changes nothing
                record[field] = einvoice_value(field, record[field])
            except InvalidInput as exc:
                columns.fail(line, exc.message)
        code = record["code"]
        if code is not None:
            first = seen.setdefault(code.lower(), line)
            if first != line:
                columns.fail(line, f"customer {code} is also on line {first}")
        records.append((line, record))
    return [(line, record) for line, record in records if line not in columns.bad_lines]


def _write(session: Session, new: list[dict], changed, file_name: str, digits: int) -> None:
    moment = now()
    rows = [
        {
            **record,
            "terms_days": 30 if record["terms_days"] is None else record["terms_days"],
            "active": True,
            "created_at": moment,
        }
        for record in new
    ]
    connection = session.connection()
    for chunk in chunks(rows, 5000):
        # SQLModel gives each table class its __table__ but does not declare it.
        connection.execute(insert(Customer.__table__), chunk)  # type: ignore[attr-defined]
    record_events(
        session=session,
        events=[
            {
                "subject_kind": "customer",
                "subject_number": r["code"],
                "action": "created",
                "message": f"customer {r['code']} {r['name']!r} added from import {file_name}",
            }
            for r in rows
        ],
    )
    for customer, changes in changed:
        if "credit_limit" in changes:
            changes["credit_limit"] = amount_of(session, changes["credit_limit"])
        edit_customer(session=session, code=customer.code, changes=changes)
