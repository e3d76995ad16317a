"""`ordercli quote edit-line/remove-line/extend/revise/copy` and notes for the customer,
end to end: JSON keys, the cards, every refusal's exact line with the ledger unchanged.
"""

from __future__ import annotations

import pytest

from tests.documents_support import pdf_text

JAN1 = {"ORDERCLI_TODAY": "2027-01-01"}
REVISION_KEYS = {"revision", "revision_of", "revised_by", "copied_from"}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


def build_sent(cli) -> None:
    cli.ok("quote", "new", "BRIGHT", "--valid-days", "14", env=JAN1)
    cli.ok("quote", "add-line", "Q-00001", "DESK-OAK", "4", "--discount", "5", env=JAN1)
    cli.ok("quote", "add-line", "Q-00001", "INSTALL", "2.5", env=JAN1)
    cli.ok("quote", "note", "Q-00001", "Can you do 5% off?", "--from", "buyer", env=JAN1)
    cli.ok("quote", "note", "Q-00001", "Delivery within two weeks", "--customer-visible", env=JAN1)
    cli.ok("quote", "send", "Q-00001", env=JAN1)


@pytest.fixture
def sent(shop, ledger_state):
    """Q-00001 for BRIGHT, sent 2027-01-01, valid 14 days: 4 desks at 5% off and 2.5 h
    install; a buyer's note (internal) and a note for the customer."""
    ledger_state("quote-sent", build_sent)
    return shop


@pytest.fixture
def draft(shop):
    """Q-00001 for ACME, a draft of 2027-01-01 valid 30 days: 2 desks, 3 lamps."""
    shop.ok("quote", "new", "ACME", env=JAN1)
    shop.ok("quote", "add-line", "Q-00001", "DESK-OAK", "2", env=JAN1)
    shop.ok("quote", "add-line", "Q-00001", "LAMP-LED", "3", env=JAN1)
    return shop


# --- edit-line / remove-line ----------------------------------------------------------


def test_edit_line_by_number_and_sku(draft, human):
    doc = draft.ok("quote", "edit-line", "Q-00001", "1", "--qty", "4", "--discount", "10", env=JAN1)
    desk = doc["lines"][0]
    assert (desk["qty"], desk["discount_pct"], desk["net"], desk["tax"]) == (
        "4",
        "10",
        "1760.40",
        "334.48",
    )
    doc = draft.ok("quote", "edit-line", "Q-00001", "lamp-led", "--price", "30", env=JAN1)
    assert (doc["lines"][1]["unit_price"], doc["lines"][1]["net"]) == ("30.00", "90.00")
    assert doc["subtotal"] == "1850.40"
    out = human("quote", "edit-line", "Q-00001", "2", "--qty", "1", env=JAN1)
    assert "Quote Q-00001" in out and "LAMP-LED" in out and "30.00" in out


def test_remove_line(draft, human):
    doc = draft.ok("quote", "remove-line", "Q-00001", "DESK-OAK", env=JAN1)
    assert [(ln["line"], ln["sku"]) for ln in doc["lines"]] == [(2, "LAMP-LED")]
    assert doc["total"] == doc["lines"][0]["total"]
    out = human("quote", "remove-line", "Q-00001", "2", env=JAN1)
    assert "Quote Q-00001" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["edit-line", "Q-00001", "1"], "nothing to change: give --qty, --price or --discount"),
        (["edit-line", "Q-00001", "7", "--qty", "1"], "Q-00001 has no line 7"),
        (
            ["edit-line", "Q-00001", "CHAIR-ERGO", "--qty", "1"],
            "Q-00001 has no line for CHAIR-ERGO",
        ),
        (["edit-line", "Q-00001", "1", "--qty", "0"], "quantity '0' must be greater than zero"),
        (["edit-line", "Q-00001", "1", "--price", "x"], "price 'x' is not a number"),
        (
            ["edit-line", "Q-00001", "1", "--discount", "101"],
            "discount '101' must be between 0 and 100",
        ),
        (["edit-line", "Q-00404", "1", "--qty", "1"], "no quote 'Q-00404'"),
        (["remove-line", "Q-00001", " "], "line is empty (give its number or SKU)"),
        (["remove-line", "Q-00001", "NOPE"], "no product 'NOPE'"),
    ],
)
def test_line_edits_refused(draft, unchanged, args, message):
    with unchanged():
        assert draft.fails("quote", *args, env=JAN1) == f"error: {message}"


