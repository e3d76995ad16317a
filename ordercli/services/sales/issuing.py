"""Issuing invoices: the one way an invoice comes to be (SPEC rules 2, 4, 9–11, 18).

``invoice create ORDER`` issues a batch of one; ``invoice create --all`` batches of up
to ``BATCH`` orders. Either way the caller has locked the orders (and checked that
they can be invoiced); ``issue_invoices`` then, per batch:

1. reads the orders' lines after the lock (with SKU, customer code and terms), so
   they are the ones to invoice: an order whose lines someone invoiced while the
   caller waited for its lock has nothing open and gets no invoice;
2. prices each portion by rule 10 (``domain.money.portion_units``): the portion
   that completes its line takes what is left of the order line's rounded net and
   tax, so all invoices of a line add up to the order line to the cent;
3. takes the batch's consecutive numbers in one ``UPDATE … RETURNING`` (the series'
   row lock, rule 2) and chains each invoice's hash to the one before it
   (``books/integrity.py``);
4. writes invoices and their lines with one statement per table
   (``db/bulk.py``), posts each invoice's balanced journal entry
   (``books.journal.post_entries``: receivable debited with the total, revenue and
   sales tax credited, rule 18) and records an ``issued`` event per invoice;
5. adds the portions to the order lines' invoiced counters and completes every order
   now fully invoiced whose goods are fully shipped, with a ``completed`` event (rules
   8, 12): invoicing a service is what delivers it.

Payment terms (rules 11, 20): the order's terms, else the customer's template, else
one instalment the customer's ``terms_days`` after the issue date. Each invoice
gets its schedule (``domain.terms.schedule``: the amounts sum to its total) and
keeps its terms' code, text and early-payment discount as issued; its due date is
its last instalment's.

Deposits (rule 20): once a batch's invoices and their entries are written, each
deducts its order's paid deposits not yet deducted
(``deposit_deductions.deduct_deposits``). A deposit invoice itself is issued by
``issue_unlinked``: numbered, dated, sealed, frozen, scheduled and posted the same
way, its lines no order line's portion, so it invoices none of the order's
quantities.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, NamedTuple, cast

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from ordercli.books.chronology import check_dated
from ordercli.books.clock import now, today
from ordercli.books.events import record_events
from ordercli.books.integrity import ZERO, chain_hash, content_of
from ordercli.books.journal import Entry, Posting, post_entries
from ordercli.books.numbering import next_numbers
from ordercli.books.settings import get_setting, minor_digits
from ordercli.db.bulk import bulk_insert
from ordercli.db.lookup import chunks
from ordercli.domain.money import from_minor, portion_units, share_units
from ordercli.domain.states import OrderStatus, completed_because, line_finished
from ordercli.domain.terms import Terms, discount_until, schedule, terms_text
from ordercli.domain.vat import treatment, vat_columns
from ordercli.models import Customer, Invoice, InvoiceLine, OrderLine, Product, SalesOrder
from ordercli.services.parties.payment_terms import terms_by_id
from ordercli.services.parties.snapshots import freeze_parties
from ordercli.services.sales.deposit_deductions import Issued, deduct_deposits
from ordercli.services.sales.pricing import invoiced_share
from ordercli.services.sales.schedules import write_schedules

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Table

# Orders per batch: each batch's ids and numbers go into one IN (...) list, within every
# database's parameter limit, and a batch's rows are a few hundred kilobytes.
BATCH = 500


@dataclass
class _Run:
    """What every batch of one issue shares."""

    session: Session
    issued: date
    moment: datetime
    digits: int
    previous_hash: str | None = None  # the chain's latest hash, once the series is locked
    terms_id: int | None = None  # terms every invoice of the run takes (``--terms``)
    seller_country: str | None = None  # the company's country: which sales are abroad


class _Counters(NamedTuple):
    """An order line's counters as they will stand once the invoice is written."""

    qty: int
    qty_invoiced: int
    qty_shipped: int
    qty_credited: int
    qty_reopened: int
    qty_cancelled: int
    qty_closed: int


