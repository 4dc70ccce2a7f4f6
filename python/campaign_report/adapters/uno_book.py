"""The LibreOffice host of the macros: read a Calc document and carry out write plans over UNO.

The twin of ``xlwings_book.py``. A sheet is read in one ``getDataArray`` over its
used area; dates come back as serial numbers, so the cells whose number format is
a date are turned into dates from the document's null date, as Excel's readers do.
A plan is carried out in bulk: one ``setDataArray`` a block, one property call a
colour for every cell of that colour (a ``SheetCellRanges``), links as ``HYPERLINK``
formulas in LibreOffice's syntax (``;`` between arguments, ``Sheet.A1`` targets).
Only notes cost a call a cell, and the plan caps them as in Excel.

It runs inside soffice (the extension's toolbar, ``addin/libreoffice/``) or over a
UNO bridge; ``import uno`` needs LibreOffice's Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import uno

from .. import outputs
from ..model import RawSheet

_DATE = uno.getConstantByName("com.sun.star.util.NumberFormat.DATE")
_TIME = uno.getConstantByName("com.sun.star.util.NumberFormat.TIME")
_ANNOTATION = uno.getConstantByName("com.sun.star.sheet.CellFlags.ANNOTATION")
_EVERYTHING = 1023  # every com.sun.star.sheet.CellFlags bit: values, formats, notes, objects
_BOLD = uno.getConstantByName("com.sun.star.awt.FontWeight.BOLD")
_WHITE = 0xFFFFFF
CHART_SIZE = (16000, 8000)  # 1/100 mm


class UnoBook:
    """A Calc document (``frame.Controller.Model``) as a :class:`campaign_report.macros.Host`."""

    def __init__(self, doc: Any, ctx: Any = None) -> None:
        self.doc = doc
        self.ctx = ctx
        path = self.saved_path()
        self.name = path.name if path else str(doc.Title)
        self.shown: list[str] = []  # status lines that had no cell and went to a message box

    def saved_path(self) -> Path | None:
        url = self.doc.URL  # '' until the document is saved
        return Path(uno.fileUrlToSystemPath(url)) if url else None

    def sheet_names(self) -> list[str]:
        return list(self.doc.Sheets.ElementNames)

    # -- reading --

    def read_sheets(self, names: Collection[str]) -> dict[str, RawSheet]:
        sheets = {}
        for name in self.sheet_names():
            if name in names:
                sheets[name] = self._read(self.doc.Sheets.getByName(name), name)
        return sheets

    def _read(self, sheet: Any, name: str) -> RawSheet:
        cursor = sheet.createCursor()
        cursor.gotoStartOfUsedArea(False)
        cursor.gotoEndOfUsedArea(True)
        area = cursor.getRangeAddress()
        rows = [list(r) for r in cursor.getDataArray()]
        self._dates(cursor, area, rows)
        values = [[_plain(v) for v in row] for row in rows]
        return RawSheet(name, values, area.StartRow + 1, area.StartColumn + 1)

    def _dates(self, cursor: Any, area: Any, rows: list[list[Any]]) -> None:
        """Serial numbers in date-formatted cells become dates (one call a format, not a cell)."""
        formats = self.doc.NumberFormats
        null = self.doc.NullDate
        epoch = dt.datetime(null.Year, null.Month, null.Day)
        top, left = area.StartRow, area.StartColumn  # UNO struct fields are slow to read
        seen: dict[tuple[float, bool], dt.date | dt.datetime] = {}
        for group in cursor.getUniqueCellFormatRanges():
            kind = formats.getByKey(group.NumberFormat).Type
            if not kind & _DATE:
                continue
            with_time = bool(kind & _TIME)
            for address in group.getRangeAddresses():
                first, last = address.StartColumn - left, address.EndColumn - left
                for row in rows[address.StartRow - top : address.EndRow - top + 1]:
                    for c in range(first, last + 1):
                        value = row[c]
                        if type(value) is float:
                            key = (value, with_time)
                            if key not in seen:
                                seen[key] = _date(epoch, value, with_time)
                            row[c] = seen[key]

    # -- writing --

    def apply_plan(self, plan: outputs.WritePlan) -> None:
        for refs in _by_sheet(plan.unmark).values():
            ranges = self._ranges(refs)
            ranges.setPropertyToDefault("CellBackColor")
            ranges.clearContents(_ANNOTATION)
        if plan.marks:
            self._mark(plan.marks)
        for name in plan.fresh_sheets:
            self._fresh_sheet(name)
        for block in plan.blocks:
            self._write_block(block)
        for chart in plan.charts:
            self._draw_chart(chart)
        controller = self.doc.CurrentController
        if plan.activate and controller is not None:
            controller.setActiveSheet(self.doc.Sheets.getByName(plan.activate))
        if plan.status:
            self._show_status(plan.status)

    def _ranges(self, refs: Iterable[outputs.CellRef]) -> Any:
        """Cells of one sheet as one ``SheetCellRanges``: a property set on it is one call.

        (Ranges of several sheets in one would each get the property on every one of them.)
        """
        index = {name: i for i, name in enumerate(self.sheet_names())}
        addresses = tuple(
            _address(index[r.sheet], r.col - 1, r.row - 1, r.col - 1, r.row - 1) for r in refs
        )
        ranges = self.doc.createInstance("com.sun.star.sheet.SheetCellRanges")
        ranges.addRangeAddresses(addresses, False)
        return ranges

    def _mark(self, marks: Sequence[outputs.CellMark]) -> None:
        for name, group in _by_sheet(marks).items():
            by_colour: dict[str, list[outputs.CellRef]] = defaultdict(list)
            for mark in group:
                by_colour[mark.colour].append(outputs.CellRef(mark.sheet, mark.row, mark.col))
            for colour, refs in by_colour.items():
                self._ranges(refs).CellBackColor = int(colour, 16)
            sheet = self.doc.Sheets.getByName(name)
            noted = _noted_cells(sheet)
            for mark in group:
                if (mark.row - 1, mark.col - 1) not in noted:
                    sheet.Annotations.insertNew(
                        _cell_address(mark.col - 1, mark.row - 1), mark.note
                    )
                elif mark.ours:
                    sheet.getCellByPosition(mark.col - 1, mark.row - 1).Annotation.setString(
                        mark.note
                    )
                # a note the user wrote stays as it is: the message is on 校验结果

    def _fresh_sheet(self, name: str) -> None:
        """The tool's own sheet emptied, its charts removed; or a new one in front."""
        sheets = self.doc.Sheets
        if not sheets.hasByName(name):
            sheets.insertNewByName(name, 0)
            return
        sheet = sheets.getByName(name)
        for chart in sheet.Charts.ElementNames:
            sheet.Charts.removeByName(chart)
        sheet.clearContents(_EVERYTHING)

    def _write_block(self, block: outputs.CellBlock) -> None:
        sheet = self.doc.Sheets.getByName(block.sheet)
        width = block.width
        rows = tuple(
            tuple(_cell_value(v) for v in [*row, *[None] * (width - len(row))])
            for row in block.values
        )
        top, left = block.row - 1, block.col - 1
        sheet.getCellRangeByPosition(left, top, left + width - 1, top + len(rows) - 1).setDataArray(
            rows
        )
        self._write_links(sheet, block)
        if block.style == outputs.HEADER:
            header = sheet.getCellRangeByPosition(left, top, left + width - 1, top)
            header.setPropertyValues(
                ("CellBackColor", "CharColor", "CharWeight"),
                (int(outputs.HEADER_COLOUR, 16), _WHITE, _BOLD),
            )
        elif block.style == outputs.TITLE:
            sheet.getCellRangeByPosition(left, top, left + width - 1, top).CharWeight = _BOLD

    def _write_links(self, sheet: Any, block: outputs.CellBlock) -> None:
        """Links as formulas: one ``setFormulaArray`` a run of a column, blanks between bridged."""
        by_col: dict[int, dict[int, str]] = defaultdict(dict)
        for link in block.links:
            by_col[link.col][link.row] = link_formula(link)
        for col, formulas in by_col.items():
            for first, last in _runs(formulas, block.values, col):
                cells = tuple((formulas.get(r, ""),) for r in range(first, last + 1))
                x, y = block.col - 1 + col, block.row - 1
                sheet.getCellRangeByPosition(x, y + first, x, y + last).setFormulaArray(cells)

    def _draw_chart(self, chart: outputs.Chart) -> None:
        sheet = self.doc.Sheets.getByName(chart.sheet)
        index = self.sheet_names().index(chart.sheet)
        top, bottom = chart.header_row - 1, chart.header_row - 1 + chart.count
        columns = [chart.category_col, *chart.series_cols]
        ranges = tuple(_address(index, c - 1, top, c - 1, bottom) for c in columns)
        anchor = sheet.getCellByPosition(chart.anchor.col - 1, chart.anchor.row - 1).Position
        rect = uno.createUnoStruct("com.sun.star.awt.Rectangle")
        rect.X, rect.Y = anchor.X, anchor.Y
        rect.Width, rect.Height = CHART_SIZE[0], max(CHART_SIZE[1], 700 * chart.count)
        name = chart.title  # 汇总 is emptied of charts first, so titles are unique here
        if sheet.Charts.hasByName(name):
            sheet.Charts.removeByName(name)
        sheet.Charts.addNewByName(name, rect, ranges, True, True)
        document = sheet.Charts.getByName(name).EmbeddedObject
        diagram = document.createInstance("com.sun.star.chart.BarDiagram")
        diagram.Vertical = True  # bars run across, unit names readable down the side
        document.Diagram = diagram
        document.HasMainTitle = True
        document.Title.String = chart.title

    def _show_status(self, status: outputs.Status) -> None:
        if status.sheet and status.cell and self.doc.Sheets.hasByName(status.sheet):
            cell = self.doc.Sheets.getByName(status.sheet).getCellRangeByName(status.cell)
            cell.setString(status.text)
            return
        self.shown.append(status.text)
        _message_box(self.doc, self.ctx, status.text)


