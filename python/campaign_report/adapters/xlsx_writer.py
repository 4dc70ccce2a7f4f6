"""Write the tool's outputs into a copy of a workbook file, with openpyxl.

The input file is never opened for writing: the copy is built in memory and
saved to a temporary file beside the target, then moved into place.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from .. import outputs
from ..aggregate import Summary
from ..atomic import atomic_path
from ..errors import BookReadError
from ..validate import ValidationResult
from .xlsx_patch import PATCH_FAILURES, sheet_names, write_patched_copy

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
TITLE_FONT = Font(bold=True, size=14)


def load(path: Path, out: Path) -> Workbook:
    """Open ``path`` for a copy at ``out``; macros travel only into an .xlsm copy.

    (An .xlsx holding a VBA project is a file Excel refuses to open.)
    """
    try:
        return openpyxl.load_workbook(_slimmed(path), keep_vba=Path(out).suffix.lower() == ".xlsm")
    except Exception as error:  # damaged zip, missing parts, wrong format
        raise BookReadError(f"无法打开工作簿“{path.name}”：{error}") from error


SLIM_FROM = 8 * 2**20  # a sheet part bigger than this is copied without its empty cells
_EMPTY_CELL = re.compile(rb"<c\b[^>]*/>")
_EMPTY_ROW = re.compile(rb"<row\b[^>]*/>|<row\b[^>]*>\s*</row>")


def _slimmed(path: Path) -> Path | io.BytesIO:
    """``path``, or an in-memory copy whose big sheets lost their empty formatted cells and rows.

    A million formatted empty rows (a whole-sheet fill) cost openpyxl minutes and a gigabyte
    as objects; the copy keeps every value, and the user's own file keeps the formatting.
    """
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        big = {
            i.filename
            for i in infos
            if i.filename.startswith("xl/worksheets/") and i.file_size > SLIM_FROM
        }
        if not big:
            return path
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as slim:
            for info in infos:
                data = archive.read(info)
                if info.filename in big:
                    data = _EMPTY_ROW.sub(b"", _EMPTY_CELL.sub(b"", data))
                slim.writestr(info, data)
    buffer.seek(0)
    return buffer


def save_atomically(book: Workbook, out: Path) -> Path:
    with atomic_path(out) as scratch:
        book.save(scratch)
    return Path(out)


# -- 校验 --


def write_checked_copy(
    source: Path, out: Path, result: ValidationResult, progress: Any = None
) -> Path:
    """Copy ``source`` to ``out`` with bad cells marked and the 校验结果 sheet rewritten.

    The copy is patched part by part (fast on big books); a package the patcher does not
    handle is copied through openpyxl instead, with the same result.
    """
    source = Path(source)
    try:
        names = sheet_names(source)
        marks = [m for m in outputs.cell_marks(result) if m.sheet in names]
        tool = Workbook()
        tool.remove(tool.active)
        _write_issues_sheet(tool, result, marks, names, by_openpyxl=BY_OPENPYXL)
        clear = _previous_marks(source, names)
        return write_patched_copy(source, out, tool, marks, clear, progress)
    except PATCH_FAILURES:
        pass
    book = load(source, out)
    clear_marks(book)
    marks = [m for m in outputs.cell_marks(result) if m.sheet in book.sheetnames]
    for mark in marks:
        _mark(book[mark.sheet].cell(mark.row, mark.col), mark)
    _write_issues_sheet(book, result, marks, book.sheetnames)
    return save_atomically(book, out)


def _previous_marks(source: Path, names: Sequence[str]) -> set[tuple[str, str]]:
    """The cells the last run marked, from its 校验结果 sheet (one bulk read of that sheet)."""
    if outputs.ISSUES_SHEET not in names:
        return set()
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(source)).get_sheet_by_name(outputs.ISSUES_SHEET)
    return outputs.previously_marked([list(r) for r in sheet.to_python()])


def clear_marks(book: Workbook) -> None:
    """Undo the previous run's marks, and only those.

    The previous 校验结果 list says which cells it marked (已标注), so this costs a
    look at those cells rather than a walk over every cell of every sheet. A cell is
    cleared only if its note is still ours.
    """
    if outputs.ISSUES_SHEET not in book.sheetnames:
        return
    rows = [list(r) for r in book[outputs.ISSUES_SHEET].iter_rows(values_only=True)]
    ours = {f"{alpha}{c}" for c in outputs.COLOURS.values() for alpha in ("00", "FF")}
    for sheet, address in outputs.previously_marked(rows):
        if sheet not in book.sheetnames:
            continue
        if coordinate_to_tuple(address) not in book[sheet]._cells:
            continue  # an empty cell carries no mark; looking would create it
        cell = book[sheet][address]
        if cell.comment is not None and cell.comment.author == outputs.MARK_AUTHOR:
            cell.comment = None
            if cell.fill is not None and cell.fill.fgColor.rgb in ours:
                cell.fill = PatternFill(fill_type=None)


def _mark(cell: Any, mark: outputs.CellMark) -> None:
    cell.fill = PatternFill("solid", fgColor=mark.colour)
    comment = Comment(_text(mark.note), outputs.MARK_AUTHOR)
    comment.width, comment.height = 320, 40 + 20 * mark.note.count("\n") + len(mark.note) // 2
    cell.comment = comment


BY_OPENPYXL = 1000  # 校验结果 rows a patched copy has openpyxl write; the rest are streamed


def _write_issues_sheet(
    book: Workbook,
    result: ValidationResult,
    marks: list[outputs.CellMark],
    sheet_names: Sequence[str],
    by_openpyxl: int | None = None,
) -> None:
    """The 校验结果 sheet; with ``by_openpyxl``, rows past that many are left as XML text.

    openpyxl spends ~30 µs a cell: 250 000 issues took minutes and gigabytes. The rows it
    does not write are kept on the sheet as :class:`StreamedRows` for the patcher to add.
    """
    sheet = _fresh_sheet(book, outputs.ISSUES_SHEET, index=0)
    put(sheet, 1, 1, result.summary_line()).font = TITLE_FONT
    rows = outputs.issue_rows(result, marks)
    units = outputs.unit_count_rows(result)
    written = len(rows) if by_openpyxl is None else max(by_openpyxl, len(units))
    widths = (8, 10, 8, 14, 18, 60, 14, 18, 8)
    _write_table(
        sheet, 3, 1, outputs.ISSUE_HEADERS, rows, "T_issues", widths=widths, written=written
    )
    if written < len(rows):
        first = 4 + written
        links = [_link(i, sheet_names) for i in result.issues[written:]]
        sheet.streamed_rows = StreamedRows(first, rows[written:], links)  # type: ignore[attr-defined]
    styled = None  # the first link cell; the others share its style (no Font hashed a row)
    for offset, issue in enumerate(result.issues[:written], start=4):
        if target := _link(issue, sheet_names):
            link = sheet.cell(offset, outputs.CELL_COLUMN + 1)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=target)
            if styled is None:
                link.font = Font(color="0563C1", underline="single")
                styled = link
            else:
                link._style = copy.copy(styled._style)
    if units:
        left = len(outputs.ISSUE_HEADERS) + 2
        _write_table(
            sheet, 3, left, outputs.UNIT_COUNT_HEADERS, units, "T_issue_units", widths=(16, 6, 6)
        )
    sheet.freeze_panes = "A4"


def _link(issue: Any, sheet_names: Sequence[str]) -> str | None:
    """Where an issue's cell link points; None for an issue of no cell, or of no sheet here."""
    if issue.cell and issue.sheet in sheet_names:
        return outputs.link_target(issue.sheet, issue.cell)
    return None


