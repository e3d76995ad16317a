"""What each document template is given: the ledger's own figures, never recomputed.

Every amount comes from the document as the ledger holds it (line amounts,
totals, paid, credited, balance), as a ``Decimal``; the templates format them
with the ``money``/``qty``/``pct``/``date`` filters for the ledger's currency
and the company's locale. The tax breakdown is a sum of the rounded lines, so
it adds up to the tax total to the cent. An invoice and a credit memo also print
what their e-invoice says (``documents.einvoice_data``): VAT categories and
exemption reasons, the buyer's references, how the invoice is paid, VAT ids.
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from ordercli.books.clock import today
from ordercli.books.settings import minor_digits
from ordercli.db.lookup import chunks
from ordercli.documents import einvoice_data
from ordercli.domain.money import from_minor, pct_from_db, pct_to_db, qty_from_db, to_minor
from ordercli.domain.terms import early_discount
from ordercli.domain.units import totals_by_unit
from ordercli.models import (
    Customer,
    OrderLine,
    Product,
    SalesOrder,
    Shipment,
    ShipmentLine,
    ShipmentReversal,
)
from ordercli.reports.receivables import aging, statement
from ordercli.services.parties.company import company_profile
from ordercli.services.parties.customers import get_customer
from ordercli.services.sales.fulfilment import get_shipment
from ordercli.services.sales.invoicing import get_invoice
from ordercli.services.sales.picking import pick_list
from ordercli.services.sales.quoting import get_quote
from ordercli.services.settlement.credit_memos import get_credit_memo
from ordercli.views import sales as views
from ordercli.views.settlement import credit_memo_view


def _company(session: Session) -> dict:
    """The company profile, with the logo as a ``data:`` URI the template can show."""
    profile = dict(company_profile(session))
    logo = profile.get("logo")
    profile["logo_uri"] = (
        f"data:{logo['mime']};base64,{base64.b64encode(logo['data']).decode('ascii')}"
        if logo
        else None
    )
    return profile


def _party(customer: Customer) -> dict:
    return {
        "code": customer.code,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "billing_address": customer.billing_address,
        "shipping_address": customer.shipping_address or customer.billing_address,
        "tax_id": customer.tax_id,
        "terms_days": customer.terms_days,
    }


def _seller_as_issued(company: dict, seller: dict) -> dict:
    """The company block of an issued document: name, address, tax id, bank details and
    footer as it was issued (rule 4); logo, locale and currency are today's settings."""
    return {**company, **seller}


def _buyer_as_issued(buyer: dict, terms_days: int) -> dict:
    """The customer block of an issued document, from its frozen buyer (rule 4)."""
    return {
        **buyer,
        "shipping_address": buyer.get("shipping_address") or buyer.get("billing_address"),
        "terms_days": terms_days,
    }


def tax_breakdown(lines: list[dict]) -> list[dict]:
    """Net and tax per tax rate and VAT category, from the rounded lines (SPEC rule 10),
    in rising rate: the e-invoice's VAT breakdown (rule 21). A row's reason is its first
    line's; lines without a category (a quote's) are grouped by rate alone."""
    groups: dict[tuple, dict] = {}
    for line in lines:
        key = (line["tax_rate"], line.get("vat_category"))
        bucket = groups.get(key)
        if bucket is None:
            bucket = groups[key] = {
                "net": Decimal(0),
                "tax": Decimal(0),
                "lines": 0,
                "exemption": line.get("vat_exemption"),
                "exemption_code": line.get("vat_exemption_code"),
            }
        bucket["net"] += line["net"]
        bucket["tax"] += line["tax"]
        bucket["lines"] += 1
    rows = [
        {"rate": rate, "category": category, **groups[(rate, category)]}
        for rate, category in sorted(groups, key=lambda key: (key[0], key[1] or ""))
    ]
    einvoice_data.notes(rows)
    return rows


def priced(view: dict) -> dict:
    """How a quote or invoice prints its prices (rule 19): each line's amount before the
    document discount (gross when the prices include tax), and their sum, the lines
    total the discount comes off."""
    gross = bool(view.get("prices_include_tax"))
    for line in view["lines"]:
        line["amount"] = (line["total"] if gross else line["net"]) + line["doc_discount"]
    return {
        "gross": gross,
        "lines_total": sum((line["amount"] for line in view["lines"]), Decimal(0)),
    }


def _base(
    session: Session, kind: str, title: str, customer_id: int, issued: dict | None = None
) -> dict:
    """The frame of a document; ``issued`` (the view of an issued document) gives the
    seller and buyer as they were, where a quote or statement shows them as they are."""
    company = _company(session)
    customer = session.get(Customer, customer_id)
    assert customer is not None  # customer_id is a NOT NULL foreign key to it
    party = _party(customer)
    if issued is not None:
        company = _seller_as_issued(company, issued["seller"])
        party = _buyer_as_issued(issued["buyer"], customer.terms_days)
    return {
        "kind": kind,
        "title": title,
        "company": company,
        "customer": party,
        "printed_on": _today(),
    }


