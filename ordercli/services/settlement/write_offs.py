"""Write-offs: payment differences and bad debts (SPEC rule 20).

- ``payment record CUSTOMER AMOUNT --invoice INV --write-off AMOUNT --reason TEXT``:
  after the payment is allocated (and any early-payment discount taken), AMOUNT of
  what the one invoice named still owes is written off as a *payment difference*
  (bank fees, a few cents short): Dr ``payment_differences``, Cr receivable. A
  difference is a cost of collecting the money, not a smaller sale, so the tax is
  not corrected.
- ``invoice write-off INV --reason TEXT [--amount A]``: what cannot be collected
  (all of the open balance by default) is a *bad debt*: Dr ``bad_debts`` (net part)
  and Dr ``sales_tax`` (tax part), Cr receivable. The tax charged on a sale that
  will never be paid is corrected (as VAT law allows for an uncollectible debt),
  by the same proportional rule as a discount (``adjustments.tax_part``).

Each is at most the configured limit (``company set --write-off-limit`` (default
5.00), ``--bad-debt-limit`` (default none)), more than zero and never more than
what is still owed; a bad debt is refused on a paid or cancelled invoice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from ordercli.books.chronology import check_not_future
from ordercli.books.clock import today
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import to_minor
from ordercli.domain.text import clean_text
from ordercli.models import CreditMemo, Customer, Invoice, InvoiceAdjustment, Payment
from ordercli.services.parties.company import limit_of
from ordercli.services.sales.invoicing import get_invoice
from ordercli.services.settlement.adjustments import BAD_DEBT, PAYMENT_DIFFERENCE, post_adjustment

LIMIT_OPTIONS = {
    "write_off_limit": "--write-off-limit",
    "bad_debt_limit": "--bad-debt-limit",
}


def _check_limit(session: Session, field: str, amount: int, what: str) -> None:
    limit = limit_of(session, field)
    if limit is None:
        return
    units = to_minor(limit, minor_digits(session))
    if amount > units:
        raise RuleViolation(
            f"{what} of {_money(session, amount)} is above the limit of {limit}",
            hint=f"`ordercli company set {LIMIT_OPTIONS[field]} AMOUNT` changes the limit",
        )


def write_off_request(
    session: Session,
    amount: Decimal | None,
    reason: str | None,
    invoices: list[tuple[str, Decimal | None]] | None,
) -> tuple[int, str] | None:
    """``payment record --write-off AMOUNT --reason TEXT``, checked before anything is
    written: (amount in minor units, reason), or None without ``--write-off``."""
    if amount is None:
        if reason is not None:
            raise InvalidInput("--reason goes with --write-off AMOUNT")
        return None
    if not invoices or len(invoices) != 1:
        raise InvalidInput(
            "--write-off needs exactly one --invoice: the invoice whose rest is written off"
        )
    if amount <= 0:
        raise InvalidInput(f"write-off amount {amount} must be greater than zero")
    text = clean_text(reason, what="write-off reason", required=True, max_length=500)
    units = to_minor(amount, minor_digits(session))
    _check_limit(session, "write_off_limit", units, "write-off")
    return units, text


def check_payment_write_off(
    session: Session,
    invoice: Invoice,
    amount: int,
    *,
    paid: int,
    discounted: int,
) -> None:
    """The write-off is at most what the invoice owes once the payment (``paid``) and
    its discount are on it."""
    left = invoice.balance - paid - discounted
    if amount > left:
        raise RuleViolation(
            f"cannot write off {_money(session, amount)} of {invoice.number}: only "
            f"{_money(session, left)} is left to pay after this payment"
            + (f" and its discount of {_money(session, discounted)}" if discounted else "")
        )


def post_payment_write_off(
    session: Session,
    *,
    invoice: Invoice,
    amount: int,
    reason: str,
    payment: Payment,
    customer: Customer,
) -> InvoiceAdjustment:
    return post_adjustment(
        session=session,
        kind=PAYMENT_DIFFERENCE,
        invoice=invoice,
        amount=amount,
        on=payment.received_on,
        reason=reason,
        payment=payment,
        customer_code=customer.code,
    )


def write_off_bad_debt(
    *,
    session: Session,
    invoice_number: str,
    reason: str,
    amount: Decimal | None = None,
    written_off_on: date | None = None,
) -> InvoiceAdjustment:
    """Write off what a customer will never pay of an invoice (all of its open
    balance unless ``amount``) as a bad debt, tax corrected (rule 20)."""
    reason_text = clean_text(reason, what="reason", required=True, max_length=500)
    found = get_invoice(session=session, number=invoice_number)
    invoice = session.get_one(
        Invoice, found.id, with_for_update={"key_share": True}, populate_existing=True
    )
    on = written_off_on or today()
    check_not_future(on, "write-off")
    cancelled = session.exec(
        select(CreditMemo.number).where(
            CreditMemo.invoice_id == invoice.id, col(CreditMemo.cancels_invoice)
        )
    ).first()
    if cancelled is not None:
        raise RuleViolation(
            f"{invoice.number} is cancelled (by credit memo {cancelled}): nothing to write off"
        )
    if invoice.kind == "deposit":
        raise RuleViolation(
            f"{invoice.number} is a deposit invoice: nothing was delivered on it, so there "
            "is no sale to write off",
            hint=f"`ordercli invoice cancel {invoice.number} --reason …` takes it back",
        )
    balance = invoice.balance
    if balance <= 0:
        raise RuleViolation(f"{invoice.number} is paid: nothing is left to write off")
    if amount is None:
        units = balance
    else:
        if amount <= 0:
            raise InvalidInput(f"write-off amount {amount} must be greater than zero")
        units = to_minor(amount, minor_digits(session))
        if units > balance:
            raise RuleViolation(
                f"cannot write off {_money(session, units)} of {invoice.number}: its balance "
                f"is {_money(session, balance)}"
            )
    _check_limit(session, "bad_debt_limit", units, "bad debt")
    customer = session.get_one(Customer, invoice.customer_id)
    return post_adjustment(
        session=session,
        kind=BAD_DEBT,
        invoice=invoice,
        amount=units,
        on=on,
        reason=reason_text,
        customer_code=customer.code,
    )
