"""Print docs/reference.md: every command's --help, read from the command line itself.

    .venv/bin/python tools/gen_reference.py > docs/reference.md   # or: make docs-reference

The root group builds a noun's commands only when the noun is asked for, so the tree is
walked through the groups' own interface (``list_commands``/``get_command``) and each help
page is what ``ordercli NOUN VERB --help`` prints, at a fixed width so the file does not
depend on the terminal it was made in. ``tests/test_doc_reference.py`` fails when the
committed file differs from what this prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import typer
import typer.main

from ordercli.cli.app import app

WIDTH = 88

HEADER = """\
# Command reference

Every command's `--help`, as ordercli prints it. This page is generated from the
command line itself (`make docs-reference`); do not edit it by hand.

"""


def walk(command, parent: typer.Context | None, name: str) -> Iterator[str]:
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    context = typer.Context(command, parent=parent, info_name=name, **settings)
    path = context.command_path
    level = 3 if path.count(" ") > 1 else 2  # a noun's verbs under their noun
    yield f"{'#' * level} `{path}`\n\n```text\n{command.get_help(context).rstrip()}\n```\n"
    if hasattr(command, "list_commands"):  # a group: the root or a noun
        for sub_name in command.list_commands(context):
            sub = command.get_command(context, sub_name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, context, sub_name)


def reference() -> str:
    root = typer.main.get_command(app)
    return HEADER + "\n".join(walk(root, None, "ordercli"))


if __name__ == "__main__":
    sys.stdout.write(reference())