@pytest.mark.parametrize(
    "args",
    [
        ["add-line", "Q-00001", "LAMP-LED", "1"],
        ["edit-line", "Q-00001", "1", "--qty", "1"],
        ["remove-line", "Q-00001", "2"],
    ],
)
def test_lines_of_a_sent_quote_need_a_revision(sent, unchanged, args):
    with unchanged():
        assert sent.fails("quote", *args, env=JAN1) == (
            "error: Q-00001 is sent: revise it first (`ordercli quote revise Q-00001`)"
        )


def test_edit_line_on_an_expired_draft_hints_extend(draft, unchanged):
    with unchanged():
        result = draft.run("quote", "edit-line", "Q-00001", "1", "--qty", "1", env=on("2027-02-01"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: cannot edit a line on Q-00001: it expired on 2027-01-31",
        "hint: `ordercli quote extend Q-00001 --valid-days N` gives it more days",
    ]


def test_edit_line_was_not_a_command_before(shop):
    # `quote edit-line` exists now: Typer no longer answers with "did you mean add-line"
    result = shop.run("quote", "edit-line", "--help")
    assert result.exit_code == 0 and "LINE" in result.stdout and "--qty" in result.stdout


# --- extend ---------------------------------------------------------------------------


def test_extend_an_expired_quote(sent, human):
    later = on("2027-01-20")
    assert sent.ok("quote", "show", "Q-00001", env=later)["status"] == "expired"
    doc = sent.ok("quote", "extend", "Q-00001", "--valid-days", "10", env=later)
    assert (doc["status"], doc["valid_until"]) == ("sent", "2027-01-30")
    assert sent.ok("quote", "accept", "Q-00001", env=later)["status"] == "accepted"
    events = sent.ok("order", "timeline", sent.ok("quote", "convert", "Q-00001")["number"])
    assert "quote Q-00001 valid until 2027-01-30 (was 2027-01-15)" in [e["message"] for e in events]


def test_extend_human(draft, human):
    out = human("quote", "extend", "Q-00001", "--valid-days", "60", env=JAN1)
    assert "Quote Q-00001" in out and "2027-03-02" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--valid-days", "0"], "--valid-days 0 must be between 1 and 3650"),
        (
            ["--valid-days", "5"],
            "cannot extend Q-00001 to 2027-01-06: it is already valid until 2027-01-15",
        ),
    ],
)
def test_extend_refused(sent, unchanged, args, message):
    with unchanged():
        assert sent.fails("quote", "extend", "Q-00001", *args, env=JAN1) == f"error: {message}"


def test_extend_needs_its_days(sent, unchanged):
    with unchanged():
        result = sent.run("quote", "extend", "Q-00001")
    assert result.exit_code == 2 and "--valid-days" in result.stderr


def test_extend_refused_once_accepted(sent, unchanged):
    sent.ok("quote", "accept", "Q-00001", env=JAN1)
    with unchanged():
        assert sent.fails("quote", "extend", "Q-00001", "--valid-days", "9", env=JAN1) == (
            "error: cannot extend Q-00001: it is accepted"
        )


# --- revise ---------------------------------------------------------------------------


