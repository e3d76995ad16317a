"""`ordercli pricelist …` and `customer edit --price-list` end to end (rule 19)."""

from __future__ import annotations

import json

import pytest

LIST_KEYS = {"name", "gross", "on", "customers", "prices"}
PRICE_KEYS = {"sku", "name", "min_qty", "unit_price", "valid_from", "valid_to", "holds"}


def build_lists(cli) -> None:
    cli.ok("pricelist", "add", "TRADE")
    cli.ok("pricelist", "add", "RETAIL", "--gross")
    cli.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "450", "--to", "2026-12-31")
    cli.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "430", "--from", "2027-01-01")
    cli.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "420", "--min-qty", "5")
    cli.ok("customer", "edit", "BRIGHT", "--price-list", "trade")


@pytest.fixture
def lists(shop, ledger_state):
    """TRADE (net; BRIGHT buys from it): DESK-OAK 450 until 2026-12-31, 430 from
    2027-01-01, 420 from 5 on. RETAIL (gross), empty."""
    ledger_state("price-lists", build_lists)
    return shop


def test_add_and_list(shop, human):
    doc = shop.ok("pricelist", "add", "TRADE")
    assert doc == {"name": "TRADE", "gross": False, "on": doc["on"], "customers": [], "prices": []}
    assert shop.ok("pricelist", "add", "RETAIL", "--gross")["gross"] is True
    assert shop.fails("pricelist", "add", "trade") == "error: price list TRADE already exists"
    assert shop.ok("pricelist", "list") == [
        {"name": "RETAIL", "gross": True, "price_count": 0, "customer_count": 0},
        {"name": "TRADE", "gross": False, "price_count": 0, "customer_count": 0},
    ]
    out = human("pricelist", "list")
    for fact in ("Price lists", "RETAIL", "gross", "TRADE", "net"):
        assert fact in out
    assert "Price list SHOP" in human("pricelist", "add", "SHOP")


def test_set_price_show_and_holds(lists, human):
    doc = lists.ok("pricelist", "show", "trade", "--on", "2027-01-01")
    assert LIST_KEYS <= doc.keys() and doc["customers"] == ["BRIGHT"]
    assert all(PRICE_KEYS <= p.keys() for p in doc["prices"])
    assert [
        (p["min_qty"], p["unit_price"], p["valid_from"], p["valid_to"], p["holds"])
        for p in doc["prices"]
    ] == [
        ("1", "450.00", None, "2026-12-31", False),
        ("1", "430.00", "2027-01-01", None, True),
        ("5", "420.00", None, None, True),
    ]
    doc = lists.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "425", "--min-qty", "5")
    assert (doc["action"], doc["unit_price"], doc["price_list"]) == ("updated", "425.00", "TRADE")
    doc = lists.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "425", "--min-qty", "5")
    assert doc["action"] == "unchanged"
    out = human("pricelist", "show", "TRADE", "--sku", "DESK-OAK", "--on", "2026-12-31")
    for fact in ("Price list TRADE", "before tax", "BRIGHT", "Prices on 2026-12-31", "450.00"):
        assert fact in out
    out = human("pricelist", "set-price", "RETAIL", "LAMP-LED", "59.90")
    assert "LAMP-LED (created)" in out and "59.90 incl. tax" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("DESK-OAK", "0"), "error: a price must be more than zero"),
        (("DESK-OAK", "--", "-3"), "error: price '-3' must not be negative"),
        (("DESK-OAK", "1", "--min-qty", "0"), "error: a quantity break starts at 1 or more, not 0"),
        (
            ("DESK-OAK", "1", "--from", "2027-02-01", "--to", "2027-01-01"),
            "error: the price ends (2027-01-01) before it starts (2027-02-01)",
        ),
        (("NOPE", "1"), "error: no product 'NOPE'"),
        (
            ("DESK-OAK", "440", "--from", "2026-06-01"),
            "error: TRADE already has a price for DESK-OAK from 1 on: 450.00 (until 2026-12-31), "
            "which shares days with the new one (from 2026-06-01 on)",
        ),
    ],
)
def test_set_price_refusals_change_nothing(lists, unchanged, args, message):
    with unchanged():
        assert lists.fails("pricelist", "set-price", "TRADE", *args) == message


def test_an_overlap_says_how_to_resolve_it(lists):
    result = lists.run(
        "pricelist",
        "set-price",
        "TRADE",
        "DESK-OAK",
        "440",
        "--min-qty",
        "5",
        "--from",
        "2027-03-01",
    )
    assert result.exit_code == 1
    assert (
        "hint: end it first: `ordercli pricelist set-price TRADE DESK-OAK 420.00 --min-qty 5 "
        "--to 2027-02-28`, or remove it: `ordercli pricelist remove-price TRADE DESK-OAK "
        "--min-qty 5`"
    ) in result.stderr


def test_remove_price(lists, unchanged, human):
    with unchanged():
        assert lists.fails("pricelist", "remove-price", "TRADE", "DESK-OAK") == (
            "error: TRADE has 2 prices for DESK-OAK from 1 (until 2026-12-31; "
            "from 2027-01-01 on): say which with --from"
        )
        assert lists.fails("pricelist", "remove-price", "TRADE", "LAMP-LED") == (
            "error: TRADE has no price for LAMP-LED from 1"
        )
    doc = lists.ok("pricelist", "remove-price", "TRADE", "DESK-OAK", "--from", "2027-01-01")
    assert (doc["action"], doc["unit_price"], doc["valid_from"]) == (
        "removed",
        "430.00",
        "2027-01-01",
    )
    out = human("pricelist", "remove-price", "TRADE", "DESK-OAK", "--min-qty", "5")
    assert "DESK-OAK (removed)" in out
    assert len(lists.ok("pricelist", "show", "TRADE")["prices"]) == 1


