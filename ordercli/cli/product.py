"""`ordercli product …`: the catalog of stocked goods and services."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import AllOpt, JsonOpt, LimitOpt, ledger, list_limit, money, pct, qty
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, render, table
from ordercli.domain import vat
from ordercli.domain.units import unit_label, unit_symbol

catalog = lazy_module("ordercli.services.inventory.catalog")
views = lazy_module("ordercli.views.inventory")

app = typer.Typer(help="Products and services: add, list, show, edit.", no_args_is_help=True)

SkuArg = Annotated[str, typer.Argument(metavar="SKU", help="The product's SKU.")]
COLUMNS = [
    ("sku", "SKU"),
    ("name", "Name"),
    ("unit_price", "Price"),
    ("unit_symbol", "Unit"),
    ("tax_rate", "Tax %"),
    ("kind", "Kind"),
    ("on_hand", "On hand"),
    ("reserved", "Reserved"),
    ("available", "Available"),
]


def _show_product(view: dict) -> None:
    fields = [
        ("Name", view["name"]),
        ("Kind", "service" if view["service"] else "stocked"),
        ("Unit", unit_label(view["unit"])),
        ("Unit price", view["unit_price"]),
        ("Tax rate", f"{view['tax_rate']}%"),
        ("VAT category", _category_said(view["vat_category"])),
        ("VAT exemption", view["vat_exemption"]),
    ]
    if not view["service"]:
        fields += [
            ("On hand", view["on_hand"]),
            ("Reserved", view["reserved"]),
            ("Available", view["available"]),
            ("Location", view.get("location")),
        ]
    if not view["active"]:
        fields.append(("Status", "inactive"))
    card(f"Product {view['sku']}", fields)


LocationOpt = Annotated[
    str | None,
    typer.Option("--location", help="Where it is kept (aisle-shelf-bin); pick lists sort by it."),
]
UnitOpt = Annotated[
    str | None,
    typer.Option(
        "--unit",
        metavar="CODE",
        help="Unit it is sold in: a UN/ECE Rec. 20 code or its name "
        "(C62 piece, KGM kg, HUR hour, XBX box …).",
    ),
]


VatCategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--vat-category",
        metavar="CODE",
        help="EN 16931 VAT category: S standard, Z zero rated, E exempt, O not subject.",
    ),
]
VatExemptionOpt = Annotated[
    str | None,
    typer.Option(
        "--vat-exemption",
        metavar="REASON",
        help="Why no VAT (E, O): words or a VATEX code, e.g. VATEX-EU-132-1I.",
    ),
]


def _category_said(code: str | None) -> str | None:
    """``E (exempt from VAT)``; None when the product names no category."""
    return None if code is None else f"{code} ({vat.CATEGORIES[code]})"


def _table_row(view: dict) -> dict:
    return {**view, "unit_symbol": unit_symbol(view["unit"])}


@app.command("add")
def add(
    ctx: typer.Context,
    sku: SkuArg,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Name, as on quotes and invoices.")],
    price: Annotated[str, typer.Option("--price", help="Unit price, net of tax.")],
    tax_rate: Annotated[str, typer.Option("--tax-rate", help="Tax rate in percent.")] = "0",
    stock: Annotated[str | None, typer.Option("--stock", help="Opening stock on hand.")] = None,
    service: Annotated[
        bool, typer.Option("--service", help="A service (hours, fees): never stocked.")
    ] = False,
    location: LocationOpt = None,
    unit: UnitOpt = None,
    vat_category: VatCategoryOpt = None,
    vat_exemption: VatExemptionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a product or service to the catalog, sold in pieces unless --unit says otherwise.

    --vat-category S needs a tax rate above 0; Z, E and O need --tax-rate 0, and E
    needs --vat-exemption (why the sale is exempt).

    Example: ordercli product add BEANS "Espresso beans" --price 21.40 --unit kg --stock 35.5
    """
    with ledger(ctx) as session:
        product = catalog.add_product(
            session=session,
            sku=sku,
            name=name,
            price=money(price, session, "price"),
            tax_rate=pct(tax_rate, "tax rate"),
            stock=None if stock is None else qty(stock, "stock", allow_zero=True),
            service=service,
            location=location,
            unit=unit,
            vat_category=vat_category,
            vat_exemption=vat_exemption,
        )
        view = views.product_view(session, product)
    render(view, as_json, _show_product)


@app.command("list")
def list_(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option("--search", help="Name or SKU contains.")] = None,
    services: Annotated[
        bool | None,
        typer.Option(
            "--services/--goods", help="Only services, or only goods.", show_default=False
        ),
    ] = None,
    limit: LimitOpt = 50,
    show_all: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List the catalog, newest first, with stock on hand, reserved and available.

    Example: ordercli product list --goods
    """
    with ledger(ctx, write=False) as session:
        documents = [
            views.product_view(session, p)
            for p in catalog.list_products(
                session=session, search=search, services=services, limit=list_limit(limit, show_all)
            )
        ]
    for view in documents:
        view["kind"] = "service" if view["service"] else "stocked"
    render(
        documents,
        as_json,
        lambda rows: table(
            "Products", COLUMNS, [_table_row(row) for row in rows], empty="no products"
        ),
    )


@app.command("show")
def show(ctx: typer.Context, sku: SkuArg, as_json: JsonOpt = False) -> None:
    """Show a product: unit, price, tax, on hand / reserved / available.

    Example: ordercli product show WIDGET
    """
    with ledger(ctx, write=False) as session:
        view = views.product_view(session, catalog.get_product(session=session, sku=sku))
    render(view, as_json, _show_product)


@app.command("edit")
def edit(
    ctx: typer.Context,
    sku: SkuArg,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    price: Annotated[str | None, typer.Option("--price", help="New unit price.")] = None,
    tax_rate: Annotated[str | None, typer.Option("--tax-rate", help="New tax rate %.")] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive", help="Sell it, or stop selling it.", show_default=False
        ),
    ] = None,
    location: LocationOpt = None,
    unit: UnitOpt = None,
    vat_category: VatCategoryOpt = None,
    vat_exemption: VatExemptionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a product; lines already written keep their prices and units.

    An empty value clears the VAT category or exemption (--vat-exemption "").

    Example: ordercli product edit WIDGET --price 13.00
    """
    with ledger(ctx) as session:
        changes = {
            key: value
            for key, value in {
                "name": name,
                "price": money(price, session, "price"),
                "tax_rate": pct(tax_rate, "tax rate"),
                "active": active,
                "location": location,
                "unit": unit,
                "vat_category": vat_category,
                "vat_exemption": vat_exemption,
            }.items()
            if value is not None
        }
        view = views.product_view(
            session, catalog.edit_product(session=session, sku=sku, changes=changes)
        )
    render(view, as_json, _show_product)
