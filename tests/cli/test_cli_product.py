"""`ordercli product add/list/show/edit` end to end."""

from __future__ import annotations

import pytest

SPEC_KEYS = {
    "sku",
    "name",
    "unit_price",
    "tax_rate",
    "service",
    "on_hand",
    "reserved",
    "available",
}


# --- add -------------------------------------------------------------------


def test_add_stocked_product(cli, human):
    doc = cli.ok(
        "product",
        "add",
        "TEA-G",
        "Green tea",
        "--price",
        "12.5",
        "--tax-rate",
        "7",
        "--stock",
        "1.25",
    )
    assert SPEC_KEYS <= doc.keys()
    expected = {
        "sku": "TEA-G",
        "name": "Green tea",
        "unit_price": "12.50",
        "tax_rate": "7",
        "service": False,
        "on_hand": "1.25",
        "reserved": "0",
        "available": "1.25",
    }
    assert {k: doc[k] for k in expected} == expected
    out = human("product", "show", "TEA-G")
    for fact in ("Product TEA-G", "Green tea", "stocked", "12.50", "7%", "1.25"):
        assert fact in out


def test_add_product_defaults(cli):
    doc = cli.ok("product", "add", "FREE", "Free sample", "--price", "0")
    assert (doc["unit_price"], doc["tax_rate"], doc["on_hand"]) == ("0.00", "0", "0")
    zero = cli.ok("product", "add", "ZERO", "No stock", "--price", "1", "--stock", "0")
    assert zero["on_hand"] == "0"


def test_add_product_accepts_percent_sign_and_fractional_rate(cli):
    doc = cli.ok("product", "add", "P1", "Reduced", "--price", "10", "--tax-rate", "5.5%")
    assert doc["tax_rate"] == "5.5"


def test_add_service(cli, human):
    doc = cli.ok("product", "add", "CONSULT", "Consulting hour", "--price", "95", "--service")
    assert doc["service"] is True
    assert (doc["on_hand"], doc["reserved"], doc["available"]) == ("0", "0", "0")
    out = human("product", "show", "CONSULT")
    assert "service" in out and "95.00" in out
    assert "On hand" not in out


@pytest.mark.parametrize(
    "name", ["Grüner Tee 緑茶", "<b>Bold</b> & <i>co</i>", "[red]lamp[/red] [/]", "Ünïcødé ☕"]
)
def test_unicode_product_names_round_trip(cli, human, name):
    assert cli.ok("product", "add", "U1", name, "--price", "1")["name"] == name
    assert cli.ok("product", "show", "U1")["name"] == name
    assert cli.ok("product", "list")[0]["name"] == name
    assert name in human("product", "show", "U1")


def test_duplicate_sku_is_refused_case_insensitively(shop, unchanged):
    with unchanged():
        assert shop.fails("product", "add", "DESK-OAK", "x", "--price", "1") == (
            "error: product DESK-OAK already exists"
        )
        assert shop.fails("product", "add", "desk-oak", "x", "--price", "1") == (
            "error: product desk-oak already exists"
        )


