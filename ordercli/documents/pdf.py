"""A document's HTML, laid out as a PDF with ReportLab's platypus.

The templates are the one source of every document: the same rendered HTML a
browser shows becomes the PDF. This module understands the small part of HTML
the templates use (see ``templates/README.md``):

* blocks: ``h1``–``h3``, ``p``, ``div``, ``table`` (``thead`` rows repeat on
  every page), ``hr``, ``img`` (``data:`` URIs only: a template never reads
  files), and ``div class="columns"`` whose child blocks sit side by side;
* inline: ``b``/``strong``, ``i``/``em``, ``br``, ``small``, ``span class="muted"``;
* classes: ``num`` (right-aligned cell), ``lines``/``totals``/``meta`` tables,
  ``grand`` (a bold total row), ``page-footer`` (printed at the foot of every
  page with the page number), ``keep`` (a block never split over pages).

Every piece of text is escaped for ReportLab (``fonts.markup``), so markup a
user typed (``<font>``, ``<img src=…>``, ``&``) prints literally.

The HTML is read by the standard library's parser, and only ReportLab's public
API lays it out: what must be fast uses the cheaper flowables (a table cell or
a line of plain text is set as a string, without the paragraph parser), never
ReportLab's internals, so a new ReportLab release cannot break it.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser

from ordercli.documents import fonts
from ordercli.domain.errors import InvalidInput

# ReportLab is imported inside the functions that lay out a page: only commands that
# write a PDF load it (tests/test_startup_imports.py checks the others do not).

VOID = {"br", "hr", "img", "meta", "link", "col", "input", "source", "wbr"}
SKIPPED = {"head", "style", "script", "title", "template", "noscript"}
INLINE = {"b", "strong", "i", "em", "span", "small", "br", "a", "u", "code", "sup", "sub"}
MM = 72 / 25.4
INK = "#1f2328"
MUTED = "#5f6670"
RULE = "#c9ced6"
SHADE = "#eef1f5"


_NO_CLASSES: frozenset[str] = frozenset()


@dataclass(slots=True)
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list = field(default_factory=list)
    classes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        spec = self.attrs.get("class")
        self.classes = frozenset(spec.split()) if spec else _NO_CLASSES

    def text(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            else:
                parts.append(child.text())
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("document")
        self.stack = [self.root]
        self.title = ""

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v or "") for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: (v or "") for k, v in attrs}))

    def handle_endtag(self, tag):
        # Close up to the matching open tag; a stray end tag is ignored.
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if self.stack[-1].tag == "title":
            self.title += data
        self.stack[-1].children.append(data)


def parse_html(html: str) -> tuple[Node, str]:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root, " ".join(builder.title.split())


@cache
def _color(value: str):
    """A colour as ReportLab's object, made once.

    ReportLab parses a colour given as a string every time it is used (a table
    command applies it to each cell): tens of thousands of parses in a batch.
    """
    from reportlab.lib.colors import HexColor

    return HexColor(value)


@cache
def _styles():
    """The paragraph styles, made once per process: paragraphs only read them."""
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle(
        "body",
        fontName=fonts.REGULAR,
        fontSize=9,
        leading=12,
        textColor=_color(INK),
        spaceAfter=2,
    )
    return {
        "p": base,
        "h1": ParagraphStyle("h1", base, fontName=fonts.BOLD, fontSize=18, leading=22),
        "h2": ParagraphStyle(
            "h2", base, fontName=fonts.BOLD, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "h3": ParagraphStyle("h3", base, fontName=fonts.BOLD, fontSize=10, leading=13),
        "cell": ParagraphStyle("cell", base, spaceAfter=0),
        "cell_num": ParagraphStyle("cell_num", base, spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", base, fontName=fonts.BOLD, spaceAfter=0),
        "head_num": ParagraphStyle(
            "head_num", base, fontName=fonts.BOLD, spaceAfter=0, alignment=TA_RIGHT
        ),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
    }


def _inline_markup(node: Node) -> str:
    """The paragraph markup of a node's inline content; whitespace collapses as in HTML."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(fonts.markup(re.sub(r"\s+", " ", child)))
            continue
        tag = child.tag
        if tag in SKIPPED:
            continue
        inner = _inline_markup(child)
        if tag == "br":
            parts.append("<br/>")
        elif tag in {"b", "strong"}:
            parts.append(f"<b>{inner}</b>")
        elif tag in {"i", "em"}:
            parts.append(f"<i>{inner}</i>")
        elif tag == "small":
            parts.append(f'<font size="7.5">{inner}</font>')
        elif "muted" in child.classes:
            parts.append(f'<font color="{MUTED}">{inner}</font>')
        elif tag in {"div", "p"}:
            parts.append(f"{inner}<br/>")
        else:
            parts.append(inner)
    return "".join(parts)