@dataclass
class _Draft:
    """One order's invoice before it is written: its lines are invoice line rows."""

    order_id: int
    order_number: str
    customer_id: int
    customer_code: str
    terms_days: int
    terms_id: int | None  # the order's terms, else the customer's template
    order_date: date
    gross: bool  # its prices include tax (rule 19)
    lines: list[dict] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)  # order lines invoiced to the end
    partial: list[dict] = field(default_factory=list)  # lines invoiced in part
    takes_all_open: bool = True  # every open line of the order is invoiced to the end
    completes: bool = True  # fully invoiced, its goods fully shipped, once issued
    has_goods: bool = False  # not services alone
    terms: Terms | None = None  # the payment terms it is issued with
    instalments: list = field(default_factory=list)  # its schedule, once priced
    kind: str = "standard"  # Invoice.kind: a deposit's lines are no order line's portion
    buyer_reference: str | None = None  # BT-10: the order's, else the customer's
    purchase_order: str | None = None  # BT-13: the buyer's purchase-order number


def issue_invoices(
    *,
    session: Session,
    order_ids: list[int],
    portions: dict[int, int] | None = None,
    issue_date: date | None = None,
    terms_id: int | None = None,
    progress=None,
) -> list[Invoice]:
    """Issue an invoice for each of ``order_ids`` (locked, confirmed, in issue order) that
    has something to invoice, and return the invoices in number order.

    ``portions`` maps an order line's id to the quantity (in stored units) to invoice
    of it, and lines it leaves out are not invoiced; without it every line's whole
    open quantity is. ``terms_id`` gives every invoice those payment terms instead of
    its order's or customer's."""
    session.flush()  # what the caller changed is written before the lines are read
    run = _Run(
        session=session,
        issued=issue_date or today(),
        moment=now(),
        digits=minor_digits(session),
        terms_id=terms_id,
        seller_country=get_setting(session=session, key="company_country"),
    )
    if progress is not None:
        progress.start(len(order_ids))
    invoice_ids: list[int] = []
    for batch in chunks(order_ids, BATCH):
        drafts = _drafts(run, batch, portions)
        if drafts:
            invoice_ids += _issue(run, drafts)
        if progress is not None:
            progress.advance(len(batch))
    invoices: list[Invoice] = []
    for chunk in chunks(invoice_ids):
        invoices += session.scalars(
            select(Invoice).where(col(Invoice.id).in_(chunk)).order_by(col(Invoice.id))
        )
    return invoices


