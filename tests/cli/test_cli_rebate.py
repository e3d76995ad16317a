"""`ordercli rebate add/end/list/show/status/settle` end to end (SPEC ``rebate``, rule 20)."""

from __future__ import annotations

import json

import pytest

DEC = {"ORDERCLI_TODAY": "2026-12-02"}
NOV = {"ORDERCLI_TODAY": "2026-11-20"}


def sell(cli, day: str, qty: str = "4", customer: str = "ACME") -> str:
    order = cli.ok("order", "new", customer, "--date", day, env=NOV)["number"]
    cli.ok("order", "add-line", order, "DESK-OAK", qty, env=NOV)
    cli.ok("order", "confirm", order, "--override-credit", "test", env=NOV)
    return cli.ok("invoice", "create", order, "--date", day, env=NOV)["number"]


@pytest.fixture
def october(shop):
    """RA-00001: ACME monthly, 2 % from 1000, 3 % from 5000; 2934.00 net sold in October."""
    shop.ok(
        "rebate",
        "add",
        "ACME",
        "--period",
        "month",
        "--tier",
        "1000=2",
        "--tier",
        "5000=3",
        "--from",
        "2026-10-01",
        env=NOV,
    )
    sell(shop, "2026-10-05")
    sell(shop, "2026-10-20", qty="2")
    return shop


def test_add_show_list_and_end(shop, human):
    doc = shop.ok(
        "rebate",
        "add",
        "acme",
        "--period",
        "Quarter",
        "--tier",
        "25000=3",
        "--tier",
        "10000=2",
        "--from",
        "2026-10-01",
        env=NOV,
    )
    assert doc["number"] == "RA-00001"
    assert (doc["customer"], doc["period"], doc["valid_from"], doc["status"]) == (
        "ACME",
        "quarter",
        "2026-10-01",
        "active",
    )
    assert doc["tiers"] == [
        {"threshold": "10000.00", "rate": "2"},
        {"threshold": "25000.00", "rate": "3"},
    ]
    assert shop.ok("rebate", "show", "RA-00001", env=NOV)["settlements"] == []
    assert [d["number"] for d in shop.ok("rebate", "list", "--customer", "ACME")] == ["RA-00001"]
    text = human("rebate", "show", "RA-00001", env=NOV)
    assert "2% from 10000.00, 3% from 25000.00" in text
    ended = shop.ok("rebate", "end", "RA-00001", "--to", "2026-12-31", env=NOV)
    assert (ended["valid_to"], ended["status"]) == ("2026-12-31", "ended")


def test_status_shows_where_each_customer_stands(october, human):
    [row] = october.ok("rebate", "status", "--period", "2026-10", env=NOV)
    assert {
        k: row[k] for k in ("customer", "agreement", "period", "net_sales", "rate", "rebate")
    } == {
        "customer": "ACME",
        "agreement": "RA-00001",
        "period": "2026-10",
        "net_sales": "2934.00",
        "rate": "2",
        "rebate": "58.68",
    }
    assert row["next_tier"] == {"threshold": "5000.00", "rate": "3", "needed": "2066.00"}
    assert (row["settled"], row["settlement"]) == (False, None)
    assert "2066.00 more for 3%" in human("rebate", "status", "--period", "2026-10", env=NOV)
    # Without --period: the current month so far.
    assert october.ok("rebate", "status", env=NOV)[0]["period"] == "2026-11"


def test_settle_dry_run_then_settle_then_never_again(october, human, tmp_path):
    dry = october.ok("rebate", "settle", "--period", "2026-10", "--dry-run", env=DEC)
    assert dry["dry_run"] is True
    assert october.ok("rebate", "show", "RA-00001", env=DEC)["settlements"] == []
    assert october.ok("credit-memo", "list", env=DEC) == []
    done = october.ok("rebate", "settle", "--period", "2026-10", env=DEC)
    assert done["settled"] == dry["settled"]
    [row] = done["settled"]
    assert (row["number"], row["amount"], row["credit_memos"]) == (
        "RS-00001",
        "58.68",
        ["CM-00001", "CM-00002"],
    )
    memo = october.ok("credit-memo", "show", "CM-00001", env=DEC)
    assert (memo["rebate_settlement"], memo["kind"], memo["settlement"]) == (
        "RS-00001",
        "price",
        "store_credit",
    )
    error = october.fails("rebate", "settle", "--period", "2026-10", env=DEC)
    assert error == (
        "error: 2026-10 is already settled: ACME 2026-10 was settled by RS-00001 on 2026-12-02"
    )
    assert len(october.ok("credit-memo", "list", env=DEC)) == 2
    [status] = october.ok("rebate", "status", "--period", "2026-10", env=DEC)
    assert (status["settled"], status["settlement"]) == (True, "RS-00001")
    assert "settled RS-00001" in human("rebate", "status", "--period", "2026-10", env=DEC)
    exported = tmp_path / "memos.jsonl"
    october.ok("export", "credit-memos", "-o", str(exported), env=DEC)
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [(r["number"], r["rebate_settlement"]) for r in rows] == [
        ("CM-00001", "RS-00001"),
        ("CM-00002", "RS-00001"),
    ]
    accounts = {a["name"]: a for a in october.ok("report", "trial-balance", env=DEC)["accounts"]}
    assert accounts["Sales rebates and discounts"]["debit"] == "58.68"
    assert october.ok("check", env=DEC)["ok"] is True


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--period", "2026-11"], "error: 2026-11 ends 2026-11-30: settle it from 2026-12-01"),
        (
            ["--period", "Q4-2026"],
            "error: period 'Q4-2026' is not a month, quarter or year: "
            "write 2026-11, 2026-Q4 or 2026",
        ),
        (
            ["--period", "2026-10", "--settlement", "cash"],
            "error: settlement 'cash' must be refund or store_credit",
        ),
        (
            ["--period", "2026-Q3", "--customer", "ACME"],
            "error: ACME's agreement RA-00001 is settled by month, not by quarter",
        ),
    ],
)
def test_settle_refusals_change_nothing(october, args, error):
    before = october.ok("credit-memo", "list", env=NOV)
    assert october.fails("rebate", "settle", *args, env=NOV) == error
    assert october.ok("credit-memo", "list", env=NOV) == before
    assert october.ok("rebate", "show", "RA-00001", env=NOV)["settlements"] == []


def test_add_refusals(shop):
    assert shop.fails(
        "rebate", "add", "ACME", "--period", "month", "--tier", "5000=2", "--tier", "10000=1"
    ) == (
        "error: the tier from 10000.00 gives 1% but the lower one from 5000.00 gives 2%: "
        "a higher threshold must not lower the rate"
    )
    assert shop.fails("rebate", "add", "ACME", "--period", "week", "--tier", "1=1") == (
        "error: rebate period 'week' must be month, quarter or year"
    )
    assert shop.ok("rebate", "list") == []
