"""Deposits as they stand, and paid deposits deducted from an order's later invoices
(SPEC rules 18, 20).

A deposit (down payment) invoice bills part of an order before delivery
(``deposits.py``). Its net goes to ``customer_advances``, not revenue, and its
tax is due at once. What the customer *paid* on it is deducted from the order's
later standard invoices: when ``issuing.py`` issues a batch, each new invoice
deducts its order's deposits paid and not yet deducted, oldest deposit first, up
to its own total (``deduct_deposits``). Each deduction is an
``InvoiceAdjustment`` of kind ``deposit`` (``DA-00001``, series
``deposit_applied``) that raises the new invoice's ``prepaid`` and posts:

    Dr customer_advances   net part       (the advance is used up by the sale)
    Dr sales_tax           tax part       (the tax was due on the deposit already)
    Cr receivable          amount         (the new invoice, its customer)

The tax part is the deduction's share of the deposit's tax (``tax / total``,
rounded half-up), never more net or tax than the deposit has left; the
deduction that uses the deposit up takes exactly what is left, so a deposit's
deductions and credits always add up to its own net and tax.

Only money received is deducted: an unpaid deposit is not, and is cancelled
(``invoice cancel``) when it will not be paid. Everything here is set-based: one
query reads the deposits of a whole batch of orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from ordercli.books.clock import now
from ordercli.books.events import record_events
from ordercli.books.journal import Entry, Posting, post_entries
from ordercli.books.numbering import next_numbers
from ordercli.db.bulk import bulk_insert
from ordercli.db.lookup import chunks
from ordercli.domain.money import from_minor, share_units
from ordercli.models import CreditMemo, Invoice, InvoiceAdjustment

DEPOSIT = "deposit"  # Invoice.kind and InvoiceAdjustment.kind
SERIES = "deposit_applied"  # number series (DA-) and journal source kind


@dataclass
class Deposit:
    """A deposit invoice and what became of it (minor units)."""

    id: int
    number: str
    order_id: int
    customer_id: int
    issue_date: date
    subtotal: int
    tax: int
    total: int
    paid: int
    credited: int
    other: int  # discounted and written off
    credited_net: int
    credited_tax: int
    deducted: int
    deducted_net: int
    deducted_tax: int

    @property
    def deductible(self) -> int:
        """Paid and not yet deducted: what the next invoice of its order deducts."""
        return max(0, self.paid - self.deducted)

    @property
    def outstanding(self) -> int:
        """What it still stands for: neither deducted, credited nor written off."""
        return self.total - self.credited - self.other - self.deducted

    @property
    def net_left(self) -> int:
        return self.subtotal - self.credited_net - self.deducted_net

    @property
    def tax_left(self) -> int:
        return self.tax - self.credited_tax - self.deducted_tax

    @property
    def cancelled(self) -> bool:
        """Credited whole (``invoice cancel``, or credit memos of all of it)."""
        return self.credited >= self.total

    def parts(self, amount: int) -> tuple[int, int]:
        """Net and tax of taking ``amount`` off what is left of it (deducted or
        credited): tax in proportion to its tax/total, never more net or tax than is
        left; taking all that is left takes exactly its net and tax left."""
        net_left, tax_left = self.net_left, self.tax_left
        if amount >= net_left + tax_left:
            return net_left, tax_left
        tax = max(0, min(share_units(amount, self.tax, self.total), tax_left, amount))
        net = amount - tax
        if net > net_left:
            net, tax = net_left, amount - net_left
        return net, tax


class Issued(NamedTuple):
    """A standard invoice just issued, as its deductions need it."""

    invoice_id: int
    number: str
    order_id: int
    customer_id: int
    total: int


def deposits_of(
    session: Session, order_ids: Iterable[int], *, lock: bool = False
) -> dict[int, list[Deposit]]:
    """The deposit invoices of ``order_ids``, oldest first per order: one query per 500
    orders. ``lock`` takes their rows (PostgreSQL), as payments and credits do, so what
    was paid cannot change under a deduction."""
    deducted = (
        select(
            col(InvoiceAdjustment.deposit_invoice_id).label("invoice_id"),
            func.sum(InvoiceAdjustment.amount).label("amount"),
            func.sum(InvoiceAdjustment.net).label("net"),
            func.sum(InvoiceAdjustment.tax).label("tax"),
        )
        .where(InvoiceAdjustment.kind == DEPOSIT)
        .group_by(col(InvoiceAdjustment.deposit_invoice_id))
        .subquery("deducted")
    )
    credited = (
        select(
            col(CreditMemo.invoice_id).label("invoice_id"),
            func.sum(CreditMemo.subtotal).label("net"),
            func.sum(CreditMemo.tax).label("tax"),
        )
        .group_by(col(CreditMemo.invoice_id))
        .subquery("credited")
    )
    found: dict[int, list[Deposit]] = {}
    for chunk in chunks(sorted(set(order_ids))):
        # SQLAlchemy's select (the same SQL): SQLModel's is typed for four columns at most.
        query = (
            sa_select(
                Invoice,
                func.coalesce(credited.c.net, 0),
                func.coalesce(credited.c.tax, 0),
                func.coalesce(deducted.c.amount, 0),
                func.coalesce(deducted.c.net, 0),
                func.coalesce(deducted.c.tax, 0),
            )
            .outerjoin(credited, credited.c.invoice_id == Invoice.id)
            .outerjoin(deducted, deducted.c.invoice_id == Invoice.id)
            .where(col(Invoice.kind) == DEPOSIT, col(Invoice.order_id).in_(chunk))
            .order_by(col(Invoice.id))
        )
        if lock:
            query = query.with_for_update(of=Invoice, key_share=True).execution_options(
                populate_existing=True
            )
        for invoice, c_net, c_tax, amount, d_net, d_tax in session.execute(query).all():
            assert invoice.id is not None  # a stored invoice
            found.setdefault(invoice.order_id, []).append(
                Deposit(
                    id=invoice.id,
                    number=invoice.number,
                    order_id=invoice.order_id,
                    customer_id=invoice.customer_id,
                    issue_date=invoice.issue_date,
                    subtotal=invoice.subtotal,
                    tax=invoice.tax,
                    total=invoice.total,
                    paid=invoice.paid,
                    credited=invoice.credited,
                    other=invoice.discounted + invoice.written_off,
                    credited_net=int(c_net),
                    credited_tax=int(c_tax),
                    deducted=int(amount),
                    deducted_net=int(d_net),
                    deducted_tax=int(d_tax),
                )
            )
    return found


def deposit_of(session: Session, invoice: Invoice, *, lock: bool = False) -> Deposit:
    """One deposit invoice as it stands."""
    assert invoice.kind == DEPOSIT
    deposits = deposits_of(session, [invoice.order_id], lock=lock)[invoice.order_id]
    return next(deposit for deposit in deposits if deposit.id == invoice.id)


def live_deposits(session: Session, order_id: int) -> list[Deposit]:
    """The order's deposits not cancelled (nor credited whole)."""
    return [d for d in deposits_of(session, [order_id]).get(order_id, []) if not d.cancelled]