def link_formula(link: outputs.Link) -> str:
    """``=HYPERLINK("#'走访'.D5";"D5")``: LibreOffice's separator and sheet reference."""
    sheet = link.sheet.replace("'", "''")
    target = f"#'{sheet}'.{link.cell}".replace('"', '""')
    return f'=HYPERLINK("{target}";"{link.text.replace(chr(34), chr(34) * 2)}")'


def _by_sheet(cells: Iterable[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for cell in cells:
        groups[cell.sheet].append(cell)
    return groups


def _runs(formulas: dict[int, str], values: Sequence[Sequence[Any]], col: int) -> list[list[int]]:
    """Row runs covering every formula; a run goes on over cells that are blank in the block."""
    runs: list[list[int]] = []
    for row in sorted(formulas):
        if runs and all(
            _blank(values[r], col) for r in range(runs[-1][1] + 1, row)
        ):  # only blanks between the last run and this row
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return runs


def _blank(row: Sequence[Any], col: int) -> bool:
    return col >= len(row) or row[col] in (None, "")


def _noted_cells(sheet: Any) -> set[tuple[int, int]]:
    """(row, col), 0-based, of the sheet's cells that carry a note."""
    notes = sheet.Annotations
    found = set()
    for i in range(notes.getCount()):
        position = notes.getByIndex(i).Position
        found.add((position.Row, position.Column))
    return found


def _address(sheet: int, left: int, top: int, right: int, bottom: int) -> Any:
    address = uno.createUnoStruct("com.sun.star.table.CellRangeAddress")
    address.Sheet, address.StartColumn, address.StartRow = sheet, left, top
    address.EndColumn, address.EndRow = right, bottom
    return address


def _cell_address(col: int, row: int) -> Any:
    address = uno.createUnoStruct("com.sun.star.table.CellAddress")
    address.Column, address.Row = col, row
    return address


def _date(epoch: dt.datetime, serial: float, with_time: bool) -> dt.date | dt.datetime:
    moment = epoch + dt.timedelta(days=serial)
    return moment if with_time or moment.time() != dt.time() else moment.date()


def _plain(value: Any) -> Any:
    """What the file readers give: None for empty, whole numbers as int."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _cell_value(value: Any) -> Any:
    """A value ``setDataArray`` writes as it is: text stays text, numbers numbers."""
    if value is None or isinstance(value, str | float):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _message_box(doc: Any, ctx: Any, text: str) -> None:
    """A message box over the document's window (auto-dismissed when soffice is headless)."""
    controller = doc.CurrentController
    if ctx is None or controller is None:
        return
    window = controller.Frame.ContainerWindow
    toolkit = ctx.ServiceManager.createInstanceWithContext("com.sun.star.awt.Toolkit", ctx)
    box_type = uno.Enum("com.sun.star.awt.MessageBoxType", "INFOBOX")
    box = toolkit.createMessageBox(window, box_type, 1, "活动汇总", text)  # 1: an OK button
    box.execute()
    box.dispose()


def commands() -> list[str]:
    """The toolbar's commands: the macros' function names (``validate``, ...)."""
    from ..excel_build import MACROS

    return [m.python_function.rsplit(".", 1)[1] for m in MACROS]


def run_command(doc: Any, command: str, ctx: Any = None) -> Any:
    """What a toolbar button runs: the macro of that name on ``doc``."""
    from .. import macros

    if command not in commands():
        raise ValueError(f"unknown command {command!r}")
    return getattr(macros, command)(UnoBook(doc, ctx))
