"""Deposits (down payments): part of an order invoiced before delivery (SPEC rules
4, 14, 18, 20).

``invoice create ORDER --deposit 30%`` (a percentage of the order's total) or
``--deposit 300.00`` (an amount including tax, like the order's total) issues a
deposit invoice (``Invoice.kind = 'deposit'``) on a confirmed order. It is an
invoice like any other: numbered from the invoice series, sealed in its hash chain,
dated by rule 4a, its parties frozen, its payment terms and schedule those of the
order or customer (``issuing.issue_unlinked``); only a deposit earns no
early-payment discount. It invoices none of the order's quantities.

Its amount is spread over the order's tax rates in proportion to what is still to
invoice at each rate (largest remainder, so the parts add up to the amount
exactly); each rate's part is one line, ``DEPOSIT`` × 1, whose net is the part
with the tax taken out (rounded half-up) and whose tax is the rest. VAT on a down
payment is due when it is invoiced or received, so the tax is posted at once; the
net is a liability, not revenue::

    Dr receivable          total      (the deposit invoice, its customer)
    Cr customer_advances   net
    Cr sales_tax           tax

The deposits of an order that still stand (not deducted, credited or written off)
never exceed what the order still has to invoice. What is paid on a deposit is
deducted from the order's later invoices (``deposit_deductions.py``); an unpaid
deposit is not, and is cancelled with ``invoice cancel`` when it will not be paid.

A credit memo on a deposit invoice (``invoice cancel``, ``credit-memo create
--amount``) credits money, never quantities, and at most what was not deducted:
its net goes back out of ``customer_advances`` (not refunds) and its lines touch no
order line. What was paid on a deposit and deducted stays: the sale it paid for
is corrected by a credit memo on that invoice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from ordercli.books.journal import Posting
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import (
    PCT_WHOLE,
    QTY_SCALE,
    net_price_units,
    parse_money,
    parse_pct,
    pct_text,
    pct_to_db,
    share_units,
    spread_discount,
    to_minor,
)
from ordercli.models import Invoice, InvoiceLine
from ordercli.services.parties.payment_terms import terms_id_of
from ordercli.services.sales.deposit_deductions import (
    DEPOSIT,
    Deposit,
    deductions,
    deposit_of,
    deposits_of,
)
from ordercli.services.sales.issuing import issue_unlinked
from ordercli.services.sales.ordering import (
    check_workable,
    get_order,
    order_lines,
    unbilled_units,
)

SKU = "DEPOSIT"
UNIT = "C62"  # one piece: the down payment itself


def parse_deposit(text: str | None, digits: int) -> tuple[int | None, int | None]:
    """``30%`` → (percentage in ten-thousandths, None); ``300.00`` → (None, minor units)."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput(
            "--deposit is empty: give a percentage of the order's total (30%) or an "
            "amount including tax (300.00)"
        )
    if raw.endswith("%"):
        pct = parse_pct(raw, what="--deposit percentage")
        if pct <= 0:
            raise InvalidInput(f"--deposit percentage {raw!r} must be above 0")
        return pct_to_db(pct), None
    amount = parse_money(raw, digits, what="--deposit amount")
    if amount <= 0:
        raise InvalidInput(f"--deposit amount {raw!r} must be greater than zero")
    return None, to_minor(amount, digits)


def create_deposit_invoice(
    *,
    session: Session,
    order_number: str,
    deposit: str,
    issue_date: date | None = None,
    terms: str | None = None,
) -> Invoice:
    """Issue a deposit invoice on a confirmed order (rules 6, 7, 20): a percentage of
    its total or an amount, within what the order still has to invoice less the
    deposits that still stand. ``terms`` names a payment terms template it takes
    instead of the order's or customer's."""
    digits = minor_digits(session)
    pct, amount = parse_deposit(deposit, digits)
    terms_id = terms_id_of(session, terms)
    order = get_order(session=session, number=order_number, for_update=True)
    check_workable(order, "invoice a deposit on")
    assert order.id is not None  # a stored order
    per_rate: dict[int, int] = {}
    for line in order_lines(session=session, order=order):
        net, tax = unbilled_units(line, digits, gross=order.prices_include_tax)
        if net + tax > 0:
            per_rate[line.tax_rate] = per_rate.get(line.tax_rate, 0) + net + tax
    to_invoice = sum(per_rate.values())
    if to_invoice <= 0:
        raise RuleViolation(
            f"cannot invoice a deposit on {order.number}: nothing is left to invoice"
        )
    if pct is not None:
        amount = share_units(order.total, pct, PCT_WHOLE)
        if amount <= 0:
            raise RuleViolation(
                f"a deposit of {pct_text(pct)} % of {order.number}'s total "
                f"{_money(session, order.total)} rounds to nothing"
            )
    assert amount is not None  # parse_deposit gives one of the two
    standing = [
        d
        for d in deposits_of(session, [order.id], lock=True).get(order.id, [])
        if d.outstanding > 0
    ]
    outstanding = sum(d.outstanding for d in standing)
    if amount + outstanding > to_invoice:
        raise RuleViolation(
            f"cannot invoice a deposit of {_money(session, amount)} on {order.number}: it has "
            f"{_money(session, to_invoice)} left to invoice"
            + (
                f", and deposit(s) {', '.join(d.number for d in standing)} still stand for "
                f"{_money(session, outstanding)}"
                if standing
                else ""
            )
            + f"; at most {_money(session, max(0, to_invoice - outstanding))}"
        )
    rates = sorted(per_rate)
    shares = spread_discount([per_rate[rate] for rate in rates], amount=amount)
    what = f"Down payment {pct_text(pct)} % on" if pct is not None else "Down payment on"
    lines: list[dict] = []
    for rate, share in zip(rates, shares, strict=True):
        if share <= 0:
            continue
        net = net_price_units(share, rate)
        lines.append(
            {
                "order_line_id": None,
                "position": len(lines) + 1,
                "product_id": None,
                "sku": SKU,
                "description": f"{what} {order.number}",
                "unit": UNIT,
                "qty": QTY_SCALE,
                "unit_price": net,
                "discount": 0,
                "tax_rate": rate,
                "net": net,
                "tax": share - net,
                "doc_discount": 0,
            }
        )
    return issue_unlinked(
        session=session,
        order=order,
        kind=DEPOSIT,
        lines=lines,
        credit_role="customer_advances",
        issue_date=issue_date,
        terms_id=terms_id,
    )


