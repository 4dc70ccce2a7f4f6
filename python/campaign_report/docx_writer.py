"""Write a :class:`Document` as a .docx laid out after GB/T 9704-2012 (党政机关公文格式).

All formatting lives in named styles in styles.xml, so that the office can still adjust the
document in Word; runs carry no direct formatting except the 主题词 label (a character style).
The official Chinese fonts are named as East Asian fonts (``w:rFonts w:eastAsia``) because
python-docx's ``font.name`` only writes the Latin slots and Word would fall back to the theme.

The closing block follows GB/T 9704-2012 §7.3.5 and §7.4: the 署名 and date share a page with
body text, and the 版记 sits at the foot of the last page, which is even (a blank page is added
when needed; neither the blank page nor a page holding only the 版记 is numbered). Where the
pages end is known only after layout, so :func:`write_docx` takes a ``measure`` function (render
and read back, see ``adapters/pdf_layout.py``) and lets :mod:`campaign_report.page_fit` decide;
without one the 版记 goes on a page of its own, at its foot, made even by counting lines
(:mod:`campaign_report.page_estimate`), which can be a line off where fonts break differently.
"""

from __future__ import annotations

import copy
import io
import math
import re
import tempfile
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt, Twips
from docx.styles.style import BaseStyle, ParagraphStyle
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph
from lxml import etree

from campaign_report import page_fit
from campaign_report.atomic import atomic_path
from campaign_report.document import (
    Document,
    Heading,
    Paragraph,
    Table,
    TextLine,
    full_width_punctuation,
)
from campaign_report.page_fit import Layout

# --- Page and grid (twips: 1/20 pt, 1 mm = 1440 / 25.4 ≈ 56.69 twips) -------------------------

PAGE_WIDTH = 11906  # A4 210 mm as Word writes it
PAGE_HEIGHT = 16838  # A4 297 mm
MARGIN_TOP = 2098  # 37 mm
MARGIN_BOTTOM = 1984  # 35 mm
# 28 mm is 1587.4 twips; 1588 makes the type area exactly 8844 twips = 156.0 mm wide.
MARGIN_LEFT = 1588
MARGIN_RIGHT = 1474  # 26 mm
TYPE_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 8844 twips = 156 mm
TYPE_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 12756 twips = 225 mm

LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
# 12756 / 22 = 579.8; rounding down keeps 22 lines inside the type area (22 × 579 = 12738).
LINE_PITCH = TYPE_HEIGHT // LINES_PER_PAGE  # 579 twips ≈ 28.95 pt

BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
SMALL_PT = 14  # 4号: page numbers, 版记, tables


def _char_space() -> int:
    """``w:docGrid/@w:charSpace`` for 28 characters of 3号 a line.

    ECMA-376 §17.6.5: charSpace = (grid pitch − Normal font size) × 4096, in points. The pitch
    is 8844 / 20 / 28 = 15.793 pt, i.e. 0.207 pt less than the 16 pt Normal size: −848.46.
    Word fits floor(type width / pitch) characters, so round towards the narrower pitch
    (−849 → 28 × 15.7927 = 442.196 pt ≤ 442.2 pt); −848 would leave room for only 27.
    """
    pitch_pt = TYPE_WIDTH / 20 / CHARS_PER_LINE
    return math.floor((pitch_pt - BODY_PT) * 4096)


CHAR_SPACE = _char_space()  # -849
BODY_TRACKING = -10  # twips = −0.5 pt character spacing; see _setup_normal

# The standard puts the page number's em dashes 7 mm below the type area, i.e. 35 − 7 = 28 mm
# above the bottom edge. Word's footer distance measures to the bottom of the footer line; the
# number line is exactly 14 pt (4.94 mm) high and the dash sits at about its middle, so the
# footer distance is 28 mm − 2.47 mm ≈ 25.5 mm.
FOOTER_DISTANCE = round((28 - SMALL_PT / 2 * 25.4 / 72) * 1440 / 25.4)  # 1447 twips
HEADER_DISTANCE = 851  # 15 mm; there is no header, Word only needs a value inside the margin

# 版记 rules: w:sz is in eighths of a point. 0.35 mm = 0.99 pt → 8 (1 pt); 0.25 mm = 0.71 pt →
# 5.7, and Word offers ¾ pt (6) as the nearest line width.
THICK_RULE = 8
THIN_RULE = 6

# The type area in points from the page top, for page_fit's measurements.
GEOMETRY = page_fit.Geometry(type_top=MARGIN_TOP / 20, type_bottom=(MARGIN_TOP + TYPE_HEIGHT) / 20)

# --- Fonts ----------------------------------------------------------------------------------

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
FANGSONG_WIN = "仿宋"
KAITI_WIN = "楷体"
LATIN = "Times New Roman"

# Every East Asian font the styles name, as the font table describes it to Word: (font a plain
# Windows PC has instead, PANOSE). Word substitutes a missing font by w:altName first, then by
# PANOSE and family; 仿宋, 楷体, 黑体 and 宋体 come with Chinese Windows (and with the Chinese
# supplemental fonts of any Windows), the GB2312 faces and 方正小标宋 do not.
FONT_FALLBACKS = {
    FANGSONG: (FANGSONG_WIN, "02010609060101010101"),
    KAITI: (KAITI_WIN, "02010609060101010101"),
    XIAOBIAOSONG: (SONGTI, "02010600030101010101"),
    HEITI: (None, "02010609060101010101"),
    SONGTI: (None, "02010600030101010101"),
}

