"""`ordercli report sales` and `ordercli status` end to end.

One small ledger is built through the CLI with dated documents (its own
customers and catalog, so every record, stock included, carries the dates the
test gives it). Expected figures are computed here from the individual
documents' `show --json`, never by the code under test.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from ordercli.db.engine import dispose_all

pytestmark = pytest.mark.sqlite_only("the books fixture copies and snapshots SQLite ledger files")

D = Decimal
TODAY = "2026-04-30"
INVOICES = ["INV-00001", "INV-00002", "INV-00003", "INV-00004"]
MEMOS = ["CM-00001", "CM-00002", "CM-00003"]
ORDERS = ["SO-00001", "SO-00002", "SO-00003", "SO-00004", "SO-00005", "SO-00006"]


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


def build(cli) -> None:
    """ACME (30 days) and CAFE (14 days); DESK (3 in stock), LAMP (100), INSTALL (service).

    01-10 SO-1 ACME 4 DESK + 2.5 INSTALL, confirmed: 1 DESK backordered
    01-15 INV-1 2 DESK;  01-20 SH-1 3 DESK
    02-03 INV-2 the rest of SO-1 (2 DESK, 2.5 INSTALL)
    02-10 SO-2 CAFE 5 LAMP, confirmed, INV-3;  02-20 CAFE pays INV-3
    03-05 CM-1 on INV-1: 1 DESK (January's invoice, credited in March)
    03-20 CM-2 on INV-3: 20.00 by amount (store credit: INV-3 was paid)
    04-02 CM-3 on INV-2: everything (April nets negative)
    04-10 SO-3 ACME draft 2 LAMP;  04-12 SO-4 CAFE 3 LAMP confirmed, then held
    04-15 5 DESK received (SO-1's backorder covered)
    04-20 SO-5 ACME 10 LAMP + 1 INSTALL confirmed, INV-4 for 4 LAMP
    04-25 SO-6 ACME 6 DESK confirmed: 2 backordered
    04-30 ACME pays 100.00 (to INV-1, the oldest)
    """
    day = on("2026-01-02")
    cli.ok("customer", "add", "Acme Ltd", "--code", "ACME", "--terms", "30", env=day)
    cli.ok("customer", "add", "Cafe Nero", "--code", "CAFE", "--terms", "14", env=day)
    cli.ok("product", "add", "DESK", "Oak desk", "--price", "489.00", "--tax-rate", "19",
           "--stock", "3", env=day)  # fmt: skip
    cli.ok("product", "add", "LAMP", "LED lamp", "--price", "49.95", "--tax-rate", "19",
           "--stock", "100", env=day)  # fmt: skip
    cli.ok("product", "add", "INSTALL", "Installation", "--price", "65.00", "--tax-rate", "19",
           "--service", env=day)  # fmt: skip

    def order(number, customer, day, lines, confirm=True):
        cli.ok("order", "new", customer, "--date", day, env=on(day))
        for sku, qty in lines:
            cli.ok("order", "add-line", number, sku, qty, env=on(day))
        if confirm:
            cli.ok("order", "confirm", number, env=on(day))

    order("SO-00001", "ACME", "2026-01-10", [("DESK", "4"), ("INSTALL", "2.5")])
    cli.ok("invoice", "create", "SO-00001", "--line", "DESK=2", "--date", "2026-01-15",
           env=on("2026-01-15"))  # fmt: skip
    cli.ok("shipment", "create", "SO-00001", "--line", "DESK=3", "--date", "2026-01-20",
           env=on("2026-01-20"))  # fmt: skip
    cli.ok("invoice", "create", "SO-00001", "--date", "2026-02-03", env=on("2026-02-03"))
    order("SO-00002", "CAFE", "2026-02-10", [("LAMP", "5")])
    cli.ok("invoice", "create", "SO-00002", "--date", "2026-02-10", env=on("2026-02-10"))
    cli.ok("payment", "record", "CAFE", "297.20", "--date", "2026-02-20", env=on("2026-02-20"))
    cli.ok("credit-memo", "create", "INV-00001", "--line", "DESK=1", "--date", "2026-03-05",
           env=on("2026-03-05"))  # fmt: skip
    cli.ok("credit-memo", "create", "INV-00003", "--amount", "20.00", "--date", "2026-03-20",
           env=on("2026-03-20"))  # fmt: skip
    cli.ok("credit-memo", "create", "INV-00002", "--date", "2026-04-02", env=on("2026-04-02"))
    order("SO-00003", "ACME", "2026-04-10", [("LAMP", "2")], confirm=False)
    order("SO-00004", "CAFE", "2026-04-12", [("LAMP", "3")])
    cli.ok("order", "hold", "SO-00004", "check the address", env=on("2026-04-12"))
    cli.ok("stock", "receive", "DESK", "5", env=on("2026-04-15"))
    order("SO-00005", "ACME", "2026-04-20", [("LAMP", "10"), ("INSTALL", "1")])
    cli.ok("invoice", "create", "SO-00005", "--line", "LAMP=4", "--date", "2026-04-20",
           env=on("2026-04-20"))  # fmt: skip
    order("SO-00006", "ACME", "2026-04-25", [("DESK", "6")])
    cli.ok("payment", "record", "ACME", "100.00", "--date", TODAY, env=on(TODAY))


@pytest.fixture(scope="session")
def _built(tmp_path_factory) -> dict:
    return {"dir": tmp_path_factory.mktemp("sales-status"), "path": None}


@pytest.fixture
def books(cli, ledger_path: Path, _built, monkeypatch):
    """The ledger of ``build`` (built once per test process, copied for each test)."""
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    if _built["path"] is None:
        work = _built["dir"] / "work.db"
        shutil.copyfile(ledger_path, work)  # the fresh, empty, migrated ledger
        build(type(cli)(work))
        dispose_all()
        done = _built["dir"] / "books.db"
        source, target = sqlite3.connect(work), sqlite3.connect(done)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        _built["path"] = done
    dispose_all()
    shutil.copyfile(_built["path"], ledger_path)
    return cli


def documents(cli) -> list[tuple[str, str, str, str, Decimal, Decimal]]:
    """(date, customer, sku, kind, net, tax) of every invoice line and credit memo line,
    credit memo lines negative, read from each document's `show --json`."""
    rows = []
    for number in INVOICES:
        doc = cli.ok("invoice", "show", number)
        for line in doc["lines"]:
            rows.append((doc["issue_date"], doc["customer"], line["sku"], "invoice",
                         D(line["net"]), D(line["tax"])))  # fmt: skip
    for number in MEMOS:
        doc = cli.ok("credit-memo", "show", number)
        for line in doc["lines"]:
            rows.append((doc["issue_date"], doc["customer"], line["sku"], "credit",
                         -D(line["net"]), -D(line["tax"])))  # fmt: skip
    return rows


def expected_rows(rows, key_of) -> dict[str, dict[str, Decimal]]:
    grouped: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"net": D(0), "tax": D(0), "invoiced": D(0), "credited": D(0)}
    )
    for row in rows:
        day, customer, sku, kind, net, tax = row
        group = grouped[key_of(row)]
        group["net"] += net
        group["tax"] += tax
        group["invoiced" if kind == "invoice" else "credited"] += abs(net)
    return grouped


