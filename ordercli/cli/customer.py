"""`ordercli customer …`: the people and companies you sell to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ordercli.cli.common import AllOpt, JsonOpt, LimitOpt, day, ledger, list_limit, money
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, render, table
from ordercli.domain.errors import InvalidInput

if TYPE_CHECKING:
    from decimal import Decimal

customers = lazy_module("ordercli.services.parties.customers")
views = lazy_module("ordercli.views.parties")

app = typer.Typer(help="Customers: add, list, show, edit, deactivate.", no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument(metavar="CUSTOMER", help="Customer code (or exact name).")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="Email address.")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Phone number.")]
SEVERAL_LINES = " Several lines: type \\n between them."
BillingOpt = Annotated[
    str | None, typer.Option("--billing-address", help="Billing address." + SEVERAL_LINES)
]
ShippingOpt = Annotated[
    str | None,
    typer.Option(
        "--shipping-address", help="Shipping address, if not the billing one." + SEVERAL_LINES
    ),
]
TaxIdOpt = Annotated[
    str | None, typer.Option("--tax-id", help="Tax number as printed on documents.")
]
# What an e-invoice needs of the buyer (rule 21); each is checked when typed.
VatIdOpt = Annotated[
    str | None,
    typer.Option("--vat-id", help="VAT id with its country prefix (DE136695976); checked."),
]
StreetOpt = Annotated[str | None, typer.Option("--street", help="Street and number.")]
PostcodeOpt = Annotated[str | None, typer.Option("--postcode", help="Postcode.")]
CityOpt = Annotated[str | None, typer.Option("--city", help="City.")]
CountryOpt = Annotated[
    str | None, typer.Option("--country", metavar="CODE", help="ISO 3166 country code (DE, FR).")
]
BuyerRefOpt = Annotated[
    str | None,
    typer.Option(
        "--buyer-reference",
        metavar="TEXT",
        help="Reference the buyer wants on every invoice (a Leitweg-ID).",
    ),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="ADDRESS",
        help="Electronic address for e-invoices: an email or SCHEME:ID (0204:…).",
    ),
]
TermsOpt = Annotated[int | None, typer.Option("--terms", help="Payment terms in days.")]
LimitAmountOpt = Annotated[
    str | None, typer.Option("--credit-limit", help="Credit limit (amount); omit for none.")
]

PriceListOpt = Annotated[
    str | None,
    typer.Option("--price-list", metavar="NAME", help="Price list the customer buys from."),
]
TermsCodeOpt = Annotated[
    str | None,
    typer.Option(
        "--terms-code",
        metavar="CODE",
        help="Default payment terms template (ordercli terms list); sets --terms to its days.",
    ),
]

LIST_COLUMNS = [
    ("code", "Code"),
    ("name", "Name"),
    ("email", "Email"),
    ("terms_days", "Terms"),
    ("credit_limit", "Credit limit"),
    ("balance", "Balance"),
    ("state", "Status"),
]


def _show_customer(view: dict) -> None:
    card(
        f"Customer {view['code']}",
        [
            ("Name", view["name"]),
            ("Status", "active" if view["active"] else "inactive"),
            ("Email", view["email"]),
            ("Phone", view["phone"]),
            ("Billing address", view["billing_address"]),
            ("Shipping address", view["shipping_address"]),
            ("Street", view["street"]),
            ("Postcode and city", _locality(view)),
            ("Country", view["country"]),
            ("Tax id", view["tax_id"]),
            ("VAT id", view["vat_id"]),
            ("Buyer reference", view["buyer_reference"]),
            ("Electronic address", view["endpoint"]),
            ("Terms", _terms_said(view)),
            ("Credit limit", view["credit_limit"] if view["credit_limit"] is not None else "none"),
            ("Price list", view.get("price_list") or "none (product prices)"),
            ("Open invoices", view["open_invoices"]),
            ("Unapplied credit", view["unapplied_credit"] or None),
            ("Balance" + (f" at {view['as_of']}" if view.get("as_of") else ""), view["balance"]),
            ("Exposure (credit control)", view.get("exposure")),
            ("Credit hold", view.get("credit_hold")),
        ],
    )


def _locality(view: dict) -> str | None:
    return " ".join(part for part in (view["postcode"], view["city"]) if part) or None


def _einvoice_given(**values: str | None) -> dict[str, str]:
    """The e-invoice options the user gave ("" too: it clears the field)."""
    return {field: value for field, value in values.items() if value is not None}


def _terms_said(view: dict) -> str:
    """``30 days``, or a template's code and what it says (rule 20)."""
    if view.get("terms"):
        return f"{view['terms']}: {view['terms_text']}"
    return f"{view['terms_days']} days"


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Customer name, as on invoices.")],
    code: Annotated[str | None, typer.Option("--code", help="Short code; default C-00001…")] = None,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    billing_address: BillingOpt = None,
    shipping_address: ShippingOpt = None,
    tax_id: TaxIdOpt = None,
    terms: TermsOpt = None,
    credit_limit: LimitAmountOpt = None,
    price_list: PriceListOpt = None,
    terms_code: TermsCodeOpt = None,
    vat_id: VatIdOpt = None,
    street: StreetOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    buyer_reference: BuyerRefOpt = None,
    endpoint: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a customer.

    E-invoices need the buyer's VAT id (for a business), address with --street,
    --postcode, --city and --country, and for public buyers --buyer-reference.

    Example: ordercli customer add "Acme Ltd" --code ACME --email ap@acme.test --terms 14
    """
    with ledger(ctx) as session:
        customer = customers.add_customer(
            session=session,
            name=name,
            code=code,
            email=email,
            phone=phone,
            billing_address=billing_address,
            shipping_address=shipping_address,
            tax_id=tax_id,
            terms_days=terms,
            credit_limit=money(credit_limit, session, "credit limit"),
            price_list=price_list,
            terms_code=terms_code,
            **_einvoice_given(
                vat_id=vat_id,
                street=street,
                postcode=postcode,
                city=city,
                country=country,
                buyer_reference=buyer_reference,
                endpoint=endpoint,
            ),
        )
        view = views.customer_detail(session, customer)
    render(view, as_json, _show_customer)


@app.command("list")
def list_(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option("--search", help="Name or code contains.")] = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="Only inactive ones.")] = False,
    include_inactive: Annotated[
        bool, typer.Option("--include-inactive", help="Active and inactive.")
    ] = False,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List customers, newest first (active ones unless told otherwise).

    Example: ordercli customer list --search acme
    """
    if inactive and include_inactive:
        raise InvalidInput("give --inactive or --include-inactive, not both")
    active = None if include_inactive else not inactive
    with ledger(ctx, write=False) as session:
        documents = views.customer_views(
            session,
            customers.list_customers(
                session=session, active=active, search=search, limit=list_limit(limit, show_all)
            ),
        )
    for view in documents:
        view["state"] = "active" if view["active"] else "inactive"
    render(
        documents,
        as_json,
        lambda rows: table(
            "Customers", LIST_COLUMNS, rows, status_keys=("state",), empty="no customers"
        ),
    )


