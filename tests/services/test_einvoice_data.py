"""The data an e-invoice needs, checked where it is entered (SPEC rule 21).

Every refusal here is exact and leaves the ledger as it was (``refused``): a VAT id
with a wrong check digit, an IBAN that fails its checksum, a country that is not an
ISO 3166 code, an electronic address that is neither an email nor ``SCHEME:ID``, a
product whose VAT category disagrees with its tax rate or exemption reason, an
import with one bad VAT id, and references on an order with nothing left to invoice.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.io.imports import import_file
from ordercli.models import Customer
from ordercli.services.inventory import catalog
from ordercli.services.parties import billing_agreements, customers
from ordercli.services.sales import order_refs, ordering

BAD_VAT = "VAT id 'DE136695977' is not valid: The number's checksum or check digit is invalid."
BAD_COUNTRY = "country 'XX' is not an ISO 3166 country code (such as DE, FR, US)"
BAD_ENDPOINT = (
    "electronic address 'accounts' must be an email address or SCHEME:ID with an EAS "
    "scheme code (such as 0204:991-12345-67 or 0088:4012345000009)"
)
BAD_IBAN = "IBAN 'DE89 3704 0044 0532 0130 01' is not valid: Invalid checksum digits"


def customer_row(uow, code: str) -> Customer:
    with uow(write=False) as session:
        return customers.get_customer(session=session, code=code)


# --- customers ------------------------------------------------------------------------


def test_a_customer_keeps_its_e_invoice_data_in_stored_form(seeded, uow, events_of):
    with uow() as session:
        customers.add_customer(
            session=session,
            name="Bundesamt für Beispiele",
            code="BUND",
            vat_id="de 136.695.976",
            street=" Alt-Moabit 140 ",
            postcode="10557",
            city="Berlin",
            country="de",
            buyer_reference="04011000-12345-03",
            endpoint="0204:04011000-12345-03",
        )
    bund = customer_row(uow, "BUND")
    assert (bund.vat_id, bund.street, bund.postcode, bund.city, bund.country) == (
        "DE136695976",
        "Alt-Moabit 140",
        "10557",
        "Berlin",
        "DE",
    )
    assert (bund.buyer_reference, bund.endpoint) == ("04011000-12345-03", "0204:04011000-12345-03")

    with uow() as session:
        customers.edit_customer(
            session=session, code="BUND", changes={"vat_id": "", "endpoint": "ap@bund.example"}
        )
    bund = customer_row(uow, "BUND")
    assert (bund.vat_id, bund.endpoint, bund.country) == (None, "EM:ap@bund.example", "DE")
    assert events_of("BUND")[-1] == ("edited", "customer BUND: changed vat_id, endpoint")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"vat_id": "DE136695977"}, BAD_VAT),
        ({"country": "XX"}, BAD_COUNTRY),
        ({"endpoint": "accounts"}, BAD_ENDPOINT),
        ({"street": "1 Road\nFlat 2"}, "street must be a single line"),
        ({"postcode": "1" * 17}, "postcode is longer than 16 characters"),
        # Every bad field at once, in one line.
        (
            {"vat_id": "DE136695977", "country": "XX", "endpoint": "accounts"},
            f"{BAD_VAT.rstrip('.')}; {BAD_COUNTRY}; {BAD_ENDPOINT}",
        ),
    ],
)
def test_bad_e_invoice_data_is_refused_on_add_and_on_edit(seeded, refused, fields, message):
    refused(
        InvalidInput,
        message,
        lambda s: customers.add_customer(session=s, name="Nobody", code="NOBODY", **fields),
    )
    refused(
        InvalidInput,
        message,
        lambda s: customers.edit_customer(session=s, code="ACME", changes=fields),
    )


def test_an_edit_with_one_bad_field_changes_none_of_the_others(seeded, refused, uow):
    refused(
        InvalidInput,
        BAD_VAT,
        lambda s: customers.edit_customer(
            session=s, code="ACME", changes={"city": "Bristol", "vat_id": "DE136695977"}
        ),
    )
    assert customer_row(uow, "ACME").city is None


def test_the_billing_address_is_made_of_its_parts_when_none_was_typed():
    parts = Customer(code="B", name="B", street="Alt-Moabit 140", postcode="10557", city="Berlin")
    assert customers.billing_address_of(parts) == "Alt-Moabit 140\n10557 Berlin"
    parts.country = "DE"
    assert customers.billing_address_of(parts) == "Alt-Moabit 140\n10557 Berlin\nDE"
    parts.billing_address = "Postfach 1\n10001 Berlin"
    assert customers.billing_address_of(parts) == "Postfach 1\n10001 Berlin"
    assert customers.billing_address_of(Customer(code="N", name="N")) is None


# --- products ---------------------------------------------------------------------------


def add_product(session, **given):
    return catalog.add_product(
        session=session, sku="CARE", name="Care service", price=Decimal(40), **given
    )


def test_a_product_takes_a_category_that_agrees_with_its_rate(seeded, uow):
    with uow() as session:
        exempt = add_product(session, vat_category="e", vat_exemption="vatex-eu-132-1i")
        zero = catalog.add_product(
            session=session, sku="BOOK", name="Book", price=Decimal(9), vat_category="Z"
        )
        standard = catalog.add_product(
            session=session,
            sku="LAMP",
            name="Lamp",
            price=Decimal(9),
            tax_rate=Decimal(19),
            vat_category="S",
        )
        outside = catalog.add_product(
            session=session,
            sku="FEE",
            name="Fee",
            price=Decimal(5),
            vat_category="O",
            vat_exemption="Not subject to VAT",
        )
        assert (exempt.vat_category, exempt.vat_exemption) == ("E", "VATEX-EU-132-1I")
        assert (zero.vat_category, standard.vat_category, outside.vat_category) == ("Z", "S", "O")
    with uow() as session:
        # A new rate and category together; the reason goes with the category.
        edited = catalog.edit_product(
            session=session,
            sku="CARE",
            changes={"tax_rate": Decimal(7), "vat_category": "S", "vat_exemption": ""},
        )
        assert (edited.vat_category, edited.vat_exemption) == ("S", None)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"vat_category": "S"},
            "product CARE: VAT category S (standard rate) needs a tax rate above 0; give "
            "--tax-rate PCT, or --vat-category Z, E or O",
        ),
        (
            {"vat_category": "Z", "tax_rate": Decimal(19)},
            "product CARE: VAT category Z (zero rated) needs a tax rate of 0, not 19%; give "
            "--tax-rate 0, or --vat-category S",
        ),
        (
            {"vat_category": "O", "tax_rate": Decimal("7.5")},
            "product CARE: VAT category O (not subject to VAT) needs a tax rate of 0, not "
            "7.5%; give --tax-rate 0, or --vat-category S",
        ),
        (
            {"vat_category": "E"},
            "product CARE: VAT category E (exempt from VAT) needs an exemption reason; give "
            "--vat-exemption with the reason in words or a VATEX code (such as VATEX-EU-132-1I)",
        ),
        (
            {"vat_category": "S", "tax_rate": Decimal(19), "vat_exemption": "Exempt"},
            "product CARE: VAT category S (standard rate) takes no exemption reason; leave "
            "--vat-exemption out or empty",
        ),
        (
            {"vat_category": "Z", "vat_exemption": "VATEX-EU-132-1I"},
            "product CARE: VAT category Z (zero rated) takes no exemption reason; leave "
            "--vat-exemption out or empty",
        ),
        (
            {"vat_exemption": "Exempt under § 4 Nr. 21 UStG"},
            "product CARE: an exemption reason needs VAT category E or O; give --vat-category "
            "E (exempt) or O (not subject to VAT)",
        ),
        (
            {"vat_category": "AE"},
            "unknown VAT category 'AE' for a product (use S (standard rate), Z (zero rated), "
            "E (exempt from VAT), O (not subject to VAT); reverse charge, intra-community and "
            "export follow from the customer's country and VAT id)",
        ),
    ],
)
def test_a_category_that_disagrees_is_refused(seeded, refused, given, message):
    refused(InvalidInput, message, lambda s: add_product(s, **given))


def test_changing_the_rate_alone_of_a_zero_rated_product_is_refused(seeded, uow, refused):
    with uow() as session:
        add_product(session, vat_category="Z")
    refused(
        InvalidInput,
        "product CARE: VAT category Z (zero rated) needs a tax rate of 0, not 7%; give "
        "--tax-rate 0, or --vat-category S",
        lambda s: catalog.edit_product(session=s, sku="CARE", changes={"tax_rate": Decimal(7)}),
    )
    refused(
        InvalidInput,
        "product CARE: VAT category E (exempt from VAT) needs an exemption reason; give "
        "--vat-exemption with the reason in words or a VATEX code (such as VATEX-EU-132-1I)",
        lambda s: catalog.edit_product(session=s, sku="CARE", changes={"vat_category": "E"}),
    )


# --- billing agreements -----------------------------------------------------------------


def test_a_mandate_keeps_the_account_it_debits(seeded, uow, events_of):
    with uow() as session:
        agreement = billing_agreements.add_agreement(
            session=session,
            customer_code="ACME",
            method="SEPA direct debit",
            reference="MANDATE-7",
            iban="de89 3704 0044 0532 0130 00",
        )
        assert agreement.iban == "DE89370400440532013000"
    assert events_of("BA-00001") == [
        (
            "added",
            "billing agreement BA-00001 for ACME: SEPA direct debit MANDATE-7, account "
            "DE89370400440532013000",
        )
    ]


def test_a_mandate_with_a_bad_iban_is_refused(seeded, refused):
    refused(
        InvalidInput,
        BAD_IBAN,
        lambda s: billing_agreements.add_agreement(
            session=s,
            customer_code="ACME",
            method="SEPA direct debit",
            reference="MANDATE-7",
            iban="DE89 3704 0044 0532 0130 01",
        ),
    )


# --- orders -----------------------------------------------------------------------------


def test_an_order_keeps_the_buyers_references_and_logs_each_change(
    seeded, uow, order_state, events_of
):
    with uow() as session:
        ordering.new_order(
            session=session,
            customer_code="ACME",
            buyer_reference="04011000-12345-03",
            purchase_order="PO 7781",
        )
    assert events_of("SO-00001")[0] == (
        "created",
        "order SO-00001 opened for ACME, buyer reference 04011000-12345-03, purchase order PO 7781",
    )
    with uow() as session:
        order_refs.set_order_refs(session=session, number="SO-00001", purchase_order="PO 7782")
    with uow() as session:
        order_refs.set_order_refs(session=session, number="SO-00001", buyer_reference="")
    view = order_state("SO-00001")
    assert (view["buyer_reference"], view["purchase_order"]) == (None, "PO 7782")
    assert events_of("SO-00001")[1:] == [
        (
            "refs_changed",
            "order SO-00001: purchase order set to PO 7782 (was PO 7781); invoices issued "
            "from now on quote them",
        ),
        (
            "refs_changed",
            "order SO-00001: buyer reference cleared (was 04011000-12345-03); invoices "
            "issued from now on quote them",
        ),
    ]


def test_references_are_refused_where_nothing_is_left_to_invoice(
    seeded, uow, refused, invoiced, make_order
):
    completed, _ = invoiced("ACME", [("DESK-OAK", "1")], ship=True)
    refused(
        RuleViolation,
        f"cannot change the references of order {completed}: it is completed: fully "
        "invoiced and shipped",
        lambda s: order_refs.set_order_refs(session=s, number=completed, purchase_order="PO 1"),
    )
    unshipped, _ = invoiced("ACME", [("DESK-OAK", "1")], ship=False)
    refused(
        RuleViolation,
        f"cannot change the references of order {unshipped}: everything on it is invoiced",
        lambda s: order_refs.set_order_refs(session=s, number=unshipped, purchase_order="PO 1"),
    )
    draft = make_order("ACME", confirm=False)
    refused(
        InvalidInput,
        "nothing to change: give --buyer-reference, --po or both (empty clears)",
        lambda s: order_refs.set_order_refs(session=s, number=draft),
    )
    refused(
        RuleViolation,
        f"order {draft} already has these references",
        lambda s: order_refs.set_order_refs(session=s, number=draft, purchase_order=""),
    )
    refused(
        InvalidInput,
        "purchase order must be a single line",
        lambda s: order_refs.set_order_refs(session=s, number=draft, purchase_order="PO\t1"),
    )


# --- imports ----------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_with_one_bad_vat_id_writes_nothing(seeded, uow, unchanged, tmp_path):
    path = write(
        tmp_path,
        "customers.csv",
        "code,name,vat_id,country,endpoint\n"
        "BUND,Bundesamt,DE136695976,DE,0204:04011000-12345-03\n"
        "BAD,Bad GmbH,DE136695977,XX,\n"
        "FR,France SA,FR40303265045,fr,ap@fr.example\n",
    )
    with unchanged():
        with uow() as session:
            result = import_file(session=session, kind="customers", path=path)
    assert [(p.line, p.message) for p in result.errors] == [
        (3, BAD_VAT),
        (3, BAD_COUNTRY),
    ]
    assert (result.created, result.updated) == (0, 0)


def test_an_imported_customer_is_stored_as_the_command_stores_it(seeded, uow, tmp_path):
    path = write(
        tmp_path,
        "customers.csv",
        "code,name,vat_id,street,postcode,city,country,buyer_reference,endpoint\n"
        "BUND,Bundesamt,DE 136 695 976,Alt-Moabit 140,10557,Berlin,de,04011000-12345-03,"
        "0204:04011000-12345-03\n",
    )
    with uow() as session:
        assert import_file(session=session, kind="customers", path=path).created == 1
    with uow() as session:  # the same file again changes nothing
        result = import_file(session=session, kind="customers", path=path)
        assert (result.created, result.updated, result.skipped) == (0, 0, 1)
    bund = customer_row(uow, "BUND")
    assert (bund.vat_id, bund.country, bund.endpoint) == (
        "DE136695976",
        "DE",
        "0204:04011000-12345-03",
    )


def test_a_products_import_checks_the_category_against_the_rate_it_ends_up_with(
    seeded, uow, unchanged, tmp_path
):
    path = write(
        tmp_path,
        "products.csv",
        "sku,name,unit_price,tax_rate,vat_category,vat_exemption\n"
        "CARE,Care,40,0,E,Exempt under § 4 Nr. 16 UStG\n"
        "BOOK,Book,9,19,Z,\n"
        "AID,First aid course,90,0,E,\n"
        'DESK-OAK,"Oak desk, 160 × 80 cm",489.00,,Z,\n'
        "GIFT,Gift,5,0,X,\n",
    )
    with unchanged():
        with uow() as session:
            result = import_file(session=session, kind="products", path=path)
    assert [(p.line, p.message) for p in result.errors] == [
        (
            3,
            "product BOOK: VAT category Z (zero rated) needs a tax rate of 0, not 19%; give "
            "tax_rate 0, or vat_category S",
        ),
        (
            4,
            "product AID: VAT category E (exempt from VAT) needs an exemption reason; give "
            "vat_exemption with the reason in words or a VATEX code (such as VATEX-EU-132-1I)",
        ),
        (
            # A known product keeps its rate of 19% when the row gives none.
            5,
            "product DESK-OAK: VAT category Z (zero rated) needs a tax rate of 0, not 19%; "
            "give tax_rate 0, or vat_category S",
        ),
        (
            6,
            "unknown VAT category 'X' for a product (use S (standard rate), Z (zero rated), "
            "E (exempt from VAT), O (not subject to VAT); reverse charge, intra-community and "
            "export follow from the customer's country and VAT id)",
        ),
    ]


def test_a_products_import_sets_and_changes_categories(seeded, uow, tmp_path):
    path = write(
        tmp_path,
        "products.csv",
        "sku,name,unit_price,tax_rate,vat_category,vat_exemption\n"
        "CARE,Care,40,0,e,vatex-eu-132-1i\n"
        'DESK-OAK,"Oak desk, 160 × 80 cm",489.00,,S,\n',
    )
    with uow() as session:
        result = import_file(session=session, kind="products", path=path)
        assert (result.created, result.updated, result.errors) == (1, 1, [])
    with uow(write=False) as session:
        care = catalog.get_product(session=session, sku="CARE")
        desk = catalog.get_product(session=session, sku="DESK-OAK")
        assert (care.vat_category, care.vat_exemption) == ("E", "VATEX-EU-132-1I")
        assert desk.vat_category == "S"


# --- known gaps in the shared identifier checks --------------------------------------


def test_an_endpoint_typed_in_its_stored_form_is_kept(seeded, uow):
    with uow() as session:
        customers.add_customer(session=session, name="M", code="M", endpoint="EM:ap@m.example")
    assert customer_row(uow, "M").endpoint == "EM:ap@m.example"