def figures(report_row: dict) -> dict[str, Decimal]:
    return {k: D(report_row[k]) for k in ("net", "tax", "invoiced", "credited")}


KEYS = {
    "month": lambda row: row[0][:7],
    "customer": lambda row: row[1],
    "product": lambda row: row[2],
}


# --- report sales ---------------------------------------------------------------------


@pytest.mark.parametrize("by", ["month", "customer", "product"])
def test_sales_rows_equal_the_documents(books, by):
    expected = expected_rows(documents(books), KEYS[by])
    report = books.ok("report", "sales", "--by", by)
    assert report["by"] == by and report["currency"] == "EUR"
    got = {row["key"]: figures(row) for row in report["rows"]}
    if by == "month":
        assert list(got) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert got == {key: dict(value) for key, value in expected.items()}
    for row in report["rows"]:
        assert D(row["total"]) == D(row["net"]) + D(row["tax"])
    totals = report["totals"]
    assert D(totals["net"]) == sum(v["net"] for v in expected.values())
    assert D(totals["tax"]) == sum(v["tax"] for v in expected.values())
    assert D(totals["total"]) == D(totals["net"]) + D(totals["tax"])


def test_a_credit_lowers_its_own_month_not_the_invoices(books):
    cm1 = books.ok("credit-memo", "show", "CM-00001")
    inv1 = books.ok("invoice", "show", "INV-00001")
    rows = {r["key"]: r for r in books.ok("report", "sales")["rows"]}
    assert D(rows["2026-01"]["net"]) == D(inv1["subtotal"])  # January untouched
    assert D(rows["2026-03"]["credited"]) == D(cm1["subtotal"]) + D(
        books.ok("credit-memo", "show", "CM-00002")["subtotal"]
    )
    assert D(rows["2026-04"]["net"]) < 0  # CM-3 credits all of February's INV-2


