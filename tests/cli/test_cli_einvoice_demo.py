"""The issue's "done when": the demo ledger's every invoice and credit memo exports in
every e-invoice format, and every file passes `ordercli einvoice validate`."""

from __future__ import annotations

import json

import pytest

from ordercli.domain.einvoice import FORMATS, PDF_FORMATS
from ordercli.einvoice.validation import validate_file


@pytest.mark.sqlite_only("runs the demo's SQLite ledger")
def test_every_demo_document_exports_in_every_format_and_validates(cli, cli_at, tmp_path):
    target = tmp_path / "demo.db"
    assert cli.run("demo", "--path", str(target)).exit_code == 0
    demo = cli_at(target)
    # The demo gives the company and BRIGHT their e-invoice data; ACME (in the UK) gets
    # its address, a buyer reference and a Peppol participant id here.
    demo.ok(
        "customer",
        "edit",
        "ACME",
        "--street",
        "12 Harbour Road",
        "--postcode",
        "BS1 4QA",
        "--city",
        "Bristol",
        "--country",
        "GB",
        "--buyer-reference",
        "ACME-AP-7",
        "--endpoint",
        "0088:5012345000009",
    )
    invoices = {i["number"] for i in demo.ok("invoice", "list", "--all")}
    memos = {m["number"] for m in demo.ok("credit-memo", "list", "--all")}
    assert invoices and memos
    for fmt in FORMATS:
        folder = tmp_path / fmt
        for noun, numbers in (("invoice", invoices), ("credit-memo", memos)):
            result = demo.run(noun, "einvoice", "--all", "-o", str(folder), "-f", fmt, "--json")
            assert result.exit_code == 0, (fmt, noun, result.stderr)
            written = json.loads(result.stdout)
            assert {entry["number"] for entry in written["files"]} == numbers
        suffix = ".pdf" if fmt in PDF_FORMATS else ".xml"
        files = sorted(folder.iterdir())
        assert len(files) == len(invoices) + len(memos)
        assert all(path.suffix == suffix for path in files)
        checked = demo.run("einvoice", "validate", *map(str, files), "--json")
        assert checked.exit_code == 0, checked.stdout
        reports = json.loads(checked.stdout)
        assert all(report["valid"] for report in reports)
        # In process too: the same verdict, with the rule sets the format claims.
        for path in files:
            report = validate_file(path)
            assert report.ok, (path.name, report.failures)
            if fmt.startswith("xrechnung"):
                assert "XRechnung 3.0" in report.rule_sets
