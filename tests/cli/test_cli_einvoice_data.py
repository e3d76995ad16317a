"""Typing what an e-invoice needs (SPEC rule 21), end to end through the command line.

`company set`, `customer add|edit`, `product add|edit`, `billing-agreement add`,
`order new|refs` and the imports take the seller's and the buyer's tax and payment
data; each value is checked when it is typed, shown by `show` and `--json`, and a
bad one is refused with one `error:` line, exit 1 and the ledger as it was.
"""

from __future__ import annotations

from pathlib import Path

BAD_VAT = (
    "error: VAT id 'DE136695977' is not valid: The number's checksum or check digit is invalid."
)


# --- company ----------------------------------------------------------------------------


def test_company_set_takes_the_sellers_e_invoice_data(cli, human):
    doc = cli.ok(
        "company",
        "set",
        "--vat-id",
        "DE 136 695 976",
        "--registration-id",
        "HRB 12345, Amtsgericht Köln",
        "--street",
        "Hauptstraße 5",
        "--postcode",
        "50667",
        "--city",
        "Köln",
        "--country",
        "de",
        "--contact",
        "Anna Berg",
        "--phone",
        "+49 221 555 0100",
        "--iban",
        "DE89 3704 0044 0532 0130 00",
        "--bic",
        "COBADEFFXXX",
        "--creditor-id",
        "DE98ZZZ09999999999",
        "--endpoint",
        "0088:4012345000009",
    )
    expected = {
        "vat_id": "DE136695976",
        "registration_id": "HRB 12345, Amtsgericht Köln",
        "street": "Hauptstraße 5",
        "postcode": "50667",
        "city": "Köln",
        "country": "DE",
        "contact": "Anna Berg",
        "phone": "+49 221 555 0100",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "creditor_id": "DE98ZZZ09999999999",
        "endpoint": "0088:4012345000009",
    }
    assert {key: doc[key] for key in expected} == expected
    assert {key: cli.ok("company", "show")[key] for key in expected} == expected
    out = human("company", "show")
    for text in (
        "VAT id",
        "DE136695976",
        "50667 Köln",
        "HRB 12345",
        "Creditor id",
        "DE89370400440532013000",
        "COBADEFFXXX",
        "0088:4012345000009",
    ):
        assert text in out, text

    cleared = cli.ok("company", "set", "--iban", "", "--bic", "", "--vat-id", "")
    assert (cleared["iban"], cleared["bic"], cleared["vat_id"]) == (None, None, None)
    assert cleared["country"] == "DE"


def test_company_set_refuses_bad_identifiers_and_changes_nothing(cli, unchanged):
    cli.ok("company", "set", "--name", "Widgets")
    with unchanged():
        assert cli.fails("company", "set", "--iban", "DE89370400440532013001") == (
            "error: IBAN 'DE89370400440532013001' is not valid: Invalid checksum digits"
        )
        assert cli.fails("company", "set", "--country", "XX", "--city", "Köln") == (
            "error: country 'XX' is not an ISO 3166 country code (such as DE, FR, US)"
        )
        assert cli.fails("company", "set", "--endpoint", "accounts").startswith(
            "error: electronic address 'accounts' must be an email address or SCHEME:ID"
        )
        assert cli.fails("company", "set", "--vat-id", "DE136695977").startswith(
            "error: VAT id 'DE136695977' is not valid"
        )


# --- customers --------------------------------------------------------------------------

BUND = [
    "--vat-id",
    "de136695976",
    "--street",
    "Alt-Moabit 140",
    "--postcode",
    "10557",
    "--city",
    "Berlin",
    "--country",
    "de",
    "--buyer-reference",
    "04011000-12345-03",
    "--endpoint",
    "0204:04011000-12345-03",
]


