"""CSV and JSON Lines cells are written by the database (``values.sql_cell``): the
same bytes as formatting each cell in Python, which these tests keep as the oracle.

Each SQL twin is checked against its Python original on the test's backend
(SQLite, or PostgreSQL with ``ORDERCLI_TEST_BACKEND=postgresql``): decimal text
of negative, zero and very large numbers at every number of minor digits,
neutralised text, ISO dates. Then every export, in CSV and JSON Lines, is
compared byte for byte with the Python formatting of the same rows, on a ledger
holding formula-like and non-Latin text, negative prices and large amounts, for
currencies with 2, 0 and 3 minor digits."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Date, String, insert, literal, select, update

from ordercli.books.clock import today
from ordercli.books.settings import currency, put_setting
from ordercli.domain.cells import neutralise
from ordercli.domain.money import decimal_text
from ordercli.io import exports
from ordercli.io.exports import queries, tabular
from ordercli.io.exports.values import (
    SCALED,
    ColumnType,
    iso_date,
    number_text,
    sql_decimal_text,
    sql_neutralised,
)
from ordercli.models import (
    Account,
    CreditMemo,
    Customer,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    OrderLine,
    Payment,
    SalesOrder,
)
from ordercli.services.settlement import credit_memos, payments

D = Decimal

# Around every power of ten a fraction can pad or trim at, both signs, and the
# sizes money reaches (10^15 minor units is ten trillion euros).
NUMBERS = sorted(
    {
        sign * (10**power + offset)
        for sign in (1, -1)
        for power in range(19)
        for offset in (-1, 0, 1)
        if 10**power + offset >= 0
    }
    | {5, -5, 50, -50, 120, -120, 190000, 125000, 2500, 123450, -123450, 10**15 + 7}
    | {random.Random(7).randrange(-(10**16), 10**16) for _ in range(200)}
)


def scalar_row(engine, expressions) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(*expressions)).one())


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("trim", [False, True])
def test_sql_decimal_text_is_the_python_decimal_text(engine, digits, trim):
    for start in range(0, len(NUMBERS), 100):
        chunk = NUMBERS[start : start + 100]
        found = scalar_row(
            engine,
            [
                sql_decimal_text(literal(units, BigInteger), digits, trim=trim).label(f"n{i}")
                for i, units in enumerate(chunk)
            ],
        )
        expected = [decimal_text(units, digits, trim=trim) for units in chunk]
        assert found == expected


def test_sql_decimal_text_keeps_null(engine):
    null = literal(None, BigInteger)
    assert scalar_row(
        engine, [sql_decimal_text(null, 2), sql_decimal_text(null, 3, trim=True)]
    ) == [
        None,
        None,
    ]


TEXTS = [
    "",
    "plain",
    "=1+2",
    '=HYPERLINK("http://evil.example","x")',
    "+49 30 901820",
    "-5",
    "-",
    "@SUM(A1:A3)",
    "\tindented",
    "\rreturn",
    "\nnewline first",
    " =space first",
    "'",
    "''",
    "'plain",
    "'=quoted formula",
    "'''-three quotes",
    "a=b",
    "A",
    "@",
    "0042",
    "Straße & Söhne",
    "日本語",
    "🙂=",
    "=🙂",
    'Ünïcödé, "quoted", and\nnewline',
]


def test_sql_neutralised_is_neutralise(engine):
    found = scalar_row(
        engine,
        [sql_neutralised(literal(text, String)).label(f"t{i}") for i, text in enumerate(TEXTS)],
    )
    assert found == [neutralise(text) for text in TEXTS]
    assert scalar_row(engine, [sql_neutralised(literal(None, String))]) == [None]


def test_sql_iso_date_is_isoformat(engine):
    days = [date(2026, 3, 5), date(1999, 12, 31), date(999, 1, 1), date(2400, 2, 29)]
    found = scalar_row(
        engine, [iso_date(literal(day, Date)).label(f"d{i}") for i, day in enumerate(days)]
    )
    assert found == [day.isoformat() for day in days]


# --- whole exports against the Python formatting ------------------------------------


def python_cell(column_type: ColumnType, value, minor_digits: int, *, csv_cell: bool):
    """How each cell was formatted in Python before the database wrote it."""
    if value is None:
        return "" if csv_cell else None
    if column_type in SCALED:
        return number_text(column_type, minor_digits)(value)
    if column_type is ColumnType.DATE:
        return value.isoformat()
    if column_type is ColumnType.BOOL:
        return ("true" if value else "false") if csv_cell else bool(value)
    if column_type is ColumnType.TEXT and csv_cell:
        return neutralise(str(value))
    return str(value) if csv_cell else value


def python_export(session, kind: str, fmt: str, minor_digits: int) -> bytes:
    table = queries.TABLES[kind](today=today(), currency=currency(session))
    rows = session.connection().execute(table.query).all()
    types = [column.type for column in table.columns]
    names = [column.name for column in table.columns]
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(
                [
                    python_cell(t, v, minor_digits, csv_cell=True)
                    for t, v in zip(types, row, strict=True)
                ]
            )
        return text.getvalue().encode("utf-8")
    lines = []
    for row in rows:
        cells = [
            python_cell(t, v, minor_digits, csv_cell=False) for t, v in zip(types, row, strict=True)
        ]
        lines.append(json.dumps(dict(zip(names, cells, strict=True)), ensure_ascii=False) + "\n")
    return "".join(lines).encode("utf-8")


def odd_ledger(engine, uow, invoiced, make_order) -> None:
    """Documents of every kind, then text and numbers no form would let in."""
    _, first = invoiced("ACME", [("LAMP-LED", "2"), ("MAT-CHAIR", "1.5")])
    _, second = invoiced("BRIGHT", [("LAMP-LED", "1")], ship=True)
    make_order("MUELLER", [("LAMP-LED", "3")], confirm=False)
    with uow() as session:
        payments.record_payment(
            session=session,
            customer_code="ACME",
            amount=D("20.00"),
            invoices=[(first, None)],
            reference="=cmd|' /C calc'!A0",
        )
        payments.record_payment(session=session, customer_code="BRIGHT", amount=D("5.00"))
        credit_memos.create_credit_memo(
            session=session,
            invoice_number=second,
            lines=[("LAMP-LED", D(1))],
            restock=True,
            reason="'''-already quoted",
        )
        credit_memos.create_credit_memo(
            session=session, invoice_number=first, amount=D("1.00"), reason="日本語の理由"
        )
    prices = [-5, 0, -1, 10**15 + 7, 99, -100, 123456789, -(10**12) - 1]
    skus = ["-SKU", "+SKU", "=SKU", "@SKU", "SKU", "'-SKU", "日本", "Ü"]
    texts = iter(TEXTS[len(prices) :] * 2)
    with engine.begin() as connection:
        connection.execute(
            update(Customer)
            .where(Customer.code == "ACME")
            .values(code="-ACME", name='=HYPERLINK("http://evil.example","x")')
        )
        connection.execute(update(Customer).where(Customer.code == "BRIGHT").values(name="Straße"))
        template = connection.execute(select(InvoiceLine.__table__)).mappings().first()
        extra = []
        for index, (price, sku) in enumerate(zip(prices, skus, strict=True)):
            position = 100 + index
            line = dict(template)
            line.pop("id")
            line.update(
                position=position,
                sku=sku,
                description=TEXTS[index],
                unit_price=price,
                qty=random.Random(position).choice([1, 1000, 1500, 2250, 10**12 + 1]),
                discount=random.Random(position).choice([0, -1, 12500, 10000, 3]),
                tax_rate=random.Random(position).choice([0, 190000, 55000, -1, 70001]),
                net=abs(price),
                tax=abs(price) // 7,
                qty_credited=0,
                net_credited=0,
                tax_credited=0,
            )
            extra.append(line)
        connection.execute(insert(InvoiceLine.__table__), extra)
        for model in (InvoiceLine, OrderLine):
            originals = select(model.id).where(model.position < 100).order_by(model.id)
            for (line_id,) in connection.execute(originals).all():
                connection.execute(
                    update(model).where(model.id == line_id).values(description=next(texts))
                )
        connection.execute(update(SalesOrder).values(order_ref="@ref-" + SalesOrder.number))
        connection.execute(
            update(Payment).where(Payment.reference.is_(None)).values(method="+cash")
        )
        connection.execute(update(CreditMemo).where(CreditMemo.restock).values(reason="\tTAB"))
        for (entry_id,) in connection.execute(select(JournalEntry.id)).all()[:4]:
            connection.execute(
                update(JournalEntry).where(JournalEntry.id == entry_id).values(memo=next(texts))
            )
        connection.execute(
            update(JournalLine)
            .where(JournalLine.debit > 0)
            .values(debit=JournalLine.debit + 10**15)
        )


@pytest.mark.parametrize("minor_digits", [2, 0, 3])
def test_every_export_writes_the_bytes_python_formatting_wrote(
    engine, uow, invoiced, make_order, minor_digits
):
    odd_ledger(engine, uow, invoiced, make_order)
    with uow() as session:
        put_setting(session=session, key="minor_digits", value=str(minor_digits))
    for kind in exports.KINDS:
        for fmt in ("csv", "jsonl"):
            out = io.BytesIO()
            with uow(write=False) as session:
                count = exports.export(session=session, kind=kind, fmt=fmt, out=out)
                expected = python_export(session, kind, fmt, minor_digits)
            assert count > 0, kind
            assert out.getvalue() == expected, f"{kind} {fmt}"


def test_numbers_are_never_neutralised_and_text_always_is(engine, uow, invoiced, make_order):
    odd_ledger(engine, uow, invoiced, make_order)
    out = io.BytesIO()
    with uow(write=False) as session:
        exports.export(session=session, kind="invoice-lines", fmt="csv", out=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    prices = [row["unit_price"] for row in rows]
    assert "-0.05" in prices
    assert "-10000000000.01" in prices
    assert "10000000000000.07" in prices
    extra = [row for row in rows if int(row["position"]) >= 100]
    assert [row["description"] for row in extra] == [
        "",
        "plain",
        "'=1+2",
        '\'=HYPERLINK("http://evil.example","x")',
        "'+49 30 901820",
        "'-5",
        "'-",
        "'@SUM(A1:A3)",
    ]
    assert [row["sku"] for row in extra] == [
        "'-SKU",
        "'+SKU",
        "'=SKU",
        "'@SKU",
        "SKU",
        "''-SKU",
        "日本",
        "Ü",
    ]
    assert {row["customer"] for row in rows} == {"'-ACME", "BRIGHT"}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_a_writer_failing_midway_has_its_rows_closed_before_the_ledger_is(
    uow, invoiced, monkeypatch, fmt
):
    """Rows left to the garbage collector close their cursor whenever that runs: in a
    process that is exiting, after the ledger's connection, which prints an error."""
    invoiced("ACME", [("LAMP-LED", "2")])
    closed = []
    source = "_batches" if fmt == "xlsx" else "_text_batches"
    real = getattr(exports, source)

    def watched(session, query):
        try:
            yield from real(session, query)
        finally:
            closed.append(session.connection().closed)

    def broken(out, columns, batches, **_):
        next(iter(batches))
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(exports, source, watched)
    monkeypatch.setitem(tabular.WRITERS, fmt, broken)
    with uow(write=False) as session:
        with pytest.raises(RuntimeError) as failure:
            exports.export(session=session, kind="invoice-lines", fmt=fmt, out=io.BytesIO())
        # Closed already, on the open connection, though the traceback (which holds
        # the writer's frame and its rows) is still alive.
        assert closed == [False]
        assert failure.traceback


