"""Files of the split/merge round: a copy's marker and saved time, and the merged workbook.

The marker and the saved time are read from the package's docProps parts with zipfile
(no workbook is opened for that). The merged book is a new copy of the master written
with openpyxl: each unit sheet's data rows are laid out again from the merge plan, the
table is resized, the 合并来源 column filled, and the 合并记录 sheet rewritten.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from copy import copy as shallow
from pathlib import Path
from typing import Any

from openpyxl.formula.translate import Translator
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from ..collect import LOG_SHEET, SOURCE_HEADER, MergeResult, OutRow, PackageInfo, SheetRows
from . import xlsx_parts, xlsx_writer

_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"


# Where a copy's marker and saved time are; a reader keeps them for :func:`read_package_info`.
PACKAGE_INFO_PARTS = ("docProps/core.xml", "docProps/custom.xml")


def read_package_info(path: Path, parts: Mapping[str, bytes] | None = None) -> PackageInfo:
    """The copy's marker (custom document properties) and when it was last saved.

    ``parts``: PACKAGE_INFO_PARTS as a reader already inflated them; the file is opened for
    them only when one is not among those (no such part, or one too big to keep).
    """
    path = Path(path)
    mtime = path.stat().st_mtime
    if parts is not None and all(name in parts for name in PACKAGE_INFO_PARTS):
        core, custom = (parts[name] for name in PACKAGE_INFO_PARTS)
        return PackageInfo(_custom_properties(custom), _saved_time(core), mtime)
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            core, custom = (package.read(n) if n in names else b"" for n in PACKAGE_INFO_PARTS)
    except (zipfile.BadZipFile, OSError, KeyError):
        return PackageInfo({}, None, mtime)
    return PackageInfo(_custom_properties(custom), _saved_time(core), mtime)


def _saved_time(core: bytes) -> dt.datetime | None:
    found = _MODIFIED.search(core)
    if not found:
        return None
    try:
        stamp = dt.datetime.fromisoformat(found.group(1).decode().strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp


def _custom_properties(custom: bytes) -> dict[str, str]:
    if not custom:
        return {}
    try:
        root = ET.fromstring(custom)
    except ET.ParseError:
        return {}
    found = {}
    for prop in root.iter(f"{_CUSTOM_NS}property"):
        value = next(iter(prop), None)
        if prop.get("name") and value is not None and value.text is not None:
            found[prop.get("name")] = value.text
    return found


# -- the merged book --


def prepare_merged_copy(master: Path, tables: dict[str, SheetRows]) -> xlsx_parts.Prepared | None:
    """What the merged book takes from the master alone (its unit sheets' ``tables``), made
    before the plan is known, so while the units' copies are read; None when the openpyxl
    writer will write it."""
    return xlsx_parts.prepare(Path(master), tables)


def write_merged_copy(
    master: Path,
    out: Path,
    result: MergeResult,
    tables: dict[str, SheetRows],
    prepared: xlsx_parts.Prepared | None,
) -> Path:
    """Write the master with each unit sheet's rows replaced, and the 合并记录 sheet.

    The package-part writer does it when it can (the common case, and fast); openpyxl
    otherwise (formulas or notes among the rows, a previous 合并记录, .xlsm to .xlsx).
    ``prepared``: :func:`prepare_merged_copy`'s, for this master (None when it found the
    master beyond the part writer: openpyxl writes it).
    """
    fast = xlsx_parts.write(Path(master), Path(out), result, prepared)
    if fast is not None:
        return fast
    book = xlsx_writer.load(Path(master), out)
    for key, rows in result.plans.items():
        table = tables.get(key)
        if table is None or table.header_row is None or table.sheet.name not in book.sheetnames:
            continue
        _lay_out(book[table.sheet.name], table, rows)
    write_log_sheet(book, result)
    return xlsx_writer.save_atomically(book, out)


def _lay_out(ws: Worksheet, table: SheetRows, rows: list[OutRow]) -> None:
    top = table.header_row + 1
    source_col = _source_column(ws, table)
    width = max(ws.max_column, source_col)
    old = {
        number: [(c.value, shallow(c._style)) for c in cells]
        for number, cells in enumerate(
            ws.iter_rows(min_row=top, max_row=max(ws.max_row, top), max_col=width), start=top
        )
    }
    pattern = old.get(top) or [(None, None)] * width  # a data row's styles, for new rows
    for cells in ws.iter_rows(min_row=top, max_row=ws.max_row, max_col=width):
        for cell in cells:
            cell.value = None
    for number, row in enumerate(rows, start=top):
        start = old.get(row.master) if row.master is not None else None
        for col, (value, style) in enumerate(start or pattern, start=1):
            cell = ws.cell(number, col)
            if style is not None:
                cell._style = shallow(style)
            if start is not None:
                cell.value = _moved(value, row.master, number, col)
        if row.values is not None:
            _write_values(ws, number, table, row)
        if row.source:
            _text(ws.cell(number, source_col), row.source)
    _resize_tables(ws, table.header_row, top + max(len(rows), 1) - 1, source_col)


def _moved(value: Any, origin: int | None, number: int, col: int) -> Any:
    """A master cell in its new row: a formula's relative references move with it."""
    if isinstance(value, str) and value.startswith("=") and origin and origin != number:
        letter = get_column_letter(col)
        return Translator(value, origin=f"{letter}{origin}").translate_formula(f"{letter}{number}")
    return value


