"""`ordercli collections …` end to end: levels, the worklist, dry run, run and send (to a
real SMTP server on loopback), letters written once, level skipping, credit holds."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from smtp_server import SmtpTestServer

SEP1 = {"ORDERCLI_TODAY": "2026-09-01"}
NOV10 = {"ORDERCLI_TODAY": "2026-11-10"}
NOV11 = {"ORDERCLI_TODAY": "2026-11-11"}
OCT8 = {"ORDERCLI_TODAY": "2026-10-08"}
USUAL = (
    ("--set", "1", "--days", "7", "--name", "Reminder"),
    ("--set", "2", "--days", "21", "--name", "Second reminder", "--fee", "5"),
    (
        "--set",
        "3",
        "--days",
        "35",
        "--name",
        "Final notice",
        "--fee",
        "10",
        "--interest",
        "8",
        "--credit-hold",
    ),
)


def build_overdue(cli) -> None:
    """ACME: INV-00001 (4 × DESK-OAK + 2.5 h INSTALL = 2521.02), due 2026-10-01; NOMAIL
    (no email address): INV-00002 (1 × INSTALL = 77.35), due on 2026-09-01; the
    company can send email."""
    cli.ok("order", "new", "ACME", env=SEP1)
    cli.ok("order", "add-line", "SO-00001", "DESK-OAK", "4", env=SEP1)
    cli.ok("order", "add-line", "SO-00001", "INSTALL", "2.5", env=SEP1)
    cli.ok("order", "confirm", "SO-00001", "--override-credit", "test", env=SEP1)
    cli.ok("invoice", "create", "SO-00001", env=SEP1)
    cli.ok("customer", "add", "No Mail Ltd", "--code", "NOMAIL", "--terms", "0", env=SEP1)
    cli.ok("order", "new", "NOMAIL", env=SEP1)
    cli.ok("order", "add-line", "SO-00002", "INSTALL", "1", env=SEP1)
    cli.ok("order", "confirm", "SO-00002", env=SEP1)
    cli.ok("invoice", "create", "SO-00002", env=SEP1)
    cli.ok("company", "set", "--name", "Nordwind GmbH", "--email-from", "billing@nordwind.example")
    cli.ok(
        "company", "set", "--bank-details", "IBAN DE89 3704 0044 0532 0130 00", "--locale", "en_US"
    )


@pytest.fixture
def overdue(shop, ledger_state, tmp_path, monkeypatch):
    ledger_state("dunning-overdue", build_overdue)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ORDERCLI_SMTP_PASSWORD", raising=False)
    return shop


@pytest.fixture
def levels(overdue):
    for args in USUAL:
        overdue.ok("collections", "levels", *args)
    return overdue


@pytest.fixture
def smtp(tmp_path, levels):
    with SmtpTestServer(tmp_path) as server:
        levels.ok("company", "set", "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port))
        levels.ok("company", "set", "--no-smtp-starttls")
        yield server


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_levels_listed_set_and_refused(overdue, unchanged):
    assert overdue.ok("collections", "levels") == []
    for args in USUAL:
        overdue.ok("collections", "levels", *args)
    rows = overdue.ok("collections", "levels")
    assert rows[2] == {
        "level": 3,
        "name": "Final notice",
        "days": 35,
        "fee": "10.00",
        "interest_pct": "8",
        "credit_hold": True,
        "template": None,
    }
    with unchanged():
        line = overdue.fails("collections", "levels", "--set", "4", "--days", "30", "--name", "X")
        assert line == (
            "error: level 4 at 30 days would not come after level 3 at 35 days: a higher "
            "level needs more days"
        )
        assert overdue.fails("collections", "levels", "--days", "9") == (
            "error: --days, --name, --fee, --interest, --credit-hold and --template go with "
            "--set LEVEL"
        )
        assert overdue.fails("collections", "levels", "--set", "1", "--remove", "1") == (
            "error: give --set or --remove, not both"
        )
        assert overdue.fails("collections", "levels", "--set", "1", "--fee", "-2") == (
            "error: --fee '-2' must not be negative"
        )
        assert overdue.fails("collections", "levels", "--set", "1", "--interest", "abc").startswith(
            "error: --interest 'abc'"
        )
        assert overdue.fails("collections", "levels", "--remove", "7") == (
            "error: no dunning level 7"
        )
    rows = overdue.ok("collections", "levels", "--set", "2", "--no-credit-hold", "--fee", "0")
    assert rows[1]["fee"] == "0.00"
    assert [r["level"] for r in overdue.ok("collections", "levels", "--remove", "2")] == [1, 3]


def test_a_run_without_levels_says_how_to_set_them(overdue, unchanged):
    with unchanged():
        result = overdue.run("collections", "run", env=NOV10)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: no dunning levels are set",
        "hint: set the usual three: ordercli collections levels --set 1 --days 7 --name "
        'Reminder; ordercli collections levels --set 2 --days 21 --name "Second reminder" '
        '--fee 5; ordercli collections levels --set 3 --days 35 --name "Final notice" '
        "--fee 10 --interest 8 --credit-hold",
    ]


def test_worklist(levels, human):
    report = levels.ok("collections", "list", env=NOV10)
    assert [
        (c["customer"], c["overdue"], c["days_overdue"], c["next_step"])
        for c in report["customers"]
    ] == [
        ("NOMAIL", "77.35", 70, "level 3 (Final notice) now"),
        ("ACME", "2521.02", 40, "level 3 (Final notice) now"),
    ]
    assert report["totals"] == {"customers": 2, "overdue": "2598.37", "open": "2598.37"}
    earlier = levels.ok("collections", "list", "--as-of", "2026-10-05", "--customer", "ACME")
    assert [(c["customer"], c["next_step"]) for c in earlier["customers"]] == [
        ("ACME", "level 1 (Reminder) on 2026-10-08")
    ]
    text = human("collections", "list", env=NOV10)
    assert "Collections worklist at 2026-11-10" in text and "2 customer(s)" in text
    assert levels.fails("collections", "list", "--as-of", "2027-01-01", env=NOV10) == (
        "error: --as-of 2027-01-01 is in the future (today is 2026-11-10)"
    )
    assert levels.fails("collections", "list", "--customer", "NOBODY").startswith(
        "error: no customer"
    )


def test_dry_run_then_run_then_send_letters_once(smtp, levels, unchanged, tmp_path, human):
    with unchanged():
        plan = levels.ok("collections", "run", "--dry-run", env=NOV10)
    assert plan["dry_run"] is True and plan["letters"] == []
    assert [
        (n["number"], n["customer"], n["level"], n["credit_hold"]) for n in plan["notices"]
    ] == [
        (None, "ACME", 3, "would put on credit hold"),
        (None, "NOMAIL", 3, "would put on credit hold"),
    ]
    assert list(tmp_path.glob("*.pdf")) == []
    # The real run: notices, charge invoices, holds and letters; nothing emailed.
    done = levels.ok("collections", "run", "-o", "letters", env=NOV10)
    acme = done["notices"][0]
    # 2521.02 × 8 % × 40 / 365 = 22.10
    assert (acme["number"], acme["fee"], acme["interest"], acme["charge_invoice"]) == (
        "DUN-00001",
        "10.00",
        "22.10",
        "INV-00003",
    )
    assert acme["credit_hold"] == "Final notice DUN-00001 of 2026-11-10 (level 3)"
    assert sorted(Path(p).name for p in done["letters"]) == ["DUN-00001.pdf", "DUN-00002.pdf"]
    text = pdf_text((tmp_path / "letters" / "DUN-00001.pdf").read_bytes())
    for expected in ("Final notice", "INV-00001", "INV-00003", "2,553.12", "IBAN DE89"):
        assert expected in text
    assert done["emailed"] == [] and smtp.received == []
    stamp = (tmp_path / "letters" / "DUN-00001.pdf").stat().st_mtime_ns
    # --send the same day: nothing new is recorded; the day's notices go out by email.
    sent = levels.ok("collections", "run", "--send", "-o", "letters", env=NOV10)
    assert sent["notices"] == [] and sent["letters"] == []
    assert [(m["notice"], m["to"]) for m in sent["emailed"]] == [
        ("DUN-00001", "ap@acme-office.example")
    ]
    assert [(m["notice"], m["customer"]) for m in sent["not_emailed"]] == [("DUN-00002", "NOMAIL")]
    assert "has no email address" in sent["not_emailed"][0]["reason"]
    [message] = smtp.messages
    assert message["Subject"] == "Final notice DUN-00001 from Nordwind GmbH"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "DUN-00001.pdf"
    assert "Amount to pay:" in message.get_body(("plain",)).get_content()
    assert (tmp_path / "letters" / "DUN-00001.pdf").stat().st_mtime_ns == stamp
    # Again: nothing twice.
    result = levels.run("collections", "run", "--send", env=NOV11)
    assert result.exit_code == 0
    again = result.stdout + result.stderr
    assert "no notices due" in again and len(smtp.received) == 1
    assert "not emailed DUN-00002" not in again  # another day: the day's notices only
    assert levels.ok("check")["ok"]


def test_send_records_sent_to_and_the_timeline(smtp, levels, engine):
    from sqlmodel import select

    from ordercli.db.engine import unit_of_work
    from ordercli.models import DunningNotice

    levels.ok("collections", "run", "--send", "--customer", "ACME", env=NOV10)
    with unit_of_work(engine, write=False) as session:
        notice = session.exec(select(DunningNotice)).one()
    assert notice.sent_to == "ap@acme-office.example" and notice.sent_at is not None
    actions = [e["action"] for e in levels.ok("order", "timeline", "SO-00001")]
    assert "issued" in actions


def test_a_refused_recipient_leaves_the_notice_unsent_until_the_next_send(smtp, levels, tmp_path):
    smtp.refuse.add("ap@acme-office.example")
    result = levels.run("collections", "run", "--send", "--customer", "ACME", env=NOV10)
    assert result.exit_code == 1
    first, hint = result.stderr.splitlines()
    assert first.startswith(
        "error: DUN-00001 to ACME was not sent (1 not sent; notices and 1 letter(s) are "
        "recorded): cannot send through 127.0.0.1:"
    )
    assert hint == "hint: send the rest with: ordercli collections run --send --date 2026-11-10"
    assert (tmp_path / "DUN-00001.pdf").exists()
    smtp.refuse.clear()
    again = levels.ok("collections", "run", "--send", "--customer", "ACME", env=NOV10)
    assert [m["notice"] for m in again["emailed"]] == ["DUN-00001"]
    assert len(smtp.received) == 1


def test_send_needs_a_mail_server_and_refuses_before_anything(levels, unchanged):
    with unchanged():
        line = levels.fails("collections", "run", "--send", env=NOV10)
    assert line.startswith("error: no mail server is set")
    assert levels.fails("collections", "run", "--dry-run", "--send") == (
        "error: --dry-run writes and sends nothing: give --send without it"
    )
    assert levels.fails("collections", "run", "--dry-run", "-o", "x") == (
        "error: -o names where letters go; a dry run writes none"
    )


def test_levels_are_not_walked_one_by_one(levels):
    """ACME's invoice is 40 days overdue and never reminded: the final notice at once,
    and the reminder it skipped is never sent afterwards."""
    [notice] = levels.ok("collections", "run", "--customer", "ACME", env=NOV10)["notices"]
    assert (notice["level"], [i["level"] for i in notice["items"]]) == (3, [3])
    assert levels.ok("collections", "run", "--customer", "ACME", env=NOV11)["notices"] == []


def test_one_level_at_a_time_when_run_daily(levels):
    first = levels.ok("collections", "run", "--customer", "ACME", env=OCT8)["notices"]
    assert [(n["number"], n["level"], n["charge_invoice"]) for n in first] == [
        ("DUN-00001", 1, None)
    ]
    assert levels.ok("collections", "run", "--customer", "ACME", env=OCT8)["notices"] == []
    later = levels.ok("collections", "list", "--customer", "ACME", env=OCT8)["customers"]
    assert later[0]["next_step"] == "level 2 (Second reminder) on 2026-10-22"
    assert later[0]["last_notice"] == {"number": "DUN-00001", "level": 1, "date": "2026-10-08"}


def test_credit_hold_blocks_confirming_until_override_or_release(levels, unchanged):
    levels.ok("collections", "run", "--customer", "ACME", env=NOV10)
    assert levels.ok("customer", "show", "ACME")["credit_hold"] == (
        "Final notice DUN-00001 of 2026-11-10 (level 3)"
    )
    levels.ok("order", "new", "ACME", env=NOV10)
    levels.ok("order", "add-line", "SO-00003", "INSTALL", "1", env=NOV10)
    with unchanged():
        result = levels.run("order", "confirm", "SO-00003", env=NOV10)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: cannot confirm SO-00003: customer ACME is on credit hold: Final notice "
        "DUN-00001 of 2026-11-10 (level 3)",
        "hint: --override-credit REASON confirms it anyway (logged); `ordercli collections "
        "release ACME --reason …` lifts the hold",
    ]
    confirmed = levels.ok(
        "order", "confirm", "SO-00003", "--override-credit", "prepaid by card", env=NOV10
    )
    assert confirmed["status"] == "confirmed"
    overrides = [
        e["message"]
        for e in levels.ok("order", "timeline", "SO-00003")
        if e["action"] == "credit_override"
    ]
    assert overrides and "reason: prepaid by card" in overrides[0]
    released = levels.ok("collections", "release", "ACME", "--reason", "paid in full")
    assert released == {"customer": "ACME", "credit_hold": None}
    assert levels.ok("customer", "show", "ACME")["credit_hold"] is None
    with unchanged():
        assert levels.fails("collections", "release", "ACME", "--reason", "again") == (
            "error: customer ACME is not on credit hold"
        )
        assert levels.fails("collections", "release", "ACME", "--reason", "") == (
            "error: --reason must not be empty"
        )
    levels.ok("order", "new", "ACME", env=NOV10)
    levels.ok("order", "add-line", "SO-00004", "INSTALL", "1", env=NOV10)
    levels.ok("order", "confirm", "SO-00004", env=NOV10)
    assert levels.ok("check")["ok"]


def test_a_letter_is_written_again_and_a_user_template_is_used(levels, tmp_path, human):
    levels.ok("collections", "run", "--customer", "ACME", env=NOV10)
    doc = levels.ok("collections", "letter", "dun-00001", "-o", "again.html", "--html")
    assert doc["document"] == "DUN-00001" and doc["format"] == "html"
    html = (tmp_path / "again.html").read_text()
    assert "Final notice" in html and "INV-00001" in html
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "final.html").write_text(
        "<p>{{ notice.level_name }} for {{ customer.name }}: {{ notice.to_pay | money }}</p>"
    )
    levels.ok("collections", "levels", "--set", "3", "--template", "final.html")
    levels.ok(
        "collections",
        "letter",
        "DUN-00001",
        "--html",
        "-o",
        "own.html",
        "--template-dir",
        str(mine),
    )
    assert (tmp_path / "own.html").read_text() == (
        "<p>Final notice for Acme Office Supplies Ltd: €2,553.12</p>"
    )
    assert levels.fails("collections", "letter", "DUN-00001", "-o", "x.pdf").startswith(
        "error: template final.html not found"
    )
    assert (
        levels.fails("collections", "letter", "DUN-09999") == "error: no dunning notice DUN-09999"
    )
    assert "wrote" in human(
        "collections", "letter", "DUN-00001", "--template-dir", str(mine), "--html"
    )


def test_a_missing_template_refuses_the_whole_run(levels, unchanged, tmp_path):
    levels.ok("collections", "levels", "--set", "3", "--template", "nowhere.html")
    with unchanged():
        line = levels.fails("collections", "run", env=NOV10)
    assert line.startswith("error: template nowhere.html not found")
    assert list(tmp_path.glob("*.pdf")) == []


def test_human_run_output(levels, human):
    text = human("collections", "run", "--dry-run", env=NOV10)
    assert "Collections run 2026-11-10 (dry run: nothing written)" in text
    text = human("collections", "run", env=NOV10)
    assert "DUN-00001" in text and "wrote 2 letter(s) into ." in text
