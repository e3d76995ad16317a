"""Payments, use of customer credit, and refunds (SPEC rules 11, 13, 18).

A payment is money received from a customer. It is allocated to invoices
(named ones, or the oldest open ones first), never above an invoice's
balance; what is left is the customer's unapplied credit. Credit is also
created by credit memos settled as store credit. ``apply_credit`` later puts
credit on an invoice, and ``refund_credit`` pays it out. Every movement is an
``Allocation`` from a source (payment or credit memo) to a use (invoice or
refund), so a payment's unapplied amount is always its amount minus its
allocations, and each posts its journal entry in the same transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import cast as typing_cast

from sqlalchemy import Integer, String, and_, cast, exists, literal, null, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from ordercli.books.chronology import check_dated
from ordercli.books.chronology import check_not_future as _not_future
from ordercli.books.clock import now, today
from ordercli.books.events import record_event
from ordercli.books.integrity import seal
from ordercli.books.journal import Posting, post_entry
from ordercli.books.numbering import next_number
from ordercli.books.settings import amount_of as _money
from ordercli.books.settings import minor_digits
from ordercli.db.queries import (
    by_number,
    check_date_range,
    check_limit,
    newest_first,
)
from ordercli.db.queries import invoice_balance as open_balance
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.domain.money import from_minor, parse_money, to_minor
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
from ordercli.services.parties.customers import get_customer, lock_customer
from ordercli.services.sales.invoicing import get_invoice
from ordercli.services.sales.schedules import open_instalments
from ordercli.services.settlement import adjustments, early_discounts, write_offs

DEFAULT_METHOD = "bank transfer"


def invoice_balance(invoice: Invoice) -> int:
    return invoice.balance


def _check_invoice_of(invoice: Invoice, customer: Customer) -> None:
    if invoice.customer_id != customer.id:
        raise RuleViolation(
            f"invoice {invoice.number} belongs to another customer, not {customer.code}"
        )


def _check_dated(invoice: Invoice, on: date, what: str) -> None:
    """Money dated before an invoice existed cannot settle it (aging as of any day
    would show the invoice below zero); it is credit, applied once the invoice exists."""
    if on < invoice.issue_date:
        raise RuleViolation(
            f"{what} dated {on} cannot settle {invoice.number}, issued {invoice.issue_date}"
        )


def _allocate(
    *,
    session: Session,
    invoice: Invoice,
    amount: int,
    on: date,
    customer: Customer,
    payment: Payment | None = None,
    credit_memo: CreditMemo | None = None,
    at_receipt: bool = False,
) -> Allocation:
    """Put ``amount`` on ``invoice`` (rule 13: never above its balance)."""
    if amount > invoice_balance(invoice):
        raise RuleViolation(
            f"cannot allocate {_money(session, amount)} to {invoice.number}: its balance is "
            f"{_money(session, invoice_balance(invoice))}"
        )
    invoice.paid += amount
    session.add(invoice)
    assert customer.id is not None  # a stored customer
    allocation = Allocation(
        customer_id=customer.id,
        payment_id=payment.id if payment else None,
        credit_memo_id=credit_memo.id if credit_memo else None,
        invoice_id=invoice.id,
        amount=amount,
        applied_on=on,
        at_receipt=at_receipt,
        created_at=now(),
    )
    session.add(allocation)
    return allocation


def lock_invoices(session: Session, invoice_ids) -> dict[int, Invoice]:
    """Invoice rows locked at once in id order, so two commands never deadlock."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    query = (
        select(Invoice)
        .where(col(Invoice.id).in_(ids))
        .order_by(col(Invoice.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    # Stored rows: every id is set.
    return typing_cast(
        "dict[int, Invoice]", {invoice.id: invoice for invoice in session.exec(query)}
    )


def open_invoices(*, session: Session, customer: Customer) -> list[Invoice]:
    """The customer's invoices with a balance, oldest first, locked for update."""
    ids = session.exec(
        select(Invoice.id).where(
            Invoice.customer_id == customer.id,
            open_balance() > 0,
        )
    ).all()
    locked = lock_invoices(session, ids)
    return sorted(
        (i for i in locked.values() if invoice_balance(i) > 0),
        key=lambda i: (i.issue_date, i.id),
    )


def check_not_future(on: date, what: str) -> None:
    """Money moves on days that have happened; a future date would show as paid in
    some views and owed in others until the day comes."""
    _not_future(on, what)


def parse_invoice_specs(
    specs: list[str] | None, minor: int
) -> list[tuple[str, Decimal | None]] | None:
    """``["INV-00001", "INV-00002=50"]`` → ``[("INV-00001", None), ("INV-00002", 50)]``."""
    if not specs:
        return None
    parsed = []
    seen = set()
    for spec in specs:
        number, sep, amount_text = spec.partition("=")
        number = number.strip()
        if not number:
            raise InvalidInput(f"--invoice {spec!r} must look like INV-00001 or INV-00001=AMOUNT")
        if number.upper() in seen:
            raise InvalidInput(f"invoice {number} is named twice")
        seen.add(number.upper())
        amount = None
        if sep:
            amount = parse_money(amount_text, minor, what=f"amount for {number}")
            if amount <= 0:
                raise InvalidInput(f"amount for {number} must be greater than zero")
        parsed.append((number, amount))
    return parsed


def record_payment(
    *,
    session: Session,
    customer_code: str,
    amount: Decimal,
    invoices: list[tuple[str, Decimal | None]] | None = None,
    method: str | None = None,
    reference: str | None = None,
    received_on: date | None = None,
    discount: bool = False,
    late_discount_reason: str | None = None,
    write_off: Decimal | None = None,
    write_off_reason: str | None = None,
) -> Payment:
    """Money in from a customer, allocated to invoices; the rest stays as their credit.

    Rule 20: an early-payment discount is taken with it when the money on an invoice
    plus the discount settles it exactly (``early_discounts``; ``discount`` demands
    it, ``late_discount_reason`` allows it after the window), and ``write_off`` of the
    one invoice named is written off as a payment difference (``write_offs``)."""
    digits = minor_digits(session)
    if amount <= 0:
        raise InvalidInput(f"payment amount {amount} must be greater than zero")
    late = clean_text(late_discount_reason, what="late discount reason", max_length=500)
    if late_discount_reason is not None and late is None:
        raise InvalidInput("--allow-late-discount needs a reason")
    demanded = discount or late is not None
    if demanded and invoices is None:
        raise InvalidInput("--discount needs --invoice: name the invoices the discount is taken on")
    writing_off = write_offs.write_off_request(session, write_off, write_off_reason, invoices)
    method = clean_text(method, what="method", max_length=100) or DEFAULT_METHOD
    reference = clean_text(reference, what="reference", max_length=200)
    customer = lock_customer(session, get_customer(session=session, code=customer_code))
    received_on = received_on or today()
    check_not_future(received_on, "payment")
    if reference:
        earlier = session.exec(
            select(Payment.number).where(
                Payment.customer_id == customer.id,
                Payment.reference == reference,
                # A voided payment was never received: the money may be recorded again.
                ~exists().where(col(PaymentVoid.payment_id) == Payment.id),
            )
        ).first()
        if earlier:
            raise RuleViolation(
                f"{customer.code} already has payment {earlier} with reference {reference!r}; "
                "not recording it twice"
            )
    left = to_minor(amount, digits)
    plan: list[tuple[Invoice, int]] = []
    if invoices is None:
        # Rule 13: the oldest instalments due first, whichever invoice they belong to.
        takes: dict[int, tuple[Invoice, int]] = {}
        candidates = [
            invoice
            for invoice in open_invoices(session=session, customer=customer)
            if invoice.issue_date <= received_on
        ]
        # Rule 20: exactly what every open invoice comes to with its discount settles all.
        dues = early_discounts.exact_dues([(i, None) for i in candidates], left, received_on)
        for invoice, open_amount in open_instalments(session, [] if dues else candidates):
            if left == 0:
                break
            take = min(left, open_amount)
            assert invoice.id is not None  # a stored invoice
            before = takes.get(invoice.id, (invoice, 0))[1]
            takes[invoice.id] = (invoice, before + take)
            left -= take
        plan = list(takes.values())
        if dues:
            plan = list(zip(candidates, dues.values(), strict=True))
            left = 0
    else:
        # Lock every named invoice first, in id order (no deadlocks); then judge them
        # in the order given, so the first problem named is the user's first.
        found: list[Invoice | NotFound] = []
        for number, _ in invoices:
            try:
                found.append(get_invoice(session=session, number=number))
            except NotFound as missing:
                found.append(missing)
        locked = lock_invoices(session, (i.id for i in found if isinstance(i, Invoice)))
        named_dues = _discounted_dues(
            invoices,
            found,
            locked,
            left,
            received_on,
            late=late is not None,
            digits=digits,
            write_off=writing_off[0] if writing_off else 0,
        )
        for (_, wanted), named in zip(invoices, found, strict=True):
            if isinstance(named, NotFound):
                raise named
            assert named.id is not None  # a stored invoice
            invoice = locked[named.id]
            _check_invoice_of(invoice, customer)
            _check_dated(invoice, received_on, "a payment")
            balance = invoice_balance(invoice)
            if balance <= 0:
                raise RuleViolation(f"invoice {invoice.number} has nothing left to pay")
            if wanted is not None:
                take = to_minor(wanted, digits)
                if take > balance:
                    raise RuleViolation(
                        f"cannot allocate {wanted} to {invoice.number}: its balance is "
                        f"{_money(session, balance)}"
                    )
                if take > left:
                    raise RuleViolation(
                        f"cannot allocate {wanted} to {invoice.number}: only "
                        f"{_money(session, left)} of the payment of {amount} is left"
                    )
            elif named_dues and named_dues[named.id] <= left:
                take = named_dues[named.id]
            else:
                take = min(balance, left)
            if take <= 0:
                raise RuleViolation(
                    f"payment of {amount} does not reach {invoice.number}: "
                    "the invoices named before it take all of it"
                )
            plan.append((invoice, take))
            left -= take
    discounts = early_discounts.judge(
        session,
        plan,
        received_on,
        demanded=demanded,
        late=late is not None,
        write_off=writing_off[0] if writing_off else 0,
    )
    if writing_off:
        write_offs.check_payment_write_off(
            session,
            plan[0][0],
            writing_off[0],
            paid=plan[0][1],
            discounted=sum(d for _, d in discounts),
        )
    assert customer.id is not None  # a stored customer
    payment = Payment(
        number=next_number(session=session, kind="payment"),
        customer_id=customer.id,
        amount=to_minor(amount, digits),
        method=method,
        reference=reference,
        received_on=received_on,
        unapplied=left,
        created_at=now(),
    )
    check_dated(session, what="payment", on=received_on, series="payment")  # rule 4a
    seal(
        session,
        payment,
        refs={"customer": customer.code},
        lines=[{"invoice": invoice.number, "amount": take} for invoice, take in plan],
    )
    session.add(payment)
    session.flush()
    for invoice, take in plan:
        _allocate(
            session=session,
            invoice=invoice,
            amount=take,
            on=received_on,
            customer=customer,
            payment=payment,
            at_receipt=True,
        )
    post_entry(
        session=session,
        entry_date=received_on,
        source_kind="payment",
        source_number=payment.number,
        memo=f"payment {payment.number} from {customer.code}"
        + (f" ({reference})" if reference else ""),
        postings=[
            Posting("cash", debit=payment.amount),
            *(
                Posting("receivable", credit=take, customer_id=customer.id, invoice_id=inv.id)
                for inv, take in plan
            ),
            Posting("customer_credit", credit=left, customer_id=customer.id),
        ],
    )
    for invoice, amount_off in discounts:
        window = invoice.discount_until
        adjustments.post_adjustment(
            session=session,
            kind=adjustments.EARLY_DISCOUNT,
            invoice=invoice,
            amount=amount_off,
            on=received_on,
            reason=f"taken after the window closed on {window}: {late}"
            if window is not None and received_on > window
            else None,
            payment=payment,
            customer_code=customer.code,
        )
    if writing_off:
        write_offs.post_payment_write_off(
            session,
            invoice=plan[0][0],
            amount=writing_off[0],
            reason=writing_off[1],
            payment=payment,
            customer=customer,
        )
    _log_settlements(session, plan, f"payment {payment.number}")
    record_event(
        session=session,
        subject_kind="payment",
        subject_number=payment.number,
        action="received",
        message=f"payment {payment.number} of {amount} from {customer.code} by {method}"
        + (f", {_money(session, left)} kept as credit" if left else ""),
    )
    return payment


def _discounted_dues(
    specs: list[tuple[str, Decimal | None]],
    found: list[Invoice | NotFound],
    locked: dict[int, Invoice],
    left: int,
    on: date,
    *,
    late: bool,
    digits: int,
    write_off: int,
) -> dict[int, int] | None:
    """Rule 20: what each named invoice takes when the payment is exactly what they
    come to with their discounts (``early_discounts.exact_dues``); else None."""
    wanted: list[tuple[Invoice, int | None]] = []
    for (_, amount), named in zip(specs, found, strict=True):
        if not isinstance(named, Invoice) or named.id is None:
            return None  # refused below, with the reason
        wanted.append((locked[named.id], None if amount is None else to_minor(amount, digits)))
    return early_discounts.exact_dues(wanted, left, on, late=late, write_off=write_off)


def _log_settlements(session: Session, plan: list[tuple[Invoice, int]], source: str) -> None:
    for invoice, take in plan:
        balance = invoice_balance(invoice)
        record_event(
            session=session,
            subject_kind="invoice",
            subject_number=invoice.number,
            action="paid" if balance == 0 else "partially_paid",
            order_id=invoice.order_id,
            message=f"{invoice.number}: {_money(session, take)} from {source}, "
            + ("paid in full" if balance == 0 else f"balance {_money(session, balance)}"),
        )


def credit_sources(
    *, session: Session, customer: Customer, on: date | None = None
) -> list[Payment | CreditMemo]:
    """Where the customer's unused credit sits: payments first, then credit memos,
    each oldest first, locked for update. With ``on``, only credit that existed
    by that day: money cannot be used before it was received."""
    on = on or date.max
    payments = session.exec(
        select(Payment)
        .where(
            Payment.customer_id == customer.id,
            Payment.unapplied > 0,
            Payment.received_on <= on,
        )
        .order_by(col(Payment.received_on), col(Payment.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    memos = session.exec(
        select(CreditMemo)
        .where(
            CreditMemo.customer_id == customer.id,
            CreditMemo.credit_left > 0,
            CreditMemo.issue_date <= on,
        )
        .order_by(col(CreditMemo.issue_date), col(CreditMemo.id))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return [*payments, *memos]


def available_credit(sources: list[Payment | CreditMemo]) -> int:
    return sum(_left(source) for source in sources)


def _left(source: Payment | CreditMemo) -> int:
    return source.unapplied if isinstance(source, Payment) else source.credit_left


def _paid_from(sources: list[Payment | CreditMemo], amount: int) -> list[tuple[str, date]]:
    """The credit ``amount`` is drawn from (``sources`` in order), as rule 4a names it."""
    drawn = []
    for source in sources:
        if amount <= 0:
            break
        if _left(source) > 0:
            amount -= _left(source)
            if isinstance(source, Payment):
                drawn.append((f"payment {source.number}", source.received_on))
            else:
                drawn.append((f"credit memo {source.number}", source.issue_date))
    return drawn


def _draw(source: Payment | CreditMemo, amount: int) -> None:
    if isinstance(source, Payment):
        source.unapplied -= amount
    else:
        source.credit_left -= amount


def apply_credit(
    *,
    session: Session,
    customer_code: str,
    invoice_number: str,
    amount: Decimal | None = None,
    applied_on: date | None = None,
) -> list[Allocation]:
    """Use the customer's unapplied credit on one of their invoices."""
    digits = minor_digits(session)
    customer = get_customer(session=session, code=customer_code)
    invoice = get_invoice(session=session, number=invoice_number, for_update=True)
    _check_invoice_of(invoice, customer)
    balance = invoice_balance(invoice)
    if balance <= 0:
        raise RuleViolation(f"invoice {invoice.number} has nothing left to pay")
    applied_on = applied_on or today()
    check_not_future(applied_on, "credit applied")
    _check_dated(invoice, applied_on, "credit applied")
    sources = credit_sources(session=session, customer=customer, on=applied_on)
    credit = available_credit(sources)
    if credit == 0:
        raise RuleViolation(
            f"{customer.code} has no unapplied credit"
            + (f" on {applied_on}" if applied_on != today() else ""),
            hint="credit comes from overpayments and credit memos kept as store credit",
        )
    if amount is not None:
        if amount <= 0:
            raise InvalidInput(f"amount {amount} must be greater than zero")
        wanted = to_minor(amount, digits)
        if wanted > credit:
            raise RuleViolation(
                f"{customer.code} has only {_money(session, credit)} of unapplied credit, "
                f"not {amount}"
            )
        if wanted > balance:
            raise RuleViolation(
                f"cannot apply {amount} to {invoice.number}: its balance is "
                f"{_money(session, balance)}"
            )
    else:
        wanted = min(credit, balance)
    allocations = []
    left = wanted
    for source in sources:
        take = min(left, _left(source))
        if take <= 0:
            continue
        _draw(source, take)
        session.add(source)
        allocations.append(
            _allocate(
                session=session,
                invoice=invoice,
                amount=take,
                on=applied_on,
                customer=customer,
                payment=source if isinstance(source, Payment) else None,
                credit_memo=source if isinstance(source, CreditMemo) else None,
            )
        )
        left -= take
        if left == 0:
            break
    post_entry(
        session=session,
        entry_date=applied_on,
        source_kind="credit_applied",
        source_number=invoice.number,
        memo=f"credit of {customer.code} applied to {invoice.number}",
        postings=[
            Posting("customer_credit", debit=wanted, customer_id=customer.id),
            Posting("receivable", credit=wanted, customer_id=customer.id, invoice_id=invoice.id),
        ],
    )
    _log_settlements(session, [(invoice, wanted)], f"{customer.code}'s credit")
    session.flush()
    return allocations


def refund_credit(
    *,
    session: Session,
    customer: Customer,
    amount: int,
    method: str | None = None,
    reference: str | None = None,
    refunded_on: date | None = None,
    sources: list[Payment | CreditMemo] | None = None,
    credit_memo: CreditMemo | None = None,
) -> Refund:
    """Pay ``amount`` (minor units) of the customer's credit back to them."""
    method = clean_text(method, what="method", max_length=100) or DEFAULT_METHOD
    reference = clean_text(reference, what="reference", max_length=200)
    if sources is None:
        sources = credit_sources(session=session, customer=customer)
    credit = available_credit(sources)
    if amount <= 0:
        raise InvalidInput("refund amount must be greater than zero")
    if amount > credit:
        raise RuleViolation(
            f"cannot refund {_money(session, amount)} to {customer.code}: their unapplied "
            f"credit is {_money(session, credit)}"
        )
    refunded_on = refunded_on or today()
    assert customer.id is not None  # a stored customer
    refund = Refund(
        number=next_number(session=session, kind="refund"),
        customer_id=customer.id,
        credit_memo_id=credit_memo.id if credit_memo else None,
        amount=amount,
        method=method,
        reference=reference,
        refunded_on=refunded_on,
        created_at=now(),
    )
    check_dated(  # rule 4a: not before the series' latest refund, nor the credit it pays
        session,
        what="refund",
        on=refunded_on,
        series="refund",
        sources=_paid_from(sources, amount),
    )
    seal(
        session,
        refund,
        refs={
            "customer": customer.code,
            "credit_memo": credit_memo.number if credit_memo else None,
        },
    )
    session.add(refund)
    session.flush()
    left = amount
    for source in sources:
        take = min(left, _left(source))
        if take <= 0:
            continue
        _draw(source, take)
        session.add(source)
        session.add(
            Allocation(
                customer_id=customer.id,
                payment_id=source.id if isinstance(source, Payment) else None,
                credit_memo_id=source.id if isinstance(source, CreditMemo) else None,
                refund_id=refund.id,
                amount=take,
                applied_on=refunded_on,
                created_at=now(),
            )
        )
        left -= take
        if left == 0:
            break
    post_entry(
        session=session,
        entry_date=refunded_on,
        source_kind="refund",
        source_number=refund.number,
        memo=f"refund {refund.number} to {customer.code}"
        + (f" for {credit_memo.number}" if credit_memo else ""),
        postings=[
            Posting("customer_credit", debit=amount, customer_id=customer.id),
            Posting("cash", credit=amount),
        ],
    )
    record_event(
        session=session,
        subject_kind="refund",
        subject_number=refund.number,
        action="refunded",
        order_id=credit_memo.order_id if credit_memo else None,
        message=f"refund {refund.number} of {_money(session, amount)} to {customer.code} "
        f"by {method}" + (f" for {credit_memo.number}" if credit_memo else ""),
    )
    return refund


def refund_customer(
    *,
    session: Session,
    customer_code: str,
    amount: Decimal | None = None,
    method: str | None = None,
    reference: str | None = None,
    refunded_on: date | None = None,
) -> Refund:
    """Pay out a customer's unapplied credit (all of it unless ``amount``)."""
    customer = get_customer(session=session, code=customer_code)
    refunded_on = refunded_on or today()
    check_not_future(refunded_on, "refund")
    sources = credit_sources(session=session, customer=customer, on=refunded_on)
    credit = available_credit(sources)
    if credit == 0:
        raise RuleViolation(
            f"{customer.code} has no unapplied credit to refund"
            + (f" on {refunded_on}" if refunded_on != today() else "")
        )
    units = credit if amount is None else to_minor(amount, minor_digits(session))
    return refund_credit(
        session=session,
        customer=customer,
        amount=units,
        method=method,
        reference=reference,
        refunded_on=refunded_on,
        sources=sources,
    )


def get_payment(*, session: Session, number: str) -> Payment:
    number = (number or "").strip()
    if not number:
        raise InvalidInput("payment number is empty")
    payment = by_number(session, select(Payment), Payment.number, number)
    if payment is None:
        raise NotFound(f"no payment {number!r}", hint="`ordercli payment list` shows the payments")
    return payment


def list_payments(
    *,
    session: Session,
    customer: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    unapplied: bool = False,
    limit: int | None = 50,
) -> list[Payment]:
    query = select(Payment)
    if customer:
        query = query.where(Payment.customer_id == get_customer(session=session, code=customer).id)
    if unapplied:
        query = query.where(Payment.unapplied > 0)
    query = newest_first(
        query,
        model=Payment,
        date_column=Payment.received_on,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
    )
    return list(session.exec(query))


TRANSACTION_KINDS = (
    "payment",
    "refund",
    "credit_applied",
    "store_credit",
    "void",
    "unapplied",
    "reallocated",
    "early_discount",
    "write_off",
    "adjustment_reversed",
)


def _movement(kind, on, at, number, customer_id, amount, method, reference, invoice_id, source):
    """One kind of money movement as rows of the same labelled columns."""
    return sa_select(
        literal(kind).label("kind"),
        on.label("on"),
        at.label("at"),
        number.label("number"),
        customer_id.label("customer_id"),
        amount.label("amount"),
        method.label("method"),
        reference.label("reference"),
        invoice_id.label("invoice_id"),
        source.label("source"),
    )


def _continued():
    """The allocation is the rest of a partly released one (``payment_corrections``):
    an earlier row of the same payment on the same invoice with its ``created_at``."""
    earlier = aliased(Allocation)
    return exists().where(
        earlier.payment_id == Allocation.payment_id,
        earlier.invoice_id == Allocation.invoice_id,
        earlier.created_at == Allocation.created_at,
        earlier.id < Allocation.id,
    )


def _reallocated():
    """The allocation was written by ``payment reallocate``: its entry, that day, credits
    this invoice for this payment."""
    return exists().where(
        JournalLine.entry_id == JournalEntry.id,
        JournalEntry.source_kind == "payment_reallocate",
        Payment.id == Allocation.payment_id,
        JournalEntry.source_number == Payment.number,
        JournalEntry.entry_date == Allocation.applied_on,
        JournalLine.invoice_id == Allocation.invoice_id,
        JournalLine.credit > 0,
    )


def _correction(kind: str, source_kind: str, amount):
    """Money of a payment moved by ``payment unapply`` or ``reallocate``: one row per
    invoice of its journal entry. ``source`` is the payment, or for a reallocation the
    invoice the money left."""
    left = aliased(JournalLine)
    source = (
        select(Invoice.number)
        .join(left, col(left.invoice_id) == Invoice.id)
        .where(left.entry_id == JournalEntry.id, left.debit > 0)
        .limit(1)
        .scalar_subquery()
        if source_kind == "payment_reallocate"
        else JournalEntry.source_number
    )
    return _movement(
        kind,
        JournalEntry.entry_date,
        JournalEntry.created_at,
        JournalEntry.source_number,
        JournalLine.customer_id,
        amount,
        literal("credit"),
        null(),
        JournalLine.invoice_id,
        source,
    ).where(JournalLine.entry_id == JournalEntry.id, JournalEntry.source_kind == source_kind)


def transactions(
    *,
    session: Session,
    customer: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = 50,
) -> list[dict]:
    """Every money movement, newest first: payments in, refunds out, credit used
    on invoices later, store credit granted by credit memos, and the corrections
    of payments: voids (the payment's amount out again), money taken off an
    invoice back to credit (``unapplied``, negative) and moved to another
    invoice (``reallocated``: the invoice it went to, ``source`` the one it left).
    Early-payment discounts (``early_discount``) and write-offs (``write_off``: method
    payment difference or bad debt) settle invoices without money; a payment void
    reverses those that came with it (``adjustment_reversed``, negative)."""

    check_limit(limit)
    check_date_range(date_from, date_to)
    if kind is not None:
        kind = kind.strip().lower().replace("-", "_")
        if kind not in TRANSACTION_KINDS:
            raise InvalidInput(
                f"unknown transaction type {kind!r} (one of {', '.join(TRANSACTION_KINDS)})"
            )
    customer_id = get_customer(session=session, code=customer).id if customer else None
    source_number = func.coalesce(
        select(Payment.number).where(Payment.id == Allocation.payment_id).scalar_subquery(),
        select(CreditMemo.number)
        .where(CreditMemo.id == Allocation.credit_memo_id)
        .scalar_subquery(),
    )
    parts = {
        "payment": _movement(
            "payment",
            Payment.received_on,
            Payment.created_at,
            Payment.number,
            Payment.customer_id,
            Payment.amount,
            Payment.method,
            Payment.reference,
            # Typed NULLs: PostgreSQL types a UNION's columns from its first branches.
            cast(null(), Integer),
            cast(null(), String),
        ),
        "refund": _movement(
            "refund",
            Refund.refunded_on,
            Refund.created_at,
            Refund.number,
            Refund.customer_id,
            -Refund.amount,
            Refund.method,
            Refund.reference,
            cast(null(), Integer),
            select(CreditMemo.number)
            .where(CreditMemo.id == Refund.credit_memo_id)
            .scalar_subquery(),
        ),
        "credit_applied": _movement(
            "credit_applied",
            Allocation.applied_on,
            Allocation.created_at,
            source_number,
            Allocation.customer_id,
            Allocation.amount,
            literal("credit"),
            null(),
            Allocation.invoice_id,
            source_number,
        ).where(
            and_(
                col(Allocation.invoice_id).is_not(None),
                col(Allocation.at_receipt).is_(False),
                ~_continued(),
                ~_reallocated(),
            )
        ),
        "store_credit": _movement(
            "store_credit",
            CreditMemo.issue_date,
            CreditMemo.created_at,
            CreditMemo.number,
            CreditMemo.customer_id,
            CreditMemo.released,
            literal("store credit"),
            null(),
            CreditMemo.invoice_id,
            null(),
        ).where(CreditMemo.settlement == "store_credit", CreditMemo.released > 0),
        "void": _movement(
            "void",
            PaymentVoid.void_date,
            PaymentVoid.created_at,
            PaymentVoid.number,
            PaymentVoid.customer_id,
            -PaymentVoid.amount,
            select(Payment.method).where(Payment.id == PaymentVoid.payment_id).scalar_subquery(),
            select(Payment.reference).where(Payment.id == PaymentVoid.payment_id).scalar_subquery(),
            cast(null(), Integer),
            select(Payment.number).where(Payment.id == PaymentVoid.payment_id).scalar_subquery(),
        ),
        "unapplied": _correction("unapplied", "payment_unapply", -JournalLine.debit).where(
            JournalLine.debit > 0
        ),
        "reallocated": _correction("reallocated", "payment_reallocate", JournalLine.credit).where(
            JournalLine.credit > 0
        ),
        # Rule 20: discounts taken and amounts written off (reference: the reason), and
        # those a payment void reversed (negative, source: the void).
        **adjustments.transaction_parts(_movement),
    }
    chosen = [parts[kind]] if kind else list(parts.values())
    movements = union_all(*chosen).subquery()
    query = sa_select(movements)  # rows, not scalars
    if customer_id is not None:
        query = query.where(movements.c.customer_id == customer_id)
    if date_from:
        query = query.where(movements.c.on >= date_from)
    if date_to:
        query = query.where(movements.c.on <= date_to)
    query = query.order_by(movements.c.on.desc(), movements.c.at.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = session.connection().execute(query).all()
    codes = dict(
        session.exec(
            select(Customer.id, Customer.code).where(
                col(Customer.id).in_({row.customer_id for row in rows})
            )
        ).all()
    )
    invoices = dict(
        session.exec(
            select(Invoice.id, Invoice.number).where(
                col(Invoice.id).in_({row.invoice_id for row in rows if row.invoice_id})
            )
        ).all()
    )
    digits = minor_digits(session)
    return [
        {
            "date": row.on,
            "type": row.kind,
            "number": row.number,
            "customer": codes[row.customer_id],
            "amount": from_minor(row.amount, digits),
            "method": row.method,
            "reference": row.reference,
            "invoice": invoices.get(row.invoice_id),
            "source": row.source,
        }
        for row in rows
    ]
