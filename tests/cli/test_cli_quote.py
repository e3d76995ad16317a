"""`ordercli quote new/add-line/send/accept/reject/note/convert/show/list` end to end."""

from __future__ import annotations

import pytest

QUOTE_KEYS = {"number", "customer", "status", "lines", "subtotal", "tax", "total"}
LINE_KEYS = {
    "sku",
    "description",
    "qty",
    "unit_price",
    "discount_pct",
    "tax_rate",
    "net",
    "tax",
    "total",
}
JAN1 = {"ORDERCLI_TODAY": "2027-01-01"}


def on(day: str) -> dict:
    return {"ORDERCLI_TODAY": day}


def build_quoted(cli) -> None:
    cli.ok("quote", "new", "BRIGHT", "--valid-days", "14", env=JAN1)
    cli.ok("quote", "add-line", "Q-00001", "DESK-OAK", "4", "--discount", "5", env=JAN1)
    cli.ok("quote", "add-line", "Q-00001", "INSTALL", "2.5", env=JAN1)


@pytest.fixture
def quoted(shop, ledger_state):
    """Q-00001 for BRIGHT issued 2027-01-01, valid 14 days: 4 desks at 5% off + 2.5 h install."""
    ledger_state("quote-draft", build_quoted)
    return shop


# --- new -------------------------------------------------------------------


def test_new_quote(shop, human):
    doc = shop.ok("quote", "new", "BRIGHT", "--valid-days", "14", env=JAN1)
    assert QUOTE_KEYS <= doc.keys()
    expected = {
        "number": "Q-00001",
        "customer": "BRIGHT",
        "status": "draft",
        "issue_date": "2027-01-01",
        "valid_until": "2027-01-15",
        "lines": [],
        "subtotal": "0.00",
        "tax": "0.00",
        "total": "0.00",
        "order": None,
    }
    assert {k: doc[k] for k in expected} == expected
    assert shop.ok("quote", "new", "ACME", env=JAN1)["valid_until"] == "2027-01-31"
    out = human("quote", "new", "TOKYO", env=JAN1)
    assert "Quote Q-00003" in out and "TOKYO" in out and "draft" in out and "2027-01-31" in out


def test_new_quote_by_customer_name(shop):
    assert shop.ok("quote", "new", "Café de la Gare SARL")["customer"] == "CAFE"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "no customer 'NOPE'"),
        ([""], "customer code is empty"),
        (["ACME", "--valid-days=-1"], "--valid-days -1 must be between 0 and 3650"),
        (["ACME", "--valid-days", "3651"], "--valid-days 3651 must be between 0 and 3650"),
    ],
)
def test_new_quote_refused(shop, unchanged, args, message):
    with unchanged():
        assert shop.fails("quote", "new", *args) == f"error: {message}"


def test_new_quote_valid_days_not_a_number(shop, unchanged):
    with unchanged():
        result = shop.run("quote", "new", "ACME", "--valid-days", "soon")
    assert result.exit_code == 2 and "--valid-days" in result.stderr


# --- add-line --------------------------------------------------------------


def test_add_line_prices_and_never_touches_stock(quoted, human):
    doc = quoted.ok("quote", "show", "Q-00001", env=JAN1)
    desk, install = doc["lines"]
    assert LINE_KEYS <= desk.keys()
    expected = {
        "sku": "DESK-OAK",
        "description": "Oak desk, 160 × 80 cm",
        "qty": "4",
        "unit_price": "489.00",
        "discount_pct": "5",
        "tax_rate": "19",
        "net": "1858.20",
        "tax": "353.06",
        "total": "2211.26",
    }
    assert {k: desk[k] for k in expected} == expected
    expected = {
        "qty": "2.5",
        "net": "162.50",
        "tax": "30.88",
        "total": "193.38",
    }
    assert {k: install[k] for k in expected} == expected
    assert (doc["subtotal"], doc["tax"], doc["total"]) == ("2020.70", "383.94", "2404.64")
    desk_stock = quoted.ok("product", "show", "DESK-OAK")
    assert (desk_stock["on_hand"], desk_stock["reserved"], desk_stock["available"]) == (
        "12",
        "0",
        "12",
    )
    out = human("quote", "add-line", "Q-00001", "LAMP-LED", "1", "--price", "40", env=JAN1)
    assert "LAMP-LED" in out and "40.00" in out