def deduct_deposits(session: Session, issued: list[Issued], *, on: date, digits: int) -> None:
    """Deduct from each invoice just issued its order's deposits paid and not yet
    deducted, oldest first, up to the invoice's total (rules 18, 20): an adjustment,
    the invoice's ``prepaid``, a journal entry and an event each."""
    if not issued:
        return
    by_order = deposits_of(session, (i.order_id for i in issued), lock=True)
    plan: list[tuple[Issued, Deposit, int, int, int]] = []
    for invoice in issued:
        room = invoice.total
        for deposit in by_order.get(invoice.order_id, []):
            take = min(room, deposit.deductible)
            if take <= 0:
                continue
            net, tax = deposit.parts(take)
            deposit.deducted += take
            deposit.deducted_net += net
            deposit.deducted_tax += tax
            room -= take
            plan.append((invoice, deposit, take, net, tax))
    if not plan:
        return
    numbers = next_numbers(session=session, kind=SERIES, count=len(plan))
    bulk_insert(
        session,
        InvoiceAdjustment.__table__,  # type: ignore[attr-defined]  # set by the mapping
        {
            "number": numbers,
            "kind": DEPOSIT,
            "invoice_id": [invoice.invoice_id for invoice, *_ in plan],
            "customer_id": [invoice.customer_id for invoice, *_ in plan],
            "payment_id": None,
            "deposit_invoice_id": [deposit.id for _, deposit, *_ in plan],
            "amount": [take for _, _, take, _, _ in plan],
            "net": [net for *_, net, _ in plan],
            "tax": [tax for *_, tax in plan],
            "reason": [f"down payment {deposit.number}" for _, deposit, *_ in plan],
            "adjusted_on": on,
            "created_at": now(),
        },
    )
    prepaid: dict[int, int] = {}
    for invoice, _, take, _, _ in plan:
        prepaid[invoice.invoice_id] = prepaid.get(invoice.invoice_id, 0) + take
    session.connection().execute(
        update(Invoice.__table__)  # type: ignore[attr-defined]  # set by the mapping
        .where(Invoice.__table__.c.id == bindparam("invoice_id"))  # type: ignore[attr-defined]
        .values(prepaid=Invoice.__table__.c.prepaid + bindparam("add")),  # type: ignore[attr-defined]
        [{"invoice_id": id_, "add": amount} for id_, amount in prepaid.items()],
    )
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Invoice) and instance.id in prepaid:
            if "prepaid" in instance.__dict__:
                set_committed_value(instance, "prepaid", instance.prepaid + prepaid[instance.id])
    post_entries(
        session=session,
        entries=[
            Entry(
                entry_date=on,
                source_kind=SERIES,
                source_number=number,
                memo=f"down payment {deposit.number} deducted from {invoice.number}",
                postings=[
                    Posting(
                        "customer_advances",
                        debit=net,
                        customer_id=deposit.customer_id,
                        invoice_id=deposit.id,
                    ),
                    Posting("sales_tax", debit=tax),
                    Posting(
                        "receivable",
                        credit=take,
                        customer_id=invoice.customer_id,
                        invoice_id=invoice.invoice_id,
                    ),
                ],
            )
            for number, (invoice, deposit, take, net, tax) in zip(numbers, plan, strict=True)
        ],
    )
    record_events(
        session=session,
        events=[
            {
                "subject_kind": SERIES,
                "subject_number": number,
                "action": "deposit_deducted",
                "order_id": invoice.order_id,
                "message": f"down payment {deposit.number} deducted from {invoice.number}: "
                f"{from_minor(take, digits)} (tax {from_minor(tax, digits)})",
            }
            for number, (invoice, deposit, take, _, tax) in zip(numbers, plan, strict=True)
        ],
    )


