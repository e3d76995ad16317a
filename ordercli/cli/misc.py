"""Top-level commands: init, version, check, ship (alias), numbering, demo."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli import __version__
from ordercli.cli import company as company_cli
from ordercli.cli import shipment
from ordercli.cli.common import (
    JsonOpt,
    existing_ledger_url,
    ledger,
    ledger_choice,
    state,
    version_text,
)
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import output, render, table
from ordercli.cli.status import status as status_command
from ordercli.domain.errors import InvalidInput, RuleViolation
from ordercli.domain.text import document_number

checks = lazy_module("ordercli.books.checks")
numbering = lazy_module("ordercli.books.numbering")
settings = lazy_module("ordercli.books.settings")
company_service = lazy_module("ordercli.services.parties.company")

numbering_app = typer.Typer(help="Document number series: list, set.", no_args_is_help=True)


def _series_rows(session) -> list[dict]:
    return [
        {
            "kind": s.kind,
            "prefix": s.prefix,
            "width": s.width,
            "next": document_number(s.prefix, s.width, s.next_value),
        }
        for s in numbering.list_series(session=session)
    ]


def _show_series(rows) -> None:
    table(
        "Number series",
        [("kind", "Kind"), ("prefix", "Prefix"), ("width", "Digits"), ("next", "Next number")],
        rows,
        status_keys=(),
    )


@numbering_app.command("list")
def numbering_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show each document series with the number it issues next.

    Example: ordercli numbering list
    """
    with ledger(ctx, write=False) as session:
        rows = _series_rows(session)
    render(rows, as_json, _show_series)


