"""The live-Excel twin of the file adapters: read and write a workbook through xlwings.

Every read is one bulk call a sheet (its used range); every table the tool
writes is one bulk call. What costs a call a cell (a highlight, a note) is
capped at :data:`MAX_CELL_MARKS`, so a button press costs a number of calls
that grows with sheets, not with rows. The rest is listed on 校验结果.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import outputs
from ..aggregate import Summary
from ..definition import Definition
from ..model import RawSheet, column_letter
from ..validate import ValidationResult

MAX_CELL_MARKS = 200
HEADER_COLOUR = "#1F4E78"


def read_raw_sheets(book: Any, definition: Definition) -> dict[str, RawSheet]:
    """The definition's sheets of ``book``, one used-range read each."""
    wanted = {s.name for s in definition.sheets}
    sheets = {}
    for sheet in book.sheets:
        if sheet.name not in wanted:
            continue
        used = sheet.used_range
        values = used.options(ndim=2).value or []
        sheets[sheet.name] = RawSheet(sheet.name, values, used.row, used.column)
    return sheets


# -- 校验 --


def write_validation(book: Any, result: ValidationResult) -> int:
    """Clear the previous run's marks, mark this run's cells, rewrite 校验结果.

    Returns how many cells were left unmarked because of :data:`MAX_CELL_MARKS`.
    """
    names = {s.name for s in book.sheets}
    previous = _previous_marks(book, names)
    marks = [m for m in outputs.cell_marks(result) if m.sheet in names]
    kept = marks[:MAX_CELL_MARKS]
    new_cells = {(m.sheet, m.address) for m in kept}
    for sheet, address in previous - new_cells:
        if sheet in names:
            cell = book.sheets[sheet].range(address)
            cell.color = None
            if cell.note is not None:
                cell.note.delete()
    for mark in kept:
        cell = book.sheets[mark.sheet].range(mark.address)
        _mark(cell, mark, ours=(mark.sheet, mark.address) in previous)
    _write_issues_sheet(book, result, kept)
    return len(marks) - len(kept)


def _previous_marks(book: Any, names: set[str]) -> set[tuple[str, str]]:
    """The cells the last run marked, read back from its 校验结果 list (one read)."""
    if outputs.ISSUES_SHEET not in names:
        return set()
    rows = book.sheets[outputs.ISSUES_SHEET].used_range.options(ndim=2).value or []
    return outputs.previously_marked(rows)


def _mark(cell: Any, mark: outputs.CellMark, ours: bool) -> None:
    cell.color = f"#{mark.colour}"
    note = cell.note
    if note is None:
        cell.add_note(mark.note)
    elif ours:
        note.text = mark.note
    # a note the user wrote stays as it is: the message is on 校验结果


def _write_issues_sheet(book: Any, result: ValidationResult, marks: list[outputs.CellMark]) -> None:
    sheet = _fresh_sheet(book, outputs.ISSUES_SHEET)
    rows = [list(r) for r in outputs.issue_rows(result, marks)]
    for row in rows:  # the cell column links to the cell, inside the one bulk write
        if row[outputs.CELL_COLUMN]:
            row[outputs.CELL_COLUMN] = _link_formula(row[1], row[outputs.CELL_COLUMN])
    sheet.range("A1").value = result.summary_line()
    _write_block(sheet, 3, 1, outputs.ISSUE_HEADERS, rows)
    units = outputs.unit_count_rows(result)
    if units:
        _write_block(sheet, 3, len(outputs.ISSUE_HEADERS) + 2, outputs.UNIT_COUNT_HEADERS, units)
    sheet.activate()


def _link_formula(sheet: str, cell: str) -> str:
    """A HYPERLINK formula: links travel in the one bulk write, not one call each."""
    return f'=HYPERLINK("#{outputs.link_target(sheet, cell)}","{cell}")'


# -- 汇总 --


def write_summary(book: Any, summary: Summary) -> None:
    """Rewrite the 汇总 sheet: one block a table, top to bottom."""
    sheet = _fresh_sheet(book, outputs.SUMMARY_SHEET)
    sheet.range("A1").value = outputs.summary_title(summary)
    row = 3
    blocks = outputs.summary_blocks(summary)
    for block in blocks:
        sheet.range((row, 1)).value = block.title
        _write_block(sheet, row + 1, 1, block.headers, block.rows)
        row += len(block.rows) + 4
    if blocks:
        add_unit_chart(sheet, 4, blocks[0])  # the per-unit block, its header in row 4
    sheet.activate()


UNIT_CHART = "各单位走访与金点子"  # its name and title, as in the headless copy
UNIT_CHART_SERIES = ("走访（次）", "金点子（条）")
_POINTS_PER_CM = 28.35


def add_unit_chart(sheet: Any, header_row: int, block: outputs.Block) -> bool:
    """A clustered bar chart of visits and ideas per unit, right of the per-unit table.

    The same chart as the headless copy's (xlsx_writer): the units are the categories,
    the 合计 row is left out. The previous run's chart goes first (``sheet.clear()``
    keeps charts). Returns False when the host cannot draw it: xlwings' remote books
    take single-area ranges only, and a chart is not worth failing 汇总 for.
    """
    units = len(block.rows) - 1  # the last row is 合计
    if units < 1 or not set(UNIT_CHART_SERIES) <= set(block.headers):
        return False
    last = header_row + units
    columns = [1] + [block.headers.index(title) + 1 for title in UNIT_CHART_SERIES]
    areas = [f"{column_letter(c)}{header_row}:{column_letter(c)}{last}" for c in columns]
    if UNIT_CHART in sheet.charts:
        sheet.charts[UNIT_CHART].delete()
    try:
        source = sheet.range(",".join(areas))
    except ValueError:
        return False
    chart = sheet.charts.add(
        source=source,
        chart_type="bar_clustered",
        anchor=sheet.range((header_row, len(block.headers) + 2)),
        name=UNIT_CHART,
        width=16 * _POINTS_PER_CM,
        height=max(8, units * 0.75) * _POINTS_PER_CM,
    )
    chart.title = UNIT_CHART
    return True


# -- status and shared --


def write_status(book: Any, message: str, sheet_name: str, cell: str) -> None:
    """Say what happened where the office looks: the control sheet's status cell when it has one."""
    names = {s.name for s in book.sheets}
    if sheet_name in names:
        book.sheets[sheet_name].range(cell).value = message
    elif outputs.ISSUES_SHEET in names:
        book.sheets[outputs.ISSUES_SHEET].range("A2").value = message
    else:
        book.app.alert(message, title="活动汇总")


def _fresh_sheet(book: Any, name: str) -> Any:
    """The tool's own sheet, emptied (it is the tool's, so nothing typed there is lost)."""
    if name in {s.name for s in book.sheets}:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    return book.sheets.add(name, before=book.sheets[0])


def _write_block(
    sheet: Any, top: int, left: int, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Header and rows in one write, then the header styled in one call."""
    sheet.range((top, left)).value = [list(headers), *[list(r) for r in rows]]
    header = sheet.range((top, left), (top, left + len(headers) - 1))
    header.color = HEADER_COLOUR
    header.font.color = "#FFFFFF"
    header.font.bold = True