def _drafts(run: _Run, order_ids: list[int], portions: dict[int, int] | None) -> list[_Draft]:
    """The invoices of a batch of locked orders, in the order of ``order_ids``."""
    rows = (
        run.session.connection()
        .execute(
            select(
                col(OrderLine.order_id),
                col(SalesOrder.number),
                col(SalesOrder.order_date),
                col(SalesOrder.customer_id),
                col(Customer.code),
                col(Customer.terms_days),
                func.coalesce(SalesOrder.terms_id, Customer.terms_id),
                col(OrderLine.id),
                col(OrderLine.product_id),
                col(Product.sku),
                col(OrderLine.description),
                col(OrderLine.unit),
                col(OrderLine.qty),
                col(OrderLine.qty_invoiced),
                col(OrderLine.qty_shipped),
                col(OrderLine.qty_credited),
                col(OrderLine.qty_reopened),
                col(OrderLine.qty_cancelled),
                col(OrderLine.qty_closed),
                col(Product.service),
                col(OrderLine.unit_price),
                col(OrderLine.discount),
                col(OrderLine.tax_rate),
                col(OrderLine.net) - OrderLine.net_invoiced,
                col(OrderLine.tax) - OrderLine.tax_invoiced,
                col(OrderLine.doc_discount),
                col(SalesOrder.prices_include_tax),
                col(OrderLine.net_invoiced),
                col(OrderLine.tax_invoiced),
                col(Product.vat_category),
                col(Product.vat_exemption),
                col(Customer.country),
                col(Customer.vat_id),
                func.coalesce(SalesOrder.buyer_reference, Customer.buyer_reference),
                col(SalesOrder.purchase_order),
            )
            .join(SalesOrder, col(SalesOrder.id) == OrderLine.order_id)
            .join(Customer, col(Customer.id) == SalesOrder.customer_id)
            .join(Product, col(Product.id) == OrderLine.product_id)
            .where(col(OrderLine.order_id).in_(order_ids))
            .order_by(col(OrderLine.order_id), col(OrderLine.position))
        )
        .all()
    )
    by_order: dict[int, _Draft] = {}
    for (
        order_id,
        order_number,
        order_date,
        customer_id,
        code,
        terms,
        terms_id,
        line_id,
        product_id,
        sku,
        description,
        unit,
        ordered,
        invoiced,
        shipped,
        credited,
        reopened,
        cancelled,
        closed,
        service,
        unit_price,
        discount,
        tax_rate,
        net_left,
        tax_left,
        doc_discount,
        gross,
        net_invoiced,
        tax_invoiced,
        product_category,
        product_exemption,
        buyer_country,
        buyer_vat_id,
        buyer_reference,
        purchase_order,
    ) in rows:
        assert line_id is not None  # a primary key
        draft = by_order.get(order_id)
        if draft is None:
            draft = by_order[order_id] = _Draft(
                order_id,
                order_number,
                customer_id,
                code,
                terms,
                run.terms_id or terms_id,
                order_date,
                bool(gross),
                buyer_reference=buyer_reference,
                purchase_order=purchase_order,
            )
        open_qty = ordered - closed - invoiced
        qty = open_qty if portions is None else min(portions.get(line_id, 0), open_qty)
        after = _Counters(ordered, invoiced + qty, shipped, credited, reopened, cancelled, closed)
        if not line_finished(after, service=service):
            draft.completes = False
        if closed:
            # A short-closed line's rest is not its whole net: priced by rule 10, never
            # "to the end" (the last portion takes the remainder only of a whole line).
            draft.takes_all_open = False
        if not service:
            draft.has_goods = True
        if qty < open_qty:
            draft.takes_all_open = False
        if qty <= 0:
            continue
        # The portion's share of the line's document discount, never more than what
        # earlier invoices of the line left of it (an amount discount re-spread after a
        # quantity changed is not spread evenly over the line's quantity).
        taken = invoiced_share(
            SimpleNamespace(
                qty_invoiced=invoiced,
                unit_price=unit_price,
                discount=discount,
                net_invoiced=net_invoiced,
                tax_invoiced=tax_invoiced,
            ),
            draft.gross,
        )
        share = min(share_units(doc_discount, qty, ordered), max(doc_discount - taken, 0))
        net, tax = portion_units(
            qty=qty,
            unit_price=unit_price,
            discount=discount,
            tax_rate=tax_rate,
            net_left=net_left,
            tax_left=tax_left,
            completes=qty == open_qty and not closed,
            gross=draft.gross,
            doc_discount=share,
            minor_digits=run.digits,
        )
        line = {
            "order_line_id": line_id,
            "position": len(draft.lines) + 1,
            "product_id": product_id,
            "sku": sku,
            "description": description,
            "unit": unit,
            "qty": qty,
            "unit_price": unit_price,
            "discount": discount,
            "tax_rate": tax_rate,
            "net": net,
            "tax": tax,
            "doc_discount": share,
            **vat_columns(
                treatment(
                    rate=tax_rate,
                    product_category=product_category,
                    product_exemption=product_exemption,
                    service=service,
                    seller_country=run.seller_country,
                    buyer_country=buyer_country,
                    buyer_vat_id=buyer_vat_id,
                )
            ),
        }
        draft.lines.append(line)
        if qty == open_qty and not closed:
            draft.finished.append(line_id)
        else:
            draft.partial.append(line)
    drafts = [by_order[id_] for id_ in order_ids if id_ in by_order]
    return [draft for draft in drafts if draft.lines]


def _issue(run: _Run, drafts: list[_Draft]) -> list[int]:
    """Number, seal and write a batch of invoices with everything they post; their ids."""
    ids, headers = _write(run, drafts)
    deduct_deposits(
        run.session,
        [
            Issued(id_, header["number"], draft.order_id, draft.customer_id, header["total"])
            for id_, header, draft in zip(ids, headers, drafts, strict=True)
        ],
        on=run.issued,
        digits=run.digits,
    )
    _record(run, drafts, headers)
    _count_invoiced(run, drafts)
    _update_loaded(run, drafts)
    return ids


def issue_unlinked(
    *,
    session: Session,
    order: SalesOrder,
    kind: str,
    lines: list[dict],
    credit_role: str,
    issue_date: date | None = None,
    terms_id: int | None = None,
) -> Invoice:
    """Issue one invoice of ``order`` whose ``lines`` (invoice line rows) are no order
    line's portion, such as a deposit (``issue_unlinked_batch`` of one)."""
    (invoice,) = issue_unlinked_batch(
        session=session,
        documents=[(order, lines)],
        kind=kind,
        credit_role=credit_role,
        issue_date=issue_date,
        terms_id=terms_id,
    )
    return invoice