def test_duplicate_non_ascii_sku_is_refused_case_insensitively(cli, unchanged):
    cli.ok("product", "add", "ÉCRAN", "Screen", "--price", "199")
    with unchanged():
        assert cli.fails("product", "add", "écran", "Other screen", "--price", "1") == (
            "error: product écran already exists"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "x", "--price", "1"], "SKU must not be empty"),
        (["A B", "x", "--price", "1"], "SKU 'A B' must not contain spaces"),
        (["A=B", "x", "--price", "1"], "SKU 'A=B' must not contain '='"),
        (["NEW", "", "--price", "1"], "product name must not be empty"),
        (["NEW", "x", "--price", ""], "price is empty"),
        (["NEW", "x", "--price", "abc"], "price 'abc' is not a number"),
        (["NEW", "x", "--price=-1"], "price '-1' must not be negative"),
        (["NEW", "x", "--price", "12.345"], "price '12.345' has more than 2 decimal places"),
        (["NEW", "x", "--price", "1e400"], "price '1e400' is too large"),
        (
            ["NEW", "x", "--price", "99999999999999999999"],
            "price '99999999999999999999' is too large",
        ),
        (["NEW", "x", "--price", "NaN"], "price 'NaN' is not a finite number"),
        (["NEW", "x", "--price", "Infinity"], "price 'Infinity' is not a finite number"),
        (
            ["NEW", "x", "--price", "1", "--tax-rate", "101"],
            "tax rate '101' must be between 0 and 100",
        ),
        (["NEW", "x", "--price", "1", "--tax-rate=-1"], "tax rate '-1' must be between 0 and 100"),
        (
            ["NEW", "x", "--price", "1", "--tax-rate", "7.12345"],
            "tax rate '7.12345' has more than 4 decimal places",
        ),
        (["NEW", "x", "--price", "1", "--tax-rate", "seven"], "tax rate 'seven' is not a number"),
        (
            ["NEW", "x", "--price", "1", "--stock=-1"],
            "stock '-1' must be zero or greater than zero",
        ),
        (
            ["NEW", "x", "--price", "1", "--stock", "1.2345"],
            "stock '1.2345' has more than 3 decimal places",
        ),
        (["NEW", "x", "--price", "1", "--stock", "1e400"], "stock '1e400' is too large"),
        (["NEW", "x", "--price", "1", "--stock", "lots"], "stock 'lots' is not a number"),
        (
            ["NEW", "x", "--price", "1", "--service", "--stock", "3"],
            "NEW is a service: services are never stocked, drop --stock",
        ),
    ],
)
def test_add_product_bad_input(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("product", "add", *args) == f"error: {message}"


def test_add_product_without_price_is_a_usage_error(shop, unchanged):
    with unchanged():
        result = shop.run("product", "add", "NEW", "Thing")
    assert result.exit_code == 2
    assert "--price" in result.stderr


# --- show ------------------------------------------------------------------


def test_show_sample_products(shop, human):
    desk = shop.ok("product", "show", "DESK-OAK")
    assert {k: desk[k] for k in SPEC_KEYS} == {
        "sku": "DESK-OAK",
        "name": "Oak desk, 160 × 80 cm",
        "unit_price": "489.00",
        "tax_rate": "19",
        "service": False,
        "on_hand": "12",
        "reserved": "0",
        "available": "12",
    }
    coffee = shop.ok("product", "show", "coffee-kg")
    assert (coffee["sku"], coffee["on_hand"], coffee["tax_rate"]) == ("COFFEE-KG", "35.5", "7")
    assert shop.ok("product", "show", "INSTALL")["service"] is True
    out = human("product", "show", "CHAIR-ERGO")
    assert "312.50" in out and "40" in out and "Ergonomic office chair" in out


@pytest.mark.parametrize(
    ("sku", "message"), [("NOPE", "no product 'NOPE'"), ("", "SKU is empty"), (" ", "SKU is empty")]
)
def test_show_unknown_product(shop, unchanged, sku, message):
    with unchanged():
        assert shop.fails("product", "show", sku) == f"error: {message}"


# --- edit ------------------------------------------------------------------


def test_edit_product(shop, human):
    doc = shop.ok(
        "product", "edit", "LAMP-LED", "--name", "LED lamp v2", "--price", "55", "--tax-rate", "7"
    )
    assert (doc["name"], doc["unit_price"], doc["tax_rate"]) == ("LED lamp v2", "55.00", "7")
    assert doc["on_hand"] == "100"
    assert shop.ok("product", "show", "LAMP-LED") == doc
    assert "LED lamp v3" in human("product", "edit", "LAMP-LED", "--name", "LED lamp v3")


def test_edited_price_does_not_touch_existing_lines(shop):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "2")
    shop.ok("product", "edit", "LAMP-LED", "--price", "60")
    order = shop.ok("order", "show", "SO-00001")
    assert order["lines"][0]["unit_price"] == "49.95"
    assert order["total"] == "118.88"
    added = shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "1")
    assert added["lines"][1]["unit_price"] == "60.00"


