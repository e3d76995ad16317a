"""`ordercli invoice create ORDER --deposit` end to end (SPEC rule 20): a down payment
invoiced before delivery, deducted from the order's later invoices once paid, and
corrected by cancelling it; every refusal one `error:` line that changes nothing."""

from __future__ import annotations

import pytest

from tests.documents_support import pdf_text

TODAY = "2027-01-15"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)


def build(cli) -> None:
    cli.ok("order", "new", "ACME")
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "2", "--price", "500.00")
    cli.ok("order", "confirm", "SO-00001")


@pytest.fixture
def ordered(shop, ledger_state):
    """SO-00001 to ACME, confirmed: 2 oak desks at 500.00 + 19 % = 1190.00."""
    ledger_state("deposits-ordered", build)
    return shop


def test_deposit_invoiced_paid_and_deducted(ordered):
    cli = ordered
    dep = cli.ok("invoice", "create", "SO-00001", "--deposit", "30%")
    assert (dep["number"], dep["kind"], dep["total"], dep["status"]) == (
        "INV-00001",
        "deposit",
        "357.00",
        "open",
    )
    assert [(ln["sku"], ln["net"], ln["tax"]) for ln in dep["lines"]] == [
        ("DEPOSIT", "300.00", "57.00")
    ]
    cli.ok("payment", "record", "ACME", "357.00", "--invoice", "INV-00001")
    cli.ok("shipment", "create", "SO-00001", "--line", "DESK-OAK=1")
    first = cli.ok("invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=1")
    assert (first["total"], first["prepaid"], first["balance"]) == ("595.00", "357.00", "238.00")
    assert [
        (d["number"], d["deposit_invoice"], d["amount"]) for d in first["deposits_deducted"]
    ] == [("DA-00001", "INV-00001", "357.00")]
    cli.ok("shipment", "create", "SO-00001")
    second = cli.ok("invoice", "create", "SO-00001")
    assert (second["prepaid"], second["balance"]) == ("0.00", "595.00")
    order = cli.ok("order", "show", "SO-00001")
    assert order["status"] == "completed"
    assert order["deposits"] == [
        {
            "invoice": "INV-00001",
            "amount": "357.00",
            "paid": "357.00",
            "deducted": "357.00",
            "credited": "0.00",
            "cancelled": False,
        }
    ]
    assert cli.ok("check")["ok"] is True
    trial = {a["code"]: a["balance"] for a in cli.ok("report", "trial-balance")["accounts"]}
    assert trial["1200"] == "833.00"  # receivable: 1190.00 less the deposit
    assert trial["2400"] == "0.00"  # customer advances used up


def test_deposit_cards_say_what_they_are(ordered):
    cli = ordered
    out = cli.run("invoice", "create", "SO-00001", "--deposit", "300.00")
    assert out.exit_code == 0, out.stderr
    assert "Down payment invoice INV-00001" in out.stdout
    assert "Down payment on SO-00001" in out.stdout
    cli.ok("payment", "record", "ACME", "300.00", "--invoice", "INV-00001")
    shown = cli.run("invoice", "create", "SO-00001").stdout
    assert "Down payments" in shown and "INV-00001 300.00" in shown
    assert "Deducted on" in cli.run("invoice", "show", "INV-00001").stdout
    assert "INV-00001 (300.00 paid)" in cli.run("order", "show", "SO-00001").stdout


def test_deposit_documents_read_as_down_payments(ordered, tmp_path):
    cli = ordered
    cli.ok("invoice", "create", "SO-00001", "--deposit", "30%")
    cli.ok("payment", "record", "ACME", "357.00", "--invoice", "INV-00001")
    cli.ok("invoice", "create", "SO-00001")
    deposit_pdf, final_pdf = tmp_path / "deposit.pdf", tmp_path / "final.pdf"
    cli.ok("invoice", "pdf", "INV-00001", "-o", str(deposit_pdf))
    cli.ok("invoice", "pdf", "INV-00002", "-o", str(final_pdf))
    deposit_text = pdf_text(deposit_pdf.read_bytes())
    assert "Down payment invoice" in deposit_text
    assert "Down payment 30 % on SO-00001" in deposit_text
    final_text = pdf_text(final_pdf.read_bytes())
    assert "Less down payment INV-00001 (paid)" in final_text
    assert "-€357.00" in final_text or "-357.00" in final_text
    assert "Amount due" in final_text and "833.00" in final_text
    html = tmp_path / "final.html"
    cli.ok("invoice", "pdf", "INV-00002", "--html", "-o", str(html))
    assert "Less down payment INV-00001 (paid)" in html.read_text(encoding="utf-8")


