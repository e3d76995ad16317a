"""Only `init` (and `demo`, which builds its own) creates a ledger.

Every other command refuses a location where no ledger is, with exit 3, says where
the location came from (--db, ORDERCLI_DB or the default in the user data directory)
and creates nothing on disk: no file, no -wal or -shm, no folder. A mistyped path
must never look like a ledger whose invoices are gone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from ordercli import __version__
from ordercli.cli.app import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# The commands that make a ledger where none is, or never use one.
CREATE_A_LEDGER = {("init",), ("demo",)}
NEED_NO_LEDGER = {
    ("version",),  # names the ledger, never opens it
    ("completion",),  # prints or installs the shell script; no ledger involved
    # Puts a backup where the ledger belongs: how a ledger comes back on a new machine.
    ("restore",),
    ("einvoice", "validate"),  # checks files, ordercli's or anyone's
}


def _leaf_commands():
    """Every command the command line offers, as (path, command), from the CLI itself."""
    root = get_command(app)
    context = typer.Context(root)
    for name in root.list_commands(context):
        command = root.get_command(context, name)
        verbs = getattr(command, "commands", None)
        if verbs:
            for verb, leaf in verbs.items():
                yield (name, verb), leaf
        else:
            yield (name,), command


def _invocation(path: tuple[str, ...], command) -> list[str]:
    """The command with every required argument and option given, so that it gets as far
    as opening its ledger (ordercli's commands take text and parse it themselves)."""
    args = [*path, *INPUT_CHECKED_FIRST.get(path, [])]
    for param in command.params:
        if param.required and param.param_type_name == "argument":
            args.append("1")
        elif param.required and param.param_type_name == "option":
            args += [param.opts[0], "1"]
    return args


# Commands that refuse incomplete input before they open the ledger get what they need.
INPUT_CHECKED_FIRST = {
    ("company", "set"): ["--name", "Shop"],
    ("invoice", "create"): ["SO-00001"],
    ("invoice", "pdf"): ["INV-00001"],
    ("invoice", "einvoice"): ["INV-00001"],
    ("credit-memo", "einvoice"): ["CM-00001"],
    ("order", "terms"): ["--clear"],
}
COMMANDS = sorted(_leaf_commands(), key=lambda pair: pair[0])
USING_A_LEDGER = [
    (path, command)
    for path, command in COMMANDS
    if path not in CREATE_A_LEDGER and path not in NEED_NO_LEDGER
]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """A ledger path below a folder that does not exist; the test runs in ``tmp_path``,
    so a file a command wrote anywhere near would show."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("ORDERCLI_DB", raising=False)
    return tmp_path / "books" / "shpo.db"


def test_the_refusing_commands_are_every_command_but_a_few():
    """The list below is the CLI's own: a new command is checked without being named."""
    paths = {path for path, _ in USING_A_LEDGER}
    assert len(paths) > 90
    assert {("invoice", "list"), ("status",), ("backup",), ("migrate-to",)} <= paths
    assert not (CREATE_A_LEDGER | NEED_NO_LEDGER) & paths
    every = {path for path, _ in COMMANDS}
    assert CREATE_A_LEDGER | NEED_NO_LEDGER <= every


@pytest.mark.sqlite_only("a ledger file that is not there")
@pytest.mark.parametrize(
    ("path", "command"), USING_A_LEDGER, ids=[" ".join(p) for p, _ in USING_A_LEDGER]
)
def test_a_missing_ledger_is_refused_and_nothing_is_created(nowhere, path, command):
    before = _files(nowhere.parent.parent)
    result = CliRunner().invoke(app, ["--db", str(nowhere), *_invocation(path, command)])
    assert (result.exit_code, result.stdout) == (3, ""), (result.stdout, result.stderr)
    assert result.stderr.splitlines()[0] == f"error: no ledger at {nowhere}"
    assert _files(nowhere.parent.parent) == before


@pytest.mark.sqlite_only("a ledger file that is not there")
def test_the_hint_says_where_the_path_came_from(nowhere, tmp_path):
    runner = CliRunner()
    given = runner.invoke(app, ["--db", str(nowhere), "invoice", "list"])
    from_environment = runner.invoke(app, ["invoice", "list"], env={"ORDERCLI_DB": str(nowhere)})
    by_default = runner.invoke(app, ["invoice", "list"])
    default = tmp_path / "data" / "ordercli" / "ordercli.db"
    assert given.stderr.splitlines() == [
        f"error: no ledger at {nowhere}",
        "hint: the path was given with --db; correct it, or create a new ledger there with "
        f"`ordercli --db {nowhere} init`",
    ]
    assert from_environment.stderr.splitlines() == [
        f"error: no ledger at {nowhere}",
        "hint: the path comes from ORDERCLI_DB; correct it, or create a new ledger there "
        "with `ordercli init`",
    ]
    assert by_default.stderr.splitlines() == [
        f"error: no ledger at {default}",
        "hint: this is the default ledger in your user data directory (neither --db nor "
        "ORDERCLI_DB is set); create it with `ordercli init`, or point --db or ORDERCLI_DB "
        "at your ledger",
    ]
    assert {given.exit_code, from_environment.exit_code, by_default.exit_code} == {3}
    assert _files(tmp_path) == ["data"]


@pytest.mark.sqlite_only("a ledger file that is not there")
def test_init_creates_the_ledger_the_others_then_use(nowhere, tmp_path):
    runner = CliRunner()
    env = {"ORDERCLI_DB": str(nowhere)}
    assert runner.invoke(app, ["customer", "list", "--json"], env=env).exit_code == 3
    made = runner.invoke(app, ["init", "--company", "Shop", "--json"], env=env)
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["ledger"] == str(nowhere)
    listed = runner.invoke(app, ["customer", "list", "--json"], env=env)
    assert (listed.exit_code, json.loads(listed.stdout)) == (0, [])


@pytest.mark.sqlite_only("the default ledger is a file in the user data directory")
def test_version_and_status_name_the_ledger_and_where_it_came_from(nowhere, tmp_path):
    runner = CliRunner()
    default = tmp_path / "data" / "ordercli" / "ordercli.db"
    assert runner.invoke(app, ["--version"]).stdout.splitlines() == [
        f"ordercli {__version__}",
        f"ledger: {default} (the default, in your user data directory; no ledger there yet)",
    ]
    env = {"ORDERCLI_DB": str(nowhere)}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    assert runner.invoke(app, ["--version"], env=env).stdout.splitlines() == [
        f"ordercli {__version__}",
        f"ledger: {nowhere} (from ORDERCLI_DB)",
    ]
    screen = runner.invoke(app, ["status"], env=env)
    assert screen.exit_code == 0, screen.stderr
    heading = screen.stdout.split("╭")[0]  # above the panels, where a long line folds
    assert heading.startswith("ordercli status now")
    expected = f"ledger: {nowhere} (from ORDERCLI_DB)"
    assert "".join(expected.split()) in "".join(heading.split())
    doc = json.loads(runner.invoke(app, ["--db", str(nowhere), "status", "--json"]).stdout)
    assert (doc["ledger"], doc["ledger_from"], doc["ledger_exists"]) == (str(nowhere), "--db", True)
    assert not default.exists()


@pytest.mark.sqlite_only("a released ledger file, copied")
def test_version_opens_nothing_in_a_process_of_its_own(tmp_path):
    """`--version` neither creates nor upgrades: a ledger of an older schema stays as it
    was, with no backup made beside it, and a missing one stays missing."""
    import shutil
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERCLI_")}
    old = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "ledger-0001.db", old)
    before = old.read_bytes()
    for ledger in (old, tmp_path / "nope" / "books.db"):
        done = subprocess.run(
            [sys.executable, "-m", "ordercli", "--db", str(ledger), "--version"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == f"ordercli {__version__}"
        assert done.stdout.splitlines()[1].startswith(f"ledger: {ledger} (from --db")
    assert _files(tmp_path) == ["old.db"]
    assert old.read_bytes() == before


@pytest.mark.sqlite_only("backup and restore work on ledger files")
def test_restore_puts_a_ledger_where_none_was_yet(nowhere, tmp_path):
    """On a new machine the ledger's folder does not exist yet: `restore` makes it, once
    the backup has passed its checks, and creates nothing when it has not."""
    runner = CliRunner()
    old = tmp_path / "old.db"
    assert runner.invoke(app, ["--db", str(old), "init", "--company", "Old Books"]).exit_code == 0
    backup = tmp_path / "backup.db"
    assert runner.invoke(app, ["--db", str(old), "backup", str(backup)]).exit_code == 0
    env = {"ORDERCLI_DB": str(nowhere)}
    bad = runner.invoke(app, ["restore", str(tmp_path / "no-such-backup.db")], env=env)
    assert bad.exit_code == 1 and not nowhere.parent.exists()
    done = runner.invoke(app, ["restore", str(backup), "--json"], env=env)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["previous_ledger_kept_at"] is None
    shown = runner.invoke(app, ["company", "show", "--json"], env=env)
    assert json.loads(shown.stdout)["name"] == "Old Books"


def test_version_loads_neither_the_database_layer_nor_pydantic(tmp_path):
    """Scripts run `ordercli --version` often: it stays as quick as `--help`, wherever
    --db stands on the line."""
    import subprocess
    import sys

    program = (
        "import json, sys\n"
        "sys.argv = ['ordercli', *json.loads(sys.argv[1])]\n"
        "from ordercli.cli.app import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    ledger = str(tmp_path / "books.db")
    for args in (["--version"], ["--db", ledger, "--version"], ["--version", "--db", ledger]):
        done = subprocess.run(
            [sys.executable, "-c", program, json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        modules = set(json.loads(done.stdout.splitlines()[-1]))
        loaded = {name.split(".")[0] for name in modules}
        assert not {"sqlalchemy", "sqlmodel", "pydantic", "alembic"} & loaded, args
        assert "ordercli.db.engine" not in modules


@pytest.mark.postgres
def test_a_server_database_without_a_ledger_is_refused_until_init(pg_empty_url):
    """The database must exist (the server's administrator makes it); `init` creates the
    ledger's schema in it, every other command refuses it and adds nothing."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    shown = make_url(pg_empty_url).render_as_string(hide_password=True)
    runner = CliRunner()
    for args in (["invoice", "list"], ["status"], ["customer", "add", "Acme"]):
        refused = runner.invoke(app, ["--db", pg_empty_url, *args])
        assert (refused.exit_code, refused.stdout) == (3, ""), refused.stderr
        assert refused.stderr.splitlines() == [
            f"error: no ledger at {shown} (the database holds no ordercli ledger)",
            "hint: the URL was given with --db; correct it, or create a new ledger there "
            f"with `ordercli --db {shown} init`",
        ]
    probe = create_engine(pg_empty_url)
    try:
        assert inspect(probe).get_table_names() == []
    finally:
        probe.dispose()
    made = runner.invoke(app, ["--db", pg_empty_url, "init", "--company", "Server Books"])
    assert made.exit_code == 0, made.stderr
    listed = runner.invoke(app, ["--db", pg_empty_url, "invoice", "list", "--json"])
    assert (listed.exit_code, json.loads(listed.stdout)) == (0, [])