def issue_unlinked_batch(
    *,
    session: Session,
    documents: list[tuple[SalesOrder, list[dict]]],
    kind: str,
    credit_role: str,
    issue_date: date | None = None,
    terms_id: int | None = None,
) -> list[Invoice]:
    """Issue an invoice per ``(order, lines)`` whose lines (invoice line rows) are no
    order line's portion, such as deposits and dunning charges: numbered, dated,
    sealed, with parties frozen and a schedule, like every invoice (rules 2, 4, 4a,
    20), each posting receivable against ``credit_role`` and sales tax (rule 18).
    They invoice none of the orders' quantities and complete nothing. Prices are
    net: each line's unit price is its net. Written ``BATCH`` at a time, as
    ``issue_invoices`` writes standard invoices; returned in number order."""
    session.flush()
    run = _Run(
        session=session,
        issued=issue_date or today(),
        moment=now(),
        digits=minor_digits(session),
        terms_id=terms_id,
        seller_country=get_setting(session=session, key="company_country"),
    )
    drafts = []
    for order, lines in documents:
        customer = session.get_one(Customer, order.customer_id)
        assert order.id is not None and customer.id is not None  # stored rows
        # Dunning charges are damages, outside the scope of VAT; a deposit's lines fall
        # in the category their rate and the buyer give, as services when the order
        # sells services alone.
        services = kind == "charge" or _services_only(session, order.id)
        for line in lines:
            line |= vat_columns(
                treatment(
                    rate=line["tax_rate"],
                    product_category="O" if kind == "charge" else None,
                    product_exemption=None,
                    service=services,
                    seller_country=run.seller_country,
                    buyer_country=customer.country,
                    buyer_vat_id=customer.vat_id,
                )
            )
        drafts.append(
            _Draft(
                order.id,
                order.number,
                customer.id,
                customer.code,
                customer.terms_days,
                terms_id or order.terms_id or customer.terms_id,
                order.order_date,
                False,
                lines=lines,
                takes_all_open=False,
                completes=False,
                kind=kind,
                buyer_reference=order.buyer_reference or customer.buyer_reference,
                purchase_order=order.purchase_order,
            )
        )
    ids: list[int] = []
    for batch in chunks(drafts, BATCH):
        written, headers = _write(run, batch, credit_role=credit_role)
        _record(run, batch, headers)
        ids += written
    invoices: list[Invoice] = []
    for chunk in chunks(ids):
        invoices += session.scalars(
            select(Invoice).where(col(Invoice.id).in_(chunk)).order_by(col(Invoice.id))
        )
    return invoices


def _services_only(session: Session, order_id: int) -> bool:
    goods = (
        select(func.count())
        .select_from(OrderLine)
        .join(Product, col(Product.id) == OrderLine.product_id)
        .where(col(OrderLine.order_id) == order_id, col(Product.service).is_(False))
    )
    return not session.scalar(goods)


