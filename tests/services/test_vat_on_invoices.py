"""VAT categories through the services (rule 21, ``domain/vat.py``): a German seller's
lines for buyers at home, in France and in the US are priced with or without tax when
they are added, and every invoice line, deposits and dunning charges included, records
the category decided at issue and why no tax is charged.

Customers' countries and VAT ids, and products' categories, are written on their rows:
these tests hold pricing and issuing, not the commands that set those fields."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from ordercli.db.engine import forget_ledger, open_ledger, resolve_location, unit_of_work
from ordercli.io.imports import import_file
from ordercli.models import Customer, Invoice, InvoiceLine, OrderLine, Product
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.parties.company import update_company
from ordercli.services.sales import deposits, invoicing, ordering, quoting
from ordercli.services.settlement import dunning, dunning_levels
from ordercli.services.settlement.dunning_levels import LevelChange

D = Decimal
FR_VAT = "FR40303265045"
RATE_19 = 190000  # 19 % in the database's units
OLD_LEDGER = Path(__file__).parent.parent / "fixtures" / "ledger-0004.db"
CARE_REASON = "Exempt under § 4 Nr. 14 UStG"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-10")


def add_customer(session, code: str, name: str, country: str | None, vat_id: str | None):
    customer = customers.add_customer(session=session, name=name, code=code)
    customer.country, customer.vat_id = country, vat_id
    session.add(customer)


def add_product(session, sku: str, *, service=False, category=None, exemption=None, rate=0):
    product = catalog.add_product(
        session=session,
        sku=sku,
        name=sku.title(),
        price=D("100.00"),
        tax_rate=D(rate),
        service=service,
        stock=None if service else D(50),
    )
    product.vat_category, product.vat_exemption = category, exemption
    session.add(product)


@pytest.fixture
def parties(seeded, uow):
    """Customers at home (DEBIZ), in France (FRBIZ with a VAT id, FRHOME without) and in
    the US; products beside the catalog's DESK-OAK (goods) and INSTALL (a service), both
    19 %: CARE (an exempt service), FREEBIE (goods at 0 % without a category)."""
    with uow() as session:
        add_customer(session, "DEBIZ", "Bright Büro GmbH", "DE", "DE811907980")
        add_customer(session, "FRBIZ", "Atelier Lumière SARL", "FR", FR_VAT)
        add_customer(session, "FRHOME", "Claire Dubois", "FR", None)
        add_customer(session, "USCO", "Pier Road Trading Inc.", "US", None)
        add_product(session, "CARE", service=True, category="E", exemption=CARE_REASON)
        add_product(session, "FREEBIE")


@pytest.fixture
def german(parties, uow):
    """The seller is in Germany."""
    with uow() as session:
        update_company(session, country="DE", vat_id="DE136695976")


def order(uow, customer: str, lines, order_date: date | None = None) -> str:
    """A confirmed order; a line is ``(sku, qty)`` or ``(sku, qty, typed tax rate)``."""
    with uow() as session:
        made = ordering.new_order(session=session, customer_code=customer, order_date=order_date)
        for sku, qty, *rate in lines:
            ordering.add_order_line(
                session=session,
                number=made.number,
                sku=sku,
                qty=D(qty),
                tax_rate=D(rate[0]) if rate else None,
            )
        ordering.confirm_order(session=session, number=made.number, override_credit="test")
        return made.number


def order_rates(uow, number: str) -> list[tuple[int, int, int]]:
    """``(tax rate, net, tax)`` of each order line."""
    with uow(write=False) as session:
        found = ordering.get_order(session=session, number=number)
        return [
            (ln.tax_rate, ln.net, ln.tax)
            for ln in ordering.order_lines(session=session, order=found)
        ]


def invoice(uow, number: str, issue_date: date | None = None) -> str:
    with uow() as session:
        return invoicing.create_invoice(
            session=session, order_number=number, issue_date=issue_date
        ).number


def vat_of(uow, number: str) -> list[tuple]:
    """``(sku, tax rate, net, tax, category, exemption, code)`` of each invoice line, after
    checking that the invoice's subtotal, tax and total are its lines' sums."""
    with uow(write=False) as session:
        header = session.exec(select(Invoice).where(Invoice.number == number)).one()
        lines = session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == header.id)
            .order_by(col(InvoiceLine.position))
        ).all()
        assert header.subtotal == sum(ln.net for ln in lines)
        assert header.tax == sum(ln.tax for ln in lines)
        assert header.total == header.subtotal + header.tax
        return [
            (
                ln.sku,
                ln.tax_rate,
                ln.net,
                ln.tax,
                ln.vat_category,
                ln.vat_exemption,
                ln.vat_exemption_code,
            )
            for ln in lines
        ]


# --- pricing and issuing ------------------------------------------------------------------


def test_a_business_in_france_buys_goods_and_services_without_tax(german, uow, ledger_ok):
    number = order(uow, "FRBIZ", [("DESK-OAK", "2"), ("INSTALL", "3")])
    # Both products carry 19 %: the sale across the border is priced without it.
    assert order_rates(uow, number) == [(0, 97800, 0), (0, 19500, 0)]
    issued = invoice(uow, number)
    assert vat_of(uow, issued) == [
        ("DESK-OAK", 0, 97800, 0, "K", "Intra-Community supply", "VATEX-EU-IC"),
        ("INSTALL", 0, 19500, 0, "AE", "Reverse charge", "VATEX-EU-AE"),
    ]
    ledger_ok()


def test_a_consumer_in_france_pays_german_vat(german, uow, ledger_ok):
    number = order(uow, "FRHOME", [("DESK-OAK", "1"), ("INSTALL", "1")])
    assert order_rates(uow, number) == [(RATE_19, 48900, 9291), (RATE_19, 6500, 1235)]
    assert vat_of(uow, invoice(uow, number)) == [
        ("DESK-OAK", RATE_19, 48900, 9291, "S", None, None),
        ("INSTALL", RATE_19, 6500, 1235, "S", None, None),
    ]
    ledger_ok()


def test_goods_to_the_us_are_exported_and_services_not_subject(german, uow, ledger_ok):
    number = order(uow, "USCO", [("DESK-OAK", "1"), ("INSTALL", "2")])
    assert order_rates(uow, number) == [(0, 48900, 0), (0, 13000, 0)]
    assert vat_of(uow, invoice(uow, number)) == [
        ("DESK-OAK", 0, 48900, 0, "G", "Export outside the EU", "VATEX-EU-G"),
        ("INSTALL", 0, 13000, 0, "O", "Not subject to VAT", "VATEX-EU-O"),
    ]
    ledger_ok()


def test_a_business_at_home_pays_vat(german, uow):
    number = order(uow, "DEBIZ", [("DESK-OAK", "1")])
    assert vat_of(uow, invoice(uow, number)) == [
        ("DESK-OAK", RATE_19, 48900, 9291, "S", None, None)
    ]


@pytest.mark.parametrize("customer", ["DEBIZ", "FRBIZ", "USCO"])
def test_an_exempt_product_keeps_e_and_its_reason_wherever_the_buyer_is(german, uow, customer):
    number = order(uow, customer, [("CARE", "2")])
    assert vat_of(uow, invoice(uow, number)) == [("CARE", 0, 20000, 0, "E", CARE_REASON, None)]


def test_an_exemption_reason_that_is_a_vatex_code_is_stored_as_the_code(german, uow):
    with uow() as session:
        care = catalog.get_product(session=session, sku="CARE")
        care.vat_exemption = "VATEX-EU-132-1C"
        session.add(care)
    number = order(uow, "DEBIZ", [("CARE", "1")])
    assert vat_of(uow, invoice(uow, number)) == [
        ("CARE", 0, 10000, 0, "E", None, "VATEX-EU-132-1C")
    ]


def test_a_tax_rate_typed_on_the_line_wins_over_zero_rating(german, uow, ledger_ok):
    number = order(
        uow, "FRBIZ", [("DESK-OAK", "1", "19"), ("DESK-OAK", "1"), ("INSTALL", "1", "7")]
    )
    assert order_rates(uow, number) == [(RATE_19, 48900, 9291), (0, 48900, 0), (70000, 6500, 455)]
    assert vat_of(uow, invoice(uow, number)) == [
        ("DESK-OAK", RATE_19, 48900, 9291, "S", None, None),
        ("DESK-OAK", 0, 48900, 0, "K", "Intra-Community supply", "VATEX-EU-IC"),
        ("INSTALL", 70000, 6500, 455, "S", None, None),
    ]
    ledger_ok()


def test_a_zero_rate_typed_at_home_is_zero_rated(german, uow):
    number = order(uow, "DEBIZ", [("DESK-OAK", "1", "0")])
    assert vat_of(uow, invoice(uow, number)) == [("DESK-OAK", 0, 48900, 0, "Z", None, None)]


def test_a_domestic_product_at_0_percent_without_a_category_is_zero_rated(german, uow):
    number = order(uow, "DEBIZ", [("FREEBIE", "3"), ("DESK-OAK", "1")])
    assert vat_of(uow, invoice(uow, number)) == [
        ("FREEBIE", 0, 30000, 0, "Z", None, None),
        ("DESK-OAK", RATE_19, 48900, 9291, "S", None, None),
    ]


def test_without_the_sellers_country_nothing_is_zero_rated_by_the_border(parties, uow):
    number = order(uow, "FRBIZ", [("DESK-OAK", "1"), ("INSTALL", "1")])
    assert vat_of(uow, invoice(uow, number)) == [
        ("DESK-OAK", RATE_19, 48900, 9291, "S", None, None),
        ("INSTALL", RATE_19, 6500, 1235, "S", None, None),
    ]


def test_a_quote_line_for_a_buyer_abroad_is_priced_without_tax(german, uow):
    rates = {}
    with uow() as session:
        for code in ("FRBIZ", "FRHOME", "USCO"):
            quote = quoting.new_quote(session=session, customer_code=code)
            line = quoting.add_quote_line(
                session=session, number=quote.number, sku="INSTALL", qty=D(1)
            )
            rates[code] = (line.tax_rate, line.tax, quote.tax)
    assert rates == {"FRBIZ": (0, 0, 0), "FRHOME": (RATE_19, 1235, 1235), "USCO": (0, 0, 0)}


def test_the_category_is_kept_as_issued_when_the_buyer_changes(german, uow):
    issued = invoice(uow, order(uow, "FRBIZ", [("DESK-OAK", "1")]))
    with uow() as session:
        buyer = customers.get_customer(session=session, code="FRBIZ")
        buyer.country, buyer.vat_id = "DE", "DE811907980"
        session.add(buyer)
    assert vat_of(uow, issued) == [
        ("DESK-OAK", 0, 48900, 0, "K", "Intra-Community supply", "VATEX-EU-IC")
    ]


# --- deposits and dunning charges --------------------------------------------------------


def deposit(uow, number: str, amount: str) -> str:
    with uow() as session:
        return deposits.create_deposit_invoice(
            session=session, order_number=number, deposit=amount
        ).number


def test_a_deposit_falls_in_the_category_of_its_rate_and_buyer(german, uow, ledger_ok):
    abroad = deposit(uow, order(uow, "FRBIZ", [("DESK-OAK", "2")]), "50%")
    at_home = deposit(uow, order(uow, "FRHOME", [("DESK-OAK", "1")]), "100.00")
    exported = deposit(uow, order(uow, "USCO", [("DESK-OAK", "1")]), "100.00")
    assert vat_of(uow, abroad) == [
        ("DEPOSIT", 0, 48900, 0, "K", "Intra-Community supply", "VATEX-EU-IC")
    ]
    # 100.00 gross at 19 %: 84.03 and 15.97 tax
    assert vat_of(uow, at_home) == [("DEPOSIT", RATE_19, 8403, 1597, "S", None, None)]
    assert vat_of(uow, exported) == [
        ("DEPOSIT", 0, 10000, 0, "G", "Export outside the EU", "VATEX-EU-G")
    ]
    ledger_ok()


def test_a_deposit_on_services_for_a_business_in_france_is_reverse_charged(german, uow):
    abroad = deposit(uow, order(uow, "FRBIZ", [("INSTALL", "4")]), "50%")
    assert vat_of(uow, abroad) == [("DEPOSIT", 0, 13000, 0, "AE", "Reverse charge", "VATEX-EU-AE")]


@pytest.mark.parametrize("customer", ["FRBIZ", "DEBIZ", "USCO"])
def test_a_dunning_charge_is_not_subject_to_vat(german, uow, customer, ledger_ok):
    number = order(uow, customer, [("DESK-OAK", "1")], order_date=date(2026, 1, 2))
    invoice(uow, number, issue_date=date(2026, 1, 2))  # due 2026-02-01 (30 days)
    with uow() as session:
        dunning_levels.set_level(
            session=session, change=LevelChange(1, 7, "Reminder", fee=D("5"), interest=D("0"))
        )
    with uow() as session:
        [notice] = dunning.run_collections(session=session, on=date(2026, 3, 1)).notices
    assert notice.charge is not None
    assert vat_of(uow, notice.charge.number) == [
        ("DUNNING-FEE", 0, 500, 0, "O", "Not subject to VAT", "VATEX-EU-O")
    ]
    ledger_ok()


# --- imports and older ledgers -----------------------------------------------------------


def test_an_imported_order_for_a_business_abroad_is_priced_without_tax(german, uow, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_ref,customer_code,order_date,sku,qty,unit_price,discount_pct,confirm\n"
        "WEB-1,FRBIZ,2026-03-10,DESK-OAK,1,,,true\n",
        encoding="utf-8",
    )
    with uow() as session:
        import_file(session=session, kind="orders", path=path, override_credit="test")
    with uow(write=False) as session:
        line = session.exec(select(OrderLine)).one()
        rate, tax = line.tax_rate, line.tax
        number = ordering.get_order(session=session, number="SO-00001").number
    assert (rate, tax) == (0, 0)
    assert vat_of(uow, invoice(uow, number))[0][4] == "K"


@pytest.mark.sqlite_only("upgrades a SQLite ledger of an earlier release")
def test_invoice_lines_of_an_older_ledger_are_s_when_taxed_and_z_when_not(tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(OLD_LEDGER, path)
    url = resolve_location(str(path))
    try:
        with unit_of_work(open_ledger(url), write=False) as session:
            lines = session.exec(select(InvoiceLine)).all()
            found = {
                (ln.tax_rate > 0, ln.vat_category, ln.vat_exemption, ln.vat_exemption_code)
                for ln in lines
            }
            count = len(lines)
            # Products and customers of that release have no VAT fields yet.
            products = session.exec(select(Product.vat_category, Product.vat_exemption)).all()
            buyers = session.exec(select(Customer.country, Customer.vat_id)).all()
    finally:
        forget_ledger(url)
    assert count > 10
    assert found == {(True, "S", None, None), (False, "Z", None, None)}
    assert set(products) == {(None, None)}
    assert set(buyers) == {(None, None)}