@dataclass(frozen=True)
class StreamedRows:
    """Table rows the patcher adds as XML after the rows openpyxl wrote.

    The XML is made when the sheet is copied into the book, straight into the part's bytes
    (no text of the whole lot in between). Values are inline text, like every string the
    tool writes; the cell column of a row with a link takes the link cells' style.
    """

    first: int
    rows: Sequence[Sequence[Any]]
    links: Sequence[str | None]

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    def spliced(self, xml: bytes) -> bytes:
        """The sheet as saved (styles already renumbered), with these rows and their links."""
        link = re.search(rb'<hyperlink ref="([A-Z]+[0-9]+)"', xml)
        cell = link and re.search(rb'<c r="' + link[1] + rb'" s="([0-9]+)"', xml)
        style = f' s="{cell[1].decode()}"' if cell else ""  # as openpyxl's link cells look
        rows, links = self._xml(style)
        end = xml.index(b"</sheetData>")
        if links and b"</hyperlinks>" in xml:
            at = xml.index(b"</hyperlinks>")
        elif links:  # the schema's place: after the data, before the page settings
            at = min(i for i in (xml.find(b"<printOptions"), xml.find(b"<pageMargins")) if i >= 0)
            links = [b"<hyperlinks>", *links, b"</hyperlinks>"]
        else:
            at = end
        head = re.sub(
            rb'(<dimension ref="[A-Z]+1:[A-Z]+)[0-9]+"',
            rb"\g<1>" + str(self.last).encode() + b'"',
            xml[:end],
            count=1,
        )
        return b"".join([head, *rows, xml[end:at], *links, xml[at:]])

    def _xml(self, style: str) -> tuple[list[bytes], list[bytes]]:
        letters = [get_column_letter(c) for c in range(1, max(map(len, self.rows)) + 1)]
        link_col = outputs.CELL_COLUMN
        rows, links = [], []
        for number, (values, link) in enumerate(zip(self.rows, self.links, strict=True)):
            number += self.first
            cells = []
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                at = f'r="{letters[col]}{number}"{style if link and col == link_col else ""}'
                if isinstance(value, bool) or not isinstance(value, int | float):
                    text = xml_escape(_text(str(value)))
                    space = ' xml:space="preserve"' if text != text.strip() else ""
                    cells.append(f'<c {at} t="inlineStr"><is><t{space}>{text}</t></is></c>')
                else:
                    cells.append(f"<c {at}><v>{value!r}</v></c>")
            rows.append(f'<row r="{number}">{"".join(cells)}</row>'.encode())
            if link:
                target = xml_escape(link, {'"': "&quot;"})
                ref = f"{letters[link_col]}{number}"
                links.append(f'<hyperlink ref="{ref}" location="{target}"/>'.encode())
        return rows, links