def _strip_breaks(text: str) -> str:
    text = text.strip()
    while text.startswith("<br/>"):
        text = text[5:].lstrip()
    while text.endswith("<br/>"):
        text = text[:-5].rstrip()
    return text


def _is_inline_only(node: Node) -> bool:
    return all(isinstance(c, str) or c.tag in INLINE or c.tag in SKIPPED for c in node.children)


class _Layout:
    def __init__(self, width: float, *, pdfa: bool = False):
        self.styles = _styles()
        self.width = width
        self.pdfa = pdfa
        self.footer: list[str] = []

    def blocks(self, node: Node, width: float) -> list:
        """The flowables of a node's children (an empty one for none: a table cell needs one)."""
        from reportlab.platypus import Preformatted

        story: list = []
        pending = Node("p")
        for child in node.children:
            if isinstance(child, str) or child.tag in INLINE:
                pending.children.append(child)
                continue
            if pending.children:
                story.extend(self._paragraph(pending, self.styles["p"], width))
                pending = Node("p")
            story.extend(self.block(child, width))
        if pending.children:
            story.extend(self._paragraph(pending, self.styles["p"], width))
        return (
            [f for f in story if f is not None] if story else [Preformatted("", self.styles["p"])]
        )

    def _paragraph(self, node: Node, style, width: float) -> list:
        from reportlab.platypus import Paragraph, Preformatted

        if all(isinstance(child, str) and child.isspace() for child in node.children):
            return []  # the indentation between two blocks
        if "right" in node.classes or "num" in node.classes:
            style = self.styles["right"] if style is self.styles["p"] else style
        plain = _plain_lines(node) if style is not self.styles["right"] else None
        if plain is not None:
            lines, bold, muted = plain
            look = _plain_style(style, bold, muted or "muted" in node.classes)
            if all(_fits(line, look.fontName, width - 1, look.fontSize) for line in lines):
                # Lines of plain text that fit are set as they are: ReportLab's markup
                # parser and line breaking would cost more than the rest of the page.
                return [Preformatted("\n".join(lines), look)]
        text = _strip_breaks(_inline_markup(node))
        if not text:
            return []
        if "muted" in node.classes:
            text = f'<font color="{MUTED}">{text}</font>'
        return [Paragraph(text, style)]

    def block(self, node: Node, width: float) -> list:
        from reportlab.platypus import HRFlowable, KeepTogether, Spacer

        tag, classes = node.tag, node.classes
        if tag in SKIPPED:
            return []
        if "page-footer" in classes:
            self.footer.extend(line.strip() for line in node.text().splitlines() if line.strip())
            return []
        if tag in {"h1", "h2", "h3"}:
            return self._paragraph(node, self.styles[tag], width)
        if tag == "hr":
            return [
                HRFlowable(
                    width="100%", thickness=0.6, color=_color(RULE), spaceBefore=4, spaceAfter=6
                )
            ]
        if tag == "img":
            return self._image(node)
        if tag == "table":
            return [self._table(node, width)]
        if tag == "div" and "columns" in classes:
            return [self._columns(node, width)]
        if tag == "div" and "spacer" in classes:
            return [Spacer(1, 4 * MM)]
        if tag in {"p", "address"} or _is_inline_only(node):
            return self._paragraph(node, self.styles["p"], width)
        flowables = self.blocks(node, width)
        if "keep" in classes:
            return [KeepTogether(flowables)]
        return flowables

    def _image(self, node: Node) -> list:
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        match = re.match(r"data:image/(png|jpeg);base64,(.*)", node.attrs.get("src", ""), re.S)
        if not match:
            return []  # only embedded images: a template never makes us read a file
        try:
            data = base64.b64decode(match.group(2), validate=False)
            if self.pdfa:
                data = _opaque_rgb(data)
            width, height = ImageReader(io.BytesIO(data)).getSize()
        except (binascii.Error, OSError, ValueError):
            return []
        max_height = _length(node.attrs.get("height"), 18 * MM)
        max_width = _length(node.attrs.get("width"), 70 * MM)
        scale = min(max_height / height, max_width / width)
        image = Image(io.BytesIO(data), width=width * scale, height=height * scale)
        image.hAlign = "LEFT"
        return [image]

    def _columns(self, node: Node, width: float):
        from reportlab.platypus import Table, TableStyle

        parts = [c for c in node.children if isinstance(c, Node) and c.tag not in SKIPPED]
        if not parts:
            return None
        widths = _widths([c.attrs.get("width") for c in parts], width)
        # A gutter between columns, none after the last: its right edge is the page's.
        gutters = [4 * MM] * (len(parts) - 1) + [0]
        cells = [
            self.blocks(part, w - gutter)
            for part, w, gutter in zip(parts, widths, gutters, strict=True)
        ]
        table = Table([cells], colWidths=widths, splitInRow=1)
        commands: list[tuple[object, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4 * MM),
            ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        if self.pdfa:
            # A table selects its cells' font (Helvetica unless told) even when the
            # cells draw only flowables in their own fonts: PDF/A wants it embedded.
            commands.append(("FONT", (0, 0), (-1, -1), fonts.REGULAR, 9, 12))
        table.setStyle(TableStyle(commands))
        return table

    def _table(self, node: Node, width: float):
        from reportlab.platypus import Paragraph, Table, TableStyle

        header_rows: list[Node] = []
        body_rows: list[Node] = []
        for row, section in _rows(node):
            (header_rows if section == "thead" else body_rows).append(row)
        rows = header_rows + body_rows
        if not rows:
            return None
        columns = max(len(_cells(row)) for row in rows)
        first = _cells(rows[0])
        declared = [c.attrs.get("width") for c in first][:columns]
        widths = _widths(declared + [None] * (columns - len(declared)), width)
        classes = node.classes
        # A short cell without markup is drawn as a string, its look set by table
        # commands: the same look as a paragraph at a fraction of the cost, which
        # batches feel. The cells of each look are gathered into a few rectangles,
        # one command each (a command costs a pass over the cells it covers).
        bold_cells: set[tuple[int, int]] = set()
        right_cells: set[tuple[int, int]] = set()
        muted_cells: set[tuple[int, int]] = set()
        styles: list[tuple[object, ...]] = list(_cell_commands())  # of different lengths
        data = []
        for r, row in enumerate(rows):
            cells = _cells(row)
            line: list = []
            for c, cell in enumerate(cells):
                numeric = "num" in cell.classes or "num" in row.classes
                heading = cell.tag == "th" or r < len(header_rows)
                bold = heading or "grand" in row.classes
                span = _int(cell.attrs.get("colspan"), 1)
                plain = _plain_text(cell) if span == 1 and c < columns else None
                if plain is not None and plain[1]:
                    bold = True
                font = fonts.BOLD if bold else fonts.REGULAR
                if plain is not None and _fits(plain[0], font, widths[c] - 6):
                    line.append(plain[0])
                    if bold:
                        bold_cells.add((r, c))
                    if numeric:
                        right_cells.add((r, c))
                    if "muted" in cell.classes:
                        muted_cells.add((r, c))
                    continue
                style = self.styles[("head" if heading else "cell") + ("_num" if numeric else "")]
                text = _strip_breaks(_inline_markup(cell))
                if "grand" in row.classes and text:
                    text = f"<b>{text}</b>"
                if "muted" in cell.classes and text:
                    text = f'<font color="{MUTED}">{text}</font>'
                line.append(Paragraph(text, style))
                if span > 1:
                    styles.append(("SPAN", (c, r), (min(c + span - 1, columns - 1), r)))
            line += [""] * (columns - len(line))
            data.append(line)
            if "grand" in row.classes:
                styles.append(("LINEABOVE", (0, r), (-1, r), 0.8, _color(INK)))
        for command, value, where in (
            ("FONTNAME", fonts.BOLD, bold_cells),
            ("ALIGN", "RIGHT", right_cells),
            ("TEXTCOLOR", _color(MUTED), muted_cells),
        ):
            styles += [(command, start, end, value) for start, end in _rectangles(where)]
        repeat = len(header_rows)
        if "lines" in classes:
            styles += [
                ("LINEBELOW", (0, repeat), (-1, -1), 0.3, _color(RULE)),
            ]
            if repeat:
                styles += [
                    ("BACKGROUND", (0, 0), (-1, repeat - 1), _color(SHADE)),
                    ("LINEBELOW", (0, repeat - 1), (-1, repeat - 1), 0.8, _color(INK)),
                ]
        table = Table(
            data, colWidths=widths, repeatRows=repeat, hAlign=_align(classes), splitInRow=1
        )
        table.setStyle(TableStyle(styles))
        return table


@cache
def _cell_commands() -> tuple[tuple[object, ...], ...]:
    """The table commands every cell starts from: the body text's font, size and colour."""
    everywhere = ((0, 0), (-1, -1))
    return (
        ("FONT", *everywhere, fonts.REGULAR, 9, 12),
        ("TEXTCOLOR", *everywhere, _color(INK)),
        ("VALIGN", *everywhere, "TOP"),
        ("TOPPADDING", *everywhere, 2.5),
        ("BOTTOMPADDING", *everywhere, 2.5),
        ("LEFTPADDING", *everywhere, 3),
        ("RIGHTPADDING", *everywhere, 3),
    )


def _rectangles(cells: set[tuple[int, int]]):
    """``(row, column)`` cells as a few ``((column, row), (column, row))`` rectangles.

    Each column's runs of consecutive rows, and neighbouring columns with the same run
    as one: a bold header row and a right-aligned column are one rectangle each.
    """
    rows_of: dict[int, list[int]] = {}
    for row, column in sorted(cells):
        rows_of.setdefault(column, []).append(row)
    columns_of: dict[tuple[int, int], list[int]] = {}  # a run of rows: the columns it is in
    for column in sorted(rows_of):
        for run in _consecutive(rows_of[column]):
            columns_of.setdefault(run, []).append(column)
    for (first_row, last_row), columns in columns_of.items():
        for first_column, last_column in _consecutive(columns):
            yield (first_column, first_row), (last_column, last_row)


def _consecutive(numbers: list[int]):
    """Sorted numbers as (first, last) runs of consecutive ones: 1 2 3 5 is (1, 3), (5, 5)."""
    first = last = numbers[0]
    for number in numbers[1:]:
        if number != last + 1:
            yield first, last
            first = number
        last = number
    yield first, last


def _plain_text(cell: Node) -> tuple[str, bool] | None:
    """The text of a cell holding only text (or only bold text), and whether it is bold."""
    children = cell.children
    bold = False
    if len(children) == 1 and isinstance(children[0], Node) and children[0].tag in {"b", "strong"}:
        children, bold = children[0].children, True
    if not all(isinstance(child, str) for child in children):
        return None
    return " ".join("".join(children).split()), bold


def _fits(text: str, font: str, width: float, size: float = 9) -> bool:
    """Whether ``text`` is drawn as it is, by the main font, on one line of ``width``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return (
        fonts.main_glyphs().issuperset(map(ord, text))
        and fonts.visual(text) == text  # right-to-left text is reordered first
        and stringWidth(text, font, size) <= width
    )


def _plain_lines(node: Node) -> tuple[list[str], bool, bool] | None:
    """The lines of a paragraph of text and line breaks, and whether it is all bold or
    all muted; None for anything else (other markup, an empty line between two)."""
    children = node.children
    bold = muted = False
    if len(children) == 1 and isinstance(children[0], Node):
        only = children[0]
        bold = only.tag in {"b", "strong"}
        muted = only.tag == "span" and "muted" in only.classes
        if bold or muted:
            children = only.children
    lines = [""]
    for child in children:
        if isinstance(child, str):
            lines[-1] += child
        elif child.tag == "br":
            lines.append("")
        else:
            return None
    # Whitespace collapses and lines lose their edges, as in a paragraph.
    lines = [" ".join(line.split()) for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    if not lines or not all(lines):
        return None
    return lines, bold, muted


@cache
def _plain_style(style, bold: bool, muted: bool):
    """A paragraph style in bold or muted, for plain text set without markup."""
    from reportlab.lib.styles import ParagraphStyle

    if not bold and not muted:
        return style
    return ParagraphStyle(
        f"{style.name}{'-bold' if bold else ''}{'-muted' if muted else ''}",
        style,
        fontName=fonts.BOLD if bold else style.fontName,
        textColor=_color(MUTED) if muted else style.textColor,
    )


def _rows(table: Node):
    for child in table.children:
        if not isinstance(child, Node):
            continue
        if child.tag == "tr":
            yield child, "tbody"
        elif child.tag in {"thead", "tbody", "tfoot"}:
            for row in child.children:
                if isinstance(row, Node) and row.tag == "tr":
                    yield row, child.tag


def _cells(row: Node) -> list[Node]:
    return [c for c in row.children if isinstance(c, Node) and c.tag in {"td", "th"}]


def _align(classes: frozenset[str]) -> str:
    return "RIGHT" if "right" in classes or "totals" in classes else "LEFT"


def _int(text: str | None, default: int) -> int:
    try:
        return max(1, int(text)) if text else default
    except ValueError:
        return default


def _length(text: str | None, default: float) -> float:
    """An HTML length (``40px``, ``12mm``, ``60``) in points."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(px|mm|pt)?\s*", text or "")
    if not match:
        return default
    value = float(match.group(1))
    return value * {"mm": MM, "pt": 1.0}.get(match.group(2) or "px", 0.75)


