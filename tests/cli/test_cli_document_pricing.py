"""`order reprice`, `quote reprice`, `order/quote discount`, `--prices-include-tax` and the
prices of `order explain`, end to end (SPEC rules 10 and 19)."""

from __future__ import annotations

from decimal import Decimal

D = Decimal


def run_ok(cli, *args: str) -> None:
    result = cli.run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)


def trade(cli) -> None:
    """ACME buys from TRADE: DESK-OAK 450.00, from 10 on 400.00."""
    run_ok(cli, "pricelist", "add", "TRADE")
    run_ok(cli, "pricelist", "set-price", "TRADE", "DESK-OAK", "450")
    run_ok(cli, "pricelist", "set-price", "TRADE", "DESK-OAK", "400", "--min-qty", "10")
    run_ok(cli, "customer", "edit", "ACME", "--price-list", "TRADE")


def test_order_reprice_prints_the_order_and_what_changed(shop, human):
    trade(shop)
    number = shop.ok("order", "new", "ACME")["number"]
    shop.ok("order", "add-line", number, "DESK-OAK", "4")
    shop.ok("order", "add-line", number, "LAMP-LED", "2", "--price", "40")
    run_ok(shop, "pricelist", "set-price", "TRADE", "DESK-OAK", "440")
    assert shop.ok("order", "show", number)["lines"][0]["unit_price"] == "450.00"
    doc = shop.ok("order", "reprice", number)
    assert doc["changes"] == ["line 1 (DESK-OAK): price 450.00 → 440.00 (list)"]
    assert [line["unit_price"] for line in doc["lines"]] == ["440.00", "40.00"]
    assert doc["subtotal"] == "1840.00"
    out = human("order", "reprice", number)
    assert f"Order {number}" in out
    assert out.rstrip().endswith("nothing changed")


def test_a_confirmed_order_is_not_repriced(shop, unchanged):
    trade(shop)
    number = shop.ok("order", "new", "ACME")["number"]
    shop.ok("order", "add-line", number, "DESK-OAK", "4")
    shop.ok("order", "confirm", number, "--override-credit", "test")
    run_ok(shop, "pricelist", "set-price", "TRADE", "DESK-OAK", "300")
    assert shop.ok("order", "show", number)["lines"][0]["unit_price"] == "450.00"
    with unchanged():
        assert shop.fails("order", "reprice", number) == (
            f"error: only a draft is re-priced; {number} is confirmed"
        )
        assert shop.fails("order", "discount", number, "--pct", "5").startswith(
            f"error: only a draft is discounted as a whole; {number} is confirmed"
        )


def test_order_discount_pct_amount_and_clear(shop, human, unchanged):
    number = shop.ok("order", "new", "ACME")["number"]
    shop.ok("order", "add-line", number, "DESK-OAK", "3", "--price", "333.33")
    shop.ok("order", "add-line", number, "LAMP-LED", "7")
    doc = shop.ok("order", "discount", number, "--amount", "100.01")
    assert sum(D(line["doc_discount"]) for line in doc["lines"]) == D("100.01")
    assert D(doc["subtotal"]) == sum(D(line["net"]) for line in doc["lines"])
    assert D(doc["total"]) == D(doc["subtotal"]) + D(doc["tax"])
    assert doc["changes"][0].startswith("discount 100.01: 100.01 off over 2 lines; total ")
    out = human("order", "discount", number, "--pct", "5")
    assert "discount 5% (was 100.01): " in out
    with unchanged():
        assert shop.fails("order", "discount", number, "--pct", "5", "--amount", "1") == (
            "error: give exactly one of --pct, --amount or --clear"
        )
        assert shop.fails("order", "discount", number, "--pct", "100").startswith(
            "error: a document discount of 100% must be more than 0%"
        )
        assert shop.fails("order", "discount", number, "--amount", "5000") == (
            f"error: a discount of 5000.00 is more than {number}'s lines come to before it "
            "(1349.64)"
        )
    doc = shop.ok("order", "discount", number, "--clear")
    assert doc["subtotal"] == "1349.64"
    assert all(line["doc_discount"] == "0.00" for line in doc["lines"])


def test_quote_reprice_and_discount(shop, unchanged):
    trade(shop)
    number = shop.ok("quote", "new", "ACME")["number"]
    shop.ok("quote", "add-line", number, "DESK-OAK", "12")
    run_ok(shop, "pricelist", "set-price", "TRADE", "DESK-OAK", "390", "--min-qty", "10")
    doc = shop.ok("quote", "reprice", number)
    assert doc["changes"] == ["line 1 (DESK-OAK): price 400.00 → 390.00 (break)"]
    doc = shop.ok("quote", "discount", number, "--pct", "10")
    assert doc["subtotal"] == "4212.00"
    shop.ok("quote", "send", number)
    with unchanged():
        assert shop.fails("quote", "discount", number, "--clear") == (
            f"error: {number} is sent: revise it first (`ordercli quote revise {number}`)"
        )
        assert shop.fails("quote", "reprice", number).startswith(f"error: {number} is sent")


def test_a_gross_order_from_the_cli(shop):
    number = shop.ok("order", "new", "ACME", "--prices-include-tax")["number"]
    doc = shop.ok("order", "add-line", number, "LAMP-LED", "3", "--price", "59.99")
    (line,) = doc["lines"]
    assert D(line["net"]) + D(line["tax"]) == D("179.97")
    assert line["net"] == "151.24"  # 179.97 / 1.19 = 151.235…, half-up
    net = shop.ok("quote", "new", "ACME", "--prices-exclude-tax")
    assert net["number"]


def test_explain_says_where_prices_came_from(shop, human):
    trade(shop)
    number = shop.ok("order", "new", "ACME")["number"]
    shop.ok("order", "add-line", number, "DESK-OAK", "12")
    shop.ok("order", "add-line", number, "MAT-CHAIR", "1", "--price", "35")
    shop.ok("order", "discount", number, "--pct", "5")
    story = shop.ok("order", "explain", number)
    assert [line["price_from"] for line in story["pricing"]["lines"]] == [
        "line 1 DESK-OAK: 400.00 from price list TRADE, break 10+",
        "line 2 MAT-CHAIR: 35.00 typed on the line",
    ]
    out = human("order", "explain", number)
    assert "Prices:" in out
    assert "line 1 DESK-OAK: 400.00 from price list TRADE, break 10+" in out
    assert "order discount 5% (241.75 over 2 lines)" in out
