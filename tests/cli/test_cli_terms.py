"""`ordercli terms add/list/show`, a customer's `--terms-code`, `order new --terms`,
`order terms`, `invoice create --terms` and the schedule on every screen, end to end
(SPEC ``terms``, rules 11, 13 and 20).

The peer scenario (ERPNext's ``test_make_sales_invoice_with_terms``) runs here through
the commands a user types: ``--split 50@0 --split 50@30`` splits an invoice 50/50 over
two due dates; once the first is past it is overdue and the second is not, the invoice
is overdue, aging puts the halves in different buckets, a payment without
``--invoice`` settles the first instalment first, and ``check`` stays clean.
"""

from __future__ import annotations

import csv
import io

import pytest

DAY0 = {"ORDERCLI_TODAY": "2026-12-01"}
DAY9 = {"ORDERCLI_TODAY": "2026-12-10"}


@pytest.fixture
def terms(shop):
    """HALF (50@0, 50@30, 2 % within 10 days) and NET30."""
    shop.ok(
        "terms", "add", "half", "--days", "30", "--split", "50@0", "--split", "50@30",
        "--discount", "2@10", "--description", "Half now, half in 30 days",
    )  # fmt: skip
    shop.ok("terms", "add", "NET30", "--days", "30")
    return shop


def sell(cli, *options: str, customer: str = "ACME", qty: str = "2", env=DAY0) -> str:
    """An order for 2 × DESK-OAK (1163.82 with tax), confirmed and invoiced."""
    order = cli.ok("order", "new", customer, *options, env=env)["number"]
    cli.ok("order", "add-line", order, "DESK-OAK", qty, env=env)
    cli.ok("order", "confirm", order, "--override-credit", "test", env=env)
    return order


def test_add_show_list(shop, human):
    added = shop.ok(
        "terms", "add", "half", "--days", "30", "--split", "50@0", "--split", "50@30",
        "--discount", "2@10",
    )  # fmt: skip
    assert added == {
        "code": "HALF",
        "description": None,
        "days": 30,
        "splits": [{"pct": "50", "days": 0}, {"pct": "50", "days": 30}],
        "discount_pct": "2",
        "discount_days": 10,
        "text": "2 % within 10 days, 50 % at 0 days, 50 % at 30 days",
        "customer_count": 0,
    }
    shop.ok("terms", "add", "NET30", "--days", "30", "--description", "Net 30 days")
    assert shop.ok("terms", "show", "Half") == added
    assert [t["code"] for t in shop.ok("terms", "list")] == ["HALF", "NET30"]
    screen = human("terms", "show", "half")
    assert "Payment terms HALF" in screen
    assert "2 % if paid within 10 days" in screen
    assert "Due after days" in screen
    listing = human("terms", "list")
    assert "NET30" in listing and "Net 30 days" in listing and "net 30 days" in listing


def test_no_terms_yet(shop):
    assert shop.ok("terms", "list") == []
    result = shop.run("terms", "list")
    assert result.exit_code == 0
    assert "no payment terms" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["X", "--days", "30", "--split", "50@0", "--split", "40@30"],
            "error: --split percentages add up to 90 %, not 100 %",
        ),
        (
            ["X", "--days", "30", "--split", "50@30", "--split", "50@0"],
            "error: --split instalments must be given in due order, each on a later day "
            "(got days 30, 0)",
        ),
        (
            ["X", "--days", "10", "--discount", "2@20"],
            "error: --discount window of 20 days is longer than the 10 days to pay",
        ),
        (
            ["X", "--days", "30", "--split", "50@0", "--split", "50@20"],
            "error: the last --split is due after 20 days but --days is 30",
        ),
        (["X", "--days", "-5"], "error: --days '-5' must be a whole number of days (0 or more)"),
        (["X", "--days", ""], "error: --days '' must be a whole number of days (0 or more)"),
        (["X", "--days", "1e9"], "error: --days '1e9' must be a whole number of days (0 or more)"),
        (["X", "--days", "36600"], "error: --days '36600' is more than 3660 days"),
        (
            ["X", "--days", "30", "--discount", "150@5"],
            "error: --discount percentage '150' must be between 0 and 100",
        ),
        (["", "--days", "30"], "error: payment terms code must not be empty"),
        (["NET 30", "--days", "30"], "error: payment terms code 'NET 30' must not contain spaces"),
        (["net30", "--days", "14"], "error: payment terms NET30 already exist"),
    ],
)
def test_add_refusals_change_nothing(terms, unchanged, args, error):
    with unchanged():
        assert terms.fails("terms", "add", *args) == error