def _write(
    run: _Run, drafts: list[_Draft], *, credit_role: str = "revenue"
) -> tuple[list[int], list[dict]]:
    """Number, date, seal and write a batch of invoices (of one kind) with their
    schedules, lines and journal entries; their ids and headers, in number order."""
    session = run.session
    connection = session.connection()
    numbers = next_numbers(session=session, kind="invoice", count=len(drafts))
    # Rule 4a, under the series lock just taken: no invoice before its order (the
    # batch's latest order names them all), nor before the series' latest invoice
    # (once: every later batch of the run carries the same date).
    latest_order = max(drafts, key=lambda draft: draft.order_date)
    check_dated(
        session,
        what="invoice",
        on=run.issued,
        series="invoice" if run.previous_hash is None else None,
        sources=[(f"order {latest_order.order_number}", latest_order.order_date)],
    )
    if run.previous_hash is None:
        # Read under the series lock just taken: no other invoice can chain in between.
        latest = select(col(Invoice.chain_hash)).order_by(col(Invoice.id).desc()).limit(1)
        run.previous_hash = connection.execute(latest).scalar() or ZERO
    templates = terms_by_id(session, (draft.terms_id for draft in drafts))
    headers = []
    for draft, number in zip(drafts, numbers, strict=True):
        subtotal = sum(line["net"] for line in draft.lines)
        tax = sum(line["tax"] for line in draft.lines)
        terms = _terms_of(draft, templates)
        instalments = schedule(subtotal + tax, run.issued, terms)
        header = {
            "number": number,
            "issue_date": run.issued,
            "due_date": instalments[-1].due_date,
            "subtotal": subtotal,
            "tax": tax,
            "total": subtotal + tax,
            "order": draft.order_number,
            "customer": draft.customer_code,
        }
        draft.terms = terms
        draft.instalments = instalments
        run.previous_hash = header["chain_hash"] = chain_hash(
            run.previous_hash, content_of("invoice", header, draft.lines)
        )
        headers.append(header)
    # Every draft has its terms once priced above (the list keeps type checkers sure).
    issued_terms = [cast("Terms", draft.terms) for draft in drafts]
    seller_id, buyer_ids = freeze_parties(session, [draft.customer_id for draft in drafts])
    bulk_insert(
        session,
        # The mapping sets __table__, but SQLModel does not declare it to type checkers.
        Invoice.__table__,  # type: ignore[attr-defined]
        {
            "number": numbers,
            "order_id": [draft.order_id for draft in drafts],
            "customer_id": [draft.customer_id for draft in drafts],
            "issue_date": run.issued,
            "due_date": [h["due_date"] for h in headers],
            "subtotal": [h["subtotal"] for h in headers],
            "tax": [h["tax"] for h in headers],
            "total": [h["total"] for h in headers],
            "paid": 0,
            "credited": 0,
            "created_at": run.moment,
            "chain_hash": [h["chain_hash"] for h in headers],
            "prices_include_tax": [draft.gross for draft in drafts],
            "terms_code": [terms.code or None for terms in issued_terms],
            "terms_text": [
                terms_text(
                    terms,
                    run.issued,
                    draft.instalments,
                    lambda units: from_minor(units, run.digits),
                )
                for terms, draft in zip(issued_terms, drafts, strict=True)
            ],
            "discount_pct": [terms.discount_pct for terms in issued_terms],
            "discount_until": [discount_until(run.issued, terms) for terms in issued_terms],
            "seller_id": seller_id,
            "buyer_id": [buyer_ids[draft.customer_id] for draft in drafts],
            "kind": [draft.kind for draft in drafts],
            "buyer_reference": [draft.buyer_reference for draft in drafts],
            "purchase_order": [draft.purchase_order for draft in drafts],
        },
    )
    written = connection.execute(
        select(col(Invoice.number), col(Invoice.id)).where(col(Invoice.number).in_(numbers))
    ).all()
    invoice_id = dict(cast("Sequence[tuple[str, int]]", written))  # ids: primary keys, never NULL
    ids = [invoice_id[number] for number in numbers]
    write_schedules(
        session, ((id_, draft.instalments) for id_, draft in zip(ids, drafts, strict=True))
    )
    lines = [(id_, line) for id_, draft in zip(ids, drafts, strict=True) for line in draft.lines]
    bulk_insert(
        session,
        InvoiceLine.__table__,  # type: ignore[attr-defined]  # as Invoice.__table__ above
        {
            "invoice_id": [id_ for id_, _ in lines],
            # The drafts' line dicts are invoice line rows: their keys are the columns.
            **{name: [line[name] for _, line in lines] for name in lines[0][1]},
            "qty_credited": 0,
            "net_credited": 0,
            "tax_credited": 0,
        },
    )
    post_entries(
        session=session,
        entries=[
            Entry(
                entry_date=run.issued,
                source_kind="invoice",
                source_number=header["number"],
                memo=f"invoice {header['number']} to {draft.customer_code}",
                postings=[
                    Posting(
                        "receivable",
                        debit=header["total"],
                        customer_id=draft.customer_id,
                        invoice_id=id_,
                    ),
                    _credited(credit_role, header["subtotal"], draft.customer_id, id_),
                    Posting("sales_tax", credit=header["tax"]),
                ],
            )
            for draft, header, id_ in zip(drafts, headers, ids, strict=True)
        ],
    )
    return ids, headers


def _credited(role: str, net: int, customer_id: int, invoice_id: int) -> Posting:
    """An invoice's net: revenue, or (a deposit's) an advance naming its invoice and
    customer, so ``ordercli check`` ties the advances account to each deposit."""
    if role == "revenue":
        return Posting(role, credit=net)
    return Posting(role, credit=net, customer_id=customer_id, invoice_id=invoice_id)


def _terms_of(draft: _Draft, templates: dict[int, Terms]) -> Terms:
    """The draft's template, or one instalment the customer's ``terms_days`` on. A
    deposit earns no early-payment discount: what it settles is deducted whole."""
    if draft.terms_id is not None and draft.terms_id in templates:
        terms = templates[draft.terms_id]
        if draft.kind == "deposit":
            return replace(terms, discount_pct=None, discount_days=None)
        return terms
    return Terms(code="", days=draft.terms_days)