def test_credit_by_amount_lands_on_the_product_it_was_spread_over(books):
    memo = books.ok("credit-memo", "show", "CM-00002")
    assert [(line["sku"], line["qty"]) for line in memo["lines"]] == [("LAMP", "0")]
    march = books.ok("report", "sales", "--by", "product", "--from", "2026-03-20",
                     "--to", "2026-03-31")  # fmt: skip
    assert [(r["key"], r["net"], r["tax"]) for r in march["rows"]] == [
        ("LAMP", f"-{memo['subtotal']}", f"-{memo['tax']}")
    ]


def test_total_net_equals_the_journal_for_the_same_period(books):
    """Net = revenue credits − refunds debits, for the whole ledger and for a period."""

    def account(as_of: str, role: str) -> dict:
        accounts = books.ok("report", "trial-balance", "--as-of", as_of)["accounts"]
        return next(a for a in accounts if a["role"] == role)

    for date_from, before, date_to in (
        ("2026-01-01", "2025-12-31", TODAY),
        ("2026-02-01", "2026-01-31", "2026-03-31"),
    ):
        revenue = D(account(date_to, "revenue")["credit"]) - D(account(before, "revenue")["credit"])
        refunds = D(account(date_to, "refunds")["debit"]) - D(account(before, "refunds")["debit"])
        report = books.ok("report", "sales", "--from", date_from, "--to", date_to)
        assert D(report["totals"]["net"]) == revenue - refunds
        assert D(report["totals"]["invoiced"]) == revenue
        assert D(report["totals"]["credited"]) == refunds


def test_as_of_before_and_after_a_credit_memo(books):
    cm1 = books.ok("credit-memo", "show", "CM-00001")
    before = books.ok("report", "sales", "--by", "customer", "--as-of", "2026-03-04")
    after = books.ok("report", "sales", "--by", "customer", "--as-of", "2026-03-05")
    assert before["as_of"] == "2026-03-04"
    acme_before = next(r for r in before["rows"] if r["key"] == "ACME")
    acme_after = next(r for r in after["rows"] if r["key"] == "ACME")
    assert D(acme_before["net"]) - D(acme_after["net"]) == D(cm1["subtotal"])
    assert D(acme_before["tax"]) - D(acme_after["tax"]) == D(cm1["tax"])
    assert acme_after["name"] == "Acme Ltd"
    # --as-of with --to: the earlier bound holds.
    assert books.ok("report", "sales", "--to", TODAY, "--as-of", "2026-03-04") == {
        **books.ok("report", "sales", "--as-of", "2026-03-04"),
        "to": TODAY,
    }


def test_from_to_and_as_of_bound_the_documents(books):
    report = books.ok("report", "sales", "--from", "2026-01-01", "--to", "2026-01-31")
    assert [r["key"] for r in report["rows"]] == ["2026-01"]
    assert (report["from"], report["to"], report["as_of"]) == ("2026-01-01", "2026-01-31", None)
    early = books.ok("report", "sales", "--by", "month", "--as-of", "2026-03-04")
    assert [r["key"] for r in early["rows"]] == ["2026-01", "2026-02"]


def test_sales_on_an_empty_ledger(cli):
    report = cli.ok("report", "sales")
    assert report["rows"] == []
    assert report["totals"] == {
        "net": "0.00", "tax": "0.00", "total": "0.00", "invoiced": "0.00", "credited": "0.00"
    }  # fmt: skip
    result = cli.run("report", "sales", "--by", "product")
    assert result.exit_code == 0 and "no invoices or credit memos" in result.stderr