# -- 汇总 --


def write_summary_copy(source: Path, out: Path, summary: Summary, progress: Any = None) -> Path:
    """Copy ``source`` to ``out`` with the 汇总 sheet (tables and a bar chart) rewritten."""
    try:
        tool = Workbook()
        tool.remove(tool.active)
        write_summary_sheet(tool, summary)
        if summary.trace is not None:
            write_basis_sheet(tool, summary.trace)
        return write_patched_copy(Path(source), out, tool, progress=progress)
    except PATCH_FAILURES:
        pass
    book = load(Path(source), out)
    write_summary_sheet(book, summary)
    if summary.trace is not None:
        write_basis_sheet(book, summary.trace)
    return save_atomically(book, out)


def write_basis_sheet(book: Workbook, trace: Any) -> Worksheet:
    """报告依据: each figure the report states with its source rows, then the rows left out."""
    sheet = _fresh_sheet(book, outputs.BASIS_SHEET, index=1)
    sheet["A1"] = "报告依据"
    sheet["A1"].font = TITLE_FONT
    rows = outputs.basis_rows(trace)
    _write_table(
        sheet,
        3,
        1,
        outputs.BASIS_HEADERS,
        [r.values for r in rows],
        "T_basis",
        (12, 22, 18, 60, 16, 30, 30),
    )
    for offset, row in enumerate(rows, start=4):
        for cell in sheet[offset]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # the tool writes text, never a formula
        if row.link:  # an in-book link to the first source row
            cell = sheet.cell(offset, len(outputs.BASIS_HEADERS))
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=row.link)
    sheet.freeze_panes = "A4"
    book.active = 0
    return sheet


def write_summary_sheet(book: Workbook, summary: Summary) -> Worksheet:
    sheet = _fresh_sheet(book, outputs.SUMMARY_SHEET, index=0)
    put(sheet, 1, 1, outputs.summary_title(summary)).font = TITLE_FONT
    row = 3
    widths: dict[int, float] = {1: 28}
    for number, block in enumerate(outputs.summary_blocks(summary)):
        put(sheet, row, 1, block.title).font = Font(bold=True, size=12, color="1F4E78")
        _write_table(sheet, row + 1, 1, block.headers, block.rows, f"T_summary_{number}")
        if number == 0:
            _add_unit_charts(sheet, row + 1, block.rows[:-1], block.headers)
        for col, header in enumerate(block.headers, start=1):
            # A header on one line, whole: LibreOffice does not grow a row for wrapped text.
            widths[col] = max(widths.get(col, 14), _text_width(header))
        labels = [r[0] for r in block.rows if isinstance(r[0], str)]
        widths[1] = max([widths[1], *map(_text_width, labels)])
        row += len(block.rows) + 4
    for col, width in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = width
    return sheet


