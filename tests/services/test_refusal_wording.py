"""A constraint the database enforces is refused in the same words on either backend.

SQLite's wording is the one users and scripts know ("UNIQUE constraint failed:
invoice.number"); on PostgreSQL the refusal is rebuilt from the driver's diagnostics.
The first tests provoke real refusals and run on both backends; the last ones hand
``unit_of_work`` a PostgreSQL-like driver error, to cover constraints ordercli does not
declare itself (a unique index someone added to the database by hand).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ordercli.domain.errors import RuleViolation

REFUSED = "the ledger refused the change: "


def execute(statement: str):
    return lambda session: session.connection().execute(text(statement))


def test_a_two_column_unique_constraint_names_both_columns(make_order, refused):
    make_order(lines=[("DESK-OAK", "1"), ("LAMP-LED", "2")])
    refused(
        RuleViolation,
        REFUSED + "UNIQUE constraint failed: order_line.order_id, order_line.position",
        execute("UPDATE order_line SET position = 1"),
    )


def test_a_unique_index_names_its_column(make_order, uow, refused):
    make_order()
    make_order()
    with uow() as session:
        execute("UPDATE sales_order SET order_ref = 'PO-7' WHERE number = 'SO-00001'")(session)
    refused(
        RuleViolation,
        REFUSED + "UNIQUE constraint failed: sales_order.order_ref",
        execute("UPDATE sales_order SET order_ref = 'PO-7' WHERE number = 'SO-00002'"),
    )


def test_a_duplicate_primary_key_names_its_column(make_order, refused):
    make_order()
    refused(
        RuleViolation,
        REFUSED + "UNIQUE constraint failed: number_series.kind",
        execute(
            "INSERT INTO number_series (kind, prefix, width, next_value) "
            "SELECT kind, prefix, width, next_value FROM number_series WHERE kind = "
            "(SELECT MIN(kind) FROM number_series)"
        ),
    )


def test_a_missing_required_value_names_its_column(seeded, refused):
    refused(
        RuleViolation,
        REFUSED + "NOT NULL constraint failed: customer.name",
        execute("UPDATE customer SET name = NULL WHERE code = 'ACME'"),
    )


def postgresql_refusal(sqlstate: str, message: str, **diagnostics) -> IntegrityError:
    """An IntegrityError as SQLAlchemy wraps psycopg's: ``sqlstate`` and ``diag`` on ``orig``."""
    fields = ("table_name", "constraint_name", "column_name", "message_detail")
    diag = SimpleNamespace(**{field: diagnostics.get(field) for field in fields})
    driver_error = type("DriverError", (Exception,), {"sqlstate": sqlstate, "diag": diag})
    return IntegrityError("UPDATE …", {}, driver_error(message))


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [
        pytest.param(
            postgresql_refusal(
                "23505",
                'duplicate key value violates unique constraint "uq_customer_email"',
                table_name="customer",
                constraint_name="uq_customer_email",
                message_detail='Key (email, "group")=(a@b.example, 1) already exists.',
            ),
            "UNIQUE constraint failed: customer.email, customer.group",
            id="undeclared-unique-columns-from-the-detail",
        ),
        pytest.param(
            postgresql_refusal(
                "23505",
                'duplicate key value violates unique constraint "ix_customer_lower_code"',
                table_name="customer",
                constraint_name="ix_customer_lower_code",
                message_detail="Key (lower(code))=(acme) already exists.",
            ),
            "UNIQUE constraint failed: index 'ix_customer_lower_code'",
            id="unique-expression-names-the-index",
        ),
        pytest.param(
            postgresql_refusal(
                "23505",
                'doppelter Schlüsselwert verletzt Unique-Constraint "uq_customer_email"',
                table_name="customer",
                constraint_name="uq_customer_email",
                message_detail="Schlüssel »(email)=(a@b.example)« existiert bereits.",
            ),
            "UNIQUE constraint failed: index 'uq_customer_email'",
            id="untranslatable-detail-names-the-index",
        ),
        pytest.param(
            postgresql_refusal(
                "23505",
                'duplicate key value violates unique constraint "uq_invoice_number"',
                table_name="invoice",
                constraint_name="uq_invoice_number",
                message_detail="Schlüssel »(number)=(INV-00001)« existiert bereits.",
            ),
            "UNIQUE constraint failed: invoice.number",
            id="declared-unique-needs-no-detail",
        ),
        pytest.param(
            postgresql_refusal(
                "23P01",
                'conflicting key value violates exclusion constraint "ex_booking"\n'
                "DETAIL:  Key (room, during)=(1, [1,2)) conflicts with existing key.",
                table_name="booking",
                constraint_name="ex_booking",
            ),
            'conflicting key value violates exclusion constraint "ex_booking"',
            id="other-kinds-keep-the-first-line",
        ),
    ],
)
def test_postgresql_refusals_read_like_sqlite_ones(seeded, refused, refusal, reason):
    def fail(session):
        raise refusal

    refused(RuleViolation, REFUSED + reason, fail)
