"""The live-Excel host of the macros: read a workbook and carry out write plans through xlwings.

Every read is one bulk call a sheet (its used range); every block a plan holds
is one bulk call. What costs a call a cell (a highlight, a note) is capped by
the plan (:data:`campaign_report.outputs.MAX_CELL_MARKS`), so a button press costs
a number of calls that grows with sheets, not with rows. Its LibreOffice twin is
``uno_book.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from .. import outputs
from ..model import RawSheet, column_letter


class XlwingsBook:
    """An xlwings ``Book`` as a :class:`campaign_report.macros.Host`."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.name = book.name

    @classmethod
    def of(cls, book: Any = None) -> XlwingsBook:
        """The given book, or the workbook whose button called Python."""
        if book is None:
            import xlwings as xw

            book = xw.Book.caller()
        return cls(book)

    def show_step(self, message: str | None) -> None:
        """The step in Excel's status bar; None gives the bar back to Excel."""
        with contextlib.suppress(Exception):  # no status bar: the remote book, Office.js
            self.book.app.status_bar = message or False

    def saved_path(self) -> Path | None:
        path = Path(self.book.fullname)
        return path if path.is_absolute() else None  # an unsaved book has only a name

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def read_sheets(self, names: Collection[str]) -> dict[str, RawSheet]:
        sheets = {}
        for sheet in self.book.sheets:
            if sheet.name in names:
                used = sheet.used_range
                # err_to_str: #N/A stays "#N/A" (an error to report), not None (a blank)
                values = used.options(ndim=2, err_to_str=True).value or []
                sheets[sheet.name] = RawSheet(sheet.name, values, used.row, used.column)
        return sheets

    def apply_plan(self, plan: outputs.WritePlan) -> None:
        book = self.book
        for ref in plan.unmark:
            cell = book.sheets[ref.sheet].range(ref.address)
            cell.color = None
            if cell.note is not None:
                cell.note.delete()
        for mark in plan.marks:
            _mark(book.sheets[mark.sheet].range(mark.address), mark)
        for name in plan.fresh_sheets:
            _fresh_sheet(book, name)
        for block in plan.blocks:
            _write_block(book.sheets[block.sheet], block)
        for chart in plan.charts:
            draw_chart(book.sheets[chart.sheet], chart)
        if plan.activate:
            book.sheets[plan.activate].activate()
        if plan.status:
            _show_status(book, plan.status)


def _mark(cell: Any, mark: outputs.CellMark) -> None:
    cell.color = f"#{mark.colour}"
    note = cell.note
    if note is None:
        cell.add_note(mark.note)
    elif mark.ours:
        note.text = mark.note
    # a note the user wrote stays as it is: the message is on 校验结果


def _fresh_sheet(book: Any, name: str) -> Any:
    """The tool's own sheet, emptied (it is the tool's, so nothing typed there is lost)."""
    if name in {s.name for s in book.sheets}:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    return book.sheets.add(name, before=book.sheets[0])


def _write_block(sheet: Any, block: outputs.CellBlock) -> None:
    """The block in one write (links inside it as formulas), then its style in one call."""
    values = [[as_text(v) for v in r] for r in block.values]
    for link in block.links:  # the tool's own formulas, set after the values went through as_text
        values[link.row][link.col] = link_formula(link)
    if len(values) == 1 and len(values[0]) == 1:
        sheet.range((block.row, block.col)).value = values[0][0]
    else:
        sheet.range((block.row, block.col)).value = values
    if block.style == outputs.HEADER:
        header = sheet.range((block.row, block.col), (block.row, block.col + block.width - 1))
        header.color = f"#{outputs.HEADER_COLOUR}"
        header.font.color = "#FFFFFF"
        header.font.bold = True


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def as_text(value: Any) -> Any:
    """The one place this adapter makes a value safe to hand to Excel.

    Excel parses a string given to ``Range.value`` as if typed: "=cmd|' /C calc'!A0" in a
    unit's name would become a live formula. A leading apostrophe keeps it text (Excel
    shows it without the apostrophe). The tool's own links are set after this, as formulas.
    """
    text = isinstance(value, str)
    return "'" + value if text and value.startswith(_FORMULA_STARTS) else value


def link_formula(link: outputs.Link) -> str:
    """A HYPERLINK formula: links travel in the one bulk write, not one call each."""
    return f'=HYPERLINK("#{outputs.link_target(link.sheet, link.cell)}","{link.text}")'


_POINTS_PER_CM = 28.35


def add_unit_charts(sheet: Any, header_row: int, block: outputs.Block) -> int:
    """Bar charts of visits and of ideas per unit, right of the per-unit table.

    The same charts as the headless copy's (xlsx_writer): the units are the categories,
    the 合计 row is left out. Returns how many were drawn (none when there is nothing to
    chart or the host cannot draw one, see :func:`draw_chart`).
    """
    charts = outputs.unit_charts(outputs.SUMMARY_SHEET, header_row, block)
    return sum(draw_chart(sheet, chart) for chart in charts)


def draw_chart(sheet: Any, chart: outputs.Chart) -> bool:
    """Draw a plan's chart request. The previous run's chart goes first (``sheet.clear()``
    keeps charts). Returns False when the host cannot draw it: xlwings' remote books
    take single-area ranges only, and a chart is not worth failing 汇总 for.
    """
    last = chart.header_row + chart.count
    columns = [chart.category_col, *chart.series_cols]
    areas = [f"{column_letter(c)}{chart.header_row}:{column_letter(c)}{last}" for c in columns]
    if chart.title in sheet.charts:
        sheet.charts[chart.title].delete()
    try:
        source = sheet.range(",".join(areas))
    except ValueError:
        return False
    drawn = sheet.charts.add(
        source=source,
        chart_type="bar_clustered",
        anchor=sheet.range((chart.anchor.row, chart.anchor.col)),
        name=chart.title,
        width=12 * _POINTS_PER_CM,
        height=max(8, chart.count * 0.75) * _POINTS_PER_CM,
    )
    drawn.title = chart.title
    return True


def _show_status(book: Any, status: outputs.Status) -> None:
    """Say what happened where the office looks (see :func:`outputs.status_place`)."""
    if status.sheet is not None and status.cell is not None:
        book.sheets[status.sheet].range(status.cell).value = status.text
    else:
        book.app.alert(status.text, title="活动汇总")
