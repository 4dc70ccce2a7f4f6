"""Where the closing block goes, decided from measured pages (GB/T 9704-2012 §7.3.5, §7.4, §7.5).

The 署名 and the date must share a page with body text; the 版记 sits at the foot of the last
page, its last rule on the type area's bottom edge, and that page is even. Which of these holds
depends on where the pages end, which only a layout engine knows. So the writer renders, reads
the text lines back (:class:`~campaign_report.document.TextLine`), and :func:`next_layout`
says what to change; the writer repeats until nothing changes.

Without a measurement the writer uses :data:`UNMEASURED`: the 版记 on a page of its own at the
foot (right in any layout engine), whose parity it cannot know.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .document import Document, Paragraph, TextLine

FLOW = "flow"  # the 版记 follows the date on the same page
OWN_PAGE = "own page"  # a new page (no page number) holds only the 版记
BLANK_PAGE = "blank page"  # a blank page, then the 版记's page (neither numbered)

PT = 20  # twips a point


@dataclass(frozen=True)
class Geometry:
    """Vertical geometry in points from the page top (see docx_writer's page constants)."""

    type_top: float
    type_bottom: float
    # How far below the 版记's last text box the last rule is drawn: the rest of that exact
    # 28.95 pt line below the glyphs, plus the 1 pt rule paragraph. Measured with LibreOffice
    # and Noto Serif CJK (pdfplumber: rule at 286.05, text box bottom at 283.7 pt); other fonts
    # move it by a point or two, well inside the tolerance a reader sees.
    rule_below_text: float = 2.35
    safety: float = 1.0  # leave this much so rounding never pushes the 版记 onto a new page


@dataclass(frozen=True)
class Layout:
    """The closing block's choices; the writer builds the document from these."""

    blank_before_signature: bool = True  # §7.3.5.1: one blank line after the body
    tail: str = ""  # the last paragraph's final lines, moved onto the closing's page
    imprint: str = FLOW
    spacer: int = 0  # twips of space above the 版记's first rule
    measured: bool = True


UNMEASURED = Layout(imprint=OWN_PAGE, measured=False)


def squeeze(text: str) -> str:
    return "".join(text.split())


def next_layout(
    document: Document, layout: Layout, lines: list[TextLine], geometry: Geometry
) -> Layout | None:
    """The layout to try next after ``lines`` were measured; ``layout`` itself when done;
    None when the lines do not show the date line, so nothing can be decided from them."""
    body = [line for line in lines if line.top < geometry.type_bottom]  # no page numbers
    closing = _closing_start(document, body)
    if closing is None:
        return None
    if closing > 0 and body[closing - 1].page != body[closing].page and layout.imprint == FLOW:
        stranded = _unstrand(document, layout, body, closing)
        if stranded is not None:
            return stranded
    date_page = body[_date_index(document, body, closing)].page
    last = body[-1]
    if layout.imprint == FLOW:
        if date_page % 2:
            return replace(layout, imprint=OWN_PAGE, spacer=0)
        if last.page != date_page:  # no room below the date on this even page
            return replace(layout, imprint=BLANK_PAGE, spacer=0)
    rule = last.bottom + geometry.rule_below_text
    missing = geometry.type_bottom - geometry.safety - rule
    if abs(missing) < 0.5:
        return layout
    return replace(layout, spacer=max(0, layout.spacer + round(missing * PT)))


def _closing_start(document: Document, body: list[TextLine]) -> int | None:
    """Index of the signature's line (or the date's, without one) in ``body``."""
    date = squeeze(document.date_line)
    if not date:
        return None
    for index in range(len(body) - 1, -1, -1):
        if squeeze(body[index].text) == date:
            signature = squeeze(document.signature)
            if signature and index and squeeze(body[index - 1].text) == signature:
                return index - 1
            return index
    return None


def _date_index(document: Document, body: list[TextLine], closing: int) -> int:
    return closing + 1 if squeeze(document.signature) else closing


def _unstrand(
    document: Document, layout: Layout, body: list[TextLine], closing: int
) -> Layout | None:
    """§7.3.5.5: bring the 署名 and date back to body text by adjusting the spacing.

    First drop the blank line above the 署名; if that is not enough, move the last paragraph's
    final two lines to the next page, as a widow control would.
    """
    if layout.blank_before_signature:
        return replace(layout, blank_before_signature=False)
    if layout.tail or not document.blocks or not isinstance(document.blocks[-1], Paragraph):
        return None
    page = body[closing - 1].page
    on_page = [line.text for line in body[:closing] if line.page == page]
    text = document.blocks[-1].text
    # Two lines where the paragraph has them on that page, else its one line there.
    tail = tail_of(text, on_page[-2:]) or tail_of(text, on_page[-1:])
    return replace(layout, tail=tail) if tail else None


def tail_of(text: str, last_lines: list[str]) -> str:
    """The end of ``text`` that reads as ``last_lines`` (whitespace ignored), or ""."""
    wanted = squeeze("".join(last_lines))
    if not wanted:
        return ""
    kept = 0
    for start in range(len(text) - 1, -1, -1):
        if not text[start].isspace():
            kept += 1
        if kept == len(wanted):
            return text[start:] if squeeze(text[start:]) == wanted else ""
    return ""