@pytest.mark.sqlite_only("the driver's own rows are read on SQLite only")
def test_a_driver_error_after_the_first_rows_is_the_ledgers_error(engine, uow, monkeypatch):
    """Past the first batch the rows come from the driver's cursor, not SQLAlchemy's;
    an error there still reaches the user as the ledger's error, not a crash."""
    from sqlalchemy import event, func

    from ordercli.domain.errors import LedgerUnavailable

    with engine.begin() as connection:  # more journal lines than one batch holds
        account_id = connection.execute(select(Account.id)).scalars().first()
        entry_ids = []
        for n in range(exports.BATCH + 100):
            entry_ids.append(
                connection.execute(
                    insert(JournalEntry).values(
                        entry_date=date(2026, 1, 1),
                        source_kind="invoice",
                        source_number=f"BULK-{n}",
                        memo="bulk",
                        created_at=datetime(2026, 1, 1, tzinfo=UTC),
                    )
                ).inserted_primary_key[0]
            )
        connection.execute(
            insert(JournalLine),
            [{"entry_id": e, "account_id": account_id, "debit": 1, "credit": 0} for e in entry_ids],
        )

    def failing_past(line_id):
        if line_id > exports.BATCH + 10:
            raise ValueError("no")
        return line_id

    @event.listens_for(engine, "connect")
    def _register(dbapi_connection, _record):
        dbapi_connection.create_function("failing_past", 1, failing_past)

    engine.dispose()  # new connections, with the function
    table = queries.journal()
    monkeypatch.setitem(
        queries.TABLES,
        "journal",
        lambda **_: queries.Table(
            [*table.columns[:1]],
            # Unordered, so SQLite computes each row as it is fetched, not all at once.
            table.query.with_only_columns(
                func.failing_past(JournalLine.id).label("entry")
            ).order_by(None),
        ),
    )
    with pytest.raises(LedgerUnavailable) as failure, uow(write=False) as session:
        exports.export(session=session, kind="journal", fmt="csv", out=io.BytesIO())
    assert "user-defined function raised exception" in failure.value.message
