"""`ordercli account …`: the chart of accounts the journal posts to."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.common import JsonOpt, ledger
from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import render, table

journal = lazy_module("ordercli.books.journal")

app = typer.Typer(help="Chart of accounts: list, set codes and names.", no_args_is_help=True)


def _view(account) -> dict:
    return {"role": account.role, "code": account.code, "name": account.name, "kind": account.kind}


def _show(rows) -> None:
    table(
        "Accounts",
        [("code", "Code"), ("name", "Name"), ("role", "Role"), ("kind", "Kind")],
        rows if isinstance(rows, list) else [rows],
        status_keys=(),
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the accounts the journal posts to, with their roles.

    Example: ordercli account list
    """
    with ledger(ctx, write=False) as session:
        rows = [_view(a) for a in journal.list_accounts(session=session)]
    render(rows, as_json, _show)


@app.command("set")
def set_(
    ctx: typer.Context,
    role: Annotated[
        str,
        typer.Argument(
            metavar="ROLE",
            help="cash, receivable, sales_tax, customer_credit, revenue or refunds.",
        ),
    ],
    code: Annotated[str | None, typer.Option("--code", help="Account code in your books.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Account name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Give an account the code and name your accountant uses.

    Example: ordercli account set receivable --code 1400 --name "Debtors"
    """
    with ledger(ctx) as session:
        row = _view(journal.set_account(session=session, role=role, code=code, name=name))
    render(row, as_json, _show)