def test_customer_add_show_and_edit_the_buyers_e_invoice_data(cli, human):
    doc = cli.ok("customer", "add", "Bundesamt für Beispiele", "--code", "BUND", *BUND)
    expected = {
        "vat_id": "DE136695976",
        "street": "Alt-Moabit 140",
        "postcode": "10557",
        "city": "Berlin",
        "country": "DE",
        "buyer_reference": "04011000-12345-03",
        "endpoint": "0204:04011000-12345-03",
    }
    assert {key: doc[key] for key in expected} == expected
    assert {key: cli.ok("customer", "show", "BUND")[key] for key in expected} == expected
    out = human("customer", "show", "BUND")
    for text in ("VAT id", "DE136695976", "10557 Berlin", "Buyer reference", "04011000-12345-03"):
        assert text in out, text

    edited = cli.ok(
        "customer", "edit", "BUND", "--vat-id", "", "--endpoint", "e-rechnung@bund.example"
    )
    assert (edited["vat_id"], edited["endpoint"]) == (None, "EM:e-rechnung@bund.example")
    assert edited["city"] == "Berlin"


def test_customer_add_and_edit_refuse_bad_data_and_change_nothing(shop, unchanged):
    with unchanged():
        assert shop.fails("customer", "add", "Bad GmbH", "--vat-id", "DE136695977") == BAD_VAT
        assert shop.fails("customer", "edit", "ACME", "--vat-id", "DE136695977") == BAD_VAT
        assert shop.fails("customer", "edit", "ACME", "--country", "Germany") == (
            "error: country 'Germany' is not an ISO 3166 country code (such as DE, FR, US)"
        )
        assert shop.fails("customer", "edit", "ACME", "--endpoint", "9999 0001").startswith(
            "error: electronic address '9999 0001' must be an email address or SCHEME:ID"
        )


# --- products ---------------------------------------------------------------------------


def test_product_add_and_edit_take_a_vat_category(cli, human):
    doc = cli.ok(
        "product",
        "add",
        "CARE",
        "Care service",
        "--price",
        "40",
        "--service",
        "--vat-category",
        "e",
        "--vat-exemption",
        "Exempt under § 4 Nr. 16 UStG",
    )
    assert (doc["vat_category"], doc["vat_exemption"]) == ("E", "Exempt under § 4 Nr. 16 UStG")
    out = human("product", "show", "CARE")
    assert "E (exempt from VAT)" in out and "§ 4 Nr. 16 UStG" in out
    edited = cli.ok(
        "product",
        "edit",
        "CARE",
        "--tax-rate",
        "19",
        "--vat-category",
        "S",
        "--vat-exemption",
        "",
    )
    assert (edited["tax_rate"], edited["vat_category"], edited["vat_exemption"]) == (
        "19",
        "S",
        None,
    )
    plain = cli.ok("product", "add", "PEN", "Pen", "--price", "1", "--tax-rate", "19")
    assert (plain["vat_category"], plain["vat_exemption"]) == (None, None)


def test_product_refuses_a_category_that_disagrees_and_says_what_fixes_it(shop, unchanged):
    with unchanged():
        assert shop.fails("product", "edit", "DESK-OAK", "--vat-category", "Z") == (
            "error: product DESK-OAK: VAT category Z (zero rated) needs a tax rate of 0, not "
            "19%; give --tax-rate 0, or --vat-category S"
        )
        assert shop.fails(
            "product", "add", "CARE", "Care", "--price", "40", "--vat-category", "E"
        ).startswith(
            "error: product CARE: VAT category E (exempt from VAT) needs an exemption reason; "
            "give --vat-exemption"
        )
        assert shop.fails(
            "product", "add", "FEE", "Fee", "--price", "5", "--vat-category", "S"
        ).endswith("needs a tax rate above 0; give --tax-rate PCT, or --vat-category Z, E or O")
        assert shop.fails(
            "product", "edit", "DESK-OAK", "--vat-exemption", "VATEX-EU-132-1I"
        ).startswith("error: product DESK-OAK: an exemption reason needs VAT category E or O")


# --- billing agreements -----------------------------------------------------------------