# --- Style names (Word shows these; the ids drop the spaces) --------------------------------

BODY = "GB Body"
TITLE = "GB Title"
ADDRESSEE = "GB Addressee"
HEADING_1 = "GB Heading 1"
HEADING_2 = "GB Heading 2"
CLOSING = "GB Closing"
TABLE_TEXT = "GB Table Text"
TABLE_TEXT_LONG = "GB Table Text Long"
TABLE_HEADER = "GB Table Header"
KEYWORDS = "GB Keywords"
KEYWORDS_LABEL = "GB Keywords Label"
COPY_TO = "GB Copy To"
IMPRINT = "GB Imprint"
RULE_THICK = "GB Rule Thick"
RULE_THIN = "GB Rule Thin"
IMPRINT_SPACE = "GB Imprint Space"
PAGE_NUMBER = "GB Page Number"
PAGE_NUMBER_ODD = "GB Page Number Odd"
PAGE_NUMBER_EVEN = "GB Page Number Even"

COPY_TO_LABEL = "抄送："
KEYWORDS_TEXT_LABEL = "主题词："

# Levels three and four are 3号 仿宋 like the body (the note on GB/T 9704), so anything below
# level two is written as a body paragraph rather than rejected.
_HEADING_STYLES = {1: HEADING_1, 2: HEADING_2}

# Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR). Text pasted into
# workbook cells occasionally contains them; lxml would refuse the whole document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Schema order of w:pPr children, for the ones python-docx has no accessor for.
_PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
    "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)  # fmt: skip
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_RPR_AFTER_SPACING = (
    "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr",
    "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", *_RPR_AFTER_LANG,
)  # fmt: skip


Measure = Callable[[Path], "list[TextLine] | None"]
MAX_PASSES = 6  # renders per document; two or three settle it


def write_docx(
    document: Document, path: Path, measure: Measure | None = None, layout: Layout | None = None
) -> Path:
    """Write ``document`` to ``path`` as a GB/T 9704-2012 .docx and return ``path``.

    ``measure`` renders a .docx and returns its text lines (None if it cannot); with it the
    closing block is fitted to the measured pages (or ``layout``, from :func:`fit_layout`, is
    used as it is). The file is written to a temporary name in the same folder and moved into
    place, so a reader (or a crash) never sees half a file.
    """
    path = Path(path)
    build = _Builder(document)
    if layout is None:
        layout = fit_layout(document, measure, build) if measure else None
    if layout is None:
        layout = _estimated_layout(document)
    _save_atomically(build(layout), path)
    return path


def _estimated_layout(document: Document) -> Layout:
    # page_estimate counts with this module's geometry, so it is imported when first needed.
    from campaign_report.page_estimate import estimated_layout

    return estimated_layout(document)


def fit_layout(
    document: Document, measure: Measure, build: _Builder | None = None
) -> Layout | None:
    """Render, measure and adjust until the closing block sits where the standard wants it;
    None when ``measure`` cannot tell (no LibreOffice).

    A ``measure`` with a ``many`` attribute (a function of a list of paths) is asked for the
    layouts the first measurement may call for too, all at once: one LibreOffice start
    instead of two, and the same measurements as one by one. One with a ``ready`` attribute
    that says False (no LibreOffice) is not given a trial to build at all.
    """
    ready = getattr(measure, "ready", None)
    if ready is not None and not ready():
        return None
    with tempfile.TemporaryDirectory(prefix="campaign-report-") as tmp:
        lines_of = _Measurements(build or _Builder(document), measure, Path(tmp))
        layout = _first_layout(document, lines_of)
        for _ in range(MAX_PASSES):
            lines = lines_of(layout)
            if lines is None:
                return None
            following = page_fit.next_layout(document, layout, lines, GEOMETRY)
            if following is None:
                return None
            if following == layout:
                break
            if following == replace(layout, spacer=following.spacer):
                # Only the space above the 版记 changed: it moves the 版记 down its page by
                # exactly that much, so there is nothing left to measure.
                return following
            layout = following
    return layout


def _first_layout(document: Document, lines_of: _Measurements) -> Layout:
    """The layout to measure first: the 版记 following the date, as page_fit starts.

    Where counting puts the date well inside an odd page, that layout would be measured only
    to be moved to a page of its own; with a ``many`` measure the own-page layout is measured
    alone instead, and taken when its lines (the body and closing lie as in the flowing one)
    lead page_fit to the same move. Otherwise, or if counting was wrong, the usual start.
    """
    flowing = Layout()
    own = replace(flowing, imprint=page_fit.OWN_PAGE, spacer=0)
    if lines_of.many is None or lines_of.imprints(flowing) != [page_fit.OWN_PAGE]:
        return flowing  # counting does not put the date well inside an odd page
    lines = lines_of(own)
    settled = lines is not None and page_fit.next_layout(document, flowing, lines, GEOMETRY) == own
    return own if settled else flowing