@app.command("show")
def show(
    ctx: typer.Context,
    code: CodeArg,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Balance as it stood at the end of this day.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a customer with balance and credit exposure.

    Example: ordercli customer show ACME --as-of 2026-06-30
    """
    with ledger(ctx, write=False) as session:
        customer = customers.get_customer(session=session, code=code)
        view = views.customer_detail(session, customer, day(as_of, "--as-of"))
    render(view, as_json, _show_customer)


@app.command("edit")
def edit(
    ctx: typer.Context,
    code: CodeArg,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    billing_address: BillingOpt = None,
    shipping_address: ShippingOpt = None,
    tax_id: TaxIdOpt = None,
    terms: TermsOpt = None,
    credit_limit: LimitAmountOpt = None,
    no_credit_limit: Annotated[
        bool, typer.Option("--no-credit-limit", help="Remove the credit limit.")
    ] = False,
    price_list: PriceListOpt = None,
    no_price_list: Annotated[
        bool, typer.Option("--no-price-list", help="Buy at the products' own prices.")
    ] = False,
    terms_code: TermsCodeOpt = None,
    no_terms_code: Annotated[
        bool,
        typer.Option(
            "--no-terms-code", help="No template: one instalment --terms days after issue."
        ),
    ] = False,
    vat_id: VatIdOpt = None,
    street: StreetOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    buyer_reference: BuyerRefOpt = None,
    endpoint: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a customer's details; only the options given change.

    An empty value clears a field (--vat-id "").

    Example: ordercli customer edit ACME --terms 30 --price-list TRADE
    """
    with ledger(ctx) as session:
        changes: dict[str, str | int | Decimal | None] = {
            key: value
            for key, value in {
                "name": name,
                "email": email,
                "phone": phone,
                "billing_address": billing_address,
                "shipping_address": shipping_address,
                "tax_id": tax_id,
                "terms_days": terms,
                "credit_limit": money(credit_limit, session, "credit limit"),
            }.items()
            if value is not None
        }
        changes |= _einvoice_given(
            vat_id=vat_id,
            street=street,
            postcode=postcode,
            city=city,
            country=country,
            buyer_reference=buyer_reference,
            endpoint=endpoint,
        )
        if no_credit_limit:
            if credit_limit is not None:
                raise InvalidInput("give --credit-limit or --no-credit-limit, not both")
            changes["credit_limit"] = None
        if price_list is not None:
            changes["price_list"] = price_list
        if no_price_list:
            if price_list is not None:
                raise InvalidInput("give --price-list or --no-price-list, not both")
            changes["price_list"] = None
        if terms_code is not None:
            changes["terms_code"] = terms_code
        if no_terms_code:
            if terms_code is not None:
                raise InvalidInput("give --terms-code or --no-terms-code, not both")
            changes["terms_code"] = None
        customer = customers.edit_customer(session=session, code=code, changes=changes)
        view = views.customer_detail(session, customer)
    render(view, as_json, _show_customer)


@app.command("deactivate")
def deactivate(ctx: typer.Context, code: CodeArg, as_json: JsonOpt = False) -> None:
    """Deactivate a customer: no new quotes or orders; history stays.

    Example: ordercli customer deactivate ACME
    """
    with ledger(ctx) as session:
        customer = customers.set_customer_active(session=session, code=code, active=False)
        view = views.customer_detail(session, customer)
    render(view, as_json, _show_customer)


@app.command("activate")
def activate(ctx: typer.Context, code: CodeArg, as_json: JsonOpt = False) -> None:
    """Reactivate a deactivated customer.

    Example: ordercli customer activate ACME
    """
    with ledger(ctx) as session:
        customer = customers.set_customer_active(session=session, code=code, active=True)
        view = views.customer_detail(session, customer)
    render(view, as_json, _show_customer)