def test_billing_agreement_add_takes_the_iban_a_mandate_debits(shop, human, unchanged):
    doc = shop.ok(
        "billing-agreement",
        "add",
        "ACME",
        "--method",
        "SEPA direct debit",
        "--reference",
        "MANDATE-0042",
        "--iban",
        "DE89 3704 0044 0532 0130 00",
    )
    assert doc["iban"] == "DE89370400440532013000"
    assert shop.ok("billing-agreement", "show", "BA-00001")["iban"] == "DE89370400440532013000"
    assert [a["iban"] for a in shop.ok("billing-agreement", "list")] == ["DE89370400440532013000"]
    assert "DE89370400440532013000" in human("billing-agreement", "show", "BA-00001")
    with unchanged():
        assert shop.fails(
            "billing-agreement",
            "add",
            "ACME",
            "--method",
            "SEPA direct debit",
            "--reference",
            "MANDATE-0043",
            "--iban",
            "DE89 3704 0044 0532 0130 01",
        ) == ("error: IBAN 'DE89 3704 0044 0532 0130 01' is not valid: Invalid checksum digits")


# --- orders -----------------------------------------------------------------------------


def test_order_new_and_refs_keep_the_buyers_references(shop, human, unchanged):
    order = shop.ok(
        "order", "new", "ACME", "--buyer-reference", "04011000-12345-03", "--po", "PO 7781"
    )
    number = order["number"]
    assert (order["buyer_reference"], order["purchase_order"]) == ("04011000-12345-03", "PO 7781")
    changed = shop.ok("order", "refs", number, "--po", "PO 7782", "--buyer-reference", "")
    assert (changed["buyer_reference"], changed["purchase_order"]) == (None, "PO 7782")
    shown = shop.ok("order", "show", number)
    assert (shown["buyer_reference"], shown["purchase_order"]) == (None, "PO 7782")
    out = human("order", "show", number)
    assert "Purchase order" in out and "PO 7782" in out
    timeline = shop.ok("order", "timeline", number)
    assert any(
        "purchase order set to PO 7782 (was PO 7781)" in event["message"] for event in timeline
    )
    with unchanged():
        assert shop.fails("order", "refs", number) == (
            "error: nothing to change: give --buyer-reference, --po or both (empty clears)"
        )
        assert shop.fails("order", "refs", number, "--po", "PO 7782") == (
            f"error: order {number} already has these references"
        )


def test_order_refs_are_refused_once_everything_is_invoiced(shop, unchanged):
    number = shop.ok("order", "new", "ACME")["number"]
    shop.ok("order", "add-line", number, "DESK-OAK", "1")
    shop.ok("order", "confirm", number, "--override-credit", "test")
    shop.ok("invoice", "create", number)
    with unchanged():
        assert shop.fails("order", "refs", number, "--po", "PO 1") == (
            f"error: cannot change the references of order {number}: everything on it is invoiced"
        )


# --- imports ----------------------------------------------------------------------------


def test_import_customers_lists_the_row_with_a_bad_vat_id(shop, tmp_path: Path, unchanged):
    path = tmp_path / "customers.csv"
    path.write_text(
        "code,name,vat_id,country\nBUND,Bundesamt,DE136695976,DE\nBAD,Bad GmbH,DE136695977,DE\n",
        encoding="utf-8",
    )
    with unchanged():
        result = shop.run("import", "customers", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: customers.csv: 1 bad row; nothing was imported"
    )
    assert BAD_VAT.removeprefix("error: ") in result.stdout
    assert "line 3" in result.stdout and "line 2" not in result.stdout

    path.write_text("code,name,vat_id,country\nBUND,Bundesamt,DE136695976,de\n", encoding="utf-8")
    assert shop.ok("import", "customers", str(path))["created"] == 1
    assert shop.ok("customer", "show", "BUND")["country"] == "DE"


def test_import_products_takes_vat_category_and_exemption(shop, tmp_path: Path):
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,unit_price,tax_rate,vat_category,vat_exemption\n"
        "CARE,Care,40,0,E,VATEX-EU-132-1I\n",
        encoding="utf-8",
    )
    assert shop.ok("import", "products", str(path))["created"] == 1
    doc = shop.ok("product", "show", "CARE")
    assert (doc["vat_category"], doc["vat_exemption"]) == ("E", "VATEX-EU-132-1I")
