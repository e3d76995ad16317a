"""``order show``/``quote show``/``invoice show`` with prices' sources, a document discount
and prices that include tax (SPEC rule 19), at 80 columns as at 160."""

from __future__ import annotations

import pytest

from ordercli.cli.output import output

SKUS = ("DESK-OAK", "CHAIR-ERGO", "MONITOR-ARM", "CABLE-TRAY", "WHITEBOARD", "SHELF-WALL")
WIDE = {"COLUMNS": "160"}
NARROW = {"COLUMNS": "80"}


def shown(cli, *args: str, env: dict) -> str:
    """The human output at ``env``'s COLUMNS, no line wider."""
    # The console is made once per process, before a test's COLUMNS: give it the width.
    width, output.out.width = output.out.width, int(env["COLUMNS"])
    try:
        result = cli.run(*args, env=env)
    finally:
        output.out.width = width
    assert result.exit_code == 0, (result.stdout, result.stderr)
    too_wide = [line for line in result.stdout.splitlines() if len(line) > int(env["COLUMNS"])]
    assert not too_wide, too_wide
    return result.stdout


@pytest.fixture
def traded(shop):
    """ACME buys from TRADE; SO-00001 has a break, a list, a typed and a product price,
    with 5 % off the whole."""
    shop.ok("pricelist", "add", "TRADE")
    shop.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "450")
    shop.ok("pricelist", "set-price", "TRADE", "DESK-OAK", "400", "--min-qty", "5")
    shop.ok("pricelist", "set-price", "TRADE", "CHAIR-ERGO", "290")
    shop.ok("customer", "edit", "ACME", "--price-list", "TRADE")
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "6")
    shop.ok("order", "add-line", "SO-00001", "CHAIR-ERGO", "2")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "3", "--price", "45")
    for sku in SKUS[2:]:
        shop.ok("order", "add-line", "SO-00001", sku, "1")
    shop.ok("order", "discount", "SO-00001", "--pct", "5")
    return shop


@pytest.mark.parametrize("env", [WIDE, NARROW], ids=["160", "80"])
def test_an_order_shows_its_discount_and_where_prices_came_from(traded, env):
    doc = traded.ok("order", "show", "SO-00001")
    text = shown(traded, "order", "show", "SO-00001", env=env)
    assert f"Discount 5%  -{doc['discount']}" in " ".join(text.split()).replace(
        "Discount 5% ", "Discount 5%  "
    )
    assert "Src" in text
    legend = "Src: L price list TRADE; B quantity break on TRADE; M price typed by hand"
    assert legend in " ".join(text.split())
    for sku in SKUS:
        assert sku in text


def test_sources_are_not_marked_when_every_price_is_the_products(shop):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "DESK-OAK", "1")
    text = shown(shop, "order", "show", "SO-00001", env=WIDE)
    assert "Src" not in text and "Discount" not in text
    assert "Subtotal" in text and "incl. tax" not in text


@pytest.mark.parametrize("env", [WIDE, NARROW], ids=["160", "80"])
def test_a_gross_invoice_says_its_prices_include_tax(shop, env):
    shop.ok("order", "new", "ACME", "--prices-include-tax")
    for sku in SKUS:
        shop.ok("order", "add-line", "SO-00001", sku, "2")
    shop.ok("order", "discount", "SO-00001", "--amount", "50")
    shop.ok("order", "confirm", "SO-00001", "--override-credit", "test")
    invoice = shop.ok("invoice", "create", "SO-00001")
    text = " ".join(shown(shop, "invoice", "show", invoice["number"], env=env).split())
    assert f"Discount -{invoice['discount']}" in text
    assert f"Total (incl. tax) {invoice['total']}" in text
    assert f"of which net {invoice['subtotal']}" in text
    assert f"of which tax {invoice['tax']}" in text
    if env is WIDE:  # at 80 columns the header folds over lines
        assert "Price incl. tax" in text


def test_a_discounted_quote_shows_it(shop):
    shop.ok("quote", "new", "ACME")
    shop.ok("quote", "add-line", "Q-00001", "DESK-OAK", "2")
    doc = shop.ok("quote", "discount", "Q-00001", "--amount", "20")
    assert doc["discount"] == "20.00" and doc["discount_amount"] == "20.00"
    text = " ".join(shown(shop, "quote", "show", "Q-00001", env=NARROW).split())
    assert "Discount -20.00" in text