def test_sales_human_output_has_a_table_and_a_bar_chart(books, human):
    text = human("report", "sales")
    assert "Sales by month, net of credit memos (EUR)" in text
    assert "Net revenue by month (EUR)" in text
    chart = text[text.index("Net revenue by month") :].splitlines()[1:]
    bars = {line.split()[0]: line for line in chart if line.strip()}
    assert set(bars) == {"2026-01", "2026-02", "2026-03", "2026-04"}
    assert "▒" in bars["2026-04"] and "█" not in bars["2026-04"]  # negative: shaded, left
    assert "█" in bars["2026-02"] and "▒" not in bars["2026-02"]
    assert all("│" in line for line in bars.values())  # the zero axis
    # Longer bars for larger nets.
    rows = {r["key"]: D(r["net"]) for r in books.ok("report", "sales")["rows"]}
    biggest = max(rows, key=rows.get)
    assert bars[biggest].count("█") == max(line.count("█") for line in bars.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "week"), "error: cannot group sales by 'week' (one of month, customer, product)"),
        (("--from", "2026-02-30"), "error: --from '2026-02-30' is not a date (use YYYY-MM-DD)"),
        (("--to", "soon"), "error: --to 'soon' is not a date (use YYYY-MM-DD)"),
        (("--as-of", "2026-1-1"), "error: --as-of '2026-1-1' is not a date (use YYYY-MM-DD)"),
        (("--from", "2026-03-01", "--to", "2026-02-01"),
         "error: --from 2026-03-01 is after --to 2026-02-01"),
        (("--from", "2026-03-01", "--as-of", "2026-02-01"),
         "error: --from 2026-03-01 is after --as-of 2026-02-01"),
    ],
)  # fmt: skip
def test_sales_refuses_bad_input_with_one_line(cli, args, message):
    assert cli.fails("report", "sales", *args) == message


# --- status ---------------------------------------------------------------------------


def expected_order_figures(cli) -> dict:
    """to_confirm / to_ship / to_invoice from each order's `order show --json`."""
    drafts, draft_total = 0, D(0)
    ship_orders, ship_lines, backordered_lines = set(), 0, 0
    bill_orders, bill_lines, bill_net, bill_total = set(), 0, D(0), D(0)
    invoiced_amounts: dict[tuple[str, str], tuple[Decimal, Decimal]] = defaultdict(
        lambda: (D(0), D(0))
    )
    for number in INVOICES:
        doc = cli.ok("invoice", "show", number)
        for line in doc["lines"]:
            net, tax = invoiced_amounts[(doc["order"], line["sku"])]
            invoiced_amounts[(doc["order"], line["sku"])] = (
                net + D(line["net"]),
                tax + D(line["tax"]),
            )
    # A credit of a quantity billed in error (rule 14, the default kind) takes it off
    # what stands invoiced: it is to be invoiced again.
    for memo in (cli.ok("credit-memo", "show", n) for n in MEMOS):
        for line in memo["lines"]:
            if line["effect"] == "rebill":
                net, tax = invoiced_amounts[(memo["order"], line["sku"])]
                invoiced_amounts[(memo["order"], line["sku"])] = (
                    net - D(line["net"]),
                    tax - D(line["tax"]),
                )
    for number in ORDERS:
        order = cli.ok("order", "show", number)
        if order["status"] == "draft":
            drafts += 1
            draft_total += D(order["total"])
        if order["status"] in ("confirmed", "on_hold"):
            for line in order["lines"]:
                # a service is never shipped: invoicing it delivers it (rule 12)
                if not line["service"] and D(line["qty"]) > D(line["qty_shipped"]):
                    ship_orders.add(number)
                    ship_lines += 1
                    backordered_lines += D(line["qty_backordered"]) > 0
        if order["status"] == "confirmed":
            for line in order["lines"]:
                if D(line["qty"]) > D(line["qty_invoiced"]):
                    bill_orders.add(number)
                    bill_lines += 1
                    net, tax = invoiced_amounts[(number, line["sku"])]
                    bill_net += D(line["net"]) - net
                    bill_total += D(line["total"]) - net - tax
    return {
        "to_confirm": {"orders": drafts, "total": draft_total},
        "to_ship": {
            "orders": len(ship_orders),
            "lines": ship_lines,
            "backordered_lines": backordered_lines,
        },  # fmt: skip
        "to_invoice": {
            "orders": len(bill_orders),
            "lines": bill_lines,
            "net": bill_net,
            "total": bill_total,
        },  # fmt: skip
    }


