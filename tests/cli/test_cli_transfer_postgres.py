"""Imports and exports on PostgreSQL, through the command line (skipped without
``ORDERCLI_TEST_PG_URL``): the same files, the same checks as on SQLite."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from test_cli_export import (
    BEAN_CHECK,
    HLEDGER,
    bean_check,
    beancount_balances,
    check_hledger,
    hledger_balances,
    trial_balances,
)

from ordercli.io.demo import sample_data_dir

pytestmark = pytest.mark.postgres

KINDS = ("invoices", "invoice-lines", "payments", "credit-memos", "orders", "journal")


def test_import_then_export_everything_on_postgres(pg_engine, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERCLI_TODAY", "2026-11-22")
    pg = type(cli)(os.environ["ORDERCLI_TEST_PG_URL"])
    for kind in ("customers", "products", "orders"):
        result = pg.ok("import", kind, str(sample_data_dir() / f"{kind}.csv"))
        assert result["errors"] == []
    assert pg.ok("import", "orders", str(sample_data_dir() / "orders.csv"))["created"] == 0
    pg.ok("invoice", "create", "--all")
    pg.ok("payment", "record", "STUDIO", "500.00", "--reference", "PG-1")
    pg.ok("credit-memo", "create", "INV-00001", "--amount", "10.00")
    for kind in KINDS:
        rows = list(csv.DictReader(io.StringIO(pg.run("export", kind).stdout)))
        assert rows, kind
        lines = pg.run("export", kind, "--format", "jsonl").stdout.splitlines()
        assert len(lines) == len(rows) and json.loads(lines[0])
    invoices = {
        r["number"]: r for r in csv.DictReader(io.StringIO(pg.run("export", "invoices").stdout))
    }
    assert invoices["INV-00001"]["total"] == pg.ok("invoice", "show", "INV-00001")["total"]
    assert pg.ok("check")["ok"] is True
    if HLEDGER and BEAN_CHECK:
        journal, beancount = tmp_path / "pg.journal", tmp_path / "pg.beancount"
        assert pg.run("export", "journal", "-o", str(journal)).exit_code == 0
        assert pg.run("export", "journal", "-o", str(beancount)).exit_code == 0
        check_hledger(journal)
        bean_check(beancount)
        assert hledger_balances(journal) == trial_balances(pg) == beancount_balances(beancount)