def test_revise_then_edit_and_send_the_revision(sent, human):
    doc = sent.ok("quote", "revise", "Q-00001", env=on("2027-01-03"))
    assert REVISION_KEYS <= doc.keys()
    expected = {
        "number": "Q-00001-R2",
        "status": "draft",
        "customer": "BRIGHT",
        "issue_date": "2027-01-03",
        "valid_until": "2027-01-17",
        "revision": 2,
        "revision_of": "Q-00001",
        "revised_by": None,
        "copied_from": None,
        "revisions": ["Q-00001", "Q-00001-R2"],
        "total": "2404.64",
    }
    assert {k: doc[k] for k in expected} == expected
    # the thread so far, each note with the revision it was written on
    assert [(n["quote"], n["text"], n["customer_visible"]) for n in doc["notes"]] == [
        ("Q-00001", "Can you do 5% off?", False),
        ("Q-00001", "Delivery within two weeks", True),
    ]
    old = sent.ok("quote", "show", "Q-00001", env=on("2027-01-03"))
    assert (old["status"], old["revised_by"], old["lines"]) == (
        "revised",
        "Q-00001-R2",
        doc["lines"],
    )
    sent.ok(
        "quote", "edit-line", "Q-00001-R2", "DESK-OAK", "--discount", "10", env=on("2027-01-03")
    )
    assert sent.ok("quote", "send", "Q-00001-R2", env=on("2027-01-03"))["status"] == "sent"
    assert sent.ok("quote", "show", "Q-00001")["lines"][0]["discount_pct"] == "5"
    out = human("quote", "show", "Q-00001-R2", env=on("2027-01-03"))
    for fact in ("Quote Q-00001-R2", "Revision of", "Q-00001 → Q-00001-R2", "internal", "customer"):
        assert fact in out
    out = human("quote", "show", "Q-00001", env=on("2027-01-03"))
    assert "revised" in out and "Revised by" in out and "Q-00001-R2" in out


def test_revision_chain_in_the_list(sent, human):
    sent.ok("quote", "revise", "Q-00001", env=JAN1)
    sent.ok("quote", "send", "Q-00001-R2", env=JAN1)
    sent.ok("quote", "reject", "Q-00001-R2", "--reason", "too dear", env=JAN1)
    doc = sent.ok("quote", "revise", "q-00001-r2", "--valid-days", "30", env=JAN1)
    assert (doc["number"], doc["revision_of"], doc["valid_until"]) == (
        "Q-00001-R3",
        "Q-00001-R2",
        "2027-01-31",
    )
    rows = sent.ok("quote", "list", env=JAN1)
    assert [(r["number"], r["status"], r["revised_by"]) for r in rows] == [
        ("Q-00001-R3", "draft", None),
        ("Q-00001-R2", "revised", "Q-00001-R3"),
        ("Q-00001", "revised", "Q-00001-R2"),
    ]
    assert [r["number"] for r in sent.ok("quote", "list", "--status", "revised")] == [
        "Q-00001-R2",
        "Q-00001",
    ]
    out = human("quote", "list", env=JAN1)
    assert "Q-00001-R3" in out and "revised" in out
    assert sent.ok("check")["ok"] is True


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ([["quote", "accept", "Q-00001"]], "cannot revise Q-00001: it is accepted"),
        (
            [["quote", "accept", "Q-00001"], ["quote", "convert", "Q-00001"]],
            "cannot revise Q-00001: it is converted",
        ),
        (
            [["quote", "revise", "Q-00001"]],
            "cannot revise Q-00001: it was revised, Q-00001-R2 is its newest revision",
        ),
        ([["quote", "new", "ACME"]], "cannot revise Q-00002: it is a draft, edit it instead"),
    ],
)
def test_revise_refused(sent, unchanged, setup, message):
    for args in setup:
        sent.ok(*args, env=JAN1)
    number = "Q-00002" if "Q-00002" in message else "Q-00001"
    with unchanged():
        assert sent.fails("quote", "revise", number, env=JAN1) == f"error: {message}"


def test_a_revised_quote_cannot_be_worked(sent, unchanged):
    sent.ok("quote", "revise", "Q-00001", env=JAN1)
    with unchanged():
        for verb in ("send", "accept", "reject", "convert"):
            assert sent.fails("quote", verb, "Q-00001", env=JAN1) == (
                f"error: cannot {verb} Q-00001: it was revised, Q-00001-R2 is its newest revision"
            )
        assert sent.fails("quote", "edit-line", "Q-00001", "1", "--qty", "1", env=JAN1) == (
            "error: cannot edit a line on Q-00001: "
            "it was revised, Q-00001-R2 is its newest revision"
        )