def _write_values(ws: Worksheet, number: int, table: SheetRows, row: OutRow) -> None:
    columns = table.sheet.columns
    for index in row.present:
        col = table.positions.get(columns[index].key)
        if col is not None:
            _text(ws.cell(number, col), row.values[index])


def _text(cell: Any, value: Any) -> None:
    """What a unit typed stays what it typed: text that looks like a formula stays text."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _source_column(ws: Worksheet, table: SheetRows) -> int:
    """The 合并来源 column: where a previous merge put it, else right of the last header."""
    if table.source_col is not None:
        return table.source_col
    header = [c.value for c in ws[table.header_row]]
    last = max(
        (col for col, value in enumerate(header, start=1) if value not in (None, "")), default=0
    )
    col = max(last, *table.positions.values()) + 1
    cell = ws.cell(table.header_row, col, SOURCE_HEADER)
    left = ws.cell(table.header_row, col - 1)
    if left.has_style:
        cell._style = shallow(left._style)
    ws.column_dimensions[get_column_letter(col)].width = 30
    return col


def _resize_tables(ws: Worksheet, header_row: int, last_row: int, source_col: int) -> None:
    """Each Excel table headed on the header row now reaches the last merged row and 合并来源."""
    for table in ws.tables.values():
        first, last = table.ref.split(":")
        first_col, first_row = _split_ref(first)
        last_col, _ = _split_ref(last)
        if first_row != header_row:
            continue
        if last_col < source_col and first_col <= source_col:
            for col in range(last_col + 1, source_col + 1):
                name = ws.cell(header_row, col).value or f"列{col}"
                table.tableColumns.append(
                    TableColumn(id=len(table.tableColumns) + 1, name=str(name))
                )
            last_col = source_col
        table.ref = (
            f"{get_column_letter(first_col)}{header_row}:{get_column_letter(last_col)}{last_row}"
        )
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref


def _split_ref(ref: str) -> tuple[int, int]:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(ref.replace("$", ""))
    return column_index_from_string(letters), row


def write_log_sheet(book: Workbook, result: MergeResult) -> Worksheet:
    """合并记录: what was merged, the conflicts, what was skipped and who is late."""
    sheet = xlsx_writer._fresh_sheet(book, LOG_SHEET, index=0)
    sheet["A1"] = result.summary_line()
    sheet["A1"].font = xlsx_writer.TITLE_FONT
    row = 3
    for number, block in enumerate(result.log_tables()):
        sheet.cell(row, 1, block.title).font = Font(bold=True, size=12, color="1F4E78")
        rows = block.rows or [("（无）",) + ("",) * (len(block.headers) - 1)]
        xlsx_writer._write_table(sheet, row + 1, 1, block.headers, rows, f"T_merge_{number}")
        for cells in sheet.iter_rows(min_row=row + 2, max_row=row + 1 + len(rows)):
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        row += len(rows) + 4
    for col, width in enumerate((18, 36, 18, 14, 14, 14, 14, 40), start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    return sheet


def edit_copy(
    path: Path,
    sheet: str,
    append: Sequence[Mapping[str, Any]] = (),
    delete: Sequence[int] = (),
    change: dict[tuple[int, str], Any] | None = None,
) -> Path:
    """Edit a unit's copy as its clerk would in Excel (the demo's two units): by header name."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    ws = book[sheet]
    headers = {c.value: c.column for c in ws[1] if c.value}
    for (row, header), value in (change or {}).items():
        ws.cell(row, headers[header]).value = value
    for row in sorted(delete, reverse=True):
        for cell in ws[row]:
            cell.value = None
    last = max(
        (r for r in range(2, ws.max_row + 1) if any(c.value is not None for c in ws[r])), default=1
    )
    for offset, values in enumerate(append, start=1):
        for header, value in values.items():
            ws.cell(last + offset, headers[header]).value = value
    for table in ws.tables.values():
        first, end = table.ref.split(":")
        col, _ = _split_ref(end)
        table.ref = f"{first}:{get_column_letter(col)}{max(last + len(append), 2)}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref
    book.save(path)
    return Path(path)