class _Measurements:
    """The measured lines of each trial layout, rendered (in batches) when first asked for."""

    def __init__(self, build: _Builder, measure: Measure, folder: Path) -> None:
        self.build, self.measure, self.folder = build, measure, folder
        self.many: Callable[[list[Path]], list[list[TextLine] | None]] | None = getattr(
            measure, "many", None
        )
        self.lines: dict[Layout, list[TextLine] | None] = {}
        self.counted: dict[Layout, list[str]] = {}

    def imprints(self, layout: Layout) -> list[str]:
        """:func:`~campaign_report.page_estimate.imprints_to_try` for ``layout``, counted once."""
        if layout not in self.counted:
            from campaign_report.page_estimate import imprints_to_try

            self.counted[layout] = imprints_to_try(self.build.document, layout)
        return self.counted[layout]

    def __call__(self, layout: Layout) -> list[TextLine] | None:
        if layout not in self.lines:
            trials = [layout]
            if self.many is not None and layout.imprint == page_fit.FLOW:
                # What page_fit asks for next when the date's page is odd or full, as far as
                # counting lines tells: each trial more costs LibreOffice a quarter second.
                for imprint in self.imprints(layout):
                    trials.append(replace(layout, imprint=imprint, spacer=0))
                trials = [t for t in trials if t == layout or t not in self.lines]
            paths = []
            for trial in trials:
                paths.append(self.folder / f"trial-{len(self.lines) + len(paths)}.docx")
                self.build(trial).save(str(paths[-1]))
            found = self.many(paths) if self.many is not None else [self.measure(paths[0])]
            self.lines.update(zip(trials, found, strict=True))
        return self.lines[layout]


# --- Building ---------------------------------------------------------------------------------


class _Builder:
    """Builds ``document`` in one layout after another.

    Everything before the last block is the same in every layout (the last paragraph may give
    its final lines to the closing's page), so it is built once, saved, and each layout starts
    from a fresh parse of those bytes: a small part of what building it with python-docx costs.
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.shared_blocks = max(len(document.blocks) - 1, 0)
        self._start: bytes | None = None

    def __call__(self, layout: Layout = page_fit.UNMEASURED) -> WordDocument:
        if self._start is None:
            buffer = io.BytesIO()
            _build_start(self.document, self.shared_blocks).save(buffer)
            self._start = buffer.getvalue()
        word = docx.Document(io.BytesIO(self._start))
        _add_blocks(word, self.document.blocks, layout.tail, start=self.shared_blocks)
        _add_closing(word, self.document, layout)
        _add_imprint(word, self.document, layout)
        return word


def _build_start(document: Document, blocks: int) -> WordDocument:
    """Page, styles, footers, properties, title, addressee and the first ``blocks`` blocks."""
    word = docx.Document()
    _setup_page(word)
    _setup_styles(word)
    _setup_footers(word)
    _setup_properties(word, document)

    _add_paragraph(word, document.title, TITLE)
    if document.addressee.strip():
        addressee = document.addressee.strip().rstrip(":：")
        _add_paragraph(word, f"{addressee}：", ADDRESSEE)
    _add_blocks(word, document.blocks[:blocks])
    return word


def _add_paragraph(word: WordDocument, text: str, style: str) -> WordParagraph:
    # python-docx escapes the text and turns \n into w:br and \t into w:tab.
    return _new_paragraph(word, style, _clean(text))


# Style ids by name, once a document: python-docx looks a name up by searching styles.xml,
# and a big table sets a style on every cell.
_STYLE_IDS: weakref.WeakKeyDictionary[object, dict[str, str | None]] = (
    weakref.WeakKeyDictionary()
)  # the document's part -> {style name: id}


def _style_id(word: WordDocument, name: str) -> str | None:
    ids = _STYLE_IDS.setdefault(word.part, {})
    if name not in ids:
        ids[name] = word.styles.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
    return ids[name]


def _new_paragraph(word: WordDocument, style: str, text: str = "") -> WordParagraph:
    """``word.add_paragraph(text, style)``, with the style's id looked up once."""
    paragraph = word.add_paragraph(text)
    paragraph._p.style = _style_id(word, style)
    return paragraph


def _clean(text: str) -> str:
    return full_width_punctuation(_XML_INVALID.sub("", text))


def _add_blocks(
    word: WordDocument,
    blocks: Sequence[Heading | Paragraph | Table],
    tail: str = "",
    start: int = 0,
) -> None:
    """Add ``blocks[start:]`` (the ones before are in ``word`` already)."""
    previous: Heading | Paragraph | Table | None = blocks[start - 1] if start else None
    for index, block in enumerate(blocks[start:], start=start):
        if isinstance(block, Heading):
            _add_paragraph(word, block.text, _HEADING_STYLES.get(block.level, BODY))
        elif isinstance(block, Paragraph):
            if tail and index == len(blocks) - 1 and block.text.endswith(tail):
                _add_split_paragraph(word, block.text, tail)
            else:
                _add_paragraph(word, block.text, BODY)
        elif isinstance(block, Table):
            if isinstance(previous, Table):
                # Two tables with nothing between them merge into one in Word.
                _new_paragraph(word, BODY)
            _add_table(word, block)
        else:
            raise TypeError(f"unknown block: {block!r}")
        previous = block