class Deduction(NamedTuple):
    """One deposit deducted from one invoice (an ``InvoiceAdjustment`` of kind deposit)."""

    number: str
    invoice_id: int
    invoice: str
    deposit_id: int
    deposit: str
    amount: int
    net: int
    tax: int
    on: date


def deductions(
    session: Session,
    *,
    invoice_ids: Iterable[int | None] = (),
    deposit_ids: Iterable[int | None] = (),
) -> list[Deduction]:
    """The deductions on ``invoice_ids`` and those of ``deposit_ids``, in the order
    they were made: one query per 500 ids."""
    deposit_invoice = aliased(Invoice)
    found: dict[int, Deduction] = {}
    for column, ids in (
        (InvoiceAdjustment.invoice_id, invoice_ids),
        (InvoiceAdjustment.deposit_invoice_id, deposit_ids),
    ):
        for chunk in chunks(sorted({id_ for id_ in ids if id_ is not None})):
            rows = session.execute(
                sa_select(
                    col(InvoiceAdjustment.id),
                    col(InvoiceAdjustment.number),
                    col(InvoiceAdjustment.invoice_id),
                    col(Invoice.number),
                    col(InvoiceAdjustment.deposit_invoice_id),
                    col(deposit_invoice.number),
                    col(InvoiceAdjustment.amount),
                    col(InvoiceAdjustment.net),
                    col(InvoiceAdjustment.tax),
                    col(InvoiceAdjustment.adjusted_on),
                )
                .join(Invoice, col(Invoice.id) == InvoiceAdjustment.invoice_id)
                .join(
                    deposit_invoice,
                    col(deposit_invoice.id) == InvoiceAdjustment.deposit_invoice_id,
                )
                .where(col(InvoiceAdjustment.kind) == DEPOSIT, col(column).in_(chunk))
            ).all()
            for id_, *fields in rows:
                found[id_] = Deduction(*fields)
    return [found[id_] for id_ in sorted(found)]
