"""Quote corrections (SPEC rules 1, 4, 5): a draft's lines are edited in place; a sent
quote is revised into a new numbered revision and the old one kept; copies, extended
validity, notes for the customer and notes kept internal. Every refusal changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, select

from ordercli.documents import render_document
from ordercli.domain.errors import InvalidInput, NotFound, RuleViolation
from ordercli.models import Event, Quote
from ordercli.services.inventory import catalog
from ordercli.services.parties import customers
from ordercli.services.sales import quote_revisions as revisions
from ordercli.services.sales import quoting
from ordercli.views import sales as views
from tests.documents_support import pdf_text

D = Decimal


@pytest.fixture
def quote(seeded, uow, monkeypatch):
    """Q-00001 for ACME, issued 2026-03-01, valid ten days: 5 desks at 7.5% off and
    3 chairs at 299.99; still a draft."""
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-01")
    with uow() as session:
        q = quoting.new_quote(session=session, customer_code="ACME", valid_days=10)
        quoting.add_quote_line(
            session=session, number=q.number, sku="DESK-OAK", qty=D(5), discount=D("7.5")
        )
        quoting.add_quote_line(
            session=session, number=q.number, sku="CHAIR-ERGO", qty=D(3), price=D("299.99")
        )
        return q.number


def run(uow, action):
    with uow() as session:
        return action(session)


def view(uow, number: str) -> dict:
    with uow(write=False) as session:
        return views.quote_view(session, quoting.get_quote(session=session, number=number))


def events(uow, number: str) -> list[tuple[str, str]]:
    with uow(write=False) as session:
        rows = session.exec(
            select(Event).where(Event.subject_number == number).order_by(col(Event.id))
        )
        return [(e.action, e.message) for e in rows]


def send(uow, number: str) -> None:
    run(uow, lambda s: quoting.send_quote(session=s, number=number))


def revise(uow, number: str, **kwargs) -> str:
    return run(uow, lambda s: revisions.revise_quote(session=s, number=number, **kwargs)).number


# --- edit-line and remove-line: drafts only -----------------------------------------


def test_edit_line_by_number_and_by_sku_reprices_and_is_logged(quote, uow, ledger_ok):
    run(
        uow,
        lambda s: revisions.edit_quote_line(
            session=s, number=quote, line_ref="1", qty=D(4), discount=D(10)
        ),
    )
    run(
        uow,
        lambda s: revisions.edit_quote_line(
            session=s, number=quote, line_ref="chair-ergo", price=D("250.00")
        ),
    )
    doc = view(uow, quote)
    desk, chair = doc["lines"]
    # 4 × 489.00 × 0.90 = 1760.40, tax 19% = 334.48; 3 × 250.00 = 750.00, tax 142.50
    assert (desk["qty"], desk["discount_pct"], desk["net"], desk["tax"]) == (
        D(4),
        D(10),
        D("1760.40"),
        D("334.48"),
    )
    assert (chair["unit_price"], chair["net"], chair["tax"]) == (
        D("250.00"),
        D("750.00"),
        D("142.50"),
    )
    assert (doc["subtotal"], doc["tax"], doc["total"]) == (D("2510.40"), D("476.98"), D("2987.38"))
    assert events(uow, quote)[-2:] == [
        ("line_edited", "line 1 (DESK-OAK): qty 4, discount 10%"),
        ("line_edited", "line 2 (CHAIR-ERGO): price 250.00"),
    ]
    ledger_ok()


def test_remove_line_keeps_the_other_numbers(quote, uow):
    run(uow, lambda s: revisions.remove_quote_line(session=s, number=quote, line_ref="1"))
    doc = view(uow, quote)
    assert [(ln["line"], ln["sku"]) for ln in doc["lines"]] == [(2, "CHAIR-ERGO")]
    assert (doc["subtotal"], doc["total"]) == (D("899.97"), doc["lines"][0]["total"])
    assert events(uow, quote)[-1] == ("line_removed", "line 1 (DESK-OAK) removed")
    # the last line too: a draft may be empty
    run(uow, lambda s: revisions.remove_quote_line(session=s, number=quote, line_ref="CHAIR-ERGO"))
    assert (view(uow, quote)["lines"], view(uow, quote)["total"]) == ([], D("0.00"))


@pytest.mark.parametrize(
    ("ref", "kwargs", "error", "message"),
    [
        ("1", {}, InvalidInput, "nothing to change: give --qty, --price or --discount"),
        ("", {"qty": D(1)}, InvalidInput, "line is empty (give its number or SKU)"),
        ("9", {"qty": D(1)}, NotFound, "Q-00001 has no line 9"),
        ("LAMP-LED", {"qty": D(1)}, NotFound, "Q-00001 has no line for LAMP-LED"),
        ("NOPE", {"qty": D(1)}, NotFound, "no product 'NOPE'"),
    ],
)
def test_edit_line_bad_input(quote, refused, ref, kwargs, error, message):
    refused(
        error,
        message,
        lambda s: revisions.edit_quote_line(session=s, number=quote, line_ref=ref, **kwargs),
    )


def test_a_sku_on_two_lines_needs_the_line_number(quote, uow, refused):
    run(
        uow,
        lambda s: quoting.add_quote_line(session=s, number=quote, sku="DESK-OAK", qty=D(1)),
    )
    refused(
        InvalidInput,
        "DESK-OAK is on lines 1, 3 of Q-00001; give the line number",
        lambda s: revisions.remove_quote_line(session=s, number=quote, line_ref="DESK-OAK"),
    )


def test_lines_of_a_sent_quote_are_not_changed_in_place(quote, uow, refused):
    send(uow, quote)
    message = "Q-00001 is sent: revise it first (`ordercli quote revise Q-00001`)"
    for action in (
        lambda s: quoting.add_quote_line(session=s, number=quote, sku="LAMP-LED", qty=D(1)),
        lambda s: revisions.edit_quote_line(session=s, number=quote, line_ref="1", qty=D(1)),
        lambda s: revisions.remove_quote_line(session=s, number=quote, line_ref="1"),
    ):
        refused(RuleViolation, message, action)
    assert view(uow, quote)["status"] == "sent"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (quoting.accept_quote, "cannot edit a line on Q-00001: it is accepted"),
        (quoting.reject_quote, "cannot edit a line on Q-00001: it is rejected"),
    ],
)
def test_lines_of_a_closed_quote_are_not_changed(quote, uow, refused, step, message):
    run(uow, lambda s: step(session=s, number=quote))
    refused(
        RuleViolation,
        message,
        lambda s: revisions.edit_quote_line(session=s, number=quote, line_ref="1", qty=D(1)),
    )


def test_lines_of_an_expired_draft_wait_for_extend(quote, uow, refused, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-12")
    error = refused(
        RuleViolation,
        "cannot remove a line from Q-00001: it expired on 2026-03-11",
        lambda s: revisions.remove_quote_line(session=s, number=quote, line_ref="1"),
    )
    assert error.hint == "`ordercli quote extend Q-00001 --valid-days N` gives it more days"


# --- extend ------------------------------------------------------------------------


def test_extend_an_expired_sent_quote_from_today(quote, uow, monkeypatch):
    send(uow, quote)
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-20")
    assert view(uow, quote)["status"] == "expired"
    run(uow, lambda s: revisions.extend_quote(session=s, number=quote, valid_days=14))
    doc = view(uow, quote)
    assert (doc["status"], doc["valid_until"].isoformat()) == ("sent", "2026-04-03")
    assert events(uow, quote)[-1] == (
        "extended",
        "quote Q-00001 valid until 2026-04-03 (was 2026-03-11)",
    )
    # accepted now that it holds again
    run(uow, lambda s: quoting.accept_quote(session=s, number=quote))


def test_extend_a_draft(quote, uow):
    run(uow, lambda s: revisions.extend_quote(session=s, number=quote, valid_days=30))
    assert view(uow, quote)["valid_until"].isoformat() == "2026-03-31"


@pytest.mark.parametrize(
    ("days", "error", "message"),
    [
        (0, InvalidInput, "--valid-days 0 must be between 1 and 3650"),
        (3651, InvalidInput, "--valid-days 3651 must be between 1 and 3650"),
        (
            5,
            RuleViolation,
            "cannot extend Q-00001 to 2026-03-06: it is already valid until 2026-03-11",
        ),
        (
            10,
            RuleViolation,
            "cannot extend Q-00001 to 2026-03-11: it is already valid until 2026-03-11",
        ),
    ],
)
def test_extend_refused_days(quote, refused, days, error, message):
    refused(
        error, message, lambda s: revisions.extend_quote(session=s, number=quote, valid_days=days)
    )


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([quoting.accept_quote], "cannot extend Q-00001: it is accepted"),
        ([quoting.reject_quote], "cannot extend Q-00001: it is rejected"),
        ([quoting.accept_quote, quoting.convert_quote], "cannot extend Q-00001: it is converted"),
        (
            [quoting.send_quote, revisions.revise_quote],
            "cannot extend Q-00001: it was revised, Q-00001-R2 is its newest revision",
        ),
    ],
)
def test_extend_refused_on_a_closed_quote(quote, uow, refused, steps, message):
    for step in steps:
        run(uow, lambda s, step=step: step(session=s, number=quote))
    refused(
        RuleViolation,
        message,
        lambda s: revisions.extend_quote(session=s, number=quote, valid_days=30),
    )


# --- revise --------------------------------------------------------------------------


def test_revise_a_sent_quote(quote, uow, monkeypatch, ledger_ok):
    send(uow, quote)
    run(uow, lambda s: catalog.edit_product(session=s, sku="DESK-OAK", changes={"price": D(555)}))
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-05")
    assert revise(uow, quote) == "Q-00001-R2"
    old, new = view(uow, quote), view(uow, "q-00001-r2")
    assert (old["status"], old["revision"], old["revision_of"], old["revised_by"]) == (
        "revised",
        1,
        None,
        "Q-00001-R2",
    )
    assert (new["status"], new["revision"], new["revision_of"], new["revised_by"]) == (
        "draft",
        2,
        "Q-00001",
        None,
    )
    assert new["revisions"] == old["revisions"] == ["Q-00001", "Q-00001-R2"]
    assert (new["customer"], new["copied_from"], new["order"]) == ("ACME", None, None)
    # dated today, valid as many days as the one it replaces
    assert (new["issue_date"].isoformat(), new["valid_until"].isoformat()) == (
        "2026-03-05",
        "2026-03-15",
    )
    # the lines as quoted: the catalog's new price does not reach them
    assert new["lines"] == old["lines"]
    assert new["lines"][0]["unit_price"] == D("489.00")
    assert (new["subtotal"], new["tax"], new["total"]) == (
        old["subtotal"],
        old["tax"],
        old["total"],
    )
    assert events(uow, "Q-00001")[-1] == ("revised", "quote Q-00001 (sent) revised as Q-00001-R2")
    assert events(uow, "Q-00001-R2") == [
        (
            "created",
            "quote Q-00001-R2 for ACME, revision 2 of Q-00001 replacing Q-00001, "
            "valid until 2026-03-15",
        )
    ]
    ledger_ok()


def test_a_revision_is_worked_on_and_revised_again(quote, uow):
    send(uow, quote)
    r2 = revise(uow, quote)
    run(uow, lambda s: revisions.edit_quote_line(session=s, number=r2, line_ref="1", qty=D(6)))
    run(uow, lambda s: quoting.reject_quote(session=s, number=r2, reason="still too dear"))
    r3 = revise(uow, r2, valid_days=30)
    assert r3 == "Q-00001-R3"
    doc = view(uow, r3)
    assert (doc["revision"], doc["revision_of"], doc["valid_until"].isoformat()) == (
        3,
        "Q-00001-R2",
        "2026-03-31",
    )
    assert doc["lines"][0]["qty"] == D(6)
    assert view(uow, quote)["lines"][0]["qty"] == D(5)  # the first one as the customer got it
    assert view(uow, r2)["revised_by"] == r3
    assert view(uow, quote)["revisions"] == ["Q-00001", "Q-00001-R2", "Q-00001-R3"]
    run(uow, lambda s: quoting.send_quote(session=s, number=r3))
    run(uow, lambda s: quoting.accept_quote(session=s, number=r3))
    order = run(uow, lambda s: quoting.convert_quote(session=s, number=r3))
    assert view(uow, r3)["order"] == order.number


def test_notes_stay_where_written_and_show_through_the_chain(quote, uow):
    run(
        uow,
        lambda s: quoting.add_quote_note(
            session=s, number=quote, text="Can you do 5% off?", author="buyer"
        ),
    )
    send(uow, quote)
    r2 = revise(uow, quote)
    run(
        uow,
        lambda s: quoting.add_quote_note(
            session=s, number=r2, text="5% off the desks", customer_visible=True
        ),
    )
    notes = [
        (n["quote"], n["author"], n["text"], n["customer_visible"]) for n in view(uow, r2)["notes"]
    ]
    assert notes == [
        ("Q-00001", "buyer", "Can you do 5% off?", False),
        ("Q-00001-R2", "seller", "5% off the desks", True),
    ]
    # the earlier revision shows its own history, not what came after it
    assert [n["text"] for n in view(uow, quote)["notes"]] == ["Can you do 5% off?"]


@pytest.mark.parametrize(
    ("steps", "today", "message", "hint"),
    [
        (
            [],
            "2026-03-01",
            "cannot revise Q-00001: it is a draft, edit it instead",
            "`ordercli quote edit-line Q-00001 LINE …` changes it",
        ),
        (
            [],
            "2026-03-20",
            "cannot revise Q-00001: it is a draft, edit it instead",
            "`ordercli quote extend Q-00001 --valid-days N`, then edit it",
        ),
        (
            [quoting.accept_quote],
            "2026-03-01",
            "cannot revise Q-00001: it is accepted",
            "`ordercli quote copy Q-00001` starts a new quote from it",
        ),
        (
            [quoting.accept_quote, quoting.convert_quote],
            "2026-03-01",
            "cannot revise Q-00001: it is converted",
            "`ordercli quote copy Q-00001` starts a new quote from it",
        ),
        (
            [quoting.send_quote, revisions.revise_quote],
            "2026-03-01",
            "cannot revise Q-00001: it was revised, Q-00001-R2 is its newest revision",
            "`ordercli quote show Q-00001-R2`",
        ),
    ],
)
def test_revise_refused(quote, uow, refused, monkeypatch, steps, today, message, hint):
    for step in steps:
        run(uow, lambda s, step=step: step(session=s, number=quote))
    monkeypatch.setenv("ORDERCLI_TODAY", today)
    error = refused(
        RuleViolation, message, lambda s: revisions.revise_quote(session=s, number=quote)
    )
    assert error.hint == hint


def test_an_expired_or_rejected_quote_is_revised(quote, uow, monkeypatch):
    send(uow, quote)
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-04-01")
    assert view(uow, quote)["status"] == "expired"
    r2 = revise(uow, quote)
    assert view(uow, r2)["valid_until"].isoformat() == "2026-04-11"
    run(uow, lambda s: quoting.reject_quote(session=s, number=r2))
    assert revise(uow, r2) == "Q-00001-R3"


def test_revise_refused_for_an_inactive_customer_or_bad_days(quote, uow, refused):
    send(uow, quote)
    refused(
        InvalidInput,
        "--valid-days 3651 must be between 0 and 3650",
        lambda s: revisions.revise_quote(session=s, number=quote, valid_days=3651),
    )
    run(uow, lambda s: customers.set_customer_active(session=s, code="ACME", active=False))
    refused(
        RuleViolation,
        "customer ACME is inactive and gets no new quotes",
        lambda s: revisions.revise_quote(session=s, number=quote),
    )


def test_a_revised_quote_is_readable_but_never_workable(quote, uow, refused):
    send(uow, quote)
    revise(uow, quote)
    newest = "it was revised, Q-00001-R2 is its newest revision"
    for verb, action in (
        ("send", quoting.send_quote),
        ("accept", quoting.accept_quote),
        ("reject", quoting.reject_quote),
        ("convert", quoting.convert_quote),
    ):
        refused(
            RuleViolation,
            f"cannot {verb} Q-00001: {newest}",
            lambda s, action=action: action(session=s, number=quote),
        )
    refused(
        RuleViolation,
        f"cannot add a line to Q-00001: {newest}",
        lambda s: quoting.add_quote_line(session=s, number=quote, sku="LAMP-LED", qty=D(1)),
    )
    # a note may still be added: the thread is kept whatever the state
    run(uow, lambda s: quoting.add_quote_note(session=s, number=quote, text="superseded"))
    with uow(write=False) as session:
        listed = quoting.list_quotes(session=session, status="revised")
        assert [q.number for q in listed] == ["Q-00001"]
        assert [q.number for q in quoting.list_quotes(session=session)] == ["Q-00001-R2", "Q-00001"]


# --- copy ----------------------------------------------------------------------------


def test_copy_for_another_customer(quote, uow, monkeypatch, ledger_ok):
    run(uow, lambda s: quoting.accept_quote(session=s, number=quote))
    run(uow, lambda s: quoting.convert_quote(session=s, number=quote))
    run(uow, lambda s: quoting.add_quote_note(session=s, number=quote, text="internal"))
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-03-04")
    copy = run(uow, lambda s: revisions.copy_quote(session=s, number=quote, customer_code="BRIGHT"))
    doc, source = view(uow, copy.number), view(uow, quote)
    assert (doc["number"], doc["customer"], doc["status"], doc["copied_from"]) == (
        "Q-00002",
        "BRIGHT",
        "draft",
        "Q-00001",
    )
    assert (doc["revision"], doc["revision_of"], doc["revisions"], doc["notes"]) == (
        1,
        None,
        ["Q-00002"],
        [],
    )
    assert (doc["issue_date"].isoformat(), doc["valid_until"].isoformat()) == (
        "2026-03-04",
        "2026-03-14",
    )
    assert doc["lines"] == source["lines"] and doc["total"] == source["total"]
    assert source["status"] == "converted"  # the source is untouched
    assert events(uow, quote)[-1] == ("copied", "quote Q-00001 copied to Q-00002 for BRIGHT")
    assert events(uow, "Q-00002") == [
        ("created", "quote Q-00002 for BRIGHT, copied from Q-00001, valid until 2026-03-14")
    ]
    # and the copy is a quote like any other
    run(
        uow, lambda s: quoting.add_quote_line(session=s, number="Q-00002", sku="LAMP-LED", qty=D(1))
    )
    ledger_ok()


def test_copy_keeps_the_customer_and_takes_the_next_number(quote, uow):
    send(uow, quote)
    r2 = revise(uow, quote)
    copy = run(uow, lambda s: revisions.copy_quote(session=s, number=r2, valid_days=3))
    doc = view(uow, copy.number)
    assert (doc["number"], doc["customer"], doc["copied_from"]) == ("Q-00002", "ACME", r2)
    assert doc["valid_until"].isoformat() == "2026-03-04"


def test_copy_refused(quote, uow, refused):
    run(uow, lambda s: customers.set_customer_active(session=s, code="TOKYO", active=False))
    refused(
        RuleViolation,
        "customer TOKYO is inactive and gets no new quotes",
        lambda s: revisions.copy_quote(session=s, number=quote, customer_code="TOKYO"),
    )
    refused(
        NotFound,
        "no customer 'NOPE'",
        lambda s: revisions.copy_quote(session=s, number=quote, customer_code="NOPE"),
    )
    refused(
        NotFound, "no quote 'Q-00404'", lambda s: revisions.copy_quote(session=s, number="Q-00404")
    )
    refused(
        InvalidInput,
        "--valid-days -1 must be between 0 and 3650",
        lambda s: revisions.copy_quote(session=s, number=quote, valid_days=-1),
    )


def test_copy_never_dated_before_its_source(quote, refused, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-02-27")
    refused(
        RuleViolation,
        "quote dated 2026-02-27 cannot come before quote Q-00001, dated 2026-03-01",
        lambda s: revisions.copy_quote(session=s, number=quote),
    )


# --- notes for the customer -------------------------------------------------------------


def test_only_customer_visible_notes_print(quote, uow):
    run(
        uow,
        lambda s: quoting.add_quote_note(
            session=s, number=quote, text="Can you do 5% off?", author="buyer"
        ),
    )
    run(uow, lambda s: quoting.add_quote_note(session=s, number=quote, text="Margin is thin here"))
    run(
        uow,
        lambda s: quoting.add_quote_note(
            session=s, number=quote, text="Delivery within two weeks", customer_visible=True
        ),
    )
    assert events(uow, quote)[-1] == (
        "note",
        "seller note for the customer: Delivery within two weeks",
    )
    with uow(write=False) as session:
        pdf = pdf_text(render_document(session, "quote", quote, fmt="pdf").content)
        html = render_document(session, "quote", quote, fmt="html").content.decode()
    for text in (pdf, html):
        assert "Delivery within two weeks" in text
        assert "5% off" not in text and "Margin is thin" not in text
    # all three stay in the thread, each marked
    assert [(n["text"], n["customer_visible"]) for n in view(uow, quote)["notes"]] == [
        ("Can you do 5% off?", False),
        ("Margin is thin here", False),
        ("Delivery within two weeks", True),
    ]


def test_a_revision_prints_its_own_notes_for_the_customer(quote, uow):
    run(
        uow,
        lambda s: quoting.add_quote_note(
            session=s, number=quote, text="Prices hold until March", customer_visible=True
        ),
    )
    send(uow, quote)
    r2 = revise(uow, quote)
    run(
        uow,
        lambda s: quoting.add_quote_note(
            session=s, number=r2, text="Revised: desks now 6", customer_visible=True
        ),
    )
    with uow(write=False) as session:
        text = pdf_text(render_document(session, "quote", r2, fmt="pdf").content)
        first = pdf_text(render_document(session, "quote", quote, fmt="pdf").content)
    assert "Quote no. Q-00001-R2" in text and "Revision 2, replaces Q-00001" in text
    assert "Revised: desks now 6" in text and "Prices hold until March" not in text
    assert "Prices hold until March" in first and "Revision" not in first


# --- the ledger check -------------------------------------------------------------------


def test_check_finds_a_replaced_quote_not_marked_revised(quote, uow, engine):
    from sqlalchemy import text

    from ordercli.books.checks import run_checks

    send(uow, quote)
    revise(uow, quote)
    with uow(write=False) as session:
        assert run_checks(session=session)["ok"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE quote SET status = 'sent' WHERE number = 'Q-00001'"))
        conn.execute(text("UPDATE quote SET status = 'revised' WHERE number = 'Q-00001-R2'"))
    with uow(write=False) as session:
        problems = [
            p["problem"] for p in run_checks(session=session)["problems"] if p["rule"] == "5"
        ]
        assert problems == [
            "quote Q-00001 (revision 1) is sent, Q-00001-R2 (revision 2) replaces it",
            "quote Q-00001-R2 is revised but has no newer revision",
        ]
        assert (
            session.exec(select(Quote).where(Quote.status == "revised")).one().number
            == "Q-00001-R2"
        )
