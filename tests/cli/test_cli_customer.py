"""`ordercli customer add/list/show/edit/deactivate/activate` end to end."""

from __future__ import annotations

import pytest

from ordercli.services.parties.customers import add_customer

SPEC_KEYS = {"code", "name", "email", "terms_days", "credit_limit", "balance", "active"}

UNICODE_NAMES = [
    "株式会社テスト",
    "Müller & Söhne Ärzte — Café Ñandú",
    "<b>Bold & Co</b> &amp; <script>x</script>",
    "[bold]Not markup[/bold] [/]",
    "Ünïcödé ☕ 🚀 Ltd",
    'O\'Brien "Quoted" Ltd',
]


# --- add -------------------------------------------------------------------


def test_add_customer_with_every_option(cli, human):
    doc = cli.ok(
        "customer",
        "add",
        "Acme Widgets Ltd",
        "--code",
        "AW",
        "--email",
        "ap@aw.example",
        "--phone",
        "+44 1",
        "--billing-address",
        "1 High St",
        "--shipping-address",
        "2 Low St",
        "--tax-id",
        "GB1",
        "--terms",
        "14",
        "--credit-limit",
        "1000.5",
    )
    assert SPEC_KEYS <= doc.keys()
    assert doc["code"] == "AW"
    assert doc["name"] == "Acme Widgets Ltd"
    assert doc["email"] == "ap@aw.example"
    assert doc["phone"] == "+44 1"
    assert doc["billing_address"] == "1 High St"
    assert doc["shipping_address"] == "2 Low St"
    assert doc["tax_id"] == "GB1"
    assert doc["terms_days"] == 14
    assert doc["credit_limit"] == "1000.50"
    assert doc["balance"] == "0.00"
    assert doc["active"] is True

    out = human("customer", "show", "AW")
    for fact in ("Customer AW", "Acme Widgets Ltd", "ap@aw.example", "14 days", "1000.50"):
        assert fact in out
    assert "active" in out


def test_add_customer_defaults_and_auto_codes(cli, human):
    first = cli.ok("customer", "add", "First Ltd")
    second = cli.ok("customer", "add", "Second Ltd")
    assert (first["code"], second["code"]) == ("C-00001", "C-00002")
    assert first["terms_days"] == 30
    assert first["credit_limit"] is None
    assert first["email"] is None
    out = human("customer", "add", "Third Ltd")
    assert "C-00003" in out and "Third Ltd" in out and "none" in out


def test_add_customer_trims_whitespace(cli):
    doc = cli.ok("customer", "add", "  Spaced Ltd  ", "--code", " SP ")
    assert (doc["code"], doc["name"]) == ("SP", "Spaced Ltd")


def test_auto_code_skips_a_code_taken_by_hand(cli):
    cli.ok("customer", "add", "Manual Ltd", "--code", "C-00001")
    doc = cli.ok("customer", "add", "Automatic Ltd")
    assert doc["code"] != "C-00001"
    assert doc["name"] == "Automatic Ltd"


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_and_markup_names_round_trip(cli, human, name):
    added = cli.ok("customer", "add", name, "--code", "U1", "--billing-address", name)
    assert added["name"] == name
    assert added["billing_address"] == name
    shown = cli.ok("customer", "show", "U1")
    assert shown["name"] == name
    assert [c["name"] for c in cli.ok("customer", "list")] == [name]
    assert name in human("customer", "show", "U1")


def test_unicode_customer_code(cli):
    doc = cli.ok("customer", "add", "Tokyo Branch", "--code", "東京")
    assert doc["code"] == "東京"
    assert cli.ok("customer", "show", "東京")["name"] == "Tokyo Branch"
    assert cli.ok("order", "new", "東京")["customer"] == "東京"


