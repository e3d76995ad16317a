"""Code run in separate OS processes by ``test_postgres_after_sale.py`` (spawn).

Like ``service_workers.py``: a child imports only ordercli, reports one tuple on the
results queue and never raises, so the parent can tell every failure from a crash.
"""

from __future__ import annotations

import os
import traceback
from decimal import Decimal


def prepare_invoices(url: str, count: int, customer: str = "RACE") -> list[str]:
    """``count`` invoices of 100.00 (one service hour each, no tax) owed by ``customer``."""
    from ordercli.db.engine import open_ledger, unit_of_work
    from ordercli.services.inventory import catalog
    from ordercli.services.parties import customers
    from ordercli.services.sales import invoicing, ordering

    engine = open_ledger(url)
    numbers = []
    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Race", code=customer)
        catalog.add_product(
            session=session, sku="HOUR", name="Hour", price=Decimal("100.00"), service=True
        )
        for _ in range(count):
            order = ordering.new_order(session=session, customer_code=customer)
            ordering.add_order_line(
                session=session, number=order.number, sku="HOUR", qty=Decimal(1)
            )
            ordering.confirm_order(session=session, number=order.number)
            numbers.append(invoicing.create_invoice(session=session, order_number=order.number))
        return [invoice.number for invoice in numbers]


def record_payments(url: str, customer: str, amounts: list[str], start, results) -> None:
    """Wait for every worker, then record each payment (oldest invoices first) in its own
    unit of work; report ``(number, [(invoice, minor units)], unapplied)`` for each."""
    done: list[tuple[str, list[tuple[str, int]], int]] = []
    try:
        from sqlmodel import select

        from ordercli.db.engine import open_ledger, unit_of_work
        from ordercli.models import Allocation, Invoice
        from ordercli.services.settlement import payments

        engine = open_ledger(url)
        start.wait()
        for amount in amounts:
            with unit_of_work(engine) as session:
                payment = payments.record_payment(
                    session=session, customer_code=customer, amount=Decimal(amount)
                )
                session.flush()
                allocated = session.exec(
                    select(Invoice.number, Allocation.amount)
                    .join(Invoice, Invoice.id == Allocation.invoice_id)
                    .where(Allocation.payment_id == payment.id)
                    .order_by(Allocation.id)
                ).all()
                done.append((payment.number, [tuple(row) for row in allocated], payment.unapplied))
        results.put((os.getpid(), done, None))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put((os.getpid(), done, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
