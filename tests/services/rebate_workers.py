"""Code run in separate OS processes by ``test_rebate_concurrency.py`` (multiprocessing
'spawn'): each settles the same period in its own unit of work and reports what
happened, never raising, as ``service_workers.py`` does."""

from __future__ import annotations

import os
import traceback


def settle_period(url: str, period: str, start, results) -> None:
    """Wait for the other worker, then settle ``period``; report settled or refused."""
    try:
        from ordercli.db.engine import open_ledger, unit_of_work
        from ordercli.domain.errors import RuleViolation
        from ordercli.services.settlement import rebates

        engine = open_ledger(url)
        start.wait()
        try:
            with unit_of_work(engine) as session:
                result = rebates.settle_rebates(session=session, period=period)
                outcome = ("settled", [row["number"] for row in result.settled])
        except RuleViolation as exc:
            outcome = ("refused", str(exc))
        results.put((os.getpid(), outcome, None))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put((os.getpid(), None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
