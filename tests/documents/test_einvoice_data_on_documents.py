"""The invoice and credit memo print what their e-invoice says (SPEC rule 21).

What a customer reads is checked in the text pypdf extracts from the PDF (see
``tests/documents_support.py``): VAT categories with their reasons and VATEX codes,
the buyer reference and purchase-order number, how the invoice is paid (bank transfer
to the company's IBAN, or SEPA direct debit under a mandate), the parties' VAT ids and
their addresses made of parts. The tax summary is compared with the e-invoice's own
VAT breakdown, and the payment means with the e-invoice's. Documents of an older
ledger, and users' templates written before, still render as they did.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import func, select

from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
from ordercli.documents import render_document
from ordercli.documents.context import credit_memo_context, invoice_context, tax_breakdown
from ordercli.domain.einvoice import CREDIT_TRANSFER, SEPA_CREDIT_TRANSFER, SEPA_DIRECT_DEBIT
from ordercli.domain.payment_means import is_direct_debit, payment_means
from ordercli.einvoice.collect import collect_invoices
from ordercli.models import BillingAgreement, CreditMemo, Invoice, InvoiceLine
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.parties.billing_agreements import add_agreement
from ordercli.services.parties.company import update_company
from ordercli.services.sales import invoicing, ordering
from ordercli.services.settlement import credit_memos
from tests.documents_support import pdf_text

TODAY = "2026-03-20"
SELLER_VAT = "DE136695976"
BUYER_VAT = "FR40303265045"
IBAN = "DE89370400440532013000"
IBAN_PRINTED = "DE89 3704 0044 0532 0130 00"
BIC = "COBADEFFXXX"
CREDITOR_ID = "DE98ZZZ09999999999"
MANDATE_IBAN = "DE02120300000000202051"
EXEMPT_REASON = "Exempt: training by an approved school"
LEITWEG_ID = "04011000-12345-34"
OLD_LEDGER = Path(__file__).resolve().parents[1] / "fixtures" / "ledger-0004.db"
# What only a document of this feature prints: none of it on an older ledger's.
NEW_WORDS = (
    "VAT ID",
    "Registration:",
    "Buyer reference",
    "Purchase order",
    "Bank transfer to IBAN",
    "SEPA direct debit",
    "VATEX",
    "Zero rated",
    "Reverse charge",
)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", TODAY)
    monkeypatch.delenv("ORDERCLI_TEMPLATES", raising=False)


def _customer(session, code: str, name: str, **columns) -> None:
    """A customer with the e-invoice columns set on its row (as `customer edit` will)."""
    customers.add_customer(session=session, name=name, code=code)
    row = customers.get_customer(session=session, code=code)
    for column, value in columns.items():
        setattr(row, column, value)
    session.add(row)
    session.flush()


def _invoice(session, customer: str, lines, **order) -> str:
    made = ordering.new_order(session=session, customer_code=customer, **order)
    for sku, qty in lines:
        ordering.add_order_line(session=session, number=made.number, sku=sku, qty=Decimal(qty))
    ordering.confirm_order(session=session, number=made.number, override_credit="test")
    return invoicing.create_invoice(session=session, order_number=made.number).number


def _build(session) -> dict[str, str]:
    """A German seller with its e-invoice data, selling to a French business (reverse
    charge, intra-community supply, an exempt course) and to a German one paying by
    direct debit. Returns the documents' numbers."""
    update_company(
        session,
        name="Nordlicht Werkzeug GmbH",
        address="Hafenstraße 7\nD-20457 Hamburg",
        vat_id=SELLER_VAT,
        registration_id="HRB 12345 Hamburg",
        street="Hafenstraße 7",
        postcode="20457",
        city="Hamburg",
        country="DE",
        iban=IBAN,
        bic=BIC,
    )
    catalog.add_product(
        session=session,
        sku="CONSULT",
        name="Consulting",
        price=Decimal("120.00"),
        tax_rate=Decimal(19),
        service=True,
    )
    catalog.add_product(
        session=session,
        sku="WIDGET",
        name="Widget",
        price=Decimal("9.99"),
        tax_rate=Decimal(19),
        stock=Decimal(100),
    )
    catalog.add_product(
        session=session,
        sku="COURSE",
        name="Safety course",
        price=Decimal("250.00"),
        tax_rate=Decimal(0),
        service=True,
        vat_category="E",
        vat_exemption=EXEMPT_REASON,
    )
    _customer(
        session,
        "LUMIERE",
        "Lumière SARL",
        vat_id=BUYER_VAT,
        street="1 Rue de Rivoli",
        postcode="75001",
        city="Paris",
        country="FR",
        buyer_reference=LEITWEG_ID,
    )
    _customer(
        session,
        "HANSE",
        "Hanse Bau KG",
        billing_address="Kaistraße 2\n24103 Kiel",
        street="Kaistraße 2",
        postcode="24103",
        city="Kiel",
        country="DE",
    )
    abroad = _invoice(
        session,
        "LUMIERE",
        [("CONSULT", "3"), ("WIDGET", "7"), ("COURSE", "1")],
        purchase_order="PO-7781",
    )
    memo = credit_memos.create_credit_memo(
        session=session, invoice_number=abroad, lines=[("CONSULT", Decimal(1))]
    ).number
    agreement = add_agreement(
        session=session,
        customer_code="HANSE",
        method="SEPA direct debit",
        reference="MANDATE-7",
        iban=MANDATE_IBAN,
    )
    debited = _invoice(
        session,
        "HANSE",
        [("WIDGET", "3"), ("CONSULT", "1")],
        billing_agreement=agreement.number,
    )
    domestic = _invoice(session, "HANSE", [("WIDGET", "2")])
    return {"abroad": abroad, "memo": memo, "debited": debited, "domestic": domestic}