def test_duplicate_code_is_refused_case_insensitively(shop, unchanged):
    with unchanged():
        assert shop.fails("customer", "add", "Other", "--code", "ACME") == (
            "error: customer ACME already exists"
        )
        assert shop.fails("customer", "add", "Other", "--code", "acme") == (
            "error: customer acme already exists"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["", "--code", "E1"], "customer name must not be empty"),
        (["   ", "--code", "E1"], "customer name must not be empty"),
        (["x" * 201], "customer name is longer than 200 characters"),
        (["Bell\x07 Ltd"], "customer name contains control characters"),
        (["X", "--code", "A B"], "customer code 'A B' must not contain spaces"),
        (["X", "--code", "A=B"], "customer code 'A=B' must not contain '='"),
        (["X", "--code", ""], "customer code must not be empty"),
        (["X", "--email", "not-an-email"], "email 'not-an-email' is not an email address"),
        (["X", "--email", "a b@c.d"], "email 'a b@c.d' is not an email address"),
        (["X", "--terms=-1"], "payment terms -1 must be between 0 and 3650 days"),
        (["X", "--terms", "3651"], "payment terms 3651 must be between 0 and 3650 days"),
        (["X", "--credit-limit=-5"], "credit limit '-5' must not be negative"),
        (["X", "--credit-limit", "abc"], "credit limit 'abc' is not a number"),
        (["X", "--credit-limit", "1.234"], "credit limit '1.234' has more than 2 decimal places"),
        (["X", "--credit-limit", "1e400"], "credit limit '1e400' is too large"),
        (["X", "--credit-limit", "NaN"], "credit limit 'NaN' is not a finite number"),
        (["X", "--credit-limit", ""], "credit limit is empty"),
    ],
)
def test_add_customer_bad_input(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("customer", "add", *args) == f"error: {message}"


@pytest.mark.parametrize("terms", ["x", "1.5", ""])
def test_add_customer_terms_must_be_an_integer(shop, unchanged, terms):
    with unchanged():
        result = shop.run("customer", "add", "X", "--terms", terms)
    assert result.exit_code == 2
    assert "--terms" in result.stderr and "Traceback" not in result.stderr


# --- show ------------------------------------------------------------------


def test_show_customer_from_sample_data(shop, human):
    doc = shop.ok("customer", "show", "TOKYO")
    assert SPEC_KEYS <= doc.keys()
    assert doc["name"] == "株式会社さくらオフィス"
    assert doc["terms_days"] == 45
    assert doc["credit_limit"] is None
    assert doc["balance"] == "0.00"
    mueller = shop.ok("customer", "show", "MUELLER")
    assert mueller["name"] == "Müller & Söhne Architekten"
    out = human("customer", "show", "BRIGHT")
    assert "Bright Spaces Interiors GmbH" in out and "15000.00" in out and "14 days" in out


def test_show_customer_by_exact_name_and_lowercase_code(shop):
    assert shop.ok("customer", "show", "Acme Office Supplies Ltd")["code"] == "ACME"
    assert shop.ok("customer", "show", "acme")["code"] == "ACME"


def test_show_balance_follows_invoices(confirmed):
    invoice = confirmed.ok("invoice", "create", "SO-00001")
    doc = confirmed.ok("customer", "show", "ACME")
    assert doc["balance"] == invoice["total"] == "2521.02"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("NOPE", "no customer 'NOPE'"),
        ("", "customer code is empty"),
        ("   ", "customer code is empty"),
    ],
)
def test_show_unknown_customer(shop, unchanged, code, message):
    with unchanged():
        assert shop.fails("customer", "show", code) == f"error: {message}"


def test_show_customer_as_of(confirmed):
    confirmed.ok(
        "invoice",
        "create",
        "SO-00001",
        "--date",
        "2027-03-01",
        env={"ORDERCLI_TODAY": "2027-03-01"},
    )
    before = confirmed.ok("customer", "show", "ACME", "--as-of", "2027-02-28")
    assert before["balance"] == "0.00"


# --- edit ------------------------------------------------------------------


def test_edit_customer_changes_only_given_fields(shop, human):
    doc = shop.ok(
        "customer",
        "edit",
        "ACME",
        "--name",
        "Acme Group plc",
        "--terms",
        "7",
        "--credit-limit",
        "500",
        "--email",
        "new@acme.example",
    )
    assert doc["code"] == "ACME"
    assert doc["name"] == "Acme Group plc"
    assert doc["terms_days"] == 7
    assert doc["credit_limit"] == "500.00"
    assert doc["email"] == "new@acme.example"
    assert doc["tax_id"] == "GB123456789"  # untouched
    assert shop.ok("customer", "show", "ACME") == doc
    assert "Acme Group plc" in human("customer", "edit", "ACME", "--phone", "+44 2")


def test_edit_customer_removes_credit_limit(shop):
    doc = shop.ok("customer", "edit", "BRIGHT", "--no-credit-limit")
    assert doc["credit_limit"] is None