def _add_split_paragraph(word: WordDocument, text: str, tail: str) -> None:
    """The last paragraph with its final lines ``tail`` starting the next page (page_fit)."""
    head = text[: len(text) - len(tail)]
    if head:
        _add_paragraph(word, head, BODY)
    moved = _add_paragraph(word, tail, BODY)
    moved.paragraph_format.page_break_before = True
    if head:  # a continuation, not a new paragraph: no first-line indent
        ind = moved._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLine"), "0")
        ind.set(qn("w:firstLineChars"), "0")


def _add_closing(word: WordDocument, document: Document, layout: Layout) -> None:
    """发文机关署名 (optional) and the date line, after one blank line (§7.3.5.2).

    The blank line and the 署名 keep with the date, and nothing else does: a keep-with-next
    chain into the body or the 版记 moves whole paragraphs in LibreOffice and strands the
    date. Whether the date shares its page with the body is checked by measuring (page_fit).
    """
    signature, date_line = document.signature.strip(), document.date_line.strip()
    if not (signature or date_line):
        return
    if layout.blank_before_signature:
        _new_paragraph(word, CLOSING).paragraph_format.keep_with_next = True
    if signature:
        indents = _closing_indents(signature, date_line)
        signed = _add_paragraph(word, signature, CLOSING)
        _indent(signed._p, BODY_PT, right=indents[0])
        signed.paragraph_format.keep_with_next = bool(date_line)
    if date_line:
        paragraph = _add_paragraph(word, date_line, CLOSING)
        if signature:
            _indent(paragraph._p, BODY_PT, right=indents[1])


def _closing_indents(signature: str, date_line: str) -> tuple[float, float]:
    """Right indents, in characters, of the signature and the date line (7.3.5.3).

    Unsealed documents set the signature two characters in from the right and start the date
    two characters right of the signature's first character; a date too long for that moves
    in to two characters from the right and pushes the signature left. The widths count
    Times New Roman digits as half a character, which they are.
    """
    signature_width, date_width = _display_width(signature), _display_width(date_line)
    date_indent = max(signature_width - date_width, 2)
    return date_indent + date_width + 2 - signature_width, date_indent


# --- Tables -----------------------------------------------------------------------------------


def _add_table(word: WordDocument, block: Table) -> WordTable:
    columns = max(len(block.header), *(len(row) for row in block.rows), 1)
    rows = [_pad(block.header, columns), *(_pad(row, columns) for row in block.rows)]
    table = word.add_table(rows=len(rows), cols=columns)
    table.style = word.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _set_table_width(table, TYPE_WIDTH)
    widths, long_columns = column_widths(rows)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)
    for index, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        for col, (cell, value, width) in enumerate(zip(row.cells, values, widths, strict=True)):
            cell.width = Twips(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            if index == 0:
                style = TABLE_HEADER
            else:  # running text reads left-aligned; names, dates and figures sit centred
                style = TABLE_TEXT_LONG if col in long_columns else TABLE_TEXT
            if index and col not in long_columns:
                value = wrap_list(value, width)
            paragraph = cell.paragraphs[0]
            paragraph._p.style = _style_id(word, style)
            paragraph.add_run(_clean(value))
    for row in table.rows:
        # A row split over two pages is easily misread; whole rows move instead.
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    table.rows[0]._tr.trPr.append(OxmlElement("w:tblHeader"))  # after cantSplit, as schema says
    return table


def _pad(values: Sequence[str], columns: int) -> tuple[str, ...]:
    return (*values, *([""] * (columns - len(values))))


# Table text is 4号 (14 pt) less the body's 0.5 pt tracking; count 14 pt a character so that a
# name or a date fits whatever the font, plus Word's default cell margins (2 × 108 twips) and a
# little air against rounding.
TABLE_CHAR = SMALL_PT * 20
CELL_PADDING = 2 * 108 + 60
SHORT_CELL = 10  # characters: a name, a date, a unit, a figure; such a cell never breaks
LONG_MIN = 6  # characters: the narrowest a column of running text gets
LIST_SEPARATOR = "、"  # names or units listed in one cell


def column_widths(rows: Sequence[Sequence[str]]) -> tuple[list[int], set[int]]:
    """Column widths in twips summing to the type width, and the columns of running text.

    Three kinds of column: short cells only (names, dates, units, figures, 序号) get their
    longest cell, header included, so none breaks; lists of such items (叶建伟、郑建华) get at
    least their longest item and break only between items (see :func:`wrap_list`); running
    text shares what is left by how much of it there is.
    """
    count = len(rows[0])
    header_width = [_cell_text_width(text) for text in rows[0]]
    natural = [max(_cell_text_width(row[col]) for row in rows) for col in range(count)]
    item = [max(_cell_text_width(t) for row in rows for t in row[col].split(LIST_SEPARATOR))
            for col in range(count)]  # fmt: skip
    short = {col for col in range(count) if natural[col] <= SHORT_CELL}
    lists = {col for col in range(count) if col not in short and item[col] <= SHORT_CELL}
    text = set(range(count)) - short - lists
    least = {col: max(header_width[col], item[col] + 1, 1) for col in short | lists}
    least.update({col: max(header_width[col], LONG_MIN) for col in text})
    wanted = {col: natural[col] for col in short}
    wanted.update({col: max(least[col], min(natural[col], 2 * item[col] + 1)) for col in lists})
    fixed = {col: _cell_width(wanted[col]) for col in short | lists}
    room = TYPE_WIDTH - sum(fixed.values())
    minimum = {col: _cell_width(least[col]) for col in text}
    if room < sum(minimum.values()):  # lists give back down to their longest item first
        fixed.update({col: _cell_width(least[col]) for col in lists})
        room = TYPE_WIDTH - sum(fixed.values())
    if text and room >= sum(minimum.values()):
        widths = _share(room, {col: min(natural[col], 60) for col in text}, minimum)
        widths.update(fixed)
    else:  # nothing to stretch, or too many columns for the page: scale what they need
        need = {**fixed, **minimum}
        widths = _share(TYPE_WIDTH, {col: need[col] for col in range(count)}, {})
    result = [widths[col] for col in range(count)]
    result[result.index(max(result))] += TYPE_WIDTH - sum(result)  # rounding, so it spans exactly
    return result, text


def wrap_list(value: str, width_twips: int) -> str:
    """Break a list cell between its items (after the 、) so that no name or unit breaks."""
    items = value.split(LIST_SEPARATOR)
    room = (width_twips - CELL_PADDING) / TABLE_CHAR
    if len(items) < 2 or _cell_text_width(value) <= room:
        return value
    lines, line = [], ""
    for index, piece in enumerate(items):
        piece += LIST_SEPARATOR if index < len(items) - 1 else ""
        if line and _cell_text_width(line + piece) > room:
            lines.append(line)
            line = ""
        line += piece
    return "\n".join([*lines, line])


def _cell_text_width(text: str) -> float:
    """Width in characters as Word and LibreOffice set it: digits and Latin letters take about
    half a character, and each change between them and Chinese adds about a quarter of a
    character of space (autoSpaceDE/DN; 0.3 to be safe), so 12月31日 needs about five."""
    ascii_ = [ord(char) < 128 for char in text]
    changes = sum(1 for a, b in zip(ascii_, ascii_[1:], strict=False) if a != b)
    return _display_width(text) + 0.3 * changes


def _cell_width(chars: float) -> int:
    return math.ceil(chars * TABLE_CHAR) + CELL_PADDING


def _share(total: int, weights: dict[int, float], minimum: dict[int, int]) -> dict[int, int]:
    """Split ``total`` by ``weights``; a column below its minimum gets it and leaves the rest."""
    widths: dict[int, int] = {}
    left, open_weights = total, dict(weights)
    while open_weights:
        scale = left / (sum(open_weights.values()) or 1)
        short = {c: minimum[c] for c, w in open_weights.items() if w * scale < minimum.get(c, 0)}
        if not short:
            widths.update({c: int(w * scale) for c, w in open_weights.items()})
            break
        widths.update(short)
        left -= sum(short.values())
        for col in short:
            del open_weights[col]
    return widths


def _display_width(text: str) -> float:
    """Width in full-width characters: ASCII counts half."""
    return sum(0.5 if ord(char) < 128 else 1.0 for char in text)


def _set_table_width(table: WordTable, twips: int) -> None:
    width = table._tbl.tblPr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        table._tbl.tblPr.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(twips))