def test_show_refusals(terms, unchanged):
    with unchanged():
        result = terms.run("terms", "show", "NET99")
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            "error: no payment terms 'NET99'",
            "hint: `ordercli terms list` shows the payment terms",
        ]
        assert terms.fails("terms", "show", " ") == "error: payment terms code is empty"


def test_customer_terms_code(terms, human, unchanged):
    edited = terms.ok("customer", "edit", "BRIGHT", "--terms-code", "half")
    assert (edited["terms"], edited["terms_days"]) == ("HALF", 30)
    assert "HALF: 2 % within 10 days, 50 % at 0 days, 50 % at 30 days" in human(
        "customer", "show", "BRIGHT"
    )
    assert terms.ok("terms", "show", "HALF")["customer_count"] == 1
    added = terms.ok("customer", "add", "Gamma GmbH", "--code", "GAMMA", "--terms-code", "net30")
    assert (added["terms"], added["terms_days"]) == ("NET30", 30)
    assert [c["terms"] for c in terms.ok("customer", "list", "--search", "gamma")] == ["NET30"]
    with unchanged():
        assert terms.fails("customer", "edit", "BRIGHT", "--terms", "14") == (
            "error: customer BRIGHT has a payment terms template; its invoices follow it, "
            "not --terms 14"
        )
        assert terms.fails("customer", "edit", "BRIGHT", "--terms-code", "NOPE") == (
            "error: no payment terms 'NOPE'"
        )
        assert terms.fails(
            "customer", "edit", "BRIGHT", "--terms-code", "NET30", "--no-terms-code"
        ) == ("error: give --terms-code or --no-terms-code, not both")
        assert terms.fails("customer", "add", "Delta", "--terms", "7", "--terms-code", "NET30") == (
            "error: payment terms 7 days disagree with terms NET30 (net 30 days)"
        )
    cleared = terms.ok("customer", "edit", "BRIGHT", "--no-terms-code", "--terms", "14")
    assert (cleared["terms"], cleared["terms_days"]) == (None, 14)
    assert "14 days" in human("customer", "show", "BRIGHT")