def test_revise_for_a_customer_deactivated_since(sent, unchanged):
    sent.ok("customer", "deactivate", "BRIGHT")
    with unchanged():
        assert sent.fails("quote", "revise", "Q-00001", env=JAN1) == (
            "error: customer BRIGHT is inactive and gets no new quotes"
        )


# --- copy -----------------------------------------------------------------------------


def test_copy_to_another_customer(sent, human):
    doc = sent.ok("quote", "copy", "Q-00001", "--customer", "ACME", env=on("2027-01-02"))
    expected = {
        "number": "Q-00002",
        "customer": "ACME",
        "status": "draft",
        "issue_date": "2027-01-02",
        "valid_until": "2027-01-16",
        "copied_from": "Q-00001",
        "revision": 1,
        "revision_of": None,
        "notes": [],
        "total": "2404.64",
    }
    assert {k: doc[k] for k in expected} == expected
    assert sent.ok("quote", "show", "Q-00001")["status"] == "sent"  # the source is untouched
    out = human("quote", "copy", "Q-00001", "--valid-days", "5", env=on("2027-01-02"))
    assert "Quote Q-00003" in out and "Copied from" in out and "BRIGHT" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Q-00001", "--customer", "NOPE"], "no customer 'NOPE'"),
        (["Q-00009"], "no quote 'Q-00009'"),
        (["Q-00001", "--valid-days", "4000"], "--valid-days 4000 must be between 0 and 3650"),
    ],
)
def test_copy_refused(sent, unchanged, args, message):
    with unchanged():
        assert sent.fails("quote", "copy", *args, env=JAN1) == f"error: {message}"


def test_copy_for_an_inactive_customer(sent, unchanged):
    sent.ok("customer", "deactivate", "TOKYO")
    with unchanged():
        assert sent.fails("quote", "copy", "Q-00001", "--customer", "TOKYO", env=JAN1) == (
            "error: customer TOKYO is inactive and gets no new quotes"
        )


# --- notes for the customer -------------------------------------------------------------


def test_note_customer_visible_in_json_and_card(sent, human):
    doc = sent.ok("quote", "show", "Q-00001", env=JAN1)
    assert [(n["author"], n["customer_visible"]) for n in doc["notes"]] == [
        ("buyer", False),
        ("seller", True),
    ]
    out = human("quote", "show", "Q-00001", env=JAN1)
    assert "Shown to" in out and "internal" in out and "customer" in out


def test_pdf_and_html_print_only_notes_for_the_customer(sent, tmp_path, unchanged):
    target = tmp_path / "q.pdf"
    with unchanged():
        result = sent.run("quote", "pdf", "Q-00001", "-o", str(target))
        assert result.exit_code == 0, result.stderr
        page = tmp_path / "q.html"
        assert sent.run("quote", "pdf", "Q-00001", "--html", "-o", str(page)).exit_code == 0
    text = pdf_text(target.read_bytes())
    html = page.read_text()
    for printed in (text, html):
        assert "Delivery within two weeks" in printed
        assert "5% off" not in printed


def test_revision_pdf_names_what_it_replaces(sent, tmp_path):
    sent.ok("quote", "revise", "Q-00001", env=JAN1)
    sent.ok("quote", "note", "Q-00001-R2", "New delivery date: March", "--customer-visible")
    target = tmp_path / "r2.pdf"
    assert sent.run("quote", "pdf", "Q-00001-R2", "-o", str(target)).exit_code == 0
    text = pdf_text(target.read_bytes())
    assert "Quote no. Q-00001-R2" in text and "Revision 2, replaces Q-00001" in text
    assert "New delivery date: March" in text
    assert "Delivery within two weeks" not in text and "5% off" not in text
