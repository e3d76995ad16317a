"""The root of the command line: global options, the nouns, the error boundary.

Every ``OrderCliError`` raised anywhere below becomes one ``error: …`` line on
stderr (plus ``hint: …``) and exit code 1, or 3 when the ledger itself cannot
be used. Anything else is a bug: a short message, exit 1, and the traceback
only with ``--traceback``.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from ordercli.cli import (
    account,
    billing_agreement,
    company,
    credit_memo,
    customer,
    export,
    imports,
    invoice,
    misc,
    order,
    payment,
    product,
    quote,
    report,
    returns,
    shipment,
    stock,
    warehouse,
)
from ordercli.cli.common import state
from ordercli.domain.errors import OrderCliError


def _is_framework_exception(exc: BaseException) -> bool:
    """Typer's own signals (usage errors, --help, exit) pass through untouched."""
    return type(exc).__module__.split(".")[0] in {"typer", "click"}


def _say(*lines: str) -> None:
    err = typer.get_text_stream("stderr")
    for line in lines:
        err.write(line + "\n")
    err.flush()


class ErrorBoundaryGroup(TyperGroup):
    def invoke(self, ctx: typer.Context):
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
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
) -> None:
    """Order-to-cash ledger for a small business: quotes, orders, invoices, shipments.

    Example: ordercli order new ACME
    """
    current = state(ctx)
    current.db = db
    current.traceback = traceback or bool(os.environ.get("ORDERCLI_TRACEBACK"))


app.add_typer(customer.app, name="customer")
app.add_typer(company.app, name="company")
app.add_typer(product.app, name="product")
app.add_typer(quote.app, name="quote")
app.add_typer(order.app, name="order")
app.add_typer(invoice.app, name="invoice")
app.add_typer(shipment.app, name="shipment")
app.add_typer(stock.app, name="stock")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(payment.app, name="payment")
app.add_typer(credit_memo.app, name="credit-memo")
app.add_typer(returns.app, name="return")
app.add_typer(billing_agreement.app, name="billing-agreement")
app.add_typer(report.app, name="report")
app.add_typer(account.app, name="account")
app.add_typer(export.app, name="export")
app.add_typer(imports.app, name="import")
misc.register(app)


def main() -> None:
    try:
        app()
    finally:
        # Closing the last connection checkpoints SQLite's write-ahead log into the
        # ledger file, so a plain copy of the file (a naive backup) is complete.
        if "ordercli.db" in sys.modules:
            sys.modules["ordercli.db"].dispose_all()


if __name__ == "__main__":
    main()
