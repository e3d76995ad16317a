"""Workers that mix shipments, invoices, credit memos and payments on one ledger at once.

Run in separate OS processes (multiprocessing 'spawn') by ``test_concurrent_mixed.py``
through ``service_workers.spawn_all``. Each worker drives the command line itself
(in its process, as a user's terminal would), so whatever a user would see — an
``error:`` line, exit code 3 for a ledger still locked — is what the worker collects.
Like ``service_workers``: a child imports only ordercli (and Click's runner), reports
one tuple on the results queue and never raises.
"""

from __future__ import annotations

import json
import os
import traceback
from decimal import Decimal

# Customers: RACE's orders are shipped, invoiced and paid invoice by invoice; RACE2 owes
# invoices prepared beforehand that payments without --invoice settle oldest first, so
# every worker's payments meet on the same customer and the same invoices.
CUSTOMER = "RACE"
OLDEST_FIRST_CUSTOMER = "RACE2"
OLDEST_FIRST_AMOUNT = "2.50"
CREDIT_EVERY = 4  # every 4th invoice gets a credit memo of CREDIT_AMOUNT
CREDIT_AMOUNT = "1.00"
OLDEST_FIRST_EVERY = 5  # every 5th order is followed by a payment for RACE2


def prepare_mixed(url: str, count: int, owed_invoices: int) -> list[str]:
    """``count`` confirmed orders of RACE (one stocked box and 1.5 service hours each,
    plenty of stock), and ``owed_invoices`` invoices of RACE2. Returns RACE's orders."""
    from ordercli.db.engine import open_ledger, unit_of_work
    from ordercli.services.inventory import catalog
    from ordercli.services.parties import customers
    from ordercli.services.sales import invoicing, ordering

    engine = open_ledger(url)
    with unit_of_work(engine) as session:
        customers.add_customer(session=session, name="Race Ltd", code=CUSTOMER)
        customers.add_customer(session=session, name="Race Two Ltd", code=OLDEST_FIRST_CUSTOMER)
        catalog.add_product(
            session=session,
            sku="BOX",
            name="Archive box",
            price=Decimal("5.00"),
            tax_rate=Decimal(19),
            stock=Decimal(count + 10),
        )
        catalog.add_product(
            session=session,
            sku="HOUR",
            name="Consulting hour",
            price=Decimal("95.00"),
            tax_rate=Decimal(19),
            service=True,
        )
        for _ in range(owed_invoices):
            order = ordering.new_order(session=session, customer_code=OLDEST_FIRST_CUSTOMER)
            ordering.add_order_line(
                session=session, number=order.number, sku="HOUR", qty=Decimal(10)
            )
            ordering.confirm_order(session=session, number=order.number)
            invoicing.create_invoice(session=session, order_number=order.number)
        numbers = []
        for _ in range(count):
            order = ordering.new_order(session=session, customer_code=CUSTOMER)
            ordering.add_order_line(session=session, number=order.number, sku="BOX", qty=Decimal(1))
            ordering.add_order_line(
                session=session, number=order.number, sku="HOUR", qty=Decimal("1.5")
            )
            ordering.confirm_order(session=session, number=order.number)
            numbers.append(order.number)
    engine.dispose()
    return numbers


class Terminal:
    """``ordercli --db URL …`` run in this process, as a user's shell would run it."""

    def __init__(self, url: str) -> None:
        import typer.main
        from click.testing import CliRunner

        from ordercli.cli.app import app

        self.url = url
        self.command = typer.main.get_command(app)
        self.runner = CliRunner()

    def run(self, *args: str) -> tuple[dict | None, str | None]:
        """(the --json document, None) on success; (None, what the user saw) otherwise."""
        result = self.runner.invoke(self.command, ["--db", self.url, *args, "--json"])
        if result.exit_code == 0 and result.exception is None:
            return json.loads(result.stdout), None
        seen = (result.stderr or "").strip() or repr(result.exception)
        return None, f"`{' '.join(args)}` exit {result.exit_code}: {seen}"


def mixed_work(url: str, orders: list[str], worker: int, start, results) -> None:
    """For each order: ship it, invoice it, credit every 4th invoice a little, pay the
    invoice; after every 5th order pay RACE2 something, oldest invoices first.

    Reports ``(pid, {kind: [numbers]}, [errors])``: every document number this worker
    was given, and every error a user would have seen (none expected)."""
    issued: dict[str, list[str]] = {"shipment": [], "invoice": [], "credit_memo": [], "payment": []}
    errors: list[str] = []
    try:
        terminal = Terminal(url)
        start.wait()
        for index, order in enumerate(orders, start=1):
            shipment, error = terminal.run("shipment", "create", order)
            if error:
                errors.append(error)
            else:
                issued["shipment"].append(shipment["number"])
            invoice, error = terminal.run("invoice", "create", order)
            if error:
                errors.append(error)
                continue
            issued["invoice"].append(invoice["number"])
            if index % CREDIT_EVERY == 0:
                memo, error = terminal.run(
                    "credit-memo",
                    "create",
                    invoice["number"],
                    "--amount",
                    CREDIT_AMOUNT,
                    "--reason",
                    f"worker {worker}: damaged box",
                )
                if error:
                    errors.append(error)
                else:
                    issued["credit_memo"].append(memo["number"])
            payment, error = terminal.run(
                "payment",
                "record",
                CUSTOMER,
                invoice["total"],
                "--invoice",
                invoice["number"],
                "--reference",
                f"W{worker}-{index}",
            )
            if error:
                errors.append(error)
            else:
                issued["payment"].append(payment["number"])
            if index % OLDEST_FIRST_EVERY == 0:
                payment, error = terminal.run(
                    "payment", "record", OLDEST_FIRST_CUSTOMER, OLDEST_FIRST_AMOUNT
                )
                if error:
                    errors.append(error)
                else:
                    issued["payment"].append(payment["number"])
        results.put((os.getpid(), issued, errors))
    except BaseException as exc:  # reported to the parent, which fails the test
        errors.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        results.put((os.getpid(), issued, errors))