def _text_width(text: str) -> float:
    """Column width (in Excel's character units) that shows ``text`` on one line: a Chinese
    character takes two units, plus room for the table's filter button."""
    return sum(2 if ord(char) > 255 else 1.1 for char in str(text)) + 4


# Visits run to dozens a unit and ideas to one or two: one chart each, so both can be read.


def _add_unit_charts(
    sheet: Worksheet, header_row: int, rows: Sequence[Sequence[Any]], headers: Sequence[str]
) -> None:
    """Native bar charts of visits and of ideas per unit (``rows``: the table without 合计),
    side by side, listing the units top to bottom in the table's order."""
    units = len(rows)
    categories = Reference(sheet, min_col=1, min_row=header_row + 1, max_row=header_row + units)
    left = len(headers) + 2
    for title, chart_title in outputs.UNIT_CHARTS:
        if title not in headers:
            continue
        chart = BarChart()
        chart.type = "bar"
        chart.title = chart_title
        chart.legend = None  # one series, named by the title
        chart.height, chart.width = max(8, units * 0.75), 12
        chart.x_axis.tickLblSkip = 1  # name every unit, not every other one
        chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
        chart.y_axis.crosses = "max"  # with the categories reversed, keep the values below
        col = headers.index(title) + 1
        values = [r[col - 1] for r in rows]
        if any(v is not None and not isinstance(v, int | float) for v in values):
            continue  # a figure marked 缺列 / 无法读取: no chart of a partial count
        if max((v or 0 for v in values), default=0) <= 10:
            chart.y_axis.majorUnit = 1  # whole counts: no 0.5 ticks
        chart.add_data(
            Reference(sheet, min_col=col, min_row=header_row, max_row=header_row + units),
            titles_from_data=True,
        )
        chart.set_categories(categories)
        chart.y_axis.delete = False
        chart.x_axis.delete = False
        sheet.add_chart(chart, f"{get_column_letter(left)}{header_row}")
        left += outputs.CHART_COLUMNS


# -- shared --


def put(sheet: Worksheet, row: int, col: int, value: Any) -> Any:
    """The one way this adapter writes a value: text stays text.

    openpyxl turns a string that begins with "=" into a formula; a unit named
    "=cmd|' /C calc'!A0" must come out as the text it is. Characters XML cannot hold
    (control characters) are dropped rather than failing the save.
    """
    cell = sheet.cell(row, col)
    cell.value = _text(value) if isinstance(value, str) else value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _fresh_sheet(book: Workbook, title: str, index: int) -> Worksheet:
    """The tool's own sheet, emptied: an old one is removed with its tables and charts."""
    if title in book.sheetnames:
        del book[title]
    sheet = book.create_sheet(title, index)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # every column on one page width
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    book.active = index
    for other in book.worksheets:
        other.sheet_view.tabSelected = other is sheet
    return sheet


def _write_table(
    sheet: Worksheet,
    top: int,
    left: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    name: str,
    widths: Sequence[int] = (),
    written: int | None = None,
) -> None:
    """Write a header and rows, then make them an Excel table (one range, no per-cell styling).

    With ``written``, only that many rows are written; the table still spans them all.
    """
    for col, header in enumerate(headers, start=left):
        cell = put(sheet, top, col, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for offset, values in enumerate(rows[:written], start=1):
        for col, value in enumerate(values, start=left):
            put(sheet, top + offset, col, value)
    for col, width in enumerate(widths, start=left):
        sheet.column_dimensions[get_column_letter(col)].width = width
    last = f"{get_column_letter(left + len(headers) - 1)}{top + max(len(rows), 1)}"
    table = Table(displayName=name, ref=f"{get_column_letter(left)}{top}:{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    table._initialise_columns()  # named here: openpyxl would make a cell object a table cell
    for column, header in zip(table.tableColumns, headers, strict=True):
        column.name = _text(header)
    sheet.add_table(table)