def _widths(declared: list[str | None], total: float) -> list[float]:
    """Column widths from ``width="30%"`` (or mm/px) attributes; the rest share what is left."""
    fixed: list[float | None] = []
    for text in declared:
        if text and text.strip().endswith("%"):
            try:
                fixed.append(total * float(text.strip()[:-1]) / 100)
                continue
            except ValueError:
                pass
        fixed.append(_length(text, 0) or None if text else None)
    free = [i for i, w in enumerate(fixed) if w is None]
    left = max(total - sum(w for w in fixed if w), 0)
    share = left / len(free) if free else 0
    return [w if w is not None else share for w in fixed]


def _opaque_rgb(data: bytes) -> bytes:
    """An image as PDF/A allows it: opaque RGB (or grey) with no alpha channel.

    PDF/A forbids transparency, and ReportLab would carry a logo's alpha channel as a
    soft mask; an image in CMYK would need a CMYK output intent the document lacks.
    Such an image is laid onto white and converted to RGB; any other is kept as it is.
    """
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as image:
        if image.mode in {"RGB", "L"} and "transparency" not in image.info:
            return data
        rgba = image.convert("RGBA")
    flat = PILImage.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    buffer = io.BytesIO()
    flat.save(buffer, "PNG")
    return buffer.getvalue()


