"""The root of the command line: global options, the nouns, the error boundary.

Every ``OrderCliError`` raised anywhere below becomes one ``error: …`` line on
stderr (plus ``hint: …``) and exit code 1, or 3 when the ledger itself cannot
be used. Anything else is a bug: a short message, exit 1, and the traceback
only with ``--traceback``.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter
    from typer._click.shell_completion import CompletionItem

from ordercli import __version__
from ordercli.cli.common import ledger_choice, state, version_text
from ordercli.domain.errors import OrderCliError


def _is_framework_exception(exc: BaseException) -> bool:
    """Typer's own signals (usage errors, --help, exit) pass through untouched."""
    return type(exc).__module__.split(".")[0] in {"typer", "click"}


def _say(*lines: str) -> None:
    err = typer.get_text_stream("stderr")
    for line in lines:
        err.write(line + "\n")
    err.flush()


# What each noun on the command line loads. A noun's module is imported and its commands
# built only when the noun is named: importing every command module and building all
# ~100 commands cost more than importing Typer itself, and a run uses one of them.
NOUN_MODULES = {
    "customer": "ordercli.cli.customer",
    "company": "ordercli.cli.company",
    "product": "ordercli.cli.product",
    "pricelist": "ordercli.cli.pricelist",
    "quote": "ordercli.cli.quote",
    "order": "ordercli.cli.order",
    "invoice": "ordercli.cli.invoice",
    "shipment": "ordercli.cli.shipment",
    "stock": "ordercli.cli.stock",
    "warehouse": "ordercli.cli.warehouse",
    "payment": "ordercli.cli.payment",
    "credit-memo": "ordercli.cli.credit_memo",
    "einvoice": "ordercli.cli.einvoice",
    "return": "ordercli.cli.returns",
    "billing-agreement": "ordercli.cli.billing_agreement",
    "rebate": "ordercli.cli.rebate",
    "terms": "ordercli.cli.terms",
    "collections": "ordercli.cli.collections",
    "report": "ordercli.cli.report",
    "account": "ordercli.cli.account",
    "export": "ordercli.cli.export",
    "import": "ordercli.cli.imports",
}
# The top-level commands, all defined in ordercli.cli.misc (a test keeps this list whole).
TOP_LEVEL_COMMANDS = (
    "numbering",
    "status",
    "ship",
    "check",
    "backup",
    "restore",
    "migrate-to",
    "version",
    "completion",
    "init",
    "demo",
)


# Where the root keeps its own arguments as typed, for ``--version`` (see _print_version).
ROOT_ARGS = "ordercli.root_args"