def test_edit_customer_unicode_name(shop):
    doc = shop.ok("customer", "edit", "ACME", "--name", "Ａｃｍｅ 株式会社 <i>&</i>")
    assert doc["name"] == "Ａｃｍｅ 株式会社 <i>&</i>"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ACME"], "nothing to change on customer ACME"),
        (["ACME", "--name", ""], "customer name must not be empty"),
        (["ACME", "--email", "nope"], "email 'nope' is not an email address"),
        (["ACME", "--terms=-3"], "payment terms -3 must be between 0 and 3650 days"),
        (
            ["ACME", "--credit-limit", "12.345"],
            "credit limit '12.345' has more than 2 decimal places",
        ),
        (["ACME", "--credit-limit=-1"], "credit limit '-1' must not be negative"),
        (["NOPE", "--terms", "5"], "no customer 'NOPE'"),
    ],
)
def test_edit_customer_refused(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("customer", "edit", *args) == f"error: {message}"


# --- deactivate / activate -------------------------------------------------


def test_deactivate_and_activate(shop, human, unchanged):
    doc = shop.ok("customer", "deactivate", "ACME")
    assert doc["active"] is False and doc["code"] == "ACME"
    assert "inactive" in human("customer", "show", "ACME")
    with unchanged():
        assert shop.fails("customer", "deactivate", "ACME") == (
            "error: customer ACME is already inactive"
        )
    doc = shop.ok("customer", "activate", "ACME")
    assert doc["active"] is True
    with unchanged():
        assert (
            shop.fails("customer", "activate", "ACME") == "error: customer ACME is already active"
        )
    out = human("customer", "deactivate", "BRIGHT")
    assert "Customer BRIGHT" in out and "inactive" in out
    assert "active" in human("customer", "activate", "BRIGHT")


def test_deactivate_unknown_customer(shop, unchanged):
    with unchanged():
        assert shop.fails("customer", "deactivate", "GHOST") == "error: no customer 'GHOST'"
        assert shop.fails("customer", "activate", "") == "error: customer code is empty"


def test_inactive_customer_gets_no_new_quote_or_order(shop, unchanged):
    shop.ok("customer", "deactivate", "ACME")
    with unchanged():
        assert shop.fails("order", "new", "ACME") == (
            "error: customer ACME is inactive and gets no new orders"
        )
        assert shop.fails("quote", "new", "ACME") == (
            "error: customer ACME is inactive and gets no new quotes"
        )
    shop.ok("customer", "activate", "ACME")
    assert shop.ok("order", "new", "ACME")["number"] == "SO-00001"


def test_inactive_customer_draft_cannot_be_confirmed(shop, unchanged):
    shop.ok("order", "new", "ACME")
    shop.ok("order", "add-line", "SO-00001", "LAMP-LED", "1")
    shop.ok("customer", "deactivate", "ACME")
    with unchanged():
        assert shop.fails("order", "confirm", "SO-00001") == (
            "error: cannot confirm SO-00001: customer ACME is inactive"
        )


# --- list ------------------------------------------------------------------


def test_list_customers_newest_first(shop, human):
    rows = shop.ok("customer", "list")
    assert isinstance(rows, list) and len(rows) == 12
    assert rows[0]["code"] == "STUDIO" and rows[-1]["code"] == "ACME"
    assert all(SPEC_KEYS <= row.keys() for row in rows)
    acme = next(row for row in rows if row["code"] == "ACME")
    assert {k: acme[k] for k in ("credit_limit", "terms_days", "balance", "active")} == {
        "credit_limit": "25000.00",
        "terms_days": 30,
        "balance": "0.00",
        "active": True,
    }
    shop.ok("customer", "add", "Newest Ltd", "--code", "NEW")
    assert shop.ok("customer", "list")[0]["code"] == "NEW"
    out = human("customer", "list")
    assert "Customers" in out and "Newest Ltd" in out and "株式会社さくらオフィス" in out


def test_list_customers_search_and_inactive_filters(shop):
    assert [c["code"] for c in shop.ok("customer", "list", "--search", "gmbh")] == ["BRIGHT"]
    assert [c["code"] for c in shop.ok("customer", "list", "--search", "CAF")] == ["CAFE"]
    shop.ok("customer", "deactivate", "ACME")
    active = [c["code"] for c in shop.ok("customer", "list", "--all")]
    assert "ACME" not in active and len(active) == 11
    assert [c["code"] for c in shop.ok("customer", "list", "--inactive")] == ["ACME"]
    assert len(shop.ok("customer", "list", "--include-inactive")) == 12


def test_list_customers_nothing_found(shop):
    result = shop.run("customer", "list", "--search", "zzz")
    assert result.exit_code == 0
    assert "no customers" in result.stderr
    assert shop.ok("customer", "list", "--search", "zzz") == []


def test_list_customers_default_limit_is_50(cli, uow):
    with uow() as session:
        for i in range(55):
            add_customer(session=session, name=f"Bulk {i:02d}", code=f"B{i:02d}")
    rows = cli.ok("customer", "list")
    assert len(rows) == 50
    assert rows[0]["code"] == "B54" and rows[-1]["code"] == "B05"
    assert len(cli.ok("customer", "list", "--all")) == 55
    assert [c["code"] for c in cli.ok("customer", "list", "--limit", "3")] == ["B54", "B53", "B52"]
    assert len(cli.ok("customer", "list", "--limit", "100")) == 55


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_list_customers_bad_limit(shop, unchanged, limit):
    with unchanged():
        assert shop.fails("customer", "list", f"--limit={limit}") == (
            f"error: --limit {limit} must be at least 1"
        )


def test_list_customers_limit_not_a_number(shop):
    result = shop.run("customer", "list", "--limit", "many")
    assert result.exit_code == 2 and "--limit" in result.stderr