# --- 版记 ---------------------------------------------------------------------------------------


def _add_imprint(word: WordDocument, document: Document, layout: Layout) -> None:
    """The 版记: optional 主题词, optional 抄送, then 印发机关 and 印发日期.

    The rules are bottom borders of thin empty paragraphs between the elements. Borders on the
    elements themselves would follow their indents (抄送 is indented a character and wraps under
    the first body), while the rules must span the whole type area.
    """
    elements = _imprint_elements(word, document)
    if not elements:
        return
    _place_imprint(word, layout, _imprint_height(elements))
    _new_paragraph(word, RULE_THICK)
    for index, (add_element, _) in enumerate(elements):
        if index:
            _new_paragraph(word, RULE_THIN)
        add_element()
    _new_paragraph(word, RULE_THICK)


def imprint_height(document: Document) -> int:
    """Twips the 版记 takes, its rules included, as estimated to place it (0: none)."""
    elements = _imprint_elements(None, document)
    return _imprint_height(elements) if elements else 0


def _imprint_elements(
    word: WordDocument | None, document: Document
) -> list[tuple[Callable[[], object], int]]:
    """The 版记's elements: each one's writer (into ``word``) and its estimated lines."""
    elements: list[tuple[Callable[[], object], int]] = []
    if document.keywords.strip():
        elements.append((lambda: _add_keywords(word, document.keywords.strip()), 1))
    bodies = [body.strip() for body in document.copy_to if body.strip()]
    if bodies:
        text = f"{COPY_TO_LABEL}{'，'.join(bodies)}。"
        elements.append((lambda: _add_paragraph(word, text, COPY_TO), _copy_to_lines(text)))
    issued = [document.issuer.strip(), _issued_on(document.issue_date)]
    if any(issued):
        elements.append((lambda: _add_paragraph(word, "\t".join(issued), IMPRINT), 1))
    return elements


def _imprint_height(elements: list[tuple[Callable[[], object], int]]) -> int:
    return sum(lines for _, lines in elements) * LINE_PITCH + (len(elements) + 1) * RULE_HEIGHT


# A rule paragraph: a 1 pt line plus its border (Word and LibreOffice add the border's width).
RULE_HEIGHT = 40


