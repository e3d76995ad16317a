"""Jinja2 templates: where they are found, how values are formatted, what errors say.

A user's template directory comes first (the ``--template-dir`` option, else
``$ORDERCLI_TEMPLATES``, else ``company set --template-dir``), the bundled
``ordercli/documents/templates/`` (package data) second, so a user may replace
one template and keep the rest.
Templates are autoescaped and undefined names are errors: a typo in a template
is reported with the template's name and line, never printed as an empty space.
"""

from __future__ import annotations

import os
import traceback
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from markupsafe import Markup, escape

from ordercli.domain.errors import InvalidInput
from ordercli.domain.text import TYPED_LINE_BREAK
from ordercli.domain.units import unit_symbol

# Jinja2 and Babel's number and date formats are imported inside the functions that
# render: only commands that write a document load them.


def builtin_dir() -> Path:
    """The bundled templates: package data of ``ordercli.documents``, in a checkout and
    in an installed wheel alike."""
    return Path(str(resources.files("ordercli.documents") / "templates"))


def template_dirs(explicit: str | None, configured: str | None) -> list[Path]:
    chosen = explicit or os.environ.get("ORDERCLI_TEMPLATES") or configured
    dirs = []
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_dir():
            source = (
                "--template-dir"
                if explicit
                else "$ORDERCLI_TEMPLATES"
                if os.environ.get("ORDERCLI_TEMPLATES")
                else "the company's template directory"
            )
            raise InvalidInput(f"{source} {chosen} is not a directory")
        dirs.append(path)
    dirs.append(builtin_dir())
    return dirs


class Formats:
    """Money, quantities, rates and dates as the company's locale writes them.

    Each distinct value is formatted once per instance (one currency and
    locale): Babel's formatting is the dearest part of rendering a template,
    and a batch of invoices prints the same prices, rates and dates again and
    again. Values are told apart by type and exact text, so ``19`` and ``19.0``
    stay two values.
    """

    REMEMBERED = 20_000

    def __init__(self, currency: str, locale: str):
        from babel import Locale, UnknownLocaleError

        try:
            self.locale = Locale.parse(locale or "en_US")
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse("en_US")
        self.currency = currency
        self._done: dict[tuple, str] = {}

    def _once(self, kind: str, value, format_value) -> str:
        key = (kind, type(value), str(value))
        text = self._done.get(key)
        if text is None:
            if len(self._done) >= self.REMEMBERED:
                self._done.clear()
            text = self._done[key] = format_value(value)
        return text

    def money(self, value) -> str:
        return self._once("money", value, self._money)

    def qty(self, value) -> str:
        return self._once("qty", value, self._qty)

    def pct(self, value) -> str:
        return self._once("pct", value, self._pct)

    def date(self, value) -> str:
        return self._once("date", value, self._date)

    def _money(self, value) -> str:
        from babel.numbers import format_currency

        if value is None or value == "":
            return ""
        return format_currency(Decimal(value), self.currency, locale=self.locale)

    def _qty(self, value) -> str:
        from babel.numbers import format_decimal

        if value is None or value == "":
            return ""
        return format_decimal(Decimal(value), format="#,##0.###", locale=self.locale)

    def _pct(self, value) -> str:
        from babel.numbers import format_percent

        if value is None or value == "":
            return ""
        return format_percent(Decimal(value) / 100, locale=self.locale, decimal_quantization=False)

    def _date(self, value) -> str:
        from babel.dates import format_date

        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return format_date(value, format="medium", locale=self.locale)


def _lines(value) -> Markup:
    """Multi-line text (an address) with each line escaped and joined by ``<br>``; a
    ``\\n`` typed before ordercli stored it as a line break is one too."""
    if not value:
        return Markup("")
    text = str(value).replace(TYPED_LINE_BREAK, "\n")
    return Markup("<br>").join(escape(line.strip()) for line in text.splitlines() if line.strip())


@cache
def _environment(dirs: tuple[Path, ...], currency: str, locale: str):
    """One environment per template path and format: a batch compiles each template once."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

    formats = Formats(currency, locale)
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        money=formats.money,
        qty=formats.qty,
        pct=formats.pct,
        date=formats.date,
        lines=_lines,
        unit=unit_symbol,
    )
    return env


def render_html(
    template_name: str, context: dict, *, dirs: list[Path], currency: str, locale: str
) -> str:
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

    env = _environment(tuple(dirs), currency, locale)
    try:
        template = env.get_template(template_name)
        return template.render(**context)
    except TemplateNotFound as exc:
        where = ", ".join(str(d) for d in dirs)
        raise InvalidInput(f"template {exc.name} not found (looked in {where})") from None
    except TemplateSyntaxError as exc:
        name = exc.filename or exc.name or template_name
        raise InvalidInput(f"template {name}, line {exc.lineno}: {exc.message}") from None
    except (TemplateError, TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
        name, line = _template_frame(exc, dirs) or (template_name, "?")
        message = getattr(exc, "message", None) or str(exc)
        raise InvalidInput(f"template {name}, line {line}: {message}") from None


def _template_frame(exc: BaseException, dirs: list[Path]) -> tuple[str, int] | None:
    """The template file and line where rendering failed (Jinja rewrites the traceback)."""
    roots = [str(d.resolve()) for d in dirs]
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = str(Path(frame.filename).resolve()) if frame.filename else ""
        if any(filename.startswith(root) for root in roots) and frame.lineno:
            found = (frame.filename, frame.lineno)
    return found