def test_order_cancel_waits_for_the_deposit_to_be_cancelled(ordered, unchanged):
    cli = ordered
    cli.ok("invoice", "create", "SO-00001", "--deposit", "10%")
    with unchanged():
        result = cli.run("order", "cancel", "SO-00001")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: cannot cancel SO-00001: deposit invoice INV-00001 is not cancelled",
        "hint: `ordercli invoice cancel INV-00001 --reason …` cancels it first",
    ]
    memo = cli.ok("invoice", "cancel", "INV-00001", "--reason", "order withdrawn")
    assert [(ln["sku"], ln["effect"]) for ln in memo["lines"]] == [("DEPOSIT", "none")]
    assert cli.ok("order", "cancel", "SO-00001")["status"] == "cancelled"
    assert cli.ok("check")["ok"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--deposit", ""),
            "error: --deposit is empty: give a percentage of the order's total (30%) or an "
            "amount including tax (300.00)",
        ),
        (("--deposit", "0%"), "error: --deposit percentage '0%' must be above 0"),
        (("--deposit", "-1"), "error: --deposit amount '-1' must not be negative"),
        (("--deposit", "150%"), "error: --deposit percentage '150%' must be between 0 and 100"),
        (("--deposit", "ten"), "error: --deposit amount 'ten' is not a number"),
        (
            ("--deposit", "99999999999999999999"),
            "error: --deposit amount '99999999999999999999' is too large",
        ),
        (
            ("--deposit", "2000"),
            "error: cannot invoice a deposit of 2000.00 on SO-00001: it has 1190.00 left to "
            "invoice; at most 1190.00",
        ),
        (
            ("--deposit", "10%", "--line", "DESK-OAK=1"),
            "error: --deposit invoices a down payment: give no --all, --line or --partial",
        ),
        (("--deposit", "10%", "--terms", "NOPE"), "error: no payment terms 'NOPE'"),
        (
            ("--deposit", "10%", "--date", "2027-01-16"),
            "error: invoice date 2027-01-16 is in the future (today is 2027-01-15)",
        ),
    ],
)
def test_deposit_refusals_change_nothing(ordered, unchanged, args, message):
    with unchanged():
        assert ordered.fails("invoice", "create", "SO-00001", *args) == message


def test_deposit_on_unknown_or_draft_order(shop, unchanged):
    shop.ok("order", "new", "ACME")
    with unchanged():
        assert shop.fails("invoice", "create", "SO-00009", "--deposit", "10%") == (
            "error: no order 'SO-00009'"
        )
        assert shop.fails("invoice", "create", "SO-00001", "--deposit", "10%") == (
            "error: cannot invoice a deposit on SO-00001: it is a draft; confirm it first"
        )
        assert shop.fails("invoice", "create", "--all", "--deposit", "10%") == (
            "error: --deposit invoices a down payment: give no --all, --line or --partial"
        )


def test_deducted_deposit_is_credited_only_for_the_rest(ordered, unchanged):
    cli = ordered
    cli.ok("invoice", "create", "SO-00001", "--deposit", "80%")  # 952.00
    cli.ok("payment", "record", "ACME", "952.00", "--invoice", "INV-00001")
    cli.ok("shipment", "create", "SO-00001", "--line", "DESK-OAK=1")
    cli.ok("invoice", "create", "SO-00001", "--partial", "--line", "DESK-OAK=1")
    with unchanged():
        assert cli.fails("invoice", "cancel", "INV-00001", "--reason", "x") == (
            "error: cannot cancel INV-00001: 595.00 of it was deducted from INV-00002 already"
        )
        assert cli.fails("credit-memo", "create", "INV-00001", "--line", "DESK-OAK=1") == (
            "error: INV-00001 is a deposit invoice: it is credited by --amount or whole, not "
            "by --line, --kind, --restock or a rebate"
        )
        assert cli.fails("payment", "void", "PAY-00001", "--reason", "bounced") == (
            "error: cannot take 952.00 off INV-00001: 595.00 paid on it was deducted as a "
            "down payment from INV-00002"
        )
    # Short-closed: the rest of the deposit goes back to the customer as store credit.
    cli.ok("order", "close", "SO-00001", "--reason", "customer needs only one")
    memo = cli.ok("credit-memo", "create", "INV-00001")
    assert (memo["total"], memo["settlement"]) == ("357.00", "store_credit")
    assert cli.ok("check")["ok"] is True
    trial = {a["code"]: a["balance"] for a in cli.ok("report", "trial-balance")["accounts"]}
    assert trial["2400"] == "0.00"
    assert trial["2300"] == "-357.00"


def test_help_names_the_deposit_option(shop):
    result = shop.run("invoice", "create", "--help")
    assert result.exit_code == 0
    assert "--deposit" in result.stdout and "30%" in result.stdout