def test_add_line_with_price_and_percent_discount(shop):
    shop.ok("quote", "new", "ACME")
    doc = shop.ok(
        "quote", "add-line", "Q-00001", "CHAIR-ERGO", "3", "--price", "300", "--discount", "10%"
    )
    line = doc["lines"][0]
    assert (line["unit_price"], line["discount_pct"], line["net"], line["tax"]) == (
        "300.00",
        "10",
        "810.00",
        "153.90",
    )


def test_add_line_to_sent_quote_is_refused_revise_it_first(quoted, unchanged):
    # A sent quote is what the customer holds: no longer put back to draft in place.
    assert quoted.ok("quote", "send", "Q-00001", env=JAN1)["status"] == "sent"
    with unchanged():
        assert quoted.fails("quote", "add-line", "Q-00001", "LAMP-LED", "1", env=JAN1) == (
            "error: Q-00001 is sent: revise it first (`ordercli quote revise Q-00001`)"
        )
    doc = quoted.ok("quote", "show", "Q-00001", env=JAN1)
    assert (doc["status"], len(doc["lines"])) == ("sent", 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["DESK-OAK", "--", "-1"], "quantity '-1' must be greater than zero"),
        (["DESK-OAK", "0"], "quantity '0' must be greater than zero"),
        (["DESK-OAK", "two"], "quantity 'two' is not a number"),
        (["DESK-OAK", "1.2345"], "quantity '1.2345' has more than 3 decimal places"),
        (["DESK-OAK", "1e400"], "quantity '1e400' is too large"),
        (["DESK-OAK", ""], "quantity is empty"),
        (["DESK-OAK", "1", "--price", "0.001"], "price '0.001' has more than 2 decimal places"),
        (["DESK-OAK", "1", "--discount", "120"], "discount '120' must be between 0 and 100"),
        (["NOPE", "1"], "no product 'NOPE'"),
        (["", "1"], "SKU is empty"),
    ],
)
def test_add_line_bad_input(quoted, unchanged, args, message):
    with unchanged():
        assert quoted.fails("quote", "add-line", "Q-00001", *args, env=JAN1) == f"error: {message}"


def test_add_line_to_unknown_or_closed_quote(quoted, unchanged):
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    with unchanged():
        assert quoted.fails("quote", "add-line", "Q-00009", "DESK-OAK", "1") == (
            "error: no quote 'Q-00009'"
        )
        assert quoted.fails("quote", "add-line", "Q-00001", "DESK-OAK", "1", env=JAN1) == (
            "error: cannot add a line to Q-00001: it is accepted"
        )


def test_add_line_to_expired_quote(quoted, unchanged):
    with unchanged():
        assert quoted.fails(
            "quote", "add-line", "Q-00001", "DESK-OAK", "1", env=on("2027-01-16")
        ) == ("error: cannot add a line to Q-00001: it expired on 2027-01-15")


# --- send ------------------------------------------------------------------


def test_send_quote(quoted, human):
    doc = quoted.ok("quote", "send", "Q-00001", env=JAN1)
    assert (doc["number"], doc["status"], doc["total"]) == ("Q-00001", "sent", "2404.64")
    quoted.ok("quote", "new", "ACME", env=JAN1)
    quoted.ok("quote", "add-line", "Q-00002", "LAMP-LED", "1", env=JAN1)
    out = human("quote", "send", "Q-00002", env=JAN1)
    assert "Quote Q-00002" in out and "sent" in out


def test_send_refused(quoted, unchanged):
    quoted.ok("quote", "new", "ACME", env=JAN1)
    with unchanged():
        assert quoted.fails("quote", "send", "Q-00002", env=JAN1) == (
            "error: cannot send Q-00002: it has no lines"
        )
        assert quoted.fails("quote", "send", "Q-00001", env=on("2027-02-01")) == (
            "error: cannot send Q-00001: it expired on 2027-01-15"
        )
        assert quoted.fails("quote", "send", "") == "error: quote number is empty"


# --- accept ----------------------------------------------------------------