def test_order_terms_and_invoice_terms(terms, human, unchanged):
    order = terms.ok("order", "new", "ACME", "--terms", "half", env=DAY0)
    assert (order["terms"], order["terms_text"]) == (
        "HALF",
        "2 % within 10 days, 50 % at 0 days, 50 % at 30 days",
    )
    number = order["number"]
    assert "Payment terms" in human("order", "show", number)
    changed = terms.ok("order", "terms", number, "NET30", env=DAY0)
    assert changed["terms"] == "NET30"
    assert terms.ok("order", "terms", number, "--clear", env=DAY0)["terms"] is None
    timeline = terms.ok("order", "timeline", number)
    assert [e["event"] for e in timeline if e["action"] == "terms_changed"] == [
        "terms changed",
        "terms changed",
    ]
    with unchanged():
        assert terms.fails("order", "terms", number) == (
            "error: give a payment terms CODE or --clear, one of them"
        )
        assert terms.fails("order", "terms", number, "NET30", "--clear") == (
            "error: give a payment terms CODE or --clear, one of them"
        )
        assert terms.fails("order", "terms", number, "--clear") == (
            f"error: order {number} has no payment terms of its own to clear"
        )
        assert terms.fails("order", "terms", "SO-99999", "NET30") == "error: no order 'SO-99999'"
        assert terms.fails("order", "new", "ACME", "--terms", "NOPE") == (
            "error: no payment terms 'NOPE'"
        )
    terms.ok("order", "terms", number, "HALF", env=DAY0)
    terms.ok("order", "add-line", number, "DESK-OAK", "2", env=DAY0)
    terms.ok("order", "confirm", number, "--override-credit", "test", env=DAY0)
    with unchanged():
        assert terms.fails("invoice", "create", number, "--terms", "NOPE") == (
            "error: no payment terms 'NOPE'"
        )
        assert terms.fails("invoice", "create", "--all", "--terms", "NOPE") == (
            "error: no payment terms 'NOPE'"
        )
    invoice = terms.ok("invoice", "create", number, "--terms", "net30", env=DAY0)
    assert (invoice["terms"], invoice["due_date"], len(invoice["schedule"])) == (
        "NET30",
        "2026-12-31",
        1,
    )
    other = sell(terms, customer="BRIGHT")
    (issued,) = terms.ok("invoice", "create", "--all", "--terms", "half", env=DAY0)
    assert (issued["order"], issued["terms"]) == (other, "HALF")
    assert [s["due_date"] for s in issued["schedule"]] == ["2026-12-01", "2026-12-31"]
    checked = terms.ok("check")
    assert (checked["ok"], checked["problems"]) == (True, [])


def test_completed_order_terms_are_refused(terms, unchanged):
    order = sell(terms)
    terms.ok("ship", order, env=DAY0)
    terms.ok("invoice", "create", order, env=DAY0)
    with unchanged():
        assert terms.fails("order", "terms", order, "HALF") == (
            f"error: cannot change the payment terms of order {order}: it is completed: fully "
            "invoiced and shipped"
        )


def test_peer_scenario_through_the_cli(shop, human):
    shop.ok("terms", "add", "HALF30", "--days", "30", "--split", "50@0", "--split", "50@30")
    shop.ok("customer", "edit", "ACME", "--terms-code", "HALF30")
    invoice = shop.ok("invoice", "create", sell(shop), env=DAY0)
    number = invoice["number"]
    assert invoice["total"] == "1163.82"
    assert [(s["due_date"], s["amount"], s["status"]) for s in invoice["schedule"]] == [
        ("2026-12-01", "581.91", "open"),
        ("2026-12-31", "581.91", "open"),
    ]
    # Nine days on: the first half is overdue, the second is not; the invoice is overdue.
    document = shop.ok("invoice", "show", number, env=DAY9)
    assert document["status"] == "overdue"
    assert [s["status"] for s in document["schedule"]] == ["overdue", "open"]
    assert [i["number"] for i in shop.ok("invoice", "list", "--overdue", env=DAY9)] == [number]
    screen = human("invoice", "show", number, env=DAY9)
    assert "581.91 due 2026-12-01; 581.91 due 2026-12-31" in screen
    assert "Schedule" in screen and "overdue" in screen
    (acme,) = shop.ok("report", "aging", "--as-of", "2026-12-10", "--customer", "ACME")["customers"]
    assert (acme["current"], acme["d1_30"], acme["total"]) == ("581.91", "581.91", "1163.82")
    (later,) = shop.ok("report", "aging", "--as-of", "2027-02-20", "--customer", "ACME")[
        "customers"
    ]
    assert (later["d61_90"], later["d31_60"]) == ("581.91", "581.91")
    statement = shop.ok("report", "statement", "ACME", env=DAY9)
    assert [(i["due_date"], i["open"], i["days_overdue"]) for i in statement["open_items"]] == [
        ("2026-12-01", "581.91", 9),
        ("2026-12-31", "581.91", 0),
    ]
    assert "Open items" in human("report", "statement", "ACME", env=DAY9)
    # A payment without --invoice settles the first instalment first (rule 13).
    payment = shop.ok("payment", "record", "ACME", "581.91", env=DAY9)
    assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [(number, "581.91")]
    document = shop.ok("invoice", "show", number, env=DAY9)
    assert document["status"] == "partially_paid"
    assert [(s["open"], s["status"]) for s in document["schedule"]] == [
        ("0.00", "paid"),
        ("581.91", "open"),
    ]
    assert shop.ok("invoice", "list", "--overdue", env=DAY9) == []
    report = shop.ok("report", "aging", "--as-of", "2026-12-10")
    trial = shop.ok("report", "trial-balance", "--as-of", "2026-12-10")
    (receivable,) = [a for a in trial["accounts"] if a["code"] == "1200"]
    assert report["totals"]["total"] == receivable["balance"]
    result = shop.run("check")
    assert result.exit_code == 0 and result.stdout.startswith("ok:")