def prepare() -> None:
    """Load ReportLab and the fonts now, e.g. once before forking workers that share them."""
    import reportlab.pdfgen.canvas  # noqa: F401 - loaded here so that workers inherit it
    import reportlab.platypus  # noqa: F401

    fonts.register_fonts()
    fonts.main_glyphs()
    _styles()
    _cell_commands()


def html_to_pdf(html: str, *, title: str = "", author: str = "", pdfa: bool = False) -> bytes:
    """Lay out the rendered template as an A4 PDF with page numbers on every page.

    With ``pdfa`` the pages are drawn as PDF/A-3 wants them (a Factur-X invoice is
    this PDF): no font that is not embedded, no transparency, colours in RGB. The
    document-level parts (the sRGB output intent, the XMP metadata) are added by
    ``ordercli.einvoice.facturx_pdf``.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    fonts.register_fonts()
    root, html_title = parse_html(html)
    body = _find(root, "body") or root
    buffer = io.BytesIO()
    margin = 16 * MM
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 8 * MM,
        title=title or html_title,
        author=author,
        creator="ordercli",
        invariant=1,
        # ReportLab starts every page by selecting its default font, Helvetica, which
        # is never embedded: PDF/A needs every font a page names embedded.
        **({"initialFontName": fonts.REGULAR} if pdfa else {}),
    )
    placed: list[int] = []

    def place_footer(canvas, _doc) -> None:
        # Once the page's content is drawn, so the footer is read after it.
        placed.append(canvas.getPageNumber())
        canvas.doForm(_footer_form(placed[-1]))

    # The frame keeps 6 pt of padding on each side of the text block.
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="normal")
    doc.addPageTemplates([PageTemplate("page", [frame], onPageEnd=place_footer)])
    width = doc.width - 12
    layout = _Layout(width, pdfa=pdfa)
    story = layout.blocks(body, width)
    canvasmaker = _footed_canvas(placed, layout.footer, margin, title or html_title)
    try:
        doc.build(story, canvasmaker=canvasmaker)
    except Exception as exc:  # ReportLab's LayoutError and friends: a template problem
        if type(exc).__module__.startswith("reportlab"):
            raise InvalidInput(
                "the document could not be laid out as a PDF: a table row or a block kept "
                "together is taller than a page"
            ) from None
        raise
    return buffer.getvalue()


def _find(node: Node, tag: str) -> Node | None:
    for child in node.children:
        if isinstance(child, Node):
            if child.tag == tag:
                return child
            found = _find(child, tag)
            if found is not None:
                return found
    return None


def _footer_form(number: int) -> str:
    return f"page-footer-{number}"


def _footed_canvas(placed: list[int], footer: list[str], margin: float, title: str):
    """A canvas that draws each page's footer and "Page N of M" once the page count is known.

    Every page places a form (a PDF XObject) named after its number once its
    content is laid out (``place_footer``); ReportLab lets a form be placed
    before it is drawn, and the forms are drawn here, before the file is written.
    """
    from reportlab.pdfgen.canvas import Canvas

    class FootedCanvas(Canvas):
        def save(self) -> None:
            for number in placed:
                self.beginForm(_footer_form(number))
                _draw_footer(self, number, len(placed), footer, margin, title)
                self.endForm()
            super().save()

    return FootedCanvas


def _draw_footer(
    canvas, number: int, total: int, footer: list[str], margin: float, title: str
) -> None:
    from reportlab.lib.pagesizes import A4

    width, _ = A4
    canvas.setStrokeColor(_color(RULE))
    canvas.setLineWidth(0.5)
    canvas.line(margin, margin + 4, width - margin, margin + 4)
    canvas.setFillColor(_color(MUTED))
    # Pages after the first name their document: a loose page is still placed.
    label = f"Page {number} of {total}"
    if number > 1 and title:
        label = f"{title} · {label}"
    label_width = _text_width(label)
    _draw_text(canvas, width - margin - label_width, margin - 6, label)
    y = margin - 6
    room = width - 2 * margin - label_width - 12
    for line in footer[:3]:
        _draw_text(canvas, margin, y, _clipped(line, room))
        y -= 9
        room = width - 2 * margin


FOOTER_SIZE = 7.5


def _runs(text: str):
    """A footer line cut into (font, run) pieces, in the order it is drawn."""
    return fonts.runs(fonts.visual(text))


def _text_width(text: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, font, FOOTER_SIZE) for font, run in _runs(text))


def _clipped(text: str, room: float) -> str:
    if _text_width(text) <= room:
        return text
    while text and _text_width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def _draw_text(canvas, x: float, y: float, text: str) -> None:
    """One footer line, with the fallback font for the characters that need it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for font, run in _runs(text):
        canvas.setFont(font, FOOTER_SIZE)
        canvas.drawString(x, y, run)
        x += stringWidth(run, font, FOOTER_SIZE)