def test_accept_on_the_last_valid_day(quoted, human):
    quoted.ok("quote", "send", "Q-00001", env=JAN1)
    doc = quoted.ok("quote", "accept", "Q-00001", env=on("2027-01-15"))
    assert doc["status"] == "accepted"
    quoted.ok("quote", "new", "ACME", "--valid-days", "0", env=JAN1)
    quoted.ok("quote", "add-line", "Q-00002", "LAMP-LED", "1", env=JAN1)
    out = human("quote", "accept", "Q-00002", env=JAN1)
    assert "accepted" in out and "Q-00002" in out


def test_accept_expired_quote_is_refused(quoted, unchanged):
    quoted.ok("quote", "send", "Q-00001", env=JAN1)
    assert quoted.ok("quote", "show", "Q-00001", env=on("2027-01-16"))["status"] == "expired"
    with unchanged():
        assert quoted.fails("quote", "accept", "Q-00001", env=on("2027-01-16")) == (
            "error: cannot accept Q-00001: it expired on 2027-01-15"
        )


def test_accept_refused_in_wrong_states(quoted, unchanged):
    quoted.ok("quote", "new", "ACME", env=JAN1)
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    with unchanged():
        assert quoted.fails("quote", "accept", "Q-00002", env=JAN1) == (
            "error: cannot accept Q-00002: it has no lines"
        )
        assert quoted.fails("quote", "accept", "Q-00001", env=JAN1) == (
            "error: cannot accept Q-00001: it is accepted"
        )
        assert quoted.fails("quote", "accept", "Q-404") == "error: no quote 'Q-404'"


# --- reject ----------------------------------------------------------------


def test_reject_with_reason_keeps_it_in_the_thread(quoted, human):
    doc = quoted.ok("quote", "reject", "Q-00001", "--reason", "went elsewhere — 安い", env=JAN1)
    assert doc["status"] == "rejected"
    assert [(n["author"], n["text"]) for n in doc["notes"]] == [("buyer", "went elsewhere — 安い")]
    quoted.ok("quote", "new", "ACME", env=JAN1)
    out = human("quote", "reject", "Q-00002", env=JAN1)
    assert "rejected" in out


def test_expired_quote_can_still_be_rejected(quoted):
    doc = quoted.ok("quote", "reject", "Q-00001", env=on("2027-03-01"))
    assert doc["status"] == "rejected"


def test_reject_refused(quoted, unchanged):
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    quoted.ok("quote", "new", "ACME", env=JAN1)
    quoted.ok("quote", "reject", "Q-00002", env=JAN1)
    with unchanged():
        assert quoted.fails("quote", "reject", "Q-00001", env=JAN1) == (
            "error: cannot reject Q-00001: it is accepted"
        )
        assert quoted.fails("quote", "reject", "Q-00002", env=JAN1) == (
            "error: cannot reject Q-00002: it is rejected"
        )
        assert quoted.fails("quote", "accept", "Q-00002", env=JAN1) == (
            "error: cannot accept Q-00002: it is rejected"
        )


# --- note ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Can you do 5% off?", "東京の倉庫へ納品", "<b>bold</b> & [red]x[/red] [/]", "line1\nline2"],
)
def test_note_round_trips_and_shows(quoted, human, text):
    doc = quoted.ok("quote", "note", "Q-00001", text, "--from", "buyer", env=JAN1)
    assert doc["notes"][-1]["text"] == text
    assert doc["notes"][-1]["author"] == "buyer"
    assert doc["notes"][-1]["user"]
    assert quoted.ok("quote", "show", "Q-00001", env=JAN1)["notes"][-1]["text"] == text
    out = human("quote", "show", "Q-00001", env=JAN1)
    assert "Notes" in out and text.splitlines()[0] in out


def test_note_default_author_and_on_a_closed_quote(quoted):
    quoted.ok("quote", "reject", "Q-00001", env=JAN1)
    doc = quoted.ok("quote", "note", "Q-00001", "We will try again next year", env=JAN1)
    assert doc["notes"][-1]["author"] == "seller"
    assert doc["status"] == "rejected"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Q-00001", ""], "note must not be empty"),
        (["Q-00001", "   "], "note must not be empty"),
        (["Q-00001", "hi", "--from", "boss"], "note author 'boss' must be seller or buyer"),
        (["Q-00001", "x" * 5001], "note is longer than 5000 characters"),
        (["Q-00099", "hello"], "no quote 'Q-00099'"),
    ],
)
def test_note_refused(quoted, unchanged, args, message):
    with unchanged():
        assert quoted.fails("quote", "note", *args) == f"error: {message}"