class LazyCommandGroup(TyperGroup):
    """The root group: builds a noun's commands the first time the noun is asked for."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        ctx.meta[ROOT_ARGS] = tuple(args)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: Context) -> list[str]:
        return [*NOUN_MODULES, *TOP_LEVEL_COMMANDS]

    def get_command(self, ctx: Context, name: str) -> Command | None:
        if name not in self.commands:
            if name in NOUN_MODULES:
                self.commands[name] = self._build(NOUN_MODULES[name], name)
            elif name in TOP_LEVEL_COMMANDS:
                self.commands.update(self._build("ordercli.cli.misc", None).commands)
        return self.commands.get(name)

    def resolve_command(self, ctx: Context, args: list[str]):
        """A name the root does not know is refused with the names it is close to, as a
        noun's group does for its verbs (Typer looks only at commands already built)."""
        name = args[0] if args else ""
        known = self.list_commands(ctx)
        if name and not name.startswith("-") and name not in known:
            close = difflib.get_close_matches(name, known)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {', '.join(map(repr, close))}?")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The list in ``ordercli --help``, laid out by Typer itself from the stand-ins
        (a test compares it with the list the built commands give)."""
        self._listing().format_commands(ctx, formatter)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        """Tab on the first word offers the names (with help lines) of the stand-ins, so
        it builds no noun's commands; an option is completed as Typer completes it."""
        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        listing = self._listing()
        return listing.shell_complete(typer.Context(listing, info_name=ctx.info_name), incomplete)

    def _listing(self) -> TyperGroup:
        """Stand-ins of the root's commands that carry only each one's help text: building
        every noun's ~100 commands to list them would cost more than the rest of
        ``--help``."""
        return TyperGroup(
            name=self.name,
            commands=[TyperCommand(name, help=text) for name, text in _command_summaries()],
        )

    def _build(self, module_name: str, name: str | None) -> TyperGroup:
        typer_app = importlib.import_module(module_name).app
        return typer.main.get_group_from_info(
            typer.models.TyperInfo(typer_app, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )


def _command_summaries():
    """(name, help text) of every command the root lists, in ``list_commands`` order."""
    for name, module_name in NOUN_MODULES.items():
        yield name, importlib.import_module(module_name).app.info.help or ""
    from ordercli.cli import misc

    texts = {info.name: info.typer_instance.info.help for info in misc.app.registered_groups}
    for info in misc.app.registered_commands:
        texts[info.name] = info.help or inspect.getdoc(info.callback)
    for name in TOP_LEVEL_COMMANDS:
        yield name, inspect.cleandoc(texts[name] or "")


class ErrorBoundaryGroup(LazyCommandGroup):
    def invoke(self, ctx: Context):
        try:
            return super().invoke(ctx)
        except OrderCliError as exc:
            _say(f"error: {exc.message}", *([f"hint: {exc.hint}"] if exc.hint else []))
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            # The reader (``| head``) went away; say nothing more, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except KeyboardInterrupt:
            _say("error: interrupted; nothing was changed")
            sys.exit(130)
        except Exception as exc:
            if _is_framework_exception(exc) or state(ctx).traceback:
                raise
            _say(
                f"error: unexpected {type(exc).__name__}: {exc}; nothing was changed",
                "hint: run with --traceback for details, and please report it",
            )
            sys.exit(1)


app = typer.Typer(
    cls=ErrorBoundaryGroup,
    name="ordercli",
    help="Order-to-cash ledger for a small business: quotes, orders, invoices, shipments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(ctx: typer.Context, value: bool) -> None:
    """``ordercli VERSION`` (the line scripts read), then the ledger in use and why; the
    ledger is named, never opened.

    ``--version`` is eager, so it answers before any other option is converted (Typer
    converts with Pydantic, whose import would double the time this takes); ``--db``
    is read as typed, by Click's own parser, from the arguments the root kept."""
    if value and not ctx.resilient_parsing:
        typed, _, _ = ctx.command.make_parser(ctx).parse_args(args=list(ctx.meta[ROOT_ARGS]))
        typer.echo(version_text(__version__, ledger_choice(typed.get("db"))))
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH_OR_URL",
            help="Ledger file or SQLAlchemy URL. Default: $ORDERCLI_DB, else "
            "ordercli.db in your user data directory.",
        ),
    ] = None,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the Python traceback of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and the ledger in use, and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
) -> None:
    """Order-to-cash ledger for a small business: quotes, orders, invoices, shipments.

    Example: ordercli order new ACME
    """
    current = state(ctx)
    current.db = db
    current.traceback = traceback or bool(os.environ.get("ORDERCLI_TRACEBACK"))


def main() -> None:
    # Pydantic runs only inside SQLModel's table classes here. Its plugin discovery
    # reads the entry points of every installed package, on every command, at a cost
    # of more than half a bare interpreter start-up. Setting PYDANTIC_DISABLE_PLUGINS
    # yourself (to "" for all plugins) keeps discovery on.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        app()
    finally:
        # Closing the last connection checkpoints SQLite's write-ahead log into the
        # ledger file, so a plain copy of the file (a naive backup) is complete.
        if "ordercli.db.engine" in sys.modules:
            sys.modules["ordercli.db.engine"].dispose_all()


if __name__ == "__main__":
    main()
