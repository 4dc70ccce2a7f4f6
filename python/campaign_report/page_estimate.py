"""Which page the date line falls on, counted without a layout engine.

When the report is written where LibreOffice is not installed (the usual office PC), the 版记
still goes on a page of its own at the foot (see page_fit.UNMEASURED); this count tells whether
that page needs a blank page before it to be even. The geometry makes counting sound: every
line of text is an exact 28.95 pt line, 28 characters of 3号 (or 20 of the 2号 title) a line;
tables have exact 22 pt lines in columns of known width, rows that never split and a header
that repeats. What it cannot know is where a font's line breaking differs by a character, so
it can be a line off now and then; a measured layout (page_fit) has the last word.

Where LibreOffice measures, the count still saves it work: :func:`imprints_to_try` says which
of the other 版记 layouts the first measurement may call for, and only those are rendered with it.
"""

from __future__ import annotations

import math
from dataclasses import replace

from campaign_report import docx_writer as dw
from campaign_report.document import Document, Heading, Paragraph, Table
from campaign_report.page_fit import BLANK_PAGE, OWN_PAGE, UNMEASURED, Layout

BODY_CHARS = dw.CHARS_PER_LINE  # 28
TITLE_CHARS = math.floor(dw.TYPE_WIDTH / 20 / (dw.TITLE_PT + dw.BODY_TRACKING / 20))  # 20
TABLE_LINE = 22 * 20  # twips: the table styles' exact line
TABLE_ROW_EXTRA = 0  # the borders sit inside the exact lines, by measurement
# As set, not as reserved: 4号 less the 0.5 pt tracking, inside Word's default cell margins.
TABLE_PITCH = (dw.SMALL_PT * 20) + dw.BODY_TRACKING
TABLE_MARGINS = 2 * 108


class _Pages:
    """A cursor down the type area, in twips, that turns pages."""

    def __init__(self) -> None:
        self.page, self.used = 1, 0

    def room(self) -> int:
        return dw.TYPE_HEIGHT - self.used

    def new_page(self) -> None:
        self.page, self.used = self.page + 1, 0

    def lines(self, count: int, pitch: int = dw.LINE_PITCH) -> None:
        """Lines that may split across pages (no widow control)."""
        for _ in range(count):
            if self.room() < pitch:
                self.new_page()
            self.used += pitch

    def block(self, height: int) -> None:
        """Something that moves whole to the next page (a table row, a kept group)."""
        if self.room() < height and self.used:
            self.new_page()
        self.used += height


def date_page(document: Document, layout: Layout) -> int:
    """The page (from 1) the date line lands on, by counting lines."""
    return _through_date(document, layout).page


def _through_date(document: Document, layout: Layout) -> _Pages:
    """The cursor once the date line is placed."""
    pages = _Pages()
    for part in document.title.split("\n"):
        pages.lines(_lines(part, TITLE_CHARS))
    pages.lines(1)  # the blank line after the title
    if document.addressee.strip():
        pages.lines(_lines(document.addressee + "：", BODY_CHARS))
    blocks = document.blocks
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            own = _lines(block.text, BODY_CHARS, indent=2) * dw.LINE_PITCH
            # Keep-with-next: the heading goes where the next block's first line goes.
            pages.block(own + (_first_height(following) if following else 0))
            pages.used -= _first_height(following) if following else 0
        elif isinstance(block, Paragraph):
            pages.lines(_lines(block.text, BODY_CHARS, indent=2))
        elif isinstance(block, Table):
            if index and isinstance(blocks[index - 1], Table):
                pages.lines(1)  # the paragraph that keeps two tables apart
            _table(pages, block)
    closing = _closing_lines(document, layout)
    if closing:
        pages.block(closing * dw.LINE_PITCH)  # the blank line and 署名 keep with the date
    return pages


def _closing_lines(document: Document, layout: Layout) -> int:
    """The lines of the blank line (if kept), the 署名 and the date."""
    texts = [t for t in (document.signature.strip(), document.date_line.strip()) if t]
    return len(texts) + (1 if texts and layout.blank_before_signature else 0)


# A date counted at least this many lines from its page's top and bottom is taken to be on
# that page: against LibreOffice's layout of the example and invented reports, counting was
# at most a line off.
SURE_LINES = 3


def imprints_to_try(document: Document, layout: Layout) -> list[str]:
    """Which 版记 layouts page_fit may ask for once ``layout`` (the 版记 following the date)
    is measured, by counting: OWN_PAGE alone when the date lands well inside an odd page,
    BLANK_PAGE when on an even page without room below it for the 版记. Where the count lands
    near a page's edge, a line's difference in the layout engine may move the date: both."""
    pages = _through_date(document, layout)
    if not _well_inside(document, layout, pages):
        return [OWN_PAGE, BLANK_PAGE]
    if pages.page % 2:
        return [OWN_PAGE]
    fits = pages.room() - dw.imprint_height(document) > SURE_LINES * dw.LINE_PITCH
    return [] if fits else [BLANK_PAGE]


def _well_inside(document: Document, layout: Layout, pages: _Pages) -> bool:
    """The closing counted at least SURE_LINES from its page's top and bottom."""
    slack = SURE_LINES * dw.LINE_PITCH
    closing_top = pages.used - _closing_lines(document, layout) * dw.LINE_PITCH
    return closing_top >= slack and pages.room() >= slack


def _lines(text: str, per_line: int, indent: float = 0) -> int:
    return max(1, math.ceil((dw._cell_text_width(text) + indent) / per_line))


def _first_height(block: object) -> int:
    if isinstance(block, Table):
        return 2 * _row_heights(block)[0]  # the header and one row
    return dw.LINE_PITCH


def _table(pages: _Pages, table: Table) -> None:
    heights = _row_heights(table)
    header = heights[0]
    pages.block(header + (heights[1] if len(heights) > 1 else 0))
    pages.used -= heights[1] if len(heights) > 1 else 0
    for height in heights[1:]:
        if pages.room() < height:
            pages.new_page()
            pages.used += header  # the header row repeats
        pages.used += height


def _row_heights(table: Table) -> list[int]:
    columns = max(len(table.header), *(len(row) for row in table.rows), 1)
    rows = [dw._pad(table.header, columns), *(dw._pad(row, columns) for row in table.rows)]
    widths, running = dw.column_widths(rows)
    heights = []
    for number, row in enumerate(rows):
        lines = 1
        for col, (value, width) in enumerate(zip(row, widths, strict=True)):
            chars = max(1.0, (width - TABLE_MARGINS) / TABLE_PITCH)
            text = value if (not number or col in running) else dw.wrap_list(value, width)
            count = sum(math.ceil(dw._cell_text_width(p) / chars) or 1 for p in text.split("\n"))
            lines = max(lines, count)
        heights.append(lines * TABLE_LINE + TABLE_ROW_EXTRA)
    return heights


def estimated_layout(document: Document) -> Layout:
    """The layout used without a measurement: the 版记 on a page of its own, at the foot, after
    a blank page when the counted date page is even (so that the 版记's page is even)."""
    blank = date_page(document, UNMEASURED) % 2 == 0
    return replace(UNMEASURED, imprint=BLANK_PAGE if blank else OWN_PAGE)
