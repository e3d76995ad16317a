"""`ordercli import customers|products|orders FILE [--dry-run] [--format] [--json]`, end to end.

Files are written into ``tmp_path``; the ledger is the sample one (``shop``). "Today"
is fixed with ``ORDERCLI_TODAY`` so order dates can be checked against it.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

TODAY = {"ORDERCLI_TODAY": "2026-06-15"}
ORDER_HEADER = "order_ref,customer_code,order_date,sku,qty,unit_price,discount_pct,tax_rate,confirm"
IMPORT_KEYS = {"file", "created", "updated", "skipped", "errors"}
ORDER_IMPORT_KEYS = IMPORT_KEYS | {"lines_created", "confirmed"}


def write(folder: Path, name: str, body: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    return path


def orders_csv(*rows: str) -> str:
    return "\n".join([ORDER_HEADER, *rows]) + "\n"


def imported(cli, kind: str, path: Path, *extra: str) -> dict:
    """Import with --json, expect success and a clean ledger; return the document."""
    doc = cli.ok("import", kind, str(path), *extra, env=TODAY)
    assert doc["errors"] == []
    assert cli.ok("check")["ok"] is True
    return doc


def refused(cli, kind: str, path: Path, *extra: str):
    """Import that is refused: exit 1, one ``error:`` line, no traceback.

    The bad rows are listed on stdout (like `ordercli check`'s problems); stderr
    starts with the one ``error:`` line.
    Returns (error line, {line: [messages]} from the listing, stdout)."""
    result = cli.run("import", kind, str(path), *extra, env=TODAY)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines()[0].startswith("error: "), result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0], notices_of(result.stdout), result.stdout


def notices_of(stderr: str) -> dict[int, list[str]]:
    """The ``line N: message`` notices, a message wrapped over several lines joined again."""
    notices: dict[int, list[str]] = {}
    current: list[str] | None = None
    for text in stderr.splitlines():
        found = re.match(r"line (\d+): (.*)$", text)
        if found:
            current = notices.setdefault(int(found[1]), [])
            current.append(found[2])
        elif current is not None and not re.match(r"(error|hint|note): ", text):
            current[-1] += " " + text.strip()
        else:
            current = None
    return notices


def net_tax(qty: str, price: str, discount: str, rate: str) -> tuple[str, str]:
    cent = Decimal("0.01")
    raw = Decimal(qty) * Decimal(price) * (1 - Decimal(discount) / 100)
    net = raw.quantize(cent, rounding=ROUND_HALF_UP)
    return str(net), str((net * Decimal(rate) / 100).quantize(cent, rounding=ROUND_HALF_UP))


# --- 1. a file with bad rows: every row listed, one error line, nothing written ---


def test_every_bad_row_is_listed_and_nothing_is_imported(shop, tmp_path, unchanged):
    shop.ok("customer", "deactivate", "SCHOOL")
    shop.ok("product", "edit", "PLANT-FICUS", "--inactive")
    rows = {
        2: "OK1,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
        3: "B1,NOPE,2026-06-01,LAMP-LED,1,49.95,0,,false",
        4: "B2,ACME,2026-06-01,NO-SUCH-SKU,1,49.95,0,,false",
        5: "B3,SCHOOL,2026-06-01,LAMP-LED,1,49.95,0,,false",
        6: "B4,ACME,2026-06-01,PLANT-FICUS,1,59.00,0,,false",
        7: "B5,ACME,2026-06-01,LAMP-LED,-1,49.95,0,,false",
        8: "B6,ACME,2026-06-01,LAMP-LED,0,49.95,0,,false",
        9: "B7,ACME,2026-06-01,LAMP-LED,lots,49.95,0,,false",
        10: "B8,ACME,2026-06-01,LAMP-LED,1.0001,49.95,0,,false",
        11: "B9,ACME,2026-13-01,LAMP-LED,1,49.95,0,,false",
        12: "B10,ACME,yesterday,LAMP-LED,1,49.95,0,,false",
        13: "B11,ACME,2026-06-16,LAMP-LED,1,49.95,0,,false",
        14: "B12,ACME,2026-06-01,,1,49.95,0,,false",
        15: "B13,ACME,2026-06-01,LAMP-LED,1,49.95,120,,false",
        16: "B14,ACME,2026-06-01,LAMP-LED,1,-49.95,0,,false",
        17: "B15,ACME,2026-06-01,LAMP-LED,1e400,49.95,0,,false",
        18: "B16,ACME,2026-06-01,LAMP-LED,1," + "7" * 40 + ",0,,false",
        19: "B17,ACME,2026-06-01,LAMP-LED,1,49.951,0,,false",
        20: "B18,ACME,2026-06-01,LAMP-LED,1,49.95,0,,perhaps",
        21: "B19,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
        22: "B19,BRIGHT,2026-06-01,LAMP-LED,1,49.95,0,,false",
        23: "B20,ACME,2026-06-01,LAMP-LED,1,49.95",
        24: "B21,CAFE,2026-06-01,DESK-OAK,5,489.00,0,,true",
        25: "OK2,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
    }
    path = write(tmp_path, "bad.csv", orders_csv(*rows.values()))
    with unchanged():
        error, notices, _ = refused(shop, "orders", path)
    assert error == "error: bad.csv: 21 bad rows; nothing was imported"
    assert set(notices) == set(range(3, 25)) - {21}
    expected = {
        3: "NOPE",
        4: "NO-SUCH-SKU",
        5: "SCHOOL",
        6: "PLANT-FICUS",
        7: "qty",
        8: "qty",
        9: "lots",
        10: "decimal places",
        11: "2026-13-01",
        12: "yesterday",
        13: "future",
        14: "sku",
        15: "discount_pct",
        16: "unit_price",
        17: "qty",
        18: "unit_price",
        19: "decimal places",
        20: "perhaps",
        22: "BRIGHT",
        23: "fields",
        24: "credit limit",
    }
    for line, word in expected.items():
        assert any(word.lower() in m.lower() for m in notices[line]), (line, notices[line])
    with unchanged():
        doc = json.loads(refused(shop, "orders", path, "--json")[2])
    assert {p["line"] for p in doc["errors"]} == set(notices)
    assert (doc["created"], doc["lines_created"], doc["confirmed"]) == (0, 0, 0)


def test_one_bad_row_is_singular(shop, tmp_path, unchanged):
    path = write(tmp_path, "one.csv", orders_csv("X1,ACME,2026-06-01,LAMP-LED,0,49.95,0,,false"))
    with unchanged():
        error, notices, _ = refused(shop, "orders", path)
    assert error == "error: one.csv: 1 bad row; nothing was imported"
    assert list(notices) == [2]


def test_bad_customers_and_products_files(shop, tmp_path, unchanged):
    body = (
        "code,name,credit_limit\nN1,Fine,\nn1,Duplicate,\nN2,Bell\x07Co,\n"
        f"N3,{'x' * 10_000},\nN4,Owes,-1\n"
    )
    with unchanged():
        error, notices, _ = refused(shop, "customers", write(tmp_path, "c.csv", body))
    assert error == "error: c.csv: 4 bad rows; nothing was imported"
    assert set(notices) == {3, 4, 5, 6}
    assert "line 2" in notices[3][0] and "control characters" in notices[4][0]
    assert "longer than" in notices[5][0] and "x" * 300 not in notices[5][0]
    body = (
        "sku,name,unit_price,stock,service\nSV-9,Support,80.00,3,yes\n"
        "INSTALL,Installation (per hour),65.00,,no\nlamp-led,LED desk lamp,49.95,,\n"
        "Lamp-Led,Again,49.95,,\n"
    )
    with unchanged():
        error, notices, _ = refused(shop, "products", write(tmp_path, "p.csv", body))
    assert error == "error: p.csv: 3 bad rows; nothing was imported"
    assert set(notices) == {2, 3, 5}
    assert "service" in notices[2][0] and "INSTALL" in notices[3][0] and "line 4" in notices[5][0]


def test_a_number_of_a_million_digits_is_refused_in_one_short_line(shop, tmp_path, unchanged):
    """Python refuses to convert more than 4,300 digits to an int; the import refuses the
    row instead, and the error names the cell without printing all of it."""
    huge = "9" * 1_000_000
    body = f'{{"code": "BIG", "name": "Big", "terms_days": "{huge}"}}\n'
    with unchanged():
        error, notices, _ = refused(shop, "customers", write(tmp_path, "c.jsonl", body))
    assert error == "error: c.jsonl: 1 bad row; nothing was imported"
    assert "must be between 0 and" in notices[1][0]
    assert len(notices[1][0]) < 200


@pytest.mark.parametrize(
    ("name", "body", "extra", "fragment"),
    [
        ("empty.csv", b"", (), "empty"),
        ("latin.csv", b"code,name\nA,Ok\nB,Caf\xe9 Noir\n", (), "line 3"),
        ("wide.csv", "code,name\nA,B\n".encode("utf-16"), (), "UTF-16"),
        ("c.xls", b"code,name\nA,B\n", (), "c.xls"),
        ("c.csv", b"name\nB\n", (), "code"),
        ("c.csv", b"code,name\nA,B\n", ("--format", "yaml"), "yaml"),
    ],
    ids=["empty", "latin1", "utf16", "extension", "missing-column", "bad-format"],
)
def test_unreadable_files_are_one_error(shop, tmp_path, unchanged, name, body, extra, fragment):
    path = write(tmp_path, name, body)
    with unchanged():
        error = shop.fails("import", "customers", str(path), *extra)
    assert fragment in error


def test_unknown_extension_hints_at_format(shop, tmp_path):
    path = write(tmp_path, "customers.dat", "code,name\nDAT1,Dat\n")
    result = shop.run("import", "customers", str(path))
    assert result.exit_code == 1 and "--format" in result.stderr
    assert imported(shop, "customers", path, "--format", "csv")["created"] == 1


def test_directory_and_missing_file(shop, tmp_path, unchanged):
    (tmp_path / "dir.csv").mkdir()
    with unchanged():
        assert "directory" in shop.fails("import", "orders", str(tmp_path / "dir.csv"))
        assert "missing.csv" in shop.fails("import", "orders", str(tmp_path / "missing.csv"))


def test_missing_required_column_names_it(shop, tmp_path, unchanged):
    body = "order_ref,customer_code,order_date,sku,qty\nM1,ACME,2026-06-01,LAMP-LED,1\n"
    with unchanged():
        error = shop.fails("import", "orders", str(write(tmp_path, "m.csv", body)))
    assert "unit_price" in error and "missing" in error


# --- 3. idempotent, and hand-entered orders named by number ----------------------------


def test_same_files_twice(shop, tmp_path, unchanged):
    customers = write(tmp_path, "c.csv", "code,name,email\nWEB1,Web One,one@web.example\n")
    products = write(
        tmp_path, "p.csv", "sku,name,unit_price,tax_rate,stock\nWEB-P,Thing,10.00,19,4\n"
    )
    orders = write(
        tmp_path,
        "o.csv",
        orders_csv(
            "R1,WEB1,2026-06-01,WEB-P,1,10.00,0,,true",
            "R1,WEB1,2026-06-01,LAMP-LED,1,49.95,0,,true",
            "R2,web1,2026-06-02,web-p,5,10.00,0,,true",
        ),
    )
    firsts = [
        imported(shop, kind, path)
        for kind, path in (("customers", customers), ("products", products), ("orders", orders))
    ]
    assert [d["created"] for d in firsts] == [1, 1, 2]
    assert (firsts[2]["lines_created"], firsts[2]["confirmed"]) == (3, 2)
    with unchanged():
        again = [
            imported(shop, kind, path)
            for kind, path in (("customers", customers), ("products", products), ("orders", orders))
        ]
    assert [(d["created"], d["updated"], d["skipped"]) for d in again] == [
        (0, 0, 1),
        (0, 0, 1),
        (0, 0, 2),
    ]
    assert (again[2]["lines_created"], again[2]["confirmed"]) == (0, 0)


def test_modified_customers_file_updates_changed_fields_only(shop, tmp_path):
    before = shop.ok("customer", "show", "ACME")
    body = (
        "code,name,email,phone,credit_limit,terms_days\n"
        "ACME,Acme Office Supplies Ltd,,,30000.00,\n"  # empty cells clear nothing
        "BRIGHT,Bright Spaces Interiors GmbH,,,,\n"
    )
    doc = imported(shop, "customers", write(tmp_path, "c.csv", body))
    assert (doc["created"], doc["updated"], doc["skipped"]) == (0, 1, 1)
    after = shop.ok("customer", "show", "ACME")
    assert after["credit_limit"] == "30000.00"
    assert {k for k in before if before[k] != after[k]} == {"credit_limit"}


def test_reimported_products_with_other_stock_keep_on_hand(shop, tmp_path):
    body = 'sku,name,unit_price,tax_rate,stock\nDESK-OAK,"Oak desk, 160 × 80 cm",489.00,19,500\n'
    doc = imported(shop, "products", write(tmp_path, "p.csv", body))
    assert (doc["created"], doc["updated"], doc["skipped"]) == (0, 0, 1)
    assert shop.ok("product", "show", "DESK-OAK")["on_hand"] == "12"


def test_file_naming_a_hand_entered_order_by_its_number_skips_it(shop, tmp_path, unchanged):
    number = shop.ok("order", "new", "ACME")["number"]
    shop.ok("order", "add-line", number, "LAMP-LED", "2")
    path = write(
        tmp_path, "o.csv", orders_csv(f"{number},ACME,2026-06-01,LAMP-LED,2,49.95,0,19,false")
    )
    with unchanged():
        doc = imported(shop, "orders", path)
    assert (doc["created"], doc["skipped"]) == (0, 1)


# --- 4. confirm=true ---------------------------------------------------------------------


def test_confirmed_orders_reserve_backorder_log_and_invoice(shop, tmp_path):
    path = write(
        tmp_path,
        "shop.csv",
        orders_csv(
            "WEB-1,ACME,2026-06-10,DESK-STAND,8,729.00,0,,yes",
            "WEB-1,ACME,2026-06-10,INSTALL,3,65.00,0,,yes",
            "WEB-2,ACME,2026-06-11,LAMP-LED,4,49.95,5,,TRUE",
        ),
    )
    doc = imported(shop, "orders", path)
    assert (doc["created"], doc["confirmed"], doc["lines_created"]) == (2, 2, 3)
    stand = shop.ok("product", "show", "DESK-STAND")
    assert (stand["on_hand"], stand["reserved"], stand["available"]) == ("5", "8", "-3")
    assert shop.ok("product", "show", "LAMP-LED")["reserved"] == "4"
    assert shop.ok("product", "show", "INSTALL")["reserved"] == "0"
    order = shop.ok("order", "show", "SO-00001")
    assert (order["status"], order["customer"]) == ("confirmed", "ACME")
    lines = {ln["sku"]: ln for ln in order["lines"]}
    assert "qty_backordered" in lines["DESK-STAND"]
    assert (lines["DESK-STAND"]["qty_backordered"], lines["INSTALL"]["qty_backordered"]) == (
        "3",
        "0",
    )
    actions = [event["action"] for event in shop.ok("order", "timeline", "SO-00001")]
    assert actions[:2] == ["created", "confirmed"]
    invoice = shop.ok("invoice", "create", "SO-00002")
    assert (invoice["order"], invoice["total"]) == (
        "SO-00002",
        shop.ok("order", "show", "SO-00002")["total"],
    )
    assert shop.ok("check")["ok"] is True


def test_draft_orders_reserve_nothing(shop, tmp_path):
    doc = imported(
        shop,
        "orders",
        write(tmp_path, "d.csv", orders_csv("D1,ACME,2026-06-01,DESK-OAK,3,489.00,,,")),
    )
    assert (doc["created"], doc["confirmed"]) == (1, 0)
    assert shop.ok("order", "show", "SO-00001")["status"] == "draft"
    assert shop.ok("product", "show", "DESK-OAK")["reserved"] == "0"


# --- 5. totals ----------------------------------------------------------------------------


def test_totals_follow_rule_10(shop, tmp_path):
    rows = [
        ("CABLE-TRAY", "3", "0.35", "50", "", "19"),
        ("DESK-OAK", "2", "489.00", "", "7", "19"),
        ("LAMP-LED", "3", "49.95", "15.5", "", "19"),
        ("COFFEE-KG", "2.345", "21.40", "", "", "7"),
    ]
    body = orders_csv(
        *(f"T1,MUELLER,2026-06-01,{s},{q},{p},{d},{r},false" for s, q, p, d, r, _ in rows)
    )
    imported(shop, "orders", write(tmp_path, "t.csv", body))
    order = shop.ok("order", "show", "SO-00001")
    expected = [net_tax(q, p, d or "0", r or pr) for _, q, p, d, r, pr in rows]
    assert [(ln["net"], ln["tax"]) for ln in order["lines"]] == expected
    subtotal = sum(Decimal(n) for n, _ in expected)
    tax = sum(Decimal(t) for _, t in expected)
    assert (order["subtotal"], order["tax"], order["total"]) == (
        str(subtotal),
        str(tax),
        str(subtotal + tax),
    )


# --- 6. dialects through the command ----------------------------------------------------


def test_semicolon_file_with_decimal_commas_bom_and_crlf(shop, tmp_path):
    body = (
        "\ufeffOrder Ref;Customer Code;Order Date;SKU;Qty;Unit Price;Discount Pct\r\n"
        "EU-1;BRIGHT;2026-06-01;DESK-OAK;2;489,00;2,5\r\n"
        "EU-1;BRIGHT;2026-06-01;COFFEE-KG;1,5;21,40;\r\n"
    )
    doc = imported(shop, "orders", write(tmp_path, "eu.csv", body))
    assert (doc["created"], doc["lines_created"]) == (1, 2)
    lines = shop.ok("order", "show", "SO-00001")["lines"]
    assert [(ln["qty"], ln["unit_price"], ln["discount_pct"]) for ln in lines] == [
        ("2", "489.00", "2.5"),
        ("1.5", "21.40", "0"),
    ]
    assert [(ln["net"], ln["tax"]) for ln in lines] == [
        net_tax("2", "489.00", "2.5", "19"),
        net_tax("1.5", "21.40", "0", "7"),
    ]


@pytest.mark.parametrize("delimiter", ["\t", "|"], ids=["tab", "pipe"])
def test_tab_and_pipe(shop, tmp_path, delimiter):
    cells = [["sku", "name", "unit_price"], ["TP-1", 'Comma, and "quote"', "3.50"]]
    body = "".join(delimiter.join(row) + "\r" for row in cells)
    doc = imported(shop, "products", write(tmp_path, "t.tsv", body))
    assert doc["created"] == 1
    assert shop.ok("product", "show", "tp-1")["name"] == 'Comma, and "quote"'


def test_extra_columns_are_noted(shop, tmp_path):
    path = write(tmp_path, "x.csv", "code,name,Favourite Colour,notes\nXC1,Extra,blue,hi\n")
    result = shop.run("import", "customers", str(path), env=TODAY)
    assert result.exit_code == 0, result.stderr
    assert "note: column 'Favourite Colour' is not used" in result.stderr
    assert "note: column 'notes' is not used" in result.stderr
    assert "error" not in result.stderr
    path = write(tmp_path, "y.csv", "code,name,Favourite Colour\nXC2,Extra,blue\n")
    result = shop.run("import", "customers", str(path), "--json", env=TODAY)
    doc = json.loads(result.stdout)
    assert (result.exit_code, doc["created"], doc["ignored_columns"]) == (
        0,
        1,
        ["Favourite Colour"],
    )


def test_header_only_file(shop, tmp_path, unchanged):
    with unchanged():
        doc = imported(shop, "orders", write(tmp_path, "h.csv", ORDER_HEADER + "\n"))
    assert (doc["created"], doc["skipped"], doc["lines_created"]) == (0, 0, 0)


# --- 7. JSON Lines through the command -------------------------------------------------


def test_jsonl_file_and_format_override(shop, tmp_path):
    body = (
        '{"order_ref": "JL-1", "customer_code": "ACME", "order_date": "2026-06-01", '
        '"sku": "LAMP-LED", "qty": 1.5, "unit_price": 49.95, "discount_pct": null, '
        '"confirm": true}\n\n'
    )
    doc = imported(shop, "orders", write(tmp_path, "shop-export.txt", body), "--format", "jsonl")
    assert (doc["created"], doc["confirmed"]) == (1, 1)
    line = shop.ok("order", "show", "SO-00001")["lines"][0]
    assert (line["qty"], line["unit_price"], line["net"]) == ("1.5", "49.95", "74.93")


def test_jsonl_bad_lines_through_the_command(shop, tmp_path, unchanged):
    body = (
        '{"code": "J1", "name": "Fine"}\n[]\n{"code": "J2", "name": {"x": 1}}\n'
        '{bad json\n{"code": NaN, "name": "n"}\n'
    )
    with unchanged():
        error, notices, _ = refused(shop, "customers", write(tmp_path, "c.jsonl", body))
    assert error == "error: c.jsonl: 4 bad rows; nothing was imported"
    assert set(notices) == {2, 3, 4, 5}


# --- 8. formula cells -----------------------------------------------------------------


def test_exported_formula_cells_come_back_without_the_apostrophe(shop, tmp_path):
    body = (
        "code,name,billing_address\n"
        'FX1,"\'=HYPERLINK(""http://evil.example"",""click"")",\'@street\n'
        "FX2,'Allo 'Allo Ltd,'Quoted address\n"
    )
    imported(shop, "customers", write(tmp_path, "f.csv", body))
    fx1 = shop.ok("customer", "show", "FX1")
    fx2 = shop.ok("customer", "show", "FX2")
    assert fx1["name"] == '=HYPERLINK("http://evil.example","click")'
    assert fx2["name"] == "'Allo 'Allo Ltd"


# --- 9. dry run -------------------------------------------------------------------------


def test_dry_run_says_what_would_happen_and_writes_nothing(shop, tmp_path, unchanged):
    path = write(
        tmp_path,
        "o.csv",
        orders_csv(
            "DR-1,ACME,2026-06-01,DESK-STAND,6,729.00,0,,true",
            "DR-2,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
            "DR-2,ACME,2026-06-01,INSTALL,1,65.00,0,,false",
        ),
    )
    with unchanged():
        dry = shop.ok("import", "orders", str(path), "--dry-run", env=TODAY)
        human = shop.run("import", "orders", str(path), "--dry-run", env=TODAY)
    assert human.exit_code == 0 and "nothing written" in human.stdout
    real = imported(shop, "orders", path)
    assert dry.pop("dry_run") is True and real.pop("dry_run") is False
    assert dry == real
    assert (real["created"], real["lines_created"], real["confirmed"]) == (2, 3, 1)


def test_dry_run_of_a_bad_file_lists_errors(shop, tmp_path, unchanged):
    path = write(
        tmp_path,
        "o.csv",
        orders_csv(
            "DR-1,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
            "DR-2,ACME,2026-06-01,NOPE,1,1.00,0,,false",
        ),
    )
    with unchanged():
        error, notices, _ = refused(shop, "orders", path, "--dry-run")
    assert error == "error: o.csv: 1 bad row; nothing was imported"
    assert list(notices) == [3]


# --- 10. --json --------------------------------------------------------------------------


def test_json_is_one_document_with_the_spec_keys(shop, tmp_path):
    path = write(tmp_path, "c.csv", "code,name\nJK1,Json Keys\n")
    result = shop.run("import", "customers", str(path), "--json", env=TODAY)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)  # the whole of stdout is one document
    assert IMPORT_KEYS <= doc.keys()
    assert (doc["file"], doc["created"], doc["updated"], doc["skipped"], doc["errors"]) == (
        str(path),
        1,
        0,
        0,
        [],
    )
    path = write(tmp_path, "o.csv", orders_csv("JK-1,JK1,2026-06-01,LAMP-LED,1,49.95,0,,false"))
    doc = shop.ok("import", "orders", str(path), env=TODAY)
    assert ORDER_IMPORT_KEYS <= doc.keys()
    assert (doc["created"], doc["lines_created"], doc["confirmed"]) == (1, 1, 0)


def test_json_of_a_bad_file_is_still_printed(shop, tmp_path, unchanged):
    path = write(
        tmp_path,
        "o.csv",
        orders_csv(
            "E1,ACME,2026-06-01,LAMP-LED,1,49.95,0,,false",
            "E2,ACME,2026-06-01,LAMP-LED,x,49.95,0,,false",
        ),
    )
    with unchanged():
        result = shop.run("import", "orders", str(path), "--json", env=TODAY)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert ORDER_IMPORT_KEYS <= doc.keys()
    assert doc["created"] == 0
    assert [(p["line"], set(p)) for p in doc["errors"]] == [(3, {"line", "message"})]
    assert "'x'" in doc["errors"][0]["message"]
    assert [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")] == [
        "error: o.csv: 1 bad row; nothing was imported"
    ]


# --- 11. Unicode --------------------------------------------------------------------------


def test_unicode_names_and_skus(shop, tmp_path):
    customers = "code,name\nBJ,北京办公用品有限公司\nZÜRI,Zürcher Äpfel & Söhne\n"
    imported(shop, "customers", write(tmp_path, "c.csv", customers))
    assert shop.ok("customer", "show", "BJ")["name"] == "北京办公用品有限公司"
    assert shop.ok("customer", "show", "züri")["name"] == "Zürcher Äpfel & Söhne"
    imported(
        shop,
        "products",
        write(tmp_path, "p.csv", "sku,name,unit_price,stock\nÉCRAN-27,Écran 27,199.00,2\n"),
    )
    body = orders_csv("UNI-1,züri,2026-06-01,écran-27,3,199.00,0,,true")
    doc = imported(shop, "orders", write(tmp_path, "o.csv", body))
    assert doc["created"] == 1
    order = shop.ok("order", "show", "SO-00001")
    assert (order["customer"], order["lines"][0]["sku"]) == ("ZÜRI", "ÉCRAN-27")
    assert order["lines"][0]["qty_backordered"] == "1"
    assert shop.ok("product", "show", "ÉCRAN-27")["reserved"] == "3"


def test_control_characters_and_huge_fields_are_refused(shop, tmp_path, unchanged):
    body = (
        "code,name,billing_address\nCC1,Null\x00Byte,\n"
        f"CC2,Fine,{'a' * 10_000}\nCC3,Tab\there ok,\n"
    )
    with unchanged():
        error, notices, _ = refused(shop, "customers", write(tmp_path, "c.csv", body))
    assert set(notices) == {2, 3}
    assert "control" in notices[2][0]
    assert "billing_address" in notices[3][0] and "longer than" in notices[3][0]


def test_override_credit_confirms_past_the_limit_and_logs_why(shop, tmp_path):
    # CAFE has a credit limit of 2000.00; 5 × DESK-OAK at 489.00 + 19 % is 2909.55.
    path = write(tmp_path, "o.csv", orders_csv("OV-1,CAFE,2026-06-01,DESK-OAK,5,489.00,0,,true"))
    error, listed, _ = refused(shop, "orders", path)
    assert "credit limit" in " ".join(listed[2])
    doc = shop.ok("import", "orders", str(path), "--override-credit", "prepaid by card", env=TODAY)
    assert (doc["created"], doc["confirmed"], doc["errors"]) == (1, 1, [])
    order = next(o for o in shop.ok("order", "list") if o["order_ref"] == "OV-1")
    assert order["status"] == "confirmed"
    timeline = shop.run("order", "timeline", order["number"], env=TODAY).stdout
    assert "credit limit overridden" in timeline and "prepaid by card" in timeline
    usage = shop.run("import", "customers", str(path), "--override-credit", "x")
    assert usage.exit_code == 2 and "No such option: --override-credit" in usage.stderr