def test_inactive_product_cannot_be_sold(shop, unchanged, human):
    doc = shop.ok("product", "edit", "LAMP-LED", "--inactive")
    assert doc["active"] is False
    assert "inactive" in human("product", "show", "LAMP-LED")
    shop.ok("order", "new", "ACME")
    shop.ok("quote", "new", "ACME")
    with unchanged():
        assert shop.fails("order", "add-line", "SO-00001", "LAMP-LED", "1") == (
            "error: product LAMP-LED is inactive"
        )
        assert shop.fails("quote", "add-line", "Q-00001", "LAMP-LED", "1") == (
            "error: product LAMP-LED is inactive"
        )
    assert shop.ok("product", "edit", "LAMP-LED", "--active")["active"] is True
    assert (
        shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "1")["lines"][0]["sku"] == "LAMP-LED"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["LAMP-LED"], "nothing to change on product LAMP-LED"),
        (["LAMP-LED", "--name", ""], "product name must not be empty"),
        (["LAMP-LED", "--price", "1.001"], "price '1.001' has more than 2 decimal places"),
        (["LAMP-LED", "--price=-2"], "price '-2' must not be negative"),
        (["LAMP-LED", "--price", "1e400"], "price '1e400' is too large"),
        (["LAMP-LED", "--tax-rate", "150"], "tax rate '150' must be between 0 and 100"),
        (["NOPE", "--price", "1"], "no product 'NOPE'"),
    ],
)
def test_edit_product_refused(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("product", "edit", *args) == f"error: {message}"


# --- list ------------------------------------------------------------------


def test_list_products(shop, human):
    rows = shop.ok("product", "list")
    assert isinstance(rows, list) and len(rows) == 16
    assert all(SPEC_KEYS <= row.keys() for row in rows)
    by_sku = {row["sku"]: row for row in rows}
    assert by_sku["COFFEE-KG"]["available"] == "35.5"
    assert by_sku["DESIGN"]["service"] is True
    out = human("product", "list")
    assert "Products" in out and "DESK-OAK" in out and "service" in out


def test_list_products_filters(shop):
    services = [p["sku"] for p in shop.ok("product", "list", "--services")]
    assert sorted(services) == ["DELIVERY", "DESIGN", "INSTALL"]
    goods = shop.ok("product", "list", "--goods")
    assert len(goods) == 13 and not any(p["service"] for p in goods)
    assert [p["sku"] for p in shop.ok("product", "list", "--search", "espresso")] == ["COFFEE-KG"]
    assert len(shop.ok("product", "list", "--limit", "3")) == 3
    assert len(shop.ok("product", "list", "--all")) == 16
    assert shop.ok("product", "list", "--search", "nothing-like-this") == []


def test_list_products_bad_limit(shop, unchanged):
    with unchanged():
        assert (
            shop.fails("product", "list", "--limit", "0") == "error: --limit 0 must be at least 1"
        )
        assert shop.fails("product", "list", "--limit=-2") == "error: --limit -2 must be at least 1"


def test_list_products_newest_first(shop):
    shop.ok("product", "add", "ZZZ-NEW", "Newest product", "--price", "1")
    rows = shop.ok("product", "list", "--limit", "2")
    assert [p["sku"] for p in rows] == ["ZZZ-NEW", "DESIGN"]


def test_list_products_default_limit_is_50(cli, uow):
    from decimal import Decimal

    from ordercli.services.inventory.catalog import add_product

    with uow() as session:
        for i in range(55):
            add_product(session=session, sku=f"P{i:02d}", name=f"Part {i}", price=Decimal("1.00"))
    assert len(cli.ok("product", "list")) == 50
    assert len(cli.ok("product", "list", "--all")) == 55
    assert len(cli.ok("product", "list", "--limit", "7")) == 7