@numbering_app.command("set")
def numbering_set(
    ctx: typer.Context,
    kind: Annotated[
        str, typer.Argument(metavar="KIND", help="invoice, order, quote, shipment, customer, …")
    ],
    prefix: Annotated[str | None, typer.Option("--prefix", help="e.g. INV-2026-")] = None,
    width: Annotated[int | None, typer.Option("--width", help="Digits, zero-padded.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the prefix or width of future numbers; the counter never restarts.

    Example: ordercli numbering set invoice --prefix INV-2026-
    """
    with ledger(ctx) as session:
        numbering.set_series(session=session, kind=kind.strip().lower(), prefix=prefix, width=width)
        rows = _series_rows(session)
    render(rows, as_json, _show_series)


def register(app: typer.Typer) -> None:
    app.add_typer(numbering_app, name="numbering")
    app.command("status")(status_command)
    app.command(
        "ship",
        help="Ship an order (alias of `shipment create`): everything still unshipped, or the "
        "--line quantities given.\n\nExample: ordercli ship SO-00001 --line WIDGET=2 "
        "--carrier DHL --tracking 00340434",
    )(shipment.create)

    @app.command("check")
    def check(ctx: typer.Context, as_json: JsonOpt = False) -> None:
        """Verify the ledger's invariants and print every problem found; exit 1 if any.

        Recomputes what the documents hold (quantities invoiced, shipped,
        credited and returned; amounts paid and credited; credit; stock) and
        ties the journal to them: every entry balanced, receivables equal to
        the open invoice balances. Every issued invoice, shipment, payment,
        credit memo and refund is checked against its hash chain, so a document
        edited or deleted behind ordercli's back is named. On SQLite it also
        runs the database's own integrity and foreign-key checks.

        Example: ordercli check
        """
        with ledger(ctx, write=False) as session:
            report = checks.run_checks(session=session)

        def human(doc) -> None:
            if doc["ok"]:
                output.print(f"ok: {doc['checks']} checks passed, the ledger is consistent")
                return
            for problem in doc["problems"]:
                output.print(f"problem (rule {problem['rule']}): {problem['problem']}")

        render(report, as_json, human)
        if not report["ok"]:
            raise RuleViolation(
                f"the ledger check found {len(report['problems'])} problem(s) "
                f"in {report['checks']} checks",
                hint="each is listed above; restore from a backup or correct with new documents",
            )

    @app.command("backup")
    def backup(
        ctx: typer.Context,
        target: Annotated[str, typer.Argument(metavar="FILE", help="The backup file to write.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Copy the ledger to FILE, consistently even while others are writing to it.

        Uses SQLite's online backup; the copy is checked before it is named
        FILE, and an existing FILE is never overwritten.

        Example: ordercli backup ~/backups/shop-2026-11-22.db
        """
        from ordercli.io.backup import backup_ledger

        doc = backup_ledger(url=existing_ledger_url(ctx), target=target)
        render(
            doc,
            as_json,
            lambda d: output.line(
                f"backed up {d['ledger']} to {d['backup']} ({d['bytes']:,} bytes)"
            ),
        )

    @app.command("restore")
    def restore(
        ctx: typer.Context,
        source: Annotated[str, typer.Argument(metavar="FILE", help="A backup made by `backup`.")],
        as_json: JsonOpt = False,
    ) -> None:
        """Replace the ledger with a backup, after checking the backup is a sound ledger.

        The backup must pass SQLite's integrity check and every ledger check
        (`ordercli check`); an older schema is upgraded. The current ledger is
        kept beside itself as LEDGER.before-restore-TIME.bak.

        Example: ordercli restore ~/backups/shop-2026-11-22.db
        """
        from ordercli.db.engine import resolve_location
        from ordercli.io.backup import restore_ledger

        doc = restore_ledger(url=resolve_location(state(ctx).db), source=source)
        kept = doc["previous_ledger_kept_at"]
        render(
            doc,
            as_json,
            lambda d: output.line(
                f"restored {d['ledger']} from {d['restored_from']}"
                + (f"; the previous ledger is kept at {kept}" if kept else "")
            ),
        )

    @app.command("migrate-to")
    def migrate_to(
        ctx: typer.Context,
        target: Annotated[
            str,
            typer.Argument(
                metavar="URL",
                help="An empty database, e.g. postgresql+psycopg://user@server/books.",
            ),
        ],
        as_json: JsonOpt = False,
    ) -> None:
        """Copy the whole ledger into another database, e.g. a shared PostgreSQL server.

        Every row is copied as it is (numbers, events, journal), in one
        transaction; the copy must match the ledger row for row and pass every
        ledger check. The ledger itself is left as it was. Afterwards point
        everyone at the new one with --db or ORDERCLI_DB.

        Example: ordercli migrate-to postgresql+psycopg://office@db.local/books
        """
        from ordercli.cli.output import ProgressBar
        from ordercli.io.migrate import migrate_ledger

        source_url = existing_ledger_url(ctx)
        progress = ProgressBar("copying", enabled=not as_json)
        try:
            doc = migrate_ledger(source_url=source_url, target_url=target, progress=progress)
        finally:
            progress.stop()
        render(
            doc,
            as_json,
            lambda d: output.line(
                f"copied {d['rows']:,} rows in {d['tables']} tables to {d['target']}; "
                "the copy passes every ledger check"
            ),
        )

    @app.command("version")
    def version(ctx: typer.Context, as_json: JsonOpt = False) -> None:
        """Print the ordercli version and which ledger is in use.

        The ledger is named, with where that choice came from (--db,
        ORDERCLI_DB or the default), and never opened.

        Example: ordercli version
        """
        choice = ledger_choice(state(ctx).db)
        render(
            {"version": __version__, **choice},
            as_json,
            lambda _doc: output.line(version_text(__version__, choice)),
        )

    @app.command("completion")
    def completion(
        ctx: typer.Context,
        shell: Annotated[
            str | None,
            typer.Argument(help="bash, zsh, fish or pwsh; default: the shell you are in."),
        ] = None,
        install: Annotated[
            bool, typer.Option("--install", help="Install it in the shell's start-up file.")
        ] = False,
    ) -> None:
        """Print (or --install) the shell completion script for ordercli.

        The script is Typer's own, as `ordercli --show-completion` and
        `ordercli --install-completion` give it for the shell you are in.

        Example: ordercli completion bash > ~/.local/share/bash-completion/completions/ordercli
        """
        import typer.completion as typer_completion

        prog_name = ctx.find_root().info_name or "ordercli"
        complete_var = "_{}_COMPLETE".format(prog_name.replace("-", "_").upper())
        shells = [item.value for item in typer_completion.Shells]
        if shell is not None and shell not in shells:
            raise InvalidInput(
                f"no completion for the shell {shell!r}",
                hint=f"name one of {', '.join(shells)}",
            )
        if install:
            chosen, path = typer_completion.install(
                shell=shell, prog_name=prog_name, complete_var=complete_var
            )
            output.notice(f"{chosen} completion installed in {path}; open a new shell to use it")
            return
        if shell is None:
            # The shell you are in, found as --show-completion finds it.
            ctx.find_root().command.main(
                ["--show-completion"], prog_name=prog_name, standalone_mode=True
            )
            return
        output.line(
            typer_completion.get_completion_script(
                prog_name=prog_name, complete_var=complete_var, shell=shell
            )
        )

    @app.command("init")
    def init(
        ctx: typer.Context,
        company: Annotated[
            str | None, typer.Option("--company", help="Your company's name.")
        ] = None,
        currency: Annotated[
            str | None, typer.Option("--currency", help="ISO code, e.g. EUR.")
        ] = None,
        locale: company_cli.LocaleOpt = None,
        address: company_cli.AddressOpt = None,
        tax_id: company_cli.TaxIdOpt = None,
        email_from: company_cli.EmailFromOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create the ledger (if needed) and set company name, currency and profile.

        The one command that creates a ledger: every other one refuses a
        location where none is. Options left out keep what is set; the rest of
        the profile (bank details, logo, SMTP) is set with `ordercli company set`.

        Example: ordercli init --company "Widgets & Co" --currency EUR --locale en_GB
        """
        from ordercli.db.engine import describe_location, resolve_location

        with ledger(ctx, create=True) as session:
            company_service.init_ledger(
                session=session,
                company=company,
                currency=currency,
                locale=locale,
                address=company_cli.multi_line(address),
                tax_id=tax_id,
                email_from=email_from,
            )
            doc = {
                "ledger": describe_location(resolve_location(state(ctx).db)),
                "company": settings.get_setting(session=session, key="company_name"),
                "currency": settings.currency(session),
            }
        render(
            doc,
            as_json,
            lambda d: output.print(
                f"ledger ready at {d['ledger']} ({d['company'] or 'no company name yet'}, "
                f"{d['currency']})"
            ),
        )

    @app.command("demo")
    def demo(
        ctx: typer.Context,
        path: Annotated[
            str | None,
            typer.Option(
                "--path",
                help="Where to build the demo "
                "ledger; default: demo.db in your user "
                "data directory.",
            ),
        ] = None,
    ) -> None:
        """Build a fresh demo ledger and walk one order from quote to completion.

        The demo never touches your real ledger: it builds its own file.

        Example: ordercli demo
        """
        from ordercli.cli.demo import run_demo

        # The demo types its commands into this same root command line.
        run_demo(path, root=ctx.find_root().command)


# The container the root command line loads the top-level commands from (cli/app.py).
app = typer.Typer()
register(app)
