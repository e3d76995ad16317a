"""Workers for the concurrency test of ``invoice create --all`` (multiprocessing 'spawn',
started by ``service_workers.spawn_all``).

Kept apart from the test module so a child imports only ordercli, not pytest. Each
worker reports one tuple on the results queue and never raises, so the parent can tell
every failure from a crash.
"""

from __future__ import annotations

import os
import traceback


def invoice(url: str, orders: list[str] | None, start, results) -> None:
    """Wait for every worker, then invoice: ``orders`` None, everything open in one unit
    of work (``invoice create --all``); else each order in its own, where an order that
    another worker invoiced first is refused, which is reported, not an error.

    Reports ``("issued", invoice number, order id)`` and ``("refused", message, None)``."""
    done: list[tuple] = []
    try:
        from ordercli.db.engine import open_ledger, unit_of_work
        from ordercli.domain.errors import RuleViolation
        from ordercli.services.sales import invoicing

        engine = open_ledger(url)
        start.wait()
        if orders is None:
            with unit_of_work(engine) as session:
                issued = invoicing.invoice_all(session=session)
                done = [("issued", invoice.number, invoice.order_id) for invoice in issued]
        for number in orders or ():
            try:
                with unit_of_work(engine) as session:
                    invoice = invoicing.create_invoice(session=session, order_number=number)
                    done.append(("issued", invoice.number, invoice.order_id))
            except RuleViolation as refusal:
                done.append(("refused", str(refusal), None))
        results.put((os.getpid(), done, None))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put((os.getpid(), done, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