def test_customer_takes_a_list_and_orders_price_from_it(lists, human, unchanged):
    doc = lists.ok("customer", "show", "BRIGHT")
    assert doc["price_list"] == "TRADE"
    assert "TRADE" in human("customer", "show", "BRIGHT")
    assert lists.ok("customer", "show", "ACME")["price_list"] is None
    assert all("price_list" in c for c in lists.ok("customer", "list"))
    with unchanged():
        assert lists.fails("customer", "edit", "ACME", "--price-list", "NOPE") == (
            "error: no price list 'NOPE'"
        )
        assert lists.fails(
            "customer", "edit", "ACME", "--price-list", "TRADE", "--no-price-list"
        ) == ("error: give --price-list or --no-price-list, not both")
    lists.ok("order", "new", "BRIGHT", "--date", "2026-11-02")
    lists.ok("order", "add-line", "SO-00001", "DESK-OAK", "2")
    lists.ok("order", "add-line", "SO-00001", "DESK-OAK", "5")
    lists.ok("order", "add-line", "SO-00001", "DESK-OAK", "1", "--price", "300")
    lines = lists.ok("order", "show", "SO-00001")["lines"]
    assert [(ln["unit_price"], ln["price_source"]) for ln in lines] == [
        ("450.00", "list"),
        ("420.00", "break"),
        ("300.00", "manual"),
    ]
    # A later price never touches the order's lines.
    lists.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "460", "--to", "2026-12-31")
    assert lists.ok("order", "show", "SO-00001")["lines"][0]["unit_price"] == "450.00"
    assert lists.ok("customer", "edit", "BRIGHT", "--no-price-list")["price_list"] is None
    assert (
        lists.ok("customer", "add", "Shop", "--code", "SHOP", "--price-list", "RETAIL")[
            "price_list"
        ]
        == "RETAIL"
    )
    assert lists.ok("pricelist", "list")[1]["customer_count"] == 0
    assert lists.ok("check")["ok"] is True


def test_import_creates_updates_and_skips(lists, tmp_path, human):
    good = tmp_path / "prices.csv"
    good.write_text(
        "\ufeffprice_list,sku,unit_price,min_qty,valid_from,valid_to\n"
        "RETAIL,LAMP-LED,59.90,,,\n"
        "retail,LAMP-LED,54.90,10,,\n"
        "TRADE,DESK-OAK,425,5,,\n",
        encoding="utf-8",
    )
    doc = lists.ok("pricelist", "import", str(good))
    assert {k: doc[k] for k in ("file", "created", "updated", "skipped", "errors")} == {
        "file": str(good),
        "created": 2,
        "updated": 1,
        "skipped": 0,
        "errors": [],
    }
    again = lists.ok("pricelist", "import", str(good))
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 3)
    assert len(lists.ok("pricelist", "show", "RETAIL")["prices"]) == 2
    lines = tmp_path / "prices.jsonl"
    lines.write_text(
        json.dumps({"price_list": "TRADE", "sku": "LAMP-LED", "unit_price": "40.00"}) + "\n",
        encoding="utf-8",
    )
    out = human("pricelist", "import", str(lines), "--dry-run")
    assert "prices to create" in out and "nothing written" in out
    assert lists.ok("pricelist", "import", str(lines))["created"] == 1


def test_import_lists_every_bad_row_and_writes_nothing(lists, tmp_path, unchanged):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "price_list,sku,unit_price,min_qty,valid_from,valid_to\n"
        "NOPE,LAMP-LED,1,,,\n"
        "RETAIL,NOPE,1,,,\n"
        "RETAIL,LAMP-LED,0,,,\n"
        "RETAIL,LAMP-LED,3,0.5,,\n"
        "RETAIL,DESK-OAK,500,,2027-01-01,2026-01-01\n"
        "TRADE,DESK-OAK,440,,2026-12-01,\n"
        "RETAIL,DESK-OAK,580,,,\n"
        "RETAIL,DESK-OAK,570,,2027-03-01,\n"
        "RETAIL,DESK-OAK,580,,,\n"
        "RETAIL,MAT-CHAIR,abc,,,\n"
        "RETAIL,MAT-CHAIR,45,,,\n",
        encoding="utf-8",
    )
    with unchanged():
        result = lists.run("pricelist", "import", str(bad), "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["errors"] == [
        {"line": 2, "message": "no price list 'NOPE' (add it with `ordercli pricelist add`)"},
        {"line": 3, "message": "no product 'NOPE'"},
        {"line": 4, "message": "a price must be more than zero"},
        {"line": 5, "message": "a quantity break starts at 1 or more, not 0.5"},
        {"line": 6, "message": "the price ends (2026-01-01) before it starts (2027-01-01)"},
        {
            "line": 7,
            "message": "TRADE already has a price for DESK-OAK from 1 on: 450.00 "
            "(until 2026-12-31), which shares days with the new one (from 2026-12-01 on)",
        },
        {
            "line": 9,
            "message": "RETAIL already has a price for DESK-OAK from 1 on (line 8 of the file): "
            "580.00 (always), which shares days with the new one (from 2027-03-01 on)",
        },
        {
            "line": 10,
            "message": "the price of DESK-OAK on RETAIL from 1 with no start date "
            "is also on line 8",
        },
        {"line": 11, "message": "unit_price 'abc' is not a number"},
    ]
    assert doc["created"] == 0
    assert "error: bad.csv: 9 bad rows; nothing was imported" in result.stderr
    with unchanged():
        human_result = lists.run("pricelist", "import", str(bad))
    assert "line 10: the price of DESK-OAK" in human_result.stdout
