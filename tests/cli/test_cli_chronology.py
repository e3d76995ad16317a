"""Rule 4a end to end: documents are never dated in the future or before the order they
come from (one ``error:`` line, exit 1, ledger unchanged), and the receivables views
agree on a ledger holding a document dated after "today"."""

from __future__ import annotations

import pytest

TODAY = "2026-03-10"


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


@pytest.fixture
def ordered(shop):
    """SO-00001 of ACME dated 2026-03-05 (two lamps), confirmed."""
    shop.ok("order", "new", "ACME", "--date", "2026-03-05")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "2")
    shop.ok("order", "confirm", "SO-00001")
    return shop


def refusal(cli, *args: str) -> str:
    """Run, assert exit 1 with exactly one ``error:`` line on stderr; return that line."""
    result = cli.run(*args)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    return line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["invoice", "create", "SO-00001", "--date", "2026-03-11"],
            "invoice date 2026-03-11 is in the future (today is 2026-03-10)",
        ),
        (
            ["invoice", "create", "SO-00001", "--date", "2026-03-04"],
            "invoice dated 2026-03-04 cannot come before order SO-00001, dated 2026-03-05",
        ),
        (
            ["invoice", "create", "--all", "--date", "2026-03-01"],
            "invoice dated 2026-03-01 cannot come before order SO-00001, dated 2026-03-05",
        ),
        (
            ["ship", "SO-00001", "--date", "2026-03-04"],
            "shipment dated 2026-03-04 cannot come before order SO-00001, dated 2026-03-05",
        ),
        (
            ["order", "new", "BRIGHT", "--date", "2026-04-01"],
            "order date 2026-04-01 is in the future (today is 2026-03-10)",
        ),
    ],
)
def test_a_document_dated_out_of_time_is_refused(ordered, unchanged, args, message):
    with unchanged():
        assert refusal(ordered, *args) == f"error: {message}"


def test_a_later_invoice_number_never_carries_an_earlier_date(ordered, unchanged):
    ordered.ok("invoice", "create", "SO-00001", "--partial", "--line", "LAMP-LED=1")
    with unchanged():
        assert refusal(ordered, "invoice", "create", "SO-00001", "--date", "2026-03-09") == (
            "error: invoice dated 2026-03-09 cannot come after INV-00001, dated 2026-03-10: "
            "a later number never carries an earlier date"
        )


def test_the_receivables_agree_when_a_document_is_dated_after_today(ordered):
    """INV-00001 (118.88) of 03-10 and 50.00 paid on 03-10; read with "today" set back to
    03-06, every view shows the ledger as it stood then: nothing owed, nothing paid."""
    ordered.ok("invoice", "create", "SO-00001")
    ordered.ok("payment", "record", "ACME", "150", "--invoice", "INV-00001=100")
    back = on("2026-03-06")
    aging = ordered.ok("report", "aging", env=back)
    customer = ordered.ok("customer", "show", "ACME", env=back)
    statement = ordered.ok("report", "statement", "ACME", env=back)
    trial = ordered.ok("report", "trial-balance", env=back)
    receivable = {a["role"]: a["balance"] for a in trial["accounts"]}
    assert aging["totals"]["total"] == "0.00"
    assert (customer["balance"], customer["open_invoices"]) == ("0.00", "0.00")
    assert statement["closing_balance"] == "0.00"
    assert (receivable["receivable"], receivable["customer_credit"]) == ("0.00", "0.00")
    # Today: 18.88 owed on the invoice, 50.00 of credit, a balance of -31.12 everywhere.
    customer = ordered.ok("customer", "show", "ACME")
    assert ordered.ok("report", "aging")["totals"]["total"] == customer["open_invoices"] == "18.88"
    assert customer["balance"] == "-31.12"
    assert ordered.ok("report", "statement", "ACME")["closing_balance"] == "-31.12"
    trial = ordered.ok("report", "trial-balance")
    balances = {a["role"]: a["balance"] for a in trial["accounts"]}
    assert (balances["receivable"], balances["customer_credit"]) == ("18.88", "-50.00")