# --- convert ---------------------------------------------------------------


def test_convert_copies_lines_and_prices_once(quoted, unchanged, human):
    quoted.ok("quote", "send", "Q-00001", env=JAN1)
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    quoted.ok("product", "edit", "DESK-OAK", "--price", "999")
    order = quoted.ok("quote", "convert", "Q-00001", env=on("2027-02-01"))
    expected = {
        "number": "SO-00001",
        "customer": "BRIGHT",
        "status": "draft",
        "quote": "Q-00001",
        "billing_status": "not_invoiced",
        "fulfilment_status": "not_shipped",
        "order_date": "2027-02-01",
        "subtotal": "2020.70",
        "tax": "383.94",
        "total": "2404.64",
    }
    assert {k: order[k] for k in expected} == expected
    quote = quoted.ok("quote", "show", "Q-00001")
    strip = ("qty_invoiced", "qty_shipped", "qty_credited", "qty_returned")
    assert [{k: v for k, v in line.items() if k in LINE_KEYS} for line in order["lines"]] == [
        {k: v for k, v in line.items() if k in LINE_KEYS} for line in quote["lines"]
    ]
    assert all(line[k] == "0" for line in order["lines"] for k in strip)
    assert order["lines"][0]["unit_price"] == "489.00"
    assert (quote["status"], quote["order"]) == ("converted", "SO-00001")
    # a converted quote's draft order reserves nothing yet
    assert quoted.ok("product", "show", "DESK-OAK")["reserved"] == "0"
    with unchanged():
        assert quoted.fails("quote", "convert", "Q-00001") == (
            "error: cannot convert Q-00001: already converted to SO-00001"
        )
        assert quoted.fails("quote", "add-line", "Q-00001", "LAMP-LED", "1") == (
            "error: cannot add a line to Q-00001: it is converted"
        )
        assert quoted.fails("quote", "reject", "Q-00001") == (
            "error: cannot reject Q-00001: it is converted"
        )
    out = human("order", "show", "SO-00001")
    assert "Quote" in out and "Q-00001" in out


def test_convert_shows_the_order(quoted, human):
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    out = human("quote", "convert", "Q-00001", env=JAN1)
    assert "Order SO-00001" in out and "Q-00001" in out and "DESK-OAK" in out


def test_accepted_quote_converts_even_after_its_validity(quoted):
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    assert quoted.ok("quote", "convert", "Q-00001", env=on("2027-06-01"))["quote"] == "Q-00001"


@pytest.mark.parametrize("state", ["draft", "sent", "rejected", "expired"])
def test_convert_needs_an_accepted_quote(quoted, unchanged, state):
    env = JAN1
    if state == "sent":
        quoted.ok("quote", "send", "Q-00001", env=JAN1)
    elif state == "rejected":
        quoted.ok("quote", "reject", "Q-00001", env=JAN1)
    elif state == "expired":
        env = on("2027-01-20")
    with unchanged():
        assert quoted.fails("quote", "convert", "Q-00001", env=env) == (
            f"error: cannot convert Q-00001: it is {state}, not accepted"
        )
    assert quoted.ok("order", "list") == []


def test_convert_for_a_customer_deactivated_since(quoted, unchanged):
    quoted.ok("quote", "accept", "Q-00001", env=JAN1)
    quoted.ok("customer", "deactivate", "BRIGHT")
    with unchanged():
        assert quoted.fails("quote", "convert", "Q-00001") == (
            "error: customer BRIGHT is inactive and gets no new orders"
        )


# --- show ------------------------------------------------------------------


def test_show_quote(quoted, human):
    quoted.ok("quote", "note", "Q-00001", "Please confirm by Friday", env=JAN1)
    doc = quoted.ok("quote", "show", "q-00001", env=JAN1)
    assert QUOTE_KEYS <= doc.keys()
    assert (doc["number"], doc["status"], len(doc["lines"]), len(doc["notes"])) == (
        "Q-00001",
        "draft",
        2,
        1,
    )
    out = human("quote", "show", "Q-00001", env=JAN1)
    for fact in ("Quote Q-00001", "BRIGHT", "2404.64", "DESK-OAK", "INSTALL", "Please confirm"):
        assert fact in out