def _today() -> date:
    return today()


def early_payment(view: dict, printed: date, digits: int) -> dict | None:
    """The early-payment discount line of an invoice (rule 20): its rate, last day and
    what settles the invoice if paid by then; None without a discount, once its window
    closed, once taken, or when nothing is open."""
    pct, until = view.get("early_discount_pct"), view.get("early_discount_until")
    if pct is None or until is None or printed > until:
        return None
    if view.get("discounted") or view["balance"] <= 0:
        return None
    off = early_discount(to_minor(view["total"], digits), pct_to_db(pct))
    pay = to_minor(view["balance"], digits) - off
    if pay < 0:
        return None
    return {
        "pct": pct,
        "until": until,
        "discount": from_minor(off, digits),
        "pay": from_minor(pay, digits),
    }


def invoice_context(session: Session, number: str) -> dict:
    return invoice_contexts(session, [get_invoice(session=session, number=number)])[0]


def invoice_contexts(session: Session, invoices: list) -> list[dict]:
    """The contexts of many invoices with a handful of queries (``invoice pdf --all``)."""
    company = _company(session)
    printed = _today()
    terms: dict[int, int] = {}
    for chunk in chunks(sorted({i.customer_id for i in invoices})):
        terms.update(
            session.execute(
                select(col(Customer.id), col(Customer.terms_days)).where(
                    col(Customer.id).in_(chunk)
                )
            ).all()
        )
    # A percentage discount names its rate on the invoice too: the order's, which is
    # fixed once it left draft, as it must be before it is invoiced (rule 19).
    rates: dict[int, int] = {}
    for chunk in chunks(sorted({i.order_id for i in invoices})):
        rates.update(
            session.execute(
                select(col(SalesOrder.id), col(SalesOrder.discount_pct)).where(
                    col(SalesOrder.id).in_(chunk), col(SalesOrder.discount_pct).is_not(None)
                )
            ).all()
        )
    digits = minor_digits(session)
    # What the e-invoice says (rule 21): line categories, today's customer data for
    # what a document never froze, and the billing agreement that decides payment.
    categories = einvoice_data.line_categories(session, [i.id for i in invoices])
    buyers_now = einvoice_data.current_buyers(session, list(terms))
    agreements = einvoice_data.order_agreements(session, {i.order_id for i in invoices})
    contexts = []
    for invoice, view in zip(invoices, views.invoice_views(session, invoices), strict=True):
        rate = rates.get(invoice.order_id)
        view["discount_pct"] = None if rate is None else pct_from_db(rate)
        einvoice_data.categorise(view["lines"], categories.get(invoice.id, {}))
        breakdown = tax_breakdown(view["lines"])
        einvoice_data.label_lines(view["lines"], breakdown)
        seller = einvoice_data.seller_block(_seller_as_issued(company, view["seller"]))
        buyer = einvoice_data.buyer_block(
            _buyer_as_issued(view["buyer"], terms[invoice.customer_id]),
            buyers_now.get(invoice.customer_id, {}),
            company["locale"],
        )
        contexts.append(
            {
                "kind": "invoice",
                "title": ("Down payment invoice" if view["kind"] == "deposit" else "Invoice")
                + f" {view['number']}",
                "company": seller,
                "customer": buyer,
                "printed_on": printed,
                "document": view,
                "invoice": view,
                "tax_breakdown": breakdown,
                "buyer_reference": invoice.buyer_reference or buyer.get("buyer_reference"),
                "purchase_order": invoice.purchase_order,
                "payment_means": einvoice_data.payment_instructions(
                    seller, agreements.get(invoice.order_id), company["currency"], invoice.number
                ),
                "has_discounts": any(line["discount_pct"] for line in view["lines"]),
                "early_payment": early_payment(view, printed, digits),
                # Deposits (rule 20): what is left to pay once they are deducted.
                "amount_due": view["total"]
                - sum((item["amount"] for item in view["deposits_deducted"]), Decimal(0)),
                **priced(view),
            }
        )
    return contexts


def quote_context(session: Session, number: str) -> dict:
    quote = get_quote(session=session, number=number)
    view = views.quote_view(session, quote)
    # The customer reads only the notes written for them on this very revision; the
    # negotiation thread ("Can you do 5% off?") stays internal.
    view["notes"] = [
        note for note in view["notes"] if note["customer_visible"] and note["quote"] == quote.number
    ]
    context = _base(session, "quote", f"Quote {view['number']}", quote.customer_id)
    context.update(
        document=view,
        quote=view,
        tax_breakdown=tax_breakdown(view["lines"]),
        has_discounts=any(line["discount_pct"] for line in view["lines"]),
        **priced(view),
    )
    return context


