"""Options and output shared by the commands that write documents (PDF or HTML)."""

from __future__ import annotations

from typing import Annotated

import typer

from ordercli.cli.lazy import lazy_module
from ordercli.cli.output import output, render

documents = lazy_module("ordercli.documents.files")

OutputOpt = Annotated[
    str | None,
    typer.Option(
        "-o",
        "--output",
        metavar="FILE",
        help="Write here; default: the document's number as a file name in this directory.",
    ),
]
HtmlOpt = Annotated[bool, typer.Option("--html", help="Write the HTML version instead of PDF.")]
TemplateDirOpt = Annotated[
    str | None,
    typer.Option(
        "--template-dir",
        metavar="DIR",
        help="Your own templates (else $ORDERCLI_TEMPLATES, else the company's setting); "
        "missing ones come from the bundled set.",
    ),
]


def _size(count: int) -> str:
    return f"{count / 1024:.0f} KB" if count >= 1024 else f"{count} bytes"


def show_written(doc: dict) -> None:
    output.line(f"wrote {doc['file']} ({doc['format'].upper()}, {_size(doc['bytes'])})")


def write(
    session,
    kind: str,
    key: str,
    *,
    output_path: str | None,
    html: bool,
    template_dir: str | None,
    as_json: bool,
    **options,
) -> None:
    doc = documents.write_document(
        session,
        kind,
        key,
        output=output_path,
        fmt="html" if html else "pdf",
        template_dir=template_dir,
        **options,
    )
    render(doc, as_json, show_written)