def test_status_figures_equal_the_documents(books):
    status = books.ok("status")
    assert status["as_of"] is None and status["day"] == TODAY
    expected = expected_order_figures(books)
    assert status["to_confirm"]["orders"] == expected["to_confirm"]["orders"] == 1
    assert D(status["to_confirm"]["total"]) == expected["to_confirm"]["total"]
    for key in ("orders", "lines", "backordered_lines"):
        assert status["to_ship"][key] == expected["to_ship"][key]
    assert (status["to_ship"]["orders"], status["to_ship"]["backordered_lines"]) == (5, 1)
    for key in ("orders", "lines"):
        assert status["to_invoice"][key] == expected["to_invoice"][key]
    assert D(status["to_invoice"]["net"]) == expected["to_invoice"]["net"]
    assert D(status["to_invoice"]["total"]) == expected["to_invoice"]["total"]

    invoices = [books.ok("invoice", "show", n) for n in INVOICES]
    owing = [i for i in invoices if D(i["balance"]) > 0]
    overdue = [i for i in owing if i["due_date"] < TODAY]
    assert [i["number"] for i in overdue] == ["INV-00001"]
    assert status["overdue_receivables"] == {
        "invoices": 1,
        "amount": overdue[0]["balance"],
        "oldest_days_overdue": 75,  # due 2026-02-14
        "oldest_invoice": "INV-00001",
        "as_of_exact": True,
    }
    assert status["open_receivables"]["invoices"] == len(owing) == 2
    assert D(status["open_receivables"]["amount"]) == sum(D(i["balance"]) for i in owing)
    cafe = books.ok("customer", "show", "CAFE")
    assert status["unapplied_credit"]["customers"] == 1
    assert status["unapplied_credit"]["amount"] == cafe["unapplied_credit"] == "20.00"

    desk, lamp = books.ok("product", "show", "DESK"), books.ok("product", "show", "LAMP")
    order6 = books.ok("order", "show", "SO-00006")
    assert status["backorders"]["products"] == 1
    assert status["backorders"]["units"] == order6["lines"][0]["qty_backordered"] == "2"
    assert status["low_stock"]["products"] == 1
    assert status["low_stock"]["lowest"] == [
        {"sku": "DESK", "name": "Oak desk", "on_hand": desk["on_hand"],
         "reserved": desk["reserved"], "available": desk["available"]}
    ]  # fmt: skip
    # The threshold decides; services never count.
    wide = books.ok("status", "--low-stock", lamp["available"])
    assert [p["sku"] for p in wide["low_stock"]["lowest"]] == ["DESK", "LAMP"]
    assert books.ok("status", "--low-stock", "0")["low_stock"]["products"] == 1  # DESK < 0
    assert status["activity"] == {
        "day": TODAY, "orders": 0, "invoices": 0, "invoiced": "0.00", "payments": 1,
        "received": "100.00", "shipments": 0, "as_of_exact": True,
    }  # fmt: skip
    assert all(section["as_of_exact"] for section in status.values() if isinstance(section, dict))


def test_status_as_of_today_rebuilds_the_same_figures(books):
    now = books.ok("status")
    rebuilt = books.ok("status", "--as-of", TODAY)
    for section, figures_now in now.items():
        if not isinstance(figures_now, dict):
            continue
        kept = {k: v for k, v in rebuilt[section].items() if not k.startswith("as_of")}
        assert kept == {k: v for k, v in figures_now.items() if k != "as_of_exact"}, section


