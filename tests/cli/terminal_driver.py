"""Run several ordercli command lines in one process, each after a marker line.

``python terminal_driver.py '[["--db", "x.db", "invoice", "list"], …]'``: the
command lines go through ordercli's root command exactly as ``ordercli ARGS``
would, so their output is what the user sees; the output console is made here,
inside the terminal (or pipe) this process runs in. One process for many
commands keeps the width tests fast: starting ordercli costs more than running
a read-only command.
"""

from __future__ import annotations

import json
import os
import sys

MARKER = "@@ordercli-command"


def main() -> None:
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ordercli.cli.app import app

    for index, args in enumerate(json.loads(sys.argv[1])):
        sys.stdout.write(f"\n{MARKER} {index}\n")
        sys.stdout.flush()
        try:
            app(args, standalone_mode=False)
        except SystemExit:
            pass
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    main()
