"""Early-payment discounts taken at payment (SPEC rule 20).

An invoice issued with terms like ``2@10`` keeps its rate (``discount_pct``) and
the last day of its window (``discount_until``). Its discount is
``domain.terms.early_discount(total - credited, pct)``: the rate of what is left
of the invoice after its credit memos, rounded half-up. Only a standard invoice
has one (a deposit invoice is no sale yet, a charge has none). It is taken once,
on the day of the payment, when:

- the payment is dated within the window (on or before ``discount_until``), and
- the money the payment puts on the invoice, plus the discount (plus a difference
  written off with the same payment), settles the invoice exactly.

``payment record --discount`` demands it: refused when the invoice has none, or
when the payment does not then settle it exactly; after the window it is refused
unless ``--allow-late-discount REASON`` (the reason goes into the event).

Several invoices on one payment are judged each on its own. When the payment is
exactly what the invoices come to with their discounts (the named ones, or
without ``--invoice`` every open invoice of the customer), each is settled at its
discounted amount; otherwise the money is allocated as always (rule 13) and an
invoice whose share plus its discount settles it exactly takes the discount.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from ordercli.books.settings import amount_of as _money
from ordercli.domain.errors import RuleViolation
from ordercli.domain.money import pct_text
from ordercli.domain.terms import early_discount
from ordercli.models import Invoice, InvoiceAdjustment


def discount_of(invoice: Invoice) -> int:
    """The invoice's early-payment discount in minor units (0 when it has none). Only a
    standard invoice has one: a deposit is no sale yet, a charge (dunning fees) none."""
    if invoice.discount_pct is None or invoice.kind != "standard":
        return 0
    return early_discount(invoice.total - invoice.credited, invoice.discount_pct)


def available(invoice: Invoice, on: date, *, late: bool = False) -> int:
    """The discount a payment dated ``on`` may take (0 when none): never twice, and
    after the window only when ``late`` (``--allow-late-discount``)."""
    if invoice.discounted > 0 or invoice.discount_until is None:
        return 0
    if on > invoice.discount_until and not late:
        return 0
    return discount_of(invoice)


def demand(session: Session, invoice: Invoice, on: date, *, late: bool) -> int:
    """``--discount``: the discount, or the reason it cannot be taken."""
    if invoice.kind != "standard":
        raise RuleViolation(
            f"{invoice.number} is a {invoice.kind} invoice: only a standard invoice takes "
            "an early-payment discount"
        )
    if invoice.discount_pct is None or invoice.discount_until is None:
        raise RuleViolation(
            f"{invoice.number} has no early-payment discount"
            + (f" (its terms: {invoice.terms_text})" if invoice.terms_text else ""),
        )
    if invoice.discounted > 0:
        taken = session.exec(
            select(InvoiceAdjustment.number).where(
                InvoiceAdjustment.invoice_id == invoice.id,
                InvoiceAdjustment.kind == "early_discount",
            )
        ).first()
        raise RuleViolation(f"{invoice.number} already took its early-payment discount ({taken})")
    if on > invoice.discount_until and not late:
        raise RuleViolation(
            f"cannot take the early-payment discount on {invoice.number} with a payment "
            f"dated {on}: the discount window closed on {invoice.discount_until}",
            hint="--allow-late-discount REASON takes it anyway (the reason is logged)",
        )
    amount = discount_of(invoice)
    if amount <= 0:
        raise RuleViolation(
            f"the early-payment discount of {pct_text(invoice.discount_pct)} % on "
            f"{invoice.number} comes to {_money(session, 0)}"
        )
    return amount


def exact_dues(
    wanted: list[tuple[Invoice, int | None]],
    amount: int,
    on: date,
    *,
    late: bool = False,
    write_off: int = 0,
) -> dict[int, int] | None:
    """When ``amount`` is exactly what the invoices come to with their discounts,
    what each takes (an amount given for an invoice stays as given); else None.
    ``write_off`` is written off the one invoice named with the payment."""
    dues: dict[int, int] = {}
    any_discount = False
    for invoice, given in wanted:
        assert invoice.id is not None  # a stored invoice
        if given is not None:
            dues[invoice.id] = given
            continue
        discount = available(invoice, on, late=late)
        any_discount = any_discount or discount > 0
        dues[invoice.id] = invoice.balance - discount - write_off
    if not any_discount or sum(dues.values()) != amount or min(dues.values()) <= 0:
        return None
    return dues


def judge(
    session: Session,
    plan: list[tuple[Invoice, int]],
    on: date,
    *,
    demanded: bool = False,
    late: bool = False,
    write_off: int = 0,
) -> list[tuple[Invoice, int]]:
    """The discounts a payment's allocations (``plan``, before they are written) take:
    each invoice on its own, when its share plus its discount (plus ``write_off``,
    written off the one invoice named) settles it exactly. ``demanded``: every
    invoice must take one."""
    taken = []
    for invoice, take in plan:
        discount = demand(session, invoice, on, late=late) if demanded else available(invoice, on)
        rest = write_off
        if discount and take + discount + rest == invoice.balance:
            taken.append((invoice, discount))
        elif demanded:
            needed = invoice.balance - discount - rest
            raise RuleViolation(
                f"with its early-payment discount of {_money(session, discount)}, "
                f"{invoice.number} is settled by exactly {_money(session, needed)}"
                + (f" (and {_money(session, rest)} written off)" if rest else "")
                + f"; the payment puts {_money(session, take)} on it"
            )
    return taken