def test_status_as_of_a_past_day(books):
    """As of 2026-01-31: SO-1 alone, 1 DESK still to ship and the hours to invoice (a
    service is delivered by invoicing it), INV-1 open."""
    inv1 = books.ok("invoice", "show", "INV-00001")
    so1 = books.ok("order", "show", "SO-00001")
    status = books.ok("status", "--as-of", "2026-01-31")
    assert status["as_of"] == status["day"] == "2026-01-31"
    assert status["to_confirm"] == {"orders": 0, "net": "0.00", "total": "0.00",
                                    "as_of_exact": True}  # fmt: skip
    assert status["to_ship"]["orders"] == 1 and status["to_ship"]["lines"] == 1
    # 3 DESK on hand went out on 01-20; the 4th waits for stock.
    assert status["to_ship"]["backordered_lines"] == 1
    assert status["to_ship"]["as_of_exact"] is False and status["to_ship"]["as_of_notes"]
    assert status["to_invoice"]["orders"] == 1 and status["to_invoice"]["lines"] == 2
    assert D(status["to_invoice"]["total"]) == D(so1["total"]) - D(inv1["total"])
    assert status["to_invoice"]["as_of_exact"] is True
    assert status["overdue_receivables"]["invoices"] == 0  # due 02-14
    assert status["open_receivables"] == {"invoices": 1, "amount": inv1["total"],
                                          "as_of_exact": True}  # fmt: skip
    assert status["unapplied_credit"]["amount"] == "0.00"
    assert status["backorders"]["units"] == "1" and status["backorders"]["as_of_exact"] is False
    assert status["low_stock"]["lowest"][0] == {
        "sku": "DESK", "name": "Oak desk", "on_hand": "0", "reserved": "1", "available": "-1"
    }  # fmt: skip
    assert status["activity"]["orders"] == 0


def test_status_as_of_before_and_after_the_stock_receipt(books):
    before = books.ok("status", "--as-of", "2026-04-14")
    after = books.ok("status", "--as-of", "2026-04-15")
    assert (before["backorders"]["products"], before["backorders"]["units"]) == (1, "1")
    assert (after["backorders"]["products"], after["backorders"]["units"]) == (0, "0")
    assert before["to_ship"]["backordered_lines"] == 1
    assert after["to_ship"]["backordered_lines"] == 0
    # SO-4 is on hold from 04-12: counted to ship, never to invoice. SO-1's desks credited
    # in March and April as billed in error (the default kind) are to invoice again.
    assert before["to_invoice"]["orders"] == 1
    assert before["to_ship"]["orders"] == 3  # SO-1 (1 DESK, hours), SO-2, SO-4
    assert before["to_confirm"]["orders"] == 1  # SO-3


def test_status_as_of_before_and_after_a_credit_memo(books):
    cm2 = books.ok("credit-memo", "show", "CM-00002")
    before = books.ok("status", "--as-of", "2026-03-19")
    after = books.ok("status", "--as-of", "2026-03-20")
    assert before["unapplied_credit"] == {"customers": 0, "amount": "0.00", "as_of_exact": True}
    assert after["unapplied_credit"]["amount"] == cm2["total"]


def test_status_on_an_empty_ledger(cli, human):
    status = cli.ok("status")
    assert status["to_confirm"]["orders"] == status["to_ship"]["lines"] == 0
    assert status["open_receivables"]["amount"] == "0.00"
    assert status["overdue_receivables"]["oldest_days_overdue"] is None
    assert status["backorders"]["top"] == [] and status["low_stock"]["lowest"] == []
    assert cli.ok("status", "--as-of", "2020-01-01")["to_ship"]["orders"] == 0
    assert "Orders" in human("status")


def test_status_human_output_fits_one_screen(books, human):
    text = human("status", env={"COLUMNS": "100", "ORDERCLI_TODAY": TODAY})
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= 30 and max(len(line) for line in lines) <= 100
    for label in ("To confirm", "To ship", "To invoice", "Overdue", "Unapplied credit",
                  "Backorders", "Low stock", "DESK", "INV-00001", "EUR"):  # fmt: skip
        assert label in text
    assert "*" not in text
    past = human("status", "--as-of", "2026-01-31")
    assert "To ship*" in past and "Backorders*" in past and "To invoice*" not in past
    assert "* not exact as of 2026-01-31: reservations and backorders" in past


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "31.01.2026"), "error: --as-of '31.01.2026' is not a date (use YYYY-MM-DD)"),
        (("--low-stock", "-1"), "error: --low-stock '-1' must be zero or greater than zero"),
        (("--low-stock", "many"), "error: --low-stock 'many' is not a number"),
    ],
)
def test_status_refuses_bad_input_with_one_line(cli, args, message):
    assert cli.fails("status", *args) == message