@pytest.fixture(scope="module")
def shop_ledger(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The shop's ledger, built once: each test works on a copy of it."""
    path = tmp_path_factory.mktemp("shop") / "ledger.db"
    url = resolve_location(str(path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERCLI_TODAY", TODAY)
        try:
            with unit_of_work(open_ledger(url, create=True)) as session:
                numbers = _build(session)
        finally:
            forget_ledger(url)
    return path, numbers


@pytest.fixture
def engine(shop_ledger, tmp_path):
    """This test's copy of the shop's ledger (the ``uow`` fixture opens it)."""
    path = tmp_path / "ledger.db"
    shutil.copyfile(shop_ledger[0], path)
    url = resolve_location(str(path))
    yield open_ledger(url)
    forget_ledger(url)


@pytest.fixture
def shop(shop_ledger, engine) -> dict[str, str]:
    """The numbers of the shop's documents, in this test's copy of its ledger."""
    return shop_ledger[1]


def _pdf(uow, kind: str, number: str, **options) -> str:
    with uow(write=False) as session:
        return pdf_text(render_document(session, kind, number, fmt="pdf", **options).content)


def _html(uow, kind: str, number: str, **options) -> str:
    with uow(write=False) as session:
        return render_document(session, kind, number, fmt="html", **options).content.decode()


# --- VAT categories --------------------------------------------------------------------------


def test_a_reverse_charge_invoice_says_why_each_line_carries_no_vat(shop, uow):
    text = _pdf(uow, "invoice", shop["abroad"])
    assert "Reverse charge — VAT due by the recipient (VATEX-EU-AE)" in text
    assert "Intra-Community supply — exempt from VAT (VATEX-EU-IC)" in text
    assert EXEMPT_REASON in text
    # Each line names its category under its description.
    assert "Consulting Reverse charge" in text
    assert "Widget Intra-community supply" in text
    assert "Safety course Exempt from VAT" in text


def test_the_tax_summary_is_the_einvoices_vat_breakdown_to_the_cent(shop, uow):
    with uow(write=False) as session:
        context = invoice_context(session, shop["abroad"])
        row = invoicing.get_invoice(session=session, number=shop["abroad"])
        (einvoice,) = collect_invoices(session, [row])
    printed = [(r["category"], r["rate"], r["net"], r["tax"]) for r in context["tax_breakdown"]]
    stated = [(v.category, v.rate, v.taxable, v.tax) for v in einvoice.vat]
    assert sorted(printed) == sorted(stated)
    assert {r["category"] for r in context["tax_breakdown"]} == {"AE", "K", "E"}
    invoice = context["invoice"]
    assert sum(r["net"] for r in context["tax_breakdown"]) == invoice["subtotal"]
    assert sum(r["tax"] for r in context["tax_breakdown"]) == invoice["tax"] == Decimal(0)
    # 3 × 120.00 + 7 × 9.99 + 250.00
    assert invoice["total"] == Decimal("679.93")


def test_a_domestic_standard_rate_invoice_names_no_category(shop, uow):
    text = _pdf(uow, "invoice", shop["domestic"])
    assert "19% €19.98 €3.80" in text
    for word in ("VATEX", "Standard rate", "Reverse charge", "Zero rated"):
        assert word not in text


def test_one_rate_shared_by_two_categories_names_both_and_a_lone_zero_rate_stays_plain():
    def line(category, net, exemption=None):
        return {
            "tax_rate": Decimal(0),
            "net": Decimal(net),
            "tax": Decimal(0),
            "vat_category": category,
            "vat_exemption": exemption,
            "vat_exemption_code": None,
        }

    shared = tax_breakdown([line("Z", "10.00"), line("E", "5.00", "Medical care")])
    assert [(r["category"], r["net"], r["note"]) for r in shared] == [
        ("E", Decimal("5.00"), "Medical care"),
        ("Z", Decimal("10.00"), "Zero rated"),
    ]
    (alone,) = tax_breakdown([line("Z", "10.00"), line("Z", "2.50")])
    assert (alone["net"], alone["lines"], alone["note"]) == (Decimal("12.50"), 2, None)


# --- references, parties ---------------------------------------------------------------------


def test_the_buyer_reference_and_purchase_order_stand_with_the_invoice_details(shop, uow):
    text = _pdf(uow, "invoice", shop["abroad"])
    assert f"Buyer reference {LEITWEG_ID}" in text
    assert "Purchase order PO-7781" in text
    domestic = _pdf(uow, "invoice", shop["domestic"])
    assert "Buyer reference" not in domestic and "Purchase order" not in domestic


def test_vat_ids_and_an_address_made_of_its_parts(shop, uow):
    text = _pdf(uow, "invoice", shop["abroad"])
    assert f"VAT ID: {SELLER_VAT}" in text
    assert "Registration: HRB 12345 Hamburg" in text
    assert f"VAT ID: {BUYER_VAT}" in text
    # Lumière typed no address: its parts, with the country's name, make it.
    assert "Lumière SARL 1 Rue de Rivoli 75001 Paris France" in text
    # A typed address wins over the parts (Hanse's has no country line).
    hanse = _pdf(uow, "invoice", shop["domestic"])
    assert "Bill to Hanse Bau KG Kaistraße 2 24103 Kiel Customer no.: HANSE" in hanse


def test_a_seller_without_a_typed_address_prints_the_parts(shop, uow):
    with uow() as session:
        update_company(session, address=None)
    text = _pdf(uow, "invoice", shop["domestic"])
    # Issued with the typed address, the invoice keeps it (rule 4) ...
    assert "Hafenstraße 7 D-20457 Hamburg" in text
    assert "Germany" not in text
    with uow() as session:
        number = _invoice(session, "HANSE", [("WIDGET", "1")])
    # ... and one issued now prints the parts, in the seller block and the footer.
    later = _pdf(uow, "invoice", number)
    assert later.count("Hafenstraße 7 20457 Hamburg Germany") == 1
    assert "Nordlicht Werkzeug GmbH · Hafenstraße 7, 20457 Hamburg, Germany" in later


# --- payment means ---------------------------------------------------------------------------


def test_an_invoice_says_where_to_transfer_the_money(shop, uow):
    text = _pdf(uow, "invoice", shop["domestic"])
    assert f"Bank transfer to IBAN {IBAN_PRINTED}, BIC {BIC}, reference {shop['domestic']}." in text
    assert "Please pay €23.78" in text


def test_a_direct_debit_invoice_names_the_mandate_once_the_creditor_id_is_known(shop, uow):
    # Without a creditor id a mandate cannot be collected as SEPA: printed as before.
    before = _pdf(uow, "invoice", shop["debited"])
    assert "SEPA direct debit" not in before and "Bank transfer to IBAN" not in before
    assert "Please pay" in before
    with uow() as session:
        update_company(session, creditor_id=CREDITOR_ID)
        row = invoicing.get_invoice(session=session, number=shop["debited"])
        (einvoice,) = collect_invoices(session, [row])
    text = _pdf(uow, "invoice", shop["debited"])
    assert "Paid by SEPA direct debit: we collect €178.46 on or after Apr 19, 2026." in text
    assert (
        f"Mandate reference MANDATE-7, creditor id {CREDITOR_ID}, "
        "debited from IBAN DE02 1203 0000 0000 2020 51." in text
    )
    assert "Please pay" not in text and "Bank transfer to IBAN" not in text
    # The e-invoice states the same means.
    means = einvoice.payment_means
    assert means is not None and means.code == SEPA_DIRECT_DEBIT
    assert (means.mandate, means.creditor_id, means.debited_iban) == (
        "MANDATE-7",
        CREDITOR_ID,
        MANDATE_IBAN,
    )


def test_the_payment_means_decision_both_documents_share():
    seller = {"iban": IBAN, "bic": BIC, "name": "Nordlicht", "creditor_id": CREDITOR_ID}

    class Agreement:
        def __init__(self, method: str) -> None:
            self.method, self.reference, self.iban = method, "M-1", MANDATE_IBAN

    for method in ("direct debit", "SEPA-Direct-Debit", "sepa_dd", "DD", "Lastschrift"):
        assert is_direct_debit(method), method
    assert not is_direct_debit("card on file") and not is_direct_debit(None)
    debit = payment_means(seller, Agreement("direct-debit"), "EUR", "INV-1")
    assert debit is not None and (debit.code, debit.mandate) == (SEPA_DIRECT_DEBIT, "M-1")
    card = payment_means(seller, Agreement("card on file"), "EUR", "INV-1")
    assert card is not None and (card.code, card.iban, card.remittance) == (
        SEPA_CREDIT_TRANSFER,
        IBAN,
        "INV-1",
    )
    pounds = payment_means(seller, None, "GBP", "INV-1")
    assert pounds is not None and pounds.code == CREDIT_TRANSFER
    assert payment_means({"name": "Nordlicht"}, None, "EUR", "INV-1") is None


# --- credit memo -----------------------------------------------------------------------------


def test_a_credit_memo_says_what_its_invoice_said(shop, uow):
    text = _pdf(uow, "credit-memo", shop["memo"])
    assert "Consulting Reverse charge" in text
    assert "Reverse charge — VAT due by the recipient (VATEX-EU-AE)" in text
    assert f"Buyer reference {LEITWEG_ID}" in text and "Purchase order PO-7781" in text
    assert f"VAT ID: {BUYER_VAT}" in text
    with uow(write=False) as session:
        context = credit_memo_context(session, shop["memo"])
    assert [(r["category"], r["net"]) for r in context["tax_breakdown"]] == [
        ("AE", Decimal("120.00"))
    ]


# --- HTML, older ledgers, users' templates ---------------------------------------------------


def test_the_html_escapes_a_reference_and_says_the_same(shop, uow):
    with uow() as session:
        number = _invoice(session, "LUMIERE", [("CONSULT", "1")], purchase_order="<b>PO</b> & co")
    html = _html(uow, "invoice", number)
    assert "&lt;b&gt;PO&lt;/b&gt; &amp; co" in html and "<b>PO</b>" not in html
    assert "Bank transfer to IBAN <b>DE89 3704 0044 0532 0130 00</b>" in html
    assert "Reverse charge — VAT due by the recipient (VATEX-EU-AE)" in html


@pytest.mark.sqlite_only("upgrades a SQLite ledger of an earlier release")
def test_an_older_ledgers_documents_print_nothing_new(tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(OLD_LEDGER, path)
    url = resolve_location(str(path))
    try:
        with unit_of_work(open_ledger(url), write=False) as session:
            # It holds a 0 % line (zero rated since the upgrade) and a direct-debit mandate.
            zero_rated = session.exec(
                select(func.count()).select_from(InvoiceLine).where(InvoiceLine.tax_rate == 0)
            ).one()
            methods = session.exec(select(BillingAgreement.method)).all()
            assert zero_rated and any(is_direct_debit(method) for method in methods)
            documents = [("invoice", n) for n in session.exec(select(Invoice.number))]
            documents += [("credit-memo", n) for n in session.exec(select(CreditMemo.number))]
            pages = {
                number: render_document(session, kind, number, fmt="html").content.decode()
                for kind, number in documents
            }
    finally:
        forget_ledger(url)
    assert len(pages) >= 15
    for number, html in pages.items():
        for word in NEW_WORDS:
            assert word not in html, (number, word)


OLD_INVOICE = """{% extends "base.html" %}
{% from "_macros.html" import priced_lines, tax_and_totals %}
{% block heading %}Invoice{% endblock %}
{% block content %}
{{ priced_lines(invoice.lines, has_discounts, gross) }}
{{ tax_and_totals(tax_breakdown, invoice, gross=gross, lines_total=lines_total) }}
<p>Pay to: {{ company.bank_details or "" }}</p>
{% endblock %}
"""
# A user's own macros, written before: the same names, without the new keys.
OLD_MACROS = """{% macro priced_lines(lines, has_discounts=False, gross=False) %}
<table class="lines">{% for line in lines %}<tr><td>{{ line.description }}</td>
<td class="num">{{ line.net | money }}</td></tr>{% endfor %}</table>
{% endmacro %}
{% macro tax_and_totals(breakdown, doc, total_label="Total", gross=False, lines_total=None) %}
<table class="totals">{% for row in breakdown %}<tr><td>{{ row.rate | pct }}</td>
<td class="num">{{ row.tax | money }}</td></tr>{% endfor %}
<tr class="grand"><td>{{ total_label }}</td><td class="num">{{ doc.total | money }}</td></tr>
{% if caller is defined %}{{ caller() }}{% endif %}</table>
{% endmacro %}
"""


def test_a_users_template_written_before_still_renders(shop, uow, tmp_path):
    own_invoice = tmp_path / "own-invoice"
    own_invoice.mkdir()
    (own_invoice / "invoice.html").write_text(OLD_INVOICE)
    text = _pdf(uow, "invoice", shop["abroad"], template_dir=str(own_invoice))
    assert "Invoice" in text and "€679.93" in text
    # Their own macros with today's invoice template.
    own_macros = tmp_path / "own-macros"
    own_macros.mkdir()
    (own_macros / "_macros.html").write_text(OLD_MACROS)
    text = _pdf(uow, "invoice", shop["abroad"], template_dir=str(own_macros))
    assert "€679.93" in text and f"Buyer reference {LEITWEG_ID}" in text
    text = _pdf(uow, "credit-memo", shop["memo"], template_dir=str(own_macros))
    assert "Total credited" in text