def test_show_unknown_quote(shop, unchanged):
    with unchanged():
        assert shop.fails("quote", "show", "Q-00001") == "error: no quote 'Q-00001'"
        assert shop.fails("quote", "show", " ") == "error: quote number is empty"


# --- list ------------------------------------------------------------------


def build_quotes(cli) -> None:
    cli.ok("quote", "new", "ACME", "--valid-days", "10", env=JAN1)
    cli.ok("quote", "add-line", "Q-00001", "LAMP-LED", "1", env=JAN1)
    cli.ok("quote", "new", "BRIGHT", env=on("2027-01-10"))
    cli.ok("quote", "add-line", "Q-00002", "LAMP-LED", "2", env=on("2027-01-10"))
    cli.ok("quote", "send", "Q-00002", env=on("2027-01-10"))
    cli.ok("quote", "new", "ACME", env=on("2027-02-01"))
    cli.ok("quote", "add-line", "Q-00003", "LAMP-LED", "3", env=on("2027-02-01"))
    cli.ok("quote", "accept", "Q-00003", env=on("2027-02-01"))


@pytest.fixture
def quotes(shop, ledger_state):
    """Q-00001 ACME draft (Jan 1), Q-00002 BRIGHT sent (Jan 10), Q-00003 ACME accepted (Feb 1)."""
    ledger_state("quote-list", build_quotes)
    return shop


def numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_list_quotes_newest_first(quotes, human):
    rows = quotes.ok("quote", "list", env=on("2027-01-05"))
    assert numbers(rows) == ["Q-00003", "Q-00002", "Q-00001"]
    assert all(QUOTE_KEYS <= row.keys() for row in rows)
    assert rows[2]["lines"][0]["sku"] == "LAMP-LED"
    out = human("quote", "list", env=on("2027-01-05"))
    assert "Quotes" in out and "Q-00003" in out and "accepted" in out


def test_list_quotes_by_status(quotes):
    day = on("2027-01-05")
    assert numbers(quotes.ok("quote", "list", "--status", "draft", env=day)) == ["Q-00001"]
    assert numbers(quotes.ok("quote", "list", "--status", "SENT", env=day)) == ["Q-00002"]
    assert numbers(quotes.ok("quote", "list", "--status", "accepted", env=day)) == ["Q-00003"]
    assert quotes.ok("quote", "list", "--status", "expired", env=day) == []
    later = on("2027-01-20")
    assert numbers(quotes.ok("quote", "list", "--status", "expired", env=later)) == ["Q-00001"]
    assert quotes.ok("quote", "list", "--status", "draft", env=later) == []
    expired = quotes.ok("quote", "list", "--status", "expired", env=later)[0]
    assert expired["status"] == "expired"


def test_list_quotes_by_customer_dates_and_limit(quotes):
    day = on("2027-01-05")
    assert numbers(quotes.ok("quote", "list", "--customer", "ACME", env=day)) == [
        "Q-00003",
        "Q-00001",
    ]
    assert numbers(
        quotes.ok("quote", "list", "--from", "2027-01-02", "--to", "2027-01-31", env=day)
    ) == ["Q-00002"]
    assert numbers(quotes.ok("quote", "list", "--from", "2027-01-10", env=day)) == [
        "Q-00003",
        "Q-00002",
    ]
    assert numbers(quotes.ok("quote", "list", "--to", "2027-01-01", env=day)) == ["Q-00001"]
    assert numbers(quotes.ok("quote", "list", "--limit", "1", env=day)) == ["Q-00003"]
    assert len(quotes.ok("quote", "list", "--all", env=day)) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--status", "won"],
            "unknown quote status 'won' "
            "(one of draft, sent, accepted, rejected, converted, revised, expired)",
        ),
        (["--customer", "NOPE"], "no customer 'NOPE'"),
        (
            ["--from", "2027-02-01", "--to", "2027-01-01"],
            "--from 2027-02-01 is after --to 2027-01-01",
        ),
        (["--from", "01/02/2027"], "--from '01/02/2027' is not a date (use YYYY-MM-DD)"),
        (["--limit", "0"], "--limit 0 must be at least 1"),
    ],
)
def test_list_quotes_bad_filters(quotes, unchanged, args, message):
    with unchanged():
        assert quotes.fails("quote", "list", *args) == f"error: {message}"