def _copy_to_lines(text: str) -> int:
    """Lines the 抄送 takes at 4号: the first from one character in, the rest under the bodies."""
    first = (TYPE_WIDTH - 2 * SMALL_PT * 20) // (SMALL_PT * 20)
    rest = (TYPE_WIDTH - (2 + len(COPY_TO_LABEL)) * SMALL_PT * 20) // (SMALL_PT * 20)
    return 1 + math.ceil(max(0.0, _display_width(text) - first) / rest)


def _issued_on(issue_date: str) -> str:
    return f"{issue_date.strip()}印发" if issue_date.strip() else ""


def _add_keywords(word: WordDocument, keywords: str) -> None:
    paragraph = _new_paragraph(word, KEYWORDS)
    paragraph.add_run(KEYWORDS_TEXT_LABEL, style=KEYWORDS_LABEL)
    paragraph.add_run(_clean(keywords))


def _place_imprint(word: WordDocument, layout: Layout, estimate: int) -> None:
    """Start the 版记 where ``layout`` says: below the date, or on a new unnumbered page.

    The space above it puts its last rule on the type area's bottom edge: measured, or without
    a measurement the type height less the 版记's ``estimate`` (twips) on an empty page.
    """
    if layout.imprint != page_fit.FLOW:
        _start_unnumbered_section(word)
        if layout.imprint == page_fit.BLANK_PAGE:
            _new_paragraph(word, IMPRINT_SPACE)  # the blank page
    spacer = layout.spacer if layout.measured else TYPE_HEIGHT - estimate - 2 * RULE_HEIGHT
    if spacer <= 0 and layout.imprint != page_fit.BLANK_PAGE:
        return
    paragraph = _new_paragraph(word, IMPRINT_SPACE)
    paragraph.paragraph_format.line_spacing = Twips(max(spacer, 20))
    paragraph.paragraph_format.page_break_before = layout.imprint == page_fit.BLANK_PAGE


def _start_unnumbered_section(word: WordDocument) -> None:
    """End the current section after the last paragraph; the new one has empty footers.

    Python-docx's add_section would add an empty paragraph to carry the break, which could
    itself spill onto a page of its own; the break goes into the last paragraph instead.
    """
    body = word.element.body
    last = body.xpath("./w:p[last()]")[0]
    p_pr = last.get_or_add_pPr()
    p_pr.insert_element_before(copy.deepcopy(body.sectPr), "w:pPrChange")
    for reference in body.sectPr.findall(qn("w:footerReference")):
        body.sectPr.remove(reference)  # the numbered footers stay with the first section
    section = word.sections[-1]
    section.start_type = WD_SECTION.NEW_PAGE
    for footer in (section.footer, section.even_page_footer):
        footer.is_linked_to_previous = False  # an empty footer of its own, not the numbered one


# --- Page setup, footers, properties ----------------------------------------------------------


def _setup_page(word: WordDocument) -> None:
    section = word.sections[0]
    section.page_width = Twips(PAGE_WIDTH)
    section.page_height = Twips(PAGE_HEIGHT)
    section.top_margin = Twips(MARGIN_TOP)
    section.bottom_margin = Twips(MARGIN_BOTTOM)
    section.left_margin = Twips(MARGIN_LEFT)
    section.right_margin = Twips(MARGIN_RIGHT)
    section.gutter = Twips(0)
    section.header_distance = Twips(HEADER_DISTANCE)
    section.footer_distance = Twips(FOOTER_DISTANCE)
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)  # the last child python-docx's template needs
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))


def _setup_footers(word: WordDocument) -> None:
    """Page numbers `— 1 —`: odd pages on the right, even pages on the left."""
    word.settings.odd_and_even_pages_header_footer = True
    section = word.sections[0]
    for footer, style in (
        (section.footer, PAGE_NUMBER_ODD),
        (section.even_page_footer, PAGE_NUMBER_EVEN),
    ):
        paragraph = footer.paragraphs[0]
        paragraph.style = word.styles[style]
        paragraph.add_run("— ")
        _add_field(paragraph, "PAGE", placeholder="1")
        paragraph.add_run(" —")