def credit_memo_context(session: Session, number: str) -> dict:
    memo = get_credit_memo(session=session, number=number)
    assert memo.id is not None  # a stored memo
    view = credit_memo_view(session, memo)
    credited = get_invoice(session=session, number=view["invoice"])
    invoice = views.invoice_view(session, credited, with_lines=False)
    context = _base(
        session, "credit-memo", f"Credit memo {view['number']}", memo.customer_id, issued=view
    )
    # What the e-invoice says (rule 21): the categories of the invoice lines credited,
    # the invoice's references, the VAT ids and addresses of both parties.
    einvoice_data.categorise(view["lines"], einvoice_data.memo_line_categories(session, memo.id))
    breakdown = tax_breakdown(view["lines"])
    einvoice_data.label_lines(view["lines"], breakdown)
    buyer = einvoice_data.buyer_block(
        context["customer"],
        einvoice_data.current_buyers(session, [memo.customer_id]).get(memo.customer_id, {}),
        context["company"]["locale"],
    )
    context.update(
        company=einvoice_data.seller_block(context["company"]),
        customer=buyer,
        document=view,
        memo=view,
        invoice=invoice,
        tax_breakdown=breakdown,
        buyer_reference=credited.buyer_reference or buyer.get("buyer_reference"),
        purchase_order=credited.purchase_order,
        # The memo's lines are priced as its invoice's were (rule 19).
        gross=bool(invoice.get("prices_include_tax")),
    )
    return context


def packing_slip_context(session: Session, number: str) -> dict:
    """A shipment's goods, without prices, with what is still to come on the order."""
    shipment = get_shipment(session=session, number=number)
    view = views.shipment_view(session, shipment)
    # Only goods are shipped (rule 12): a service line on a shipment was delivered by
    # invoicing it, and nothing of it is packed.
    services = set(
        session.execute(
            select(col(ShipmentLine.position))
            .join(Product, col(Product.id) == col(ShipmentLine.product_id))
            .where(col(ShipmentLine.shipment_id) == shipment.id, col(Product.service).is_(True))
        ).scalars()
    )
    view["lines"] = [line for line in view["lines"] if line["line"] not in services]
    # What was still open right after this shipment left, so a reprint says what
    # the original said: the line's quantity less this and every earlier shipment
    # (less those already reversed by then: recorded in error, they never left).
    earlier = aliased(ShipmentLine)
    shipped_by_then = (
        select(func.coalesce(func.sum(earlier.qty), 0))
        .join(Shipment, col(Shipment.id) == col(earlier.shipment_id))
        .outerjoin(
            ShipmentReversal,
            (col(ShipmentReversal.shipment_id) == col(earlier.shipment_id))
            & (col(ShipmentReversal.created_at) <= shipment.created_at),
        )
        .where(
            col(earlier.order_line_id) == col(ShipmentLine.order_line_id),
            col(earlier.shipment_id) <= shipment.id,
            col(Shipment.return_id).is_(None),
            col(ShipmentReversal.id).is_(None),
        )
        .scalar_subquery()
    )
    still_open = dict(
        session.execute(
            select(col(ShipmentLine.position), col(OrderLine.qty) - shipped_by_then)
            .join(OrderLine, col(OrderLine.id) == col(ShipmentLine.order_line_id))
            .where(col(ShipmentLine.shipment_id) == shipment.id)
        ).all()
    )
    if shipment.return_id is not None:
        still_open = {}  # a replacement for returned goods: nothing else is coming with it
    for line in view["lines"]:
        line["still_to_come"] = qty_from_db(max(still_open.get(line["line"], 0), 0))
    context = _base(
        session,
        "packing-slip",
        f"Packing slip {view['number']}",
        shipment.customer_id,
        issued=view,
    )
    context.update(
        document=view,
        shipment=view,
        # Per unit: ten kilograms and six boxes are never sixteen of anything.
        quantities_by_unit=totals_by_unit((line["unit"], line["qty"]) for line in view["lines"]),
    )
    return context


def statement_context(
    session: Session,
    customer: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict:

    report = statement(session=session, customer=customer, date_from=date_from, date_to=date_to)
    cust = get_customer(session=session, code=customer)
    assert cust.id is not None  # a stored customer
    buckets = aging(session=session, as_of=report["to"], customer=cust.code)["customers"]
    context = _base(session, "statement", f"Statement for {cust.name}", cust.id)
    context.update(
        document={"number": f"{cust.code} {report['to'].isoformat()}", **report},
        statement=report,
        aging=buckets[0] if buckets else None,
    )
    return context


def pick_list_context(session: Session, warehouse: str | None) -> dict:
    """What to pick in one warehouse, for the people with the trolley: no customer, no prices."""
    picks = pick_list(session=session, warehouse=warehouse)
    printed = _today()
    return {
        "kind": "pick-list",
        "title": f"Pick list {picks['warehouse']} {printed.isoformat()}",
        "company": _company(session),
        "customer": None,
        "printed_on": printed,
        "document": {"number": f"{picks['warehouse']}-{printed.isoformat()}", **picks},
        "picks": picks,
    }
