"""Correcting payments: void, unapply, reallocate (SPEC rules 4, 4a, 13, 18).

A recorded payment is never edited or deleted (rule 4). What was wrong about it
is corrected by new records, each with its event and journal entry:

- ``payment void PAY``: a numbered ``PaymentVoid`` (``PV-00001``) that takes
  the whole payment off the books again. Every allocation of it that still
  counts is *released* in place (``released_on``, ``released_by``: the row
  stays, and counts no more from that day on), the invoices owe again and its
  unapplied credit goes to zero. It is refused while credit it created is still
  applied elsewhere (rule 13): first ``payment unapply`` that credit.
- ``payment unapply PAY``: money of the payment taken off an invoice and back
  to the payment's unapplied credit.
- ``payment reallocate PAY --from INV --to INV``: money of the payment moved
  from one invoice of the customer to another, in one transaction.

An allocation counts on the days ``applied_on <= d < released_on``, and a row
never changes amount: taking part of one off releases it whole and writes a new
row for the rest, counting from the day of the release (dated as the original,
both would count on the days before it). The rest keeps the ``created_at`` of
the row it continues (the same money, first put on the invoice then), so it is
known as that allocation and not as credit applied later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.journal import Posting, post_entry
from ordercli.books.numbering import next_number
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import minor_digits
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.money import to_minor
from ordercli.domain.text import clean_text
from ordercli.models import (
    Allocation,
    CreditMemo,
    Customer,
    Invoice,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentVoid,
    Refund,
)
from ordercli.services.parties.customers import lock_customer
from ordercli.services.sales.deposits import check_release
from ordercli.services.sales.invoicing import get_invoice
from ordercli.services.settlement import adjustments
from ordercli.services.settlement.payments import (
    _allocate,
    _check_invoice_of,
    get_payment,
    invoice_balance,
    lock_invoices,
)

# Where a payment's money on an invoice came from (``allocation_origins``).
RECEIPT = "receipt"  # paid when the payment was recorded
APPLIED = "applied"  # its unapplied credit, used later with ``payment apply``
REALLOCATED = "reallocated"  # moved there from another invoice


def void_of(session: Session, payment: Payment) -> PaymentVoid | None:
    return session.exec(select(PaymentVoid).where(PaymentVoid.payment_id == payment.id)).first()


def _locked_payment(session: Session, number: str) -> tuple[Payment, Customer]:
    """The payment and its customer, both rows locked for this transaction, the
    customer first as ``payment record`` does: the payment's unapplied credit is
    read, then written (PostgreSQL: two corrections of one payment run one after
    the other)."""
    found = get_payment(session=session, number=number)
    customer = session.get(Customer, found.customer_id)
    assert customer is not None  # customers are never deleted
    customer = lock_customer(session, customer)
    locked = session.get(
        Payment, found.id, with_for_update={"key_share": True}, populate_existing=True
    )
    assert locked is not None  # payments are never deleted
    return locked, customer


def _check_not_voided(session: Session, payment: Payment, doing: str) -> None:
    void = void_of(session, payment)
    if void is not None:
        raise RuleViolation(
            f"payment {payment.number} is voided by {void.number} (on {void.void_date}); "
            f"nothing of it can be {doing}"
        )


def active_allocations(session: Session, payment: Payment) -> list[Allocation]:
    """The payment's allocations that still count (to invoices and refunds), oldest first."""
    return list(
        session.exec(
            select(Allocation)
            .where(Allocation.payment_id == payment.id, col(Allocation.released_on).is_(None))
            .order_by(col(Allocation.id))
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def allocation_origins(session: Session, payment: Payment) -> dict[int, str]:
    """Per allocation id of the payment (to an invoice): ``RECEIPT``, ``APPLIED`` or
    ``REALLOCATED``.

    The rest of a partly released row keeps its ``created_at``, so a row takes
    the origin of the first row of its (invoice, created_at) group. A row a
    reallocation wrote is dated the day of the reallocation's journal entry and
    is on the invoice that entry credits."""
    rows = list(
        session.exec(
            select(Allocation)
            .where(Allocation.payment_id == payment.id, col(Allocation.invoice_id).is_not(None))
            .order_by(col(Allocation.id))
        )
    )
    moved = set(
        session.exec(
            select(col(JournalLine.invoice_id), col(JournalEntry.entry_date))
            .join(JournalEntry, col(JournalEntry.id) == JournalLine.entry_id)
            .where(
                JournalEntry.source_kind == "payment_reallocate",
                JournalEntry.source_number == payment.number,
                JournalLine.credit > 0,
            )
        ).all()
    )
    first: dict[tuple, Allocation] = {}
    origins: dict[int, str] = {}
    for row in rows:
        assert row.id is not None  # read from the ledger
        origin = first.setdefault((row.invoice_id, row.created_at), row)
        if origin.at_receipt:
            origins[row.id] = RECEIPT
        elif (origin.invoice_id, origin.applied_on) in moved:
            origins[row.id] = REALLOCATED
        else:
            origins[row.id] = APPLIED
    return origins


@dataclass
class _Release:
    """One allocation taken off (``amount`` of it; the rest, if any, stays as a new row)."""

    allocation: Allocation
    amount: int


def _plan_release(rows: list[Allocation], wanted: int) -> list[_Release]:
    """Take ``wanted`` off ``rows``, newest first (by ``applied_on``, then id)."""
    plan = []
    left = wanted
    for row in sorted(rows, key=lambda a: (a.applied_on, a.id or 0), reverse=True):
        if left == 0:
            break
        take = min(left, row.amount)
        plan.append(_Release(row, take))
        left -= take
    return plan


def _check_releasable(
    session: Session, invoices: dict[int, Invoice], plan: Iterable[_Release], doing: str
) -> None:
    """An invoice's ``paid`` never goes below zero: what a credit memo already gave back
    (refund or store credit) out of the money paid on it cannot be taken off it again."""
    per_invoice: dict[int, int] = {}
    for release in plan:
        invoice_id = release.allocation.invoice_id
        assert invoice_id is not None  # only invoice allocations are released
        per_invoice[invoice_id] = per_invoice.get(invoice_id, 0) + release.amount
    for invoice_id, amount in per_invoice.items():
        invoice = invoices[invoice_id]
        if amount > invoice.paid:
            memos = session.exec(
                select(CreditMemo.number)
                .where(CreditMemo.invoice_id == invoice_id, CreditMemo.released > 0)
                .order_by(col(CreditMemo.id))
            ).all()
            raise RuleViolation(
                f"cannot {doing} {_money(session, amount)} off {invoice.number}: it stands paid "
                f"{_money(session, invoice.paid)} after "
                + (f"credit memo {', '.join(memos)} gave" if memos else "credits gave")
                + " the rest back as refund or store credit"
            )
    check_release(session, invoices, per_invoice, doing)  # a deposit keeps what was deducted


def _release(
    session: Session, plan: list[_Release], on: date, by: str, invoices: dict[int, Invoice]
) -> None:
    """Release the planned rows in place, write the rest of a partly released row as a
    new row, and take the amounts off the invoices' ``paid``."""
    for release in plan:
        row = release.allocation
        row.released_on = on
        row.released_by = by
        session.add(row)
        if release.amount < row.amount:
            session.add(
                Allocation(
                    customer_id=row.customer_id,
                    payment_id=row.payment_id,
                    credit_memo_id=row.credit_memo_id,
                    invoice_id=row.invoice_id,
                    amount=row.amount - release.amount,
                    applied_on=on,
                    at_receipt=False,
                    created_at=row.created_at,
                )
            )
        assert row.invoice_id is not None  # only invoice allocations are released
        invoice = invoices[row.invoice_id]
        invoice.paid -= release.amount
        session.add(invoice)


def _per_invoice(
    plan: Iterable[_Release], invoices: dict[int, Invoice]
) -> list[tuple[Invoice, int]]:
    totals: dict[int, int] = {}
    for release in plan:
        assert release.allocation.invoice_id is not None
        key = release.allocation.invoice_id
        totals[key] = totals.get(key, 0) + release.amount
    return [(invoices[key], amount) for key, amount in totals.items()]


def _log_invoices(
    session: Session, moved: list[tuple[Invoice, int]], action: str, message: str
) -> None:
    """An event per invoice, with its order, so ``order timeline`` shows the correction."""
    for invoice, amount in moved:
        record_event(
            session=session,
            subject_kind="invoice",
            subject_number=invoice.number,
            action=action,
            order_id=invoice.order_id,
            message=f"{invoice.number}: {_money(session, amount)} {message}, balance "
            f"{_money(session, invoice_balance(invoice))}",
        )


def _sources(payment: Payment, plan: Iterable[_Release], invoices: dict[int, Invoice]):
    """What a correction comes after (rule 4a): the payment and each allocation it releases."""
    yield f"payment {payment.number}", payment.received_on
    for release in plan:
        row = release.allocation
        assert row.invoice_id is not None
        yield (
            f"the allocation of {payment.number} to {invoices[row.invoice_id].number}",
            (row.applied_on),
        )


# --- void --------------------------------------------------------------------------------


def void_payment(
    *,
    session: Session,
    number: str,
    reason: str,
    voided_on: date | None = None,
) -> PaymentVoid:
    """Reverse a payment recorded in error, whole (rules 4, 13): a numbered void,
    its allocations released back to the invoices, its unapplied credit taken back,
    and a reversing journal entry."""
    reason = clean_text(reason, what="reason", required=True, max_length=500)
    payment, customer = _locked_payment(session, number)
    _check_not_voided(session, payment, "voided again")
    rows = active_allocations(session, payment)
    refunds = [a for a in rows if a.refund_id is not None]
    if refunds:
        numbers = session.exec(
            select(Refund.number)
            .where(col(Refund.id).in_({a.refund_id for a in refunds}))
            .order_by(col(Refund.id))
        ).all()
        raise RuleViolation(
            f"payment {payment.number} cannot be voided: refund {', '.join(numbers)} paid "
            f"{_money(session, sum(a.amount for a in refunds))} of its credit back to "
            f"{customer.code}, and a refund is money out that cannot be undone"
        )
    origins = allocation_origins(session, payment)
    invoices = lock_invoices(session, (a.invoice_id for a in rows))
    applied = [a for a in rows if a.id is not None and origins.get(a.id) == APPLIED]
    if applied:
        used: dict[str, int] = {}
        for a in applied:
            assert a.invoice_id is not None
            key = invoices[a.invoice_id].number
            used[key] = used.get(key, 0) + a.amount
        named = ", ".join(f"{inv} ({_money(session, amount)})" for inv, amount in used.items())
        raise RuleViolation(
            f"payment {payment.number} cannot be voided: its credit is still applied to {named}",
            hint=f"`ordercli payment unapply {payment.number} --invoice {next(iter(used))}` "
            "takes it off first",
        )
    plan = [_Release(a, a.amount) for a in rows]
    _check_releasable(session, invoices, plan, "take")
    voided_on = voided_on or today()
    assert payment.id is not None and customer.id is not None  # stored rows
    void = PaymentVoid(
        number=next_number(session=session, kind="payment_void"),
        payment_id=payment.id,
        customer_id=customer.id,
        amount=payment.amount,
        void_date=voided_on,
        reason=reason,
        created_at=now(),
    )
    check_dated(
        session,
        what=f"payment void {void.number}",
        on=voided_on,
        series="payment_void",
        sources=_sources(payment, plan, invoices),
    )
    seal(session, void, refs={"payment": payment.number, "customer": customer.code})
    session.add(void)
    unapplied = payment.unapplied
    _release(session, plan, voided_on, void.number, invoices)
    payment.unapplied = 0
    session.add(payment)
    moved = _per_invoice(plan, invoices)
    post_entry(
        session=session,
        entry_date=voided_on,
        source_kind="payment_void",
        source_number=void.number,
        memo=f"void {void.number} of payment {payment.number} from {customer.code}: {reason}",
        postings=[
            *(
                Posting("receivable", debit=amount, customer_id=customer.id, invoice_id=inv.id)
                for inv, amount in moved
            ),
            Posting("customer_credit", debit=unapplied, customer_id=customer.id),
            Posting("cash", credit=payment.amount),
        ],
    )
    # Rule 20: a discount taken or a difference written off with the payment goes too.
    adjustments.reverse_for_void(
        session,
        payment=payment,
        void_number=void.number,
        on=voided_on,
        invoices=invoices,
        reason=reason,
    )
    record_event(
        session=session,
        subject_kind="payment_void",
        subject_number=void.number,
        action="voided",
        message=f"payment {payment.number} of {_money(session, payment.amount)} from "
        f"{customer.code} voided by {void.number}: {reason}",
    )
    _log_invoices(session, moved, "payment_voided", f"of {payment.number} voided by {void.number}")
    session.flush()
    return void


# --- unapply -----------------------------------------------------------------------------


def _amount_wanted(session: Session, amount, there: int, payment: Payment, where: str) -> int:
    if amount is None:
        return there
    if amount <= 0:
        raise InvalidInput(f"amount {amount} must be greater than zero")
    wanted = to_minor(amount, minor_digits(session))
    if wanted > there:
        raise RuleViolation(
            f"cannot take {_money(session, wanted)} of {payment.number} off {where}: only "
            f"{_money(session, there)} of it is there"
        )
    return wanted


def _on_invoice(
    session: Session, payment: Payment, customer: Customer, number: str
) -> tuple[Invoice, list[Allocation]]:
    """An invoice named by the user and the payment's allocations that count on it."""
    invoice = get_invoice(session=session, number=number)
    _check_invoice_of(invoice, customer)
    rows = [a for a in active_allocations(session, payment) if a.invoice_id == invoice.id]
    if not rows:
        raise RuleViolation(f"payment {payment.number} has nothing on {invoice.number}")
    return invoice, rows


def unapply_payment(
    *,
    session: Session,
    number: str,
    invoice_number: str | None = None,
    amount=None,
    unapplied_on: date | None = None,
) -> Payment:
    """Take money of a payment off an invoice (or off all of its invoices) and back to
    the payment's unapplied credit (rule 13), newest allocation first."""
    payment, customer = _locked_payment(session, number)
    _check_not_voided(session, payment, "unapplied")
    if invoice_number is not None:
        invoice, rows = _on_invoice(session, payment, customer, invoice_number)
        where = invoice.number
    else:
        rows = [a for a in active_allocations(session, payment) if a.invoice_id is not None]
        if not rows:
            raise RuleViolation(f"payment {payment.number} is not allocated to any invoice")
        where = "its invoices"
    wanted = _amount_wanted(session, amount, sum(a.amount for a in rows), payment, where)
    invoices = lock_invoices(session, (a.invoice_id for a in rows))
    plan = _plan_release(rows, wanted)
    _check_releasable(session, invoices, plan, "take")
    adjustments.check_money_stays(
        session, payment, (r.allocation.invoice_id for r in plan), "unapply"
    )
    unapplied_on = unapplied_on or today()
    check_dated(
        session,
        what=f"unapplying {payment.number}",
        on=unapplied_on,
        sources=_sources(payment, plan, invoices),
    )
    _release(session, plan, unapplied_on, payment.number, invoices)
    payment.unapplied += wanted
    session.add(payment)
    moved = _per_invoice(plan, invoices)
    post_entry(
        session=session,
        entry_date=unapplied_on,
        source_kind="payment_unapply",
        source_number=payment.number,
        memo=f"payment {payment.number} of {customer.code} taken off "
        + ", ".join(inv.number for inv, _ in moved),
        postings=[
            *(
                Posting("receivable", debit=amount, customer_id=customer.id, invoice_id=inv.id)
                for inv, amount in moved
            ),
            Posting("customer_credit", credit=wanted, customer_id=customer.id),
        ],
    )
    record_event(
        session=session,
        subject_kind="payment",
        subject_number=payment.number,
        action="unapplied",
        message=f"{_money(session, wanted)} of payment {payment.number} taken off "
        + ", ".join(inv.number for inv, _ in moved)
        + f", back to {customer.code}'s unapplied credit",
    )
    _log_invoices(
        session, moved, "payment_unapplied", f"of {payment.number} taken off, back to credit"
    )
    session.flush()
    return payment


# --- reallocate --------------------------------------------------------------------------


def reallocate_payment(
    *,
    session: Session,
    number: str,
    from_invoice: str,
    to_invoice: str,
    amount=None,
    reallocated_on: date | None = None,
) -> Payment:
    """Move money of a payment from one invoice of its customer to another (rule 13:
    never above the target's balance), in one transaction and one journal entry."""
    payment, customer = _locked_payment(session, number)
    _check_not_voided(session, payment, "reallocated")
    source, rows = _on_invoice(session, payment, customer, from_invoice)
    target = get_invoice(session=session, number=to_invoice)
    if target.id == source.id:
        raise InvalidInput(f"--from and --to both name {source.number}")
    _check_invoice_of(target, customer)
    invoices = lock_invoices(session, [source.id, target.id])
    source, target = invoices[source.id], invoices[target.id]  # type: ignore[index]
    there = sum(a.amount for a in rows)
    balance = invoice_balance(target)
    if amount is None:
        if balance <= 0:
            raise RuleViolation(f"invoice {target.number} has nothing left to pay")
        wanted = min(there, balance)
    else:
        wanted = _amount_wanted(session, amount, there, payment, source.number)
    plan = _plan_release(rows, wanted)
    _check_releasable(session, invoices, plan, "move")
    adjustments.check_money_stays(session, payment, [source.id], "move")
    reallocated_on = reallocated_on or today()
    check_dated(
        session,
        what=f"reallocating {payment.number}",
        on=reallocated_on,
        sources=[
            *_sources(payment, plan, invoices),
            (f"invoice {target.number}", target.issue_date),
        ],
    )
    _release(session, plan, reallocated_on, payment.number, invoices)
    _allocate(
        session=session,
        invoice=target,
        amount=wanted,
        on=reallocated_on,
        customer=customer,
        payment=payment,
    )
    post_entry(
        session=session,
        entry_date=reallocated_on,
        source_kind="payment_reallocate",
        source_number=payment.number,
        memo=f"payment {payment.number} of {customer.code} moved from {source.number} "
        f"to {target.number}",
        postings=[
            Posting("receivable", debit=wanted, customer_id=customer.id, invoice_id=source.id),
            Posting("receivable", credit=wanted, customer_id=customer.id, invoice_id=target.id),
        ],
    )
    record_event(
        session=session,
        subject_kind="payment",
        subject_number=payment.number,
        action="reallocated",
        message=f"{_money(session, wanted)} of payment {payment.number} moved from "
        f"{source.number} to {target.number}",
    )
    _log_invoices(
        session,
        [(source, wanted)],
        "payment_reallocated",
        f"of {payment.number} moved to {target.number}",
    )
    _log_invoices(
        session,
        [(target, wanted)],
        "payment_reallocated",
        f"of {payment.number} moved here from {source.number}",
    )
    session.flush()
    return payment