def _add_field(paragraph: WordParagraph, instruction: str, placeholder: str) -> None:
    """A complex field (begin, instruction, separate, cached result, end)."""
    for kind, text in (("begin", None), (None, f" {instruction} "), ("separate", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
    paragraph.add_run(placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _setup_properties(word: WordDocument, document: Document) -> None:
    props = word.core_properties
    props.title = _clean("".join(document.title.splitlines()))  # without its line breaks
    props.language = "zh-CN"
    props.author = _clean(document.issuer)
    props.last_modified_by = _clean(document.issuer)
    props.keywords = _clean(document.keywords)
    props.comments = ""  # the template says "generated by python-docx"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    props.created = now
    props.modified = now
    props.revision = 1
    # The template's theme fonts resolve East Asian text as Japanese; name Chinese instead.
    theme_lang = word.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")
    _setup_font_table(word)
    _setup_theme_fonts(word)
    # The template carries a preview image of another document; Explorer would show it.
    rels = word.part.package.rels
    for r_id in [r_id for r_id, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[r_id]


def _setup_font_table(word: WordDocument) -> None:
    """Describe each Chinese font in fontTable.xml with its Windows fallback (w:altName),
    GB2312 character set and PANOSE, so that Word on a PC without 仿宋_GB2312, 楷体_GB2312 or
    方正小标宋简体 uses 仿宋, 楷体 or 宋体 rather than whatever it likes."""
    part = word.part.part_related_by(RT.FONT_TABLE)
    fonts = etree.fromstring(part.blob)
    for name, (alternative, panose) in FONT_FALLBACKS.items():
        for old in fonts.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                fonts.remove(old)
        font = etree.SubElement(fonts, qn("w:font"))
        font.set(qn("w:name"), name)
        children = [("w:altName", alternative)] if alternative else []
        children += [("w:panose1", panose), ("w:charset", "86"), ("w:family", "modern")]
        children += [("w:pitch", "variable")]
        for tag, value in children:
            etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _setup_theme_fonts(word: WordDocument) -> None:
    """The theme's Simplified Chinese fonts: text outside our styles (a style the office adds
    later) falls back to 仿宋 and 黑体, which every Chinese Windows has, not to 宋体."""
    part = word.part.part_related_by(RT.THEME)
    theme = etree.fromstring(part.blob)
    drawing = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    for scheme, face in (("minorFont", FANGSONG_WIN), ("majorFont", HEITI)):
        for font in theme.iter(f"{drawing}{scheme}"):
            for script in font.findall(f"{drawing}font"):
                if script.get("script") == "Hans":
                    script.set("typeface", face)
    part._blob = etree.tostring(theme, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- Styles -----------------------------------------------------------------------------------


def _setup_styles(word: WordDocument) -> None:
    _setup_defaults(word)
    _setup_normal(word)
    body = _paragraph_style(word, BODY, base="Normal")
    _indent(body.element, BODY_PT, first_line=2)

    title = _paragraph_style(word, TITLE, base="Normal", east_asia=XIAOBIAOSONG, size=TITLE_PT)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Twips(LINE_PITCH)  # one blank line
    title.paragraph_format.keep_with_next = True
    _paragraph_style(word, ADDRESSEE, base="Normal")

    heading_1 = _paragraph_style(word, HEADING_1, base=BODY, east_asia=HEITI)
    heading_2 = _paragraph_style(word, HEADING_2, base=BODY, east_asia=KAITI)
    for level, heading in enumerate((heading_1, heading_2)):
        heading.font.bold = False
        heading.paragraph_format.keep_with_next = True
        heading.element.get_or_add_pPr().get_or_add_outlineLvl().val = level  # navigation pane

    # Four characters in from the right: where a date line stands on its own (sealed
    # documents); with a signature the paragraphs get their own indents (_closing_indents).
    closing = _paragraph_style(word, CLOSING, base="Normal")
    closing.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _indent(closing.element, BODY_PT, right=4)

    _setup_table_styles(word)
    _setup_imprint_styles(word)
    _setup_page_number_styles(word)


def _setup_defaults(word: WordDocument) -> None:
    """docDefaults: what any unstyled text (and Word's own styles) falls back to."""
    defaults = word.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(r_pr, FANGSONG)
    r_pr.get_or_add_sz().val = Pt(BODY_PT)
    _set_lang(r_pr)
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    if spacing is not None:  # the template's 10 pt after each paragraph
        spacing.set(qn("w:after"), "0")


def _setup_normal(word: WordDocument) -> None:
    normal = word.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), FANGSONG)
    _set_lang(normal.element.get_or_add_rPr())
    normal.font.size = Pt(BODY_PT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(LINE_PITCH)  # 28.95 pt: 22 lines in 225 mm
    fmt.space_before = Twips(0)
    fmt.space_after = Twips(0)
    # Widow control would pull lines to the next page and leave pages short of 22 lines.
    fmt.widow_control = False
    # 28 characters a line without relying on the character grid: LibreOffice (7.4) does not
    # compress characters to a grid pitch smaller than the font size (15.79 pt < 16 pt); it
    # gives each character two cells, about 16 to a line. So the text stays off the grid and
    # is tracked instead: (16 − 0.5) × 28 = 434 pt fits the 442.2 pt line, 29 × 15.5 = 449.5 pt
    # does not. By the arithmetic anything from −0.21 to −0.75 pt gives 28; LibreOffice needed
    # −0.4 pt or more in a trial, so −0.5 pt sits inside both. The line pitch is unaffected
    # (exact spacing), and the declared grid still shows 28 × 22 in Word's Page Setup.
    _off_grid(normal)
    _set_tracking(normal.element.get_or_add_rPr(), BODY_TRACKING)


def _setup_table_styles(word: WordDocument) -> None:
    text = _paragraph_style(word, TABLE_TEXT, base="Normal", size=SMALL_PT)
    text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text.paragraph_format.line_spacing = Pt(22)  # exact, from Normal; rows need no grid
    long_text = _paragraph_style(word, TABLE_TEXT_LONG, base=TABLE_TEXT)
    long_text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    header = _paragraph_style(word, TABLE_HEADER, base=TABLE_TEXT)
    header.font.bold = True


def _setup_imprint_styles(word: WordDocument) -> None:
    keywords = _paragraph_style(word, KEYWORDS, base="Normal", east_asia=XIAOBIAOSONG)
    keywords.paragraph_format.keep_with_next = True
    label = word.styles.add_style(KEYWORDS_LABEL, WD_STYLE_TYPE.CHARACTER)
    _set_fonts(label.element.get_or_add_rPr(), HEITI)

    # 抄送 is indented one character and wraps under the first body, after “抄送：”.
    copy_to = _paragraph_style(word, COPY_TO, base="Normal", size=SMALL_PT)
    copy_to.paragraph_format.keep_with_next = True
    _indent(
        copy_to.element, SMALL_PT, left=1 + len(COPY_TO_LABEL), hanging=len(COPY_TO_LABEL), right=1
    )

    # 印发机关 one character in from the left, 印发日期 one character in from the right.
    imprint = _paragraph_style(word, IMPRINT, base="Normal", size=SMALL_PT)
    imprint.paragraph_format.keep_with_next = True
    _indent(imprint.element, SMALL_PT, first_line=1)
    imprint.paragraph_format.tab_stops.add_tab_stop(
        Twips(TYPE_WIDTH - SMALL_PT * 20), WD_TAB_ALIGNMENT.RIGHT
    )

    # The space above the 版记 (an empty paragraph whose exact line height is set per document),
    # kept with the 版记 so that the two move together.
    space = _paragraph_style(word, IMPRINT_SPACE, base="Normal", size=1)
    space.paragraph_format.keep_with_next = True

    for name, size in ((RULE_THICK, THICK_RULE), (RULE_THIN, THIN_RULE)):
        rule = _paragraph_style(word, name, base="Normal", size=1)
        rule.paragraph_format.line_spacing = Pt(1)  # exact, from Normal: just the line
        rule.paragraph_format.keep_with_next = True
        _bottom_border(rule, size)


def _setup_page_number_styles(word: WordDocument) -> None:
    number = _paragraph_style(word, PAGE_NUMBER, base="Normal", east_asia=SONGTI, size=SMALL_PT)
    _set_fonts(number.element.get_or_add_rPr(), SONGTI, latin=SONGTI)  # 半角宋体 digits
    number.paragraph_format.line_spacing = Pt(SMALL_PT)  # exact; FOOTER_DISTANCE relies on it
    _set_tracking(number.element.get_or_add_rPr(), 0)  # “— 1 —” at its natural width
    odd = _paragraph_style(word, PAGE_NUMBER_ODD, base=PAGE_NUMBER)
    odd.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _indent(odd.element, SMALL_PT, right=1)
    even = _paragraph_style(word, PAGE_NUMBER_EVEN, base=PAGE_NUMBER)
    even.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _indent(even.element, SMALL_PT, left=1)


def _paragraph_style(
    word: WordDocument,
    name: str,
    *,
    base: str,
    east_asia: str | None = None,
    size: float | None = None,
) -> ParagraphStyle:
    style = word.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = word.styles[base]
    style.quick_style = True
    if east_asia:
        _set_fonts(style.element.get_or_add_rPr(), east_asia)
    if size:
        style.font.size = Pt(size)
    return style


def _set_fonts(r_pr, east_asia: str, latin: str = LATIN) -> None:
    """Name the fonts explicitly; theme attributes would win over them, so drop those."""
    fonts = r_pr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def _set_lang(r_pr) -> None:
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.insert_element_before(lang, *_RPR_AFTER_LANG)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _indent(
    element: BaseOxmlElement,
    size_pt: float,
    *,
    first_line: float = 0,
    left: float = 0,
    right: float = 0,
    hanging: float = 0,
) -> None:
    """Indent a style or paragraph element in characters (w:…Chars, hundredths of one), with
    the same in twips for readers that ignore the character units."""
    ind = element.get_or_add_pPr().get_or_add_ind()
    for attr, chars in (
        ("firstLine", first_line),
        ("left", left),
        ("right", right),
        ("hanging", hanging),
    ):
        if chars:
            ind.set(qn(f"w:{attr}"), str(round(chars * size_pt * 20)))
            ind.set(qn(f"w:{attr}Chars"), str(round(chars * 100)))


def _set_tracking(r_pr, twips: int) -> None:
    """Character spacing (w:spacing in w:rPr, twentieths of a point; negative condenses)."""
    spacing = r_pr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        r_pr.insert_element_before(spacing, *_RPR_AFTER_SPACING)
    spacing.set(qn("w:val"), str(twips))


def _off_grid(style: BaseStyle) -> None:
    """Take the style off the document grid (line pitch and character pitch)."""
    p_pr = style.element.get_or_add_pPr()
    _ppr_child(p_pr, "w:snapToGrid").set(qn("w:val"), "0")
    style.element.get_or_add_rPr().get_or_add_snapToGrid().val = False


def _bottom_border(style: BaseStyle, size: int) -> None:
    borders = _ppr_child(style.element.get_or_add_pPr(), "w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("val", "single"), ("sz", str(size)), ("space", "0"), ("color", "auto")):
        bottom.set(qn(f"w:{attr}"), value)
    borders.append(bottom)


def _ppr_child(p_pr, tag: str):
    child = p_pr.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        p_pr.insert_element_before(child, *_PPR_ORDER[_PPR_ORDER.index(tag) + 1 :])
    return child


# --- Saving -----------------------------------------------------------------------------------


def _save_atomically(word: WordDocument, path: Path) -> None:
    with atomic_path(path) as scratch, open(scratch, "wb") as stream:
        word.save(stream)
