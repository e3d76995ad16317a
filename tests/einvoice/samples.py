"""E-invoices built by hand from the EN 16931 model, for the writers' and the
validator's tests: the cases the standard's rules are most particular about."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ordercli.domain.einvoice import (
    COMMERCIAL_INVOICE,
    CREDIT_NOTE,
    SEPA_CREDIT_TRANSFER,
    Address,
    EInvoice,
    Endpoint,
    Line,
    Party,
    PaymentMeans,
    VatBreakdown,
)
from ordercli.domain.vat import EXEMPTIONS

SELLER = Party(
    name="Lumen Office Supplies GmbH",
    address=Address(street="Hauptstraße 12", city="Berlin", postcode="10115", country="DE"),
    vat_id="DE136695976",
    tax_number="27/123/45678",
    registration_id="HRB 12345",
    endpoint=Endpoint("EM", "billing@lumen.example"),
    contact_name="Ada Lumen",
    contact_phone="+49 30 1234567",
    contact_email="billing@lumen.example",
)
BUYER_DE = Party(
    name="Brightside Cafés GmbH",
    address=Address(street="Marktplatz 3", city="München", postcode="80331", country="DE"),
    vat_id="DE129273398",
    identifier="BRIGHT",
    endpoint=Endpoint("EM", "ap@brightside.example"),
)
BUYER_FR = Party(
    name="Atelier Soleil SARL",
    address=Address(street="12 rue de Rivoli", city="Paris", postcode="75001", country="FR"),
    vat_id="FR40303265045",
    identifier="SOLEIL",
    endpoint=Endpoint("EM", "compta@soleil.example"),
)
BANK = PaymentMeans(
    code=SEPA_CREDIT_TRANSFER, iban="DE89370400440532013000", bic="COBADEFFXXX", remittance=None
)


def _q(value: Decimal, digits: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def build(
    lines: list[tuple[str, Decimal, Decimal, str, Decimal]],
    *,
    number: str = "INV-00001",
    buyer: Party = BUYER_DE,
    currency: str = "EUR",
    digits: int = 2,
    type_code: str = COMMERCIAL_INVOICE,
    exemption: dict[str, tuple[str | None, str | None]] | None = None,
    prepaid: Decimal = Decimal(0),
) -> EInvoice:
    """An invoice of ``lines`` (name, qty, net unit price, category, rate %), taxed
    per line and summed the way the ledger does (rule 10)."""
    built: list[Line] = []
    groups: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for position, (name, qty, price, category, rate) in enumerate(lines, start=1):
        net = _q(qty * price, digits)
        tax = _q(net * rate / 100, digits)
        built.append(
            Line(
                id=str(position),
                name=name,
                sku=f"SKU-{position}",
                qty=qty,
                unit="C62",
                net_price=price,
                net=net,
                category=category,
                rate=rate,
            )
        )
        taxable, taxed = groups.get((category, rate), (Decimal(0), Decimal(0)))
        groups[(category, rate)] = (taxable + net, taxed + tax)
    reasons = {**{k: v for k, v in EXEMPTIONS.items()}, **(exemption or {})}
    vat = tuple(
        VatBreakdown(
            category=category,
            rate=rate,
            taxable=_q(taxable, digits),
            tax=_q(taxed, digits),
            exemption=reasons.get(category, (None, None))[0] if category != "S" else None,
            exemption_code=reasons.get(category, (None, None))[1] if category != "S" else None,
        )
        for (category, rate), (taxable, taxed) in groups.items()
    )
    line_total = sum((line.net for line in built), Decimal(0))
    tax_total = sum((row.tax for row in vat), Decimal(0))
    total = line_total + tax_total
    credit = type_code == CREDIT_NOTE
    return EInvoice(
        number=number,
        type_code=type_code,
        issue_date=date(2026, 12, 1),
        currency=currency,
        minor_digits=digits,
        seller=SELLER,
        buyer=buyer,
        lines=tuple(built),
        vat=vat,
        line_total=line_total,
        tax_exclusive=line_total,
        tax_total=tax_total,
        tax_inclusive=total,
        prepaid=prepaid,
        payable=total - prepaid,
        due_date=None if credit else date(2026, 12, 31),
        buyer_reference="04011000-12345-34",
        purchase_order="PO-7781",
        sales_order="SO-00012",
        preceding_invoice="INV-00001" if credit else None,
        preceding_issue_date=date(2026, 11, 30) if credit else None,
        payment_terms="Refunded to your account within 14 days" if credit else "Net 30 days",
        payment_means=BANK,
        delivery_date=date(2026, 11, 28),
        delivery_address=buyer.address,
    )


def several_rates() -> EInvoice:
    return build(
        [
            ("Desk lamp", Decimal(3), Decimal("49.90"), "S", Decimal(19)),
            ("Cookbook", Decimal(2), Decimal("24.95"), "S", Decimal(7)),
            ("Delivery", Decimal(1), Decimal("5.00"), "S", Decimal(19)),
        ]
    )


def exempt_line() -> EInvoice:
    return build(
        [
            ("Desk lamp", Decimal(1), Decimal("49.90"), "S", Decimal(19)),
            ("Training course", Decimal(2), Decimal("300.00"), "E", Decimal(0)),
        ],
        exemption={"E": ("Exempt under § 4 Nr. 21 UStG", None)},
    )


def reverse_charge() -> EInvoice:
    return build(
        [
            ("Consulting", Decimal("7.5"), Decimal("120.00"), "AE", Decimal(0)),
        ],
        buyer=BUYER_FR,
    )


def intra_community() -> EInvoice:
    return build(
        [("Desk lamp", Decimal(10), Decimal("49.90"), "K", Decimal(0))],
        buyer=BUYER_FR,
    )


def yen() -> EInvoice:
    return build(
        [("Desk lamp", Decimal(3), Decimal(4990), "S", Decimal(10))], currency="JPY", digits=0
    )


def credit_note() -> EInvoice:
    return build(
        [("Desk lamp", Decimal(1), Decimal("49.90"), "S", Decimal(19))],
        number="CM-00001",
        type_code=CREDIT_NOTE,
    )


def many_lines(count: int = 300) -> EInvoice:
    return build(
        [
            (f"Item {i}", Decimal(i % 7 + 1), Decimal("3.33") + i, "S", Decimal(19 if i % 3 else 7))
            for i in range(count)
        ]
    )


ALL = {
    "several_rates": several_rates,
    "exempt_line": exempt_line,
    "reverse_charge": reverse_charge,
    "intra_community": intra_community,
    "yen": yen,
    "credit_note": credit_note,
    "many_lines": many_lines,
}