def _record(run: _Run, drafts: list[_Draft], headers: list[dict]) -> None:
    """An ``issued`` event per invoice, and a ``completed`` one per order it completes."""
    events = []
    for draft, header in zip(drafts, headers, strict=True):
        number = header["number"]
        events.append(
            {
                "subject_kind": "invoice",
                "subject_number": number,
                "action": "issued",
                "order_id": draft.order_id,
                "message": f"{'' if draft.kind == 'standard' else draft.kind + ' '}"
                f"invoice {number} issued for {draft.order_number}: "
                f"{len(draft.lines)} line(s), total {from_minor(header['total'], run.digits)}, "
                f"due {header['due_date']}",
            }
        )
        if draft.completes:
            events.append(
                {
                    "subject_kind": "order",
                    "subject_number": draft.order_number,
                    "action": "completed",
                    "order_id": draft.order_id,
                    "message": f"order {draft.order_number} completed: "
                    + completed_because(has_goods=draft.has_goods),
                }
            )
    record_events(session=run.session, events=events)


def _count_invoiced(run: _Run, drafts: list[_Draft]) -> None:
    """Add each portion to its order line's invoiced counters; complete the orders."""
    connection = run.session.connection()
    # The mapping sets __table__, but SQLModel does not declare it to type checkers.
    table: Table = OrderLine.__table__  # type: ignore[attr-defined]
    columns = table.c
    # A line invoiced to the end: its counters become the line's own quantity, net and
    # tax (what adding the portions gives). Orders invoiced of everything still open (all
    # of `--all`) are named by order, their other lines by line.
    whole = [draft.order_id for draft in drafts if draft.takes_all_open]
    finished = [i for draft in drafts if not draft.takes_all_open for i in draft.finished]
    partial = [line for draft in drafts for line in draft.partial]
    to_the_end = {
        "qty_invoiced": columns.qty,
        "net_invoiced": columns.net,
        "tax_invoiced": columns.tax,
        "last_state_change": run.moment,
    }
    for chunk in chunks(whole):
        connection.execute(
            update(table)
            .where(columns.order_id.in_(chunk), columns.qty_invoiced < columns.qty)
            .values(**to_the_end)
        )
    for chunk in chunks(finished):
        connection.execute(update(table).where(columns.id.in_(chunk)).values(**to_the_end))
    if partial:
        connection.execute(
            update(table)
            .where(columns.id == bindparam("line_id"))
            .values(
                qty_invoiced=columns.qty_invoiced + bindparam("add_qty"),
                net_invoiced=columns.net_invoiced + bindparam("add_net"),
                tax_invoiced=columns.tax_invoiced + bindparam("add_tax"),
                last_state_change=run.moment,
            ),
            [
                {
                    "line_id": line["order_line_id"],
                    "add_qty": line["qty"],
                    "add_net": line["net"],
                    "add_tax": line["tax"],
                }
                for line in partial
            ],
        )
    completed = [draft.order_id for draft in drafts if draft.completes]
    for chunk in chunks(completed):
        connection.execute(
            update(SalesOrder.__table__)  # type: ignore[attr-defined]  # as OrderLine's above
            .where(SalesOrder.__table__.c.id.in_(chunk))  # type: ignore[attr-defined]
            .values(status=OrderStatus.COMPLETED.value)
        )


def _update_loaded(run: _Run, drafts: list[_Draft]) -> None:
    """Order and line objects the caller already holds show what was just written.

    The counters and statuses were changed by set-based statements, which the ORM does
    not see; each value the session had loaded is set to what the row now holds, and
    a value it had not loaded is read from the row when first used."""
    lines = {line["order_line_id"]: line for draft in drafts for line in draft.lines}
    completed = {draft.order_id for draft in drafts if draft.completes}
    for instance in list(run.session.identity_map.values()):
        loaded = instance.__dict__
        if isinstance(instance, OrderLine) and instance.id in lines:
            line = lines[instance.id]
            for counter, amount in (
                ("qty_invoiced", line["qty"]),
                ("net_invoiced", line["net"]),
                ("tax_invoiced", line["tax"]),
            ):
                if counter in loaded:
                    set_committed_value(instance, counter, loaded[counter] + amount)
            if "last_state_change" in loaded:
                set_committed_value(instance, "last_state_change", run.moment)
        elif isinstance(instance, SalesOrder) and instance.id in completed:
            if "status" in loaded:
                set_committed_value(instance, "status", OrderStatus.COMPLETED.value)