def test_invoice_document_prints_terms_schedule_and_discount(terms, tmp_path):
    invoice = terms.ok("invoice", "create", sell(terms, "--terms", "HALF"), env=DAY0)
    target = tmp_path / "invoice.html"
    terms.ok("invoice", "pdf", invoice["number"], "--html", "-o", str(target), env=DAY0)
    html = target.read_text(encoding="utf-8")
    assert "2 instalments" in html
    assert "2 % discount if paid by 2026-12-11; 581.91 due 2026-12-01; 581.91 due 2026-12-31" in (
        html
    )
    assert "discount if paid by" in html and "pay" in html
    assert "1,140.54" in html  # 1163.82 less 2 % (23.28)
    assert html.count("581.91") >= 4  # in the terms text and twice in the schedule
    # After the discount window the line is gone; the schedule stays.
    terms.ok("invoice", "pdf", invoice["number"], "--html", "-o", str(target), env=DAY9)
    assert "1,140.54" in target.read_text(encoding="utf-8")
    later = {"ORDERCLI_TODAY": "2026-12-12"}
    terms.ok("invoice", "pdf", invoice["number"], "--html", "-o", str(target), env=later)
    assert "1,140.54" not in target.read_text(encoding="utf-8")
    pdf = tmp_path / "invoice.pdf"
    terms.ok("invoice", "pdf", invoice["number"], "-o", str(pdf), env=DAY0)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_plain_invoice_prints_as_before(shop, tmp_path, human):
    invoice = shop.ok("invoice", "create", sell(shop), env=DAY0)
    assert invoice["terms"] is None
    screen = human("invoice", "show", invoice["number"], env=DAY0)
    assert "Terms" not in screen and "Schedule" not in screen
    target = tmp_path / "invoice.html"
    shop.ok("invoice", "pdf", invoice["number"], "--html", "-o", str(target), env=DAY0)
    html = target.read_text(encoding="utf-8")
    assert "30 days net" in html and "instalments" not in html


def test_export_invoices_appends_terms_columns(terms, tmp_path):
    invoice = terms.ok("invoice", "create", sell(terms, "--terms", "HALF"), env=DAY0)
    target = tmp_path / "invoices.csv"
    terms.ok("export", "invoices", "--format", "csv", "-o", str(target), env=DAY9)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    (row,) = rows
    assert list(row)[:14] == [
        "number", "order", "customer", "customer_name", "issue_date", "due_date", "status",
        "currency", "subtotal", "tax", "total", "paid", "credited", "balance",
    ]  # fmt: skip
    assert list(row)[14:] == ["terms", "discounted", "written_off", "prepaid", "next_due_date"]
    assert (row["number"], row["terms"], row["next_due_date"], row["status"]) == (
        invoice["number"],
        "HALF",
        "2026-12-01",
        "overdue",
    )


@pytest.mark.parametrize(
    "command",
    [
        ["terms", "add"],
        ["terms", "list"],
        ["terms", "show"],
        ["order", "terms"],
    ],
)
def test_help_has_an_example(cli, command):
    result = cli.run(*command, "--help")
    assert result.exit_code == 0
    assert "Example: ordercli" in result.stdout