def _deducted_on(session: Session, deposit: Deposit) -> str:
    return ", ".join(
        dict.fromkeys(d.invoice for d in deductions(session, deposit_ids=[deposit.id]))
    )


def credit_portions(
    session: Session,
    invoice: Invoice,
    lines: list[InvoiceLine],
    amount: Decimal | None,
    *,
    cancels: bool,
) -> list[tuple[InvoiceLine, int, int, int]]:
    """What a credit memo on a deposit invoice credits of each line, as (line,
    quantity, net, tax): ``amount`` (or everything that can be), at most what was
    neither deducted nor credited nor written off (rules 14, 20). Its net and tax come
    off what the deposit has left (``Deposit.parts``) and are spread over the lines;
    a line credited to the end credits its quantity too."""
    deposit = deposit_of(session, invoice)
    creditable = deposit.outstanding
    deducted = ""
    if deposit.deducted:
        deducted = (
            f"{_money(session, deposit.deducted)} of it was deducted from "
            f"{_deducted_on(session, deposit)} already"
        )
    if cancels and deposit.deducted:
        raise RuleViolation(
            f"cannot cancel {invoice.number}: {deducted}",
            hint=f"`ordercli credit-memo create {invoice.number} --amount "
            f"{_money(session, creditable)}` credits what was not deducted"
            if creditable > 0
            else None,
        )
    if creditable <= 0:
        raise RuleViolation(
            f"nothing left to credit on {invoice.number}"
            + (f": {deducted}" if deducted else ": it is fully credited")
        )
    wanted = creditable if amount is None else to_minor(amount, minor_digits(session))
    if wanted <= 0:
        raise InvalidInput(f"credit amount {amount} must be greater than zero")
    if wanted > creditable:
        raise RuleViolation(
            f"cannot credit {_money(session, wanted)} on {invoice.number}: "
            + (f"{deducted}; " if deducted else "")
            + f"at most {_money(session, creditable)} can be credited"
        )
    net, tax = deposit.parts(wanted)
    nets = spread_discount([line.net - line.net_credited for line in lines], amount=net)
    taxes = spread_discount([line.tax - line.tax_credited for line in lines], amount=tax)
    portions = []
    for line, line_net, line_tax in zip(lines, nets, taxes, strict=True):
        whole = (
            line_net == line.net - line.net_credited and line_tax == line.tax - line.tax_credited
        )
        if line_net or line_tax or (whole and line.qty > line.qty_credited):
            portions.append(
                (line, line.qty - line.qty_credited if whole else 0, line_net, line_tax)
            )
    return portions


def check_credit_request(invoice: Invoice, *, lines, kind, restock, rebate: bool) -> None:
    """A deposit invoice is credited by money alone: no quantities, kinds or restock."""
    if invoice.kind != DEPOSIT:
        return
    if lines is not None or kind is not None or restock or rebate:
        raise InvalidInput(
            f"{invoice.number} is a deposit invoice: it is credited by --amount or whole, "
            "not by --line, --kind, --restock or a rebate"
        )


def check_release(
    session: Session, invoices: dict[int, Invoice], amounts: dict[int, int], doing: str
) -> None:
    """Money taken off a deposit invoice again (payment void, unapply, reallocate) never
    leaves less paid on it than was deducted from later invoices (rule 20)."""
    for invoice_id, amount in amounts.items():
        invoice = invoices[invoice_id]
        if invoice.kind != DEPOSIT:
            continue
        deposit = deposit_of(session, invoice)
        if invoice.paid - amount < deposit.deducted:
            raise RuleViolation(
                f"cannot {doing} {_money(session, amount)} off {invoice.number}: "
                f"{_money(session, deposit.deducted)} paid on it was deducted as a down "
                f"payment from {_deducted_on(session, deposit)}"
            )


def credited_posting(invoice: Invoice, net: int, role: str) -> Posting:
    """The debit of a credit memo's net: ``role`` (refunds, rebates), but on a deposit
    invoice ``customer_advances``, naming the deposit like every advance posting."""
    if invoice.kind != DEPOSIT:
        return Posting(role, debit=net)
    return Posting(
        "customer_advances", debit=net, customer_id=invoice.customer_id, invoice_id=invoice.id
    )
