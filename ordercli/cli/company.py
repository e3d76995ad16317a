"""`ordercli company …`: who your documents and emails come from."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import card, output, render
from ordercli.domain.errors import InvalidInput

company = lazy_module("ordercli.services.parties.company")

app = typer.Typer(
    help="Your company profile (name, address, bank details, logo, email): show, set.",
    no_args_is_help=True,
)

MULTI_LINE_HELP = " Several lines: type \\n between them."

NameOpt = Annotated[str | None, typer.Option("--name", help="Company name, as on documents.")]
AddressOpt = Annotated[
    str | None, typer.Option("--address", help="Postal address." + MULTI_LINE_HELP)
]
TaxIdOpt = Annotated[
    str | None, typer.Option("--tax-id", help="Tax number as printed on documents.")
]
EmailFromOpt = Annotated[
    str | None,
    typer.Option("--email-from", help='Sender of emails: shop@example.com or "Shop <shop@…>".'),
]
LocaleOpt = Annotated[
    str | None,
    typer.Option("--locale", help="How amounts and dates are written, e.g. en_US, de_DE, fr_FR."),
]


# What an e-invoice needs of the seller (rule 21); identifiers are checked when typed.
VatIdOpt = Annotated[
    str | None,
    typer.Option("--vat-id", help="VAT id with its country prefix (DE136695976); checked."),
]
RegistrationOpt = Annotated[
    str | None,
    typer.Option(
        "--registration-id", help="Commercial register number (HRB 12345, Amtsgericht Köln)."
    ),
]
StreetOpt = Annotated[str | None, typer.Option("--street", help="Street and number.")]
PostcodeOpt = Annotated[str | None, typer.Option("--postcode", help="Postcode.")]
CityOpt = Annotated[str | None, typer.Option("--city", help="City.")]
CountryOpt = Annotated[
    str | None,
    typer.Option("--country", metavar="CODE", help="ISO 3166 country code (DE, FR, GB); checked."),
]
ContactOpt = Annotated[
    str | None, typer.Option("--contact", help="Contact person buyers can ask about invoices.")
]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Phone number of the contact.")]
IbanOpt = Annotated[
    str | None, typer.Option("--iban", help="Account buyers pay to by bank transfer; checked.")
]
BicOpt = Annotated[str | None, typer.Option("--bic", help="BIC of that account; checked.")]
CreditorIdOpt = Annotated[
    str | None,
    typer.Option("--creditor-id", help="SEPA creditor id, for direct debits; checked."),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="ADDRESS",
        help="Electronic address for e-invoices: an email or SCHEME:ID (0088:…); checked.",
    ),
]


def multi_line(text: str | None) -> str | None:
    """Option text with a typed ``\\n`` turned into a line break (shells make real ones hard)."""
    return None if text is None else text.replace("\\n", "\n")


def profile_document(profile: dict) -> dict:
    """The profile as ``company show --json`` prints it: the logo by type and size only."""
    logo = profile["logo"]
    return {
        **profile,
        "logo": {"mime": logo["mime"], "bytes": len(logo["data"])} if logo else None,
        "smtp_password_set": company.smtp_password() is not None,
    }


def _show_profile(doc: dict) -> None:
    logo = doc["logo"]
    card(
        "Company",
        [
            ("Name", doc["name"] or "not set"),
            ("Address", doc["address"]),
            ("Street", doc["street"]),
            ("Postcode and city", _locality(doc)),
            ("Country", doc["country"]),
            ("Tax id", doc["tax_id"]),
            ("VAT id", doc["vat_id"]),
            ("Registration id", doc["registration_id"]),
            ("Contact", doc["contact"]),
            ("Phone", doc["phone"]),
            ("Electronic address", doc["endpoint"]),
            ("Bank details", doc["bank_details"]),
            ("IBAN", doc["iban"]),
            ("BIC", doc["bic"]),
            ("Creditor id", doc["creditor_id"]),
            ("Footer", doc["footer"]),
            ("Logo", f"{logo['mime']}, {logo['bytes']:,} bytes" if logo else None),
            ("Currency", doc["currency"]),
            ("Locale", doc["locale"]),
            ("Templates", doc["template_dir"] or "built-in"),
            ("Email from", doc["email_from"]),
            ("SMTP host", doc["smtp_host"]),
            ("SMTP port", str(doc["smtp_port"])),
            ("SMTP user", doc["smtp_user"]),
            ("STARTTLS", doc["smtp_starttls"]),
            (
                "SMTP password",
                "set (ORDERCLI_SMTP_PASSWORD)"
                if doc["smtp_password_set"]
                else "not set (ORDERCLI_SMTP_PASSWORD)",
            ),
            ("Write-off limit", _limit_text(doc["write_off_limit"])),
            ("Bad-debt limit", _limit_text(doc["bad_debt_limit"])),
        ],
    )
    if not doc["name"]:
        output.notice('hint: set your company name with: ordercli company set --name "…"')


def _locality(doc: dict) -> str | None:
    return " ".join(part for part in (doc["postcode"], doc["city"]) if part) or None


def _limit_text(limit) -> str:
    return "none (any amount)" if limit is None else str(limit)


@app.command("show")
def show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the company profile documents and emails use (never the SMTP password).

    Example: ordercli company show
    """
    with ledger(ctx, write=False) as session:
        doc = profile_document(company.company_profile(session))
    render(doc, as_json, _show_profile)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: NameOpt = None,
    address: AddressOpt = None,
    tax_id: TaxIdOpt = None,
    bank_details: Annotated[
        str | None,
        typer.Option(
            "--bank-details",
            help="Payment instructions printed on invoices (bank, IBAN, BIC)." + MULTI_LINE_HELP,
        ),
    ] = None,
    footer: Annotated[
        str | None,
        typer.Option("--footer", help="Text at the foot of every document." + MULTI_LINE_HELP),
    ] = None,
    logo: Annotated[
        str | None,
        typer.Option(
            "--logo",
            metavar="FILE",
            help="PNG or JPEG file, at most 1 MiB; stored in the ledger.",
        ),
    ] = None,
    no_logo: Annotated[bool, typer.Option("--no-logo", help="Remove the logo.")] = False,
    currency: Annotated[
        str | None,
        typer.Option("--currency", help="ISO code, e.g. EUR; only before anything is priced."),
    ] = None,
    locale: LocaleOpt = None,
    template_dir: Annotated[
        str | None,
        typer.Option(
            "--template-dir",
            metavar="DIR",
            help="Your own document templates (Jinja2) instead of the built-in ones.",
        ),
    ] = None,
    email_from: EmailFromOpt = None,
    smtp_host: Annotated[
        str | None, typer.Option("--smtp-host", help="Mail server, e.g. smtp.example.com.")
    ] = None,
    smtp_port: Annotated[
        int | None, typer.Option("--smtp-port", help="Mail server port (default 587).")
    ] = None,
    smtp_user: Annotated[
        str | None, typer.Option("--smtp-user", help="Login name on the mail server.")
    ] = None,
    smtp_starttls: Annotated[
        bool | None,
        typer.Option(
            "--smtp-starttls/--no-smtp-starttls",
            help="Encrypt with STARTTLS (the default).",
            show_default=False,
        ),
    ] = None,
    write_off_limit: Annotated[
        str | None,
        typer.Option(
            "--write-off-limit",
            metavar="AMOUNT",
            help="The most `payment record --write-off` may write off at once (default "
            '5.00); "none" for no limit.',
        ),
    ] = None,
    bad_debt_limit: Annotated[
        str | None,
        typer.Option(
            "--bad-debt-limit",
            metavar="AMOUNT",
            help='The most `invoice write-off` may write off at once; "none" (the default) '
            "for no limit.",
        ),
    ] = None,
    vat_id: VatIdOpt = None,
    registration_id: RegistrationOpt = None,
    street: StreetOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    contact: ContactOpt = None,
    phone: PhoneOpt = None,
    iban: IbanOpt = None,
    bic: BicOpt = None,
    creditor_id: CreditorIdOpt = None,
    endpoint: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the company profile; only the options given change.

    An empty value clears a field (--tax-id ""). The SMTP password is never
    stored: put it in the environment variable ORDERCLI_SMTP_PASSWORD.
    --write-off-limit and --bad-debt-limit cap what one write-off may be; every
    change of them is logged. E-invoices need --vat-id, --street, --postcode,
    --city and --country, and --iban (with --bic) for payment by bank transfer.

    Example: ordercli company set --name "Widgets & Co" --address "1 Mill Road\\nLeeds LS1 4AB"
    """
    changes: dict[str, str | int | bool | None] = {
        key: value
        for key, value in {
            "name": name,
            "address": multi_line(address),
            "tax_id": tax_id,
            "bank_details": multi_line(bank_details),
            "footer": multi_line(footer),
            "logo": logo,
            "currency": currency,
            "locale": locale,
            "template_dir": template_dir,
            "email_from": email_from,
            "smtp_host": smtp_host,
            "smtp_port": smtp_port,
            "smtp_user": smtp_user,
            "smtp_starttls": smtp_starttls,
            "write_off_limit": write_off_limit,
            "bad_debt_limit": bad_debt_limit,
            "vat_id": vat_id,
            "registration_id": registration_id,
            "street": street,
            "postcode": postcode,
            "city": city,
            "country": country,
            "contact": contact,
            "phone": phone,
            "iban": iban,
            "bic": bic,
            "creditor_id": creditor_id,
            "endpoint": endpoint,
        }.items()
        if value is not None
    }
    if no_logo:
        if logo is not None:
            raise InvalidInput("give --logo or --no-logo, not both")
        changes["logo"] = None
    if not changes:
        raise InvalidInput(
            "nothing to change: give at least one option, e.g. --name",
            hint="see ordercli company set --help",
        )
    with ledger(ctx) as session:
        doc = profile_document(company.update_company(session, **changes))
    render(doc, as_json, _show_profile)
