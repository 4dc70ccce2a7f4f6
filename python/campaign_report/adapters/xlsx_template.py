"""Build the campaign workbook (template or filled) from the definition, with XlsxWriter.

Every sheet, header, dropdown, input message and the 填表说明 sheet come from
the definition. XlsxWriter (not openpyxl) builds it because it writes Excel
tables, data validations and, for the .xlsm, form buttons and a VBA project.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from ..atomic import atomic_path
from ..definition import Column, Definition, Sheet
from ..model import LIST_NAME_HEADER, LIST_VALUE_HEADER, LISTS_SHEET

INSTRUCTIONS_SHEET = "填表说明"
UNIT_LIST_NAME = "单位名单"  # a defined name over the roster, so a new unit shows in every dropdown
VALIDATION_ROWS = 2000  # validations reach this far below the header even on an empty table
HEADER_FILL = "#1F4E78"
SETTINGS_HEADERS = ("项目", "内容", "说明")
SETTINGS_WIDTHS = (16, 70, 40)

Records = Mapping[str, Sequence[Sequence[Any]]]  # sheet key -> rows of cell values in column order


@dataclass(frozen=True)
class UnitCopy:
    """What makes a unit's copy (``split``) differ from the master."""

    unit: str  # the unit column's dropdown offers this unit only
    protected: frozenset[str]  # sheet keys shown read-only (the office's sheets)
    properties: Mapping[str, str]  # custom document properties: the copy's marker


def build_workbook(
    definition: Definition,
    path: Path,
    records: Records | None = None,
    settings: Mapping[str, Any] | None = None,
    unit_copy: UnitCopy | None = None,
) -> Path:
    """Write the workbook to ``path``: an .xlsm gets the control sheet and its buttons.

    ``records`` fills the table sheets and ``settings`` the 设置 sheet; without
    them the result is the empty template. ``unit_copy`` makes it one unit's copy.
    The file is written atomically.
    """
    path = Path(path)
    macros = path.suffix.lower() == ".xlsm"
    with atomic_path(path) as scratch:
        _write(definition, scratch, records or {}, settings or {}, macros, unit_copy)
    return path


def _write(
    definition: Definition,
    path: Path,
    records: Records,
    settings: Mapping[str, Any],
    macros: bool,
    unit_copy: UnitCopy | None = None,
) -> None:
    # every string stays text: a value that begins with "=" in an example is not a formula
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False}
    )
    styles = _Styles(book)
    if macros:
        from ..excel_build import add_control_sheet

        add_control_sheet(book, f"{settings.get('campaign_name') or '活动'}台账")
    _write_instructions(book, styles, definition)
    for sheet in definition.sheets:
        if sheet.is_settings:
            _write_settings(book, styles, sheet, settings)
        else:
            _write_table(book, styles, sheet, records.get(sheet.key, ()), unit_copy)
    _write_lists(book, styles, definition)
    for worksheet in book.worksheets():
        worksheet.set_landscape()
        worksheet.set_paper(9)  # A4
        worksheet.fit_to_pages(1, 0)  # all columns on one page width, as many pages down as needed
    roster = definition.sheet("units")
    book.define_name(UNIT_LIST_NAME, _roster_formula(roster))
    for name in definition.lists:
        book.define_name(list_range_name(name), _list_formula(name))
    book.set_properties({"title": "活动台账", "comments": "由 campaign-report 生成"})
    if unit_copy is not None:
        _make_unit_copy(book, definition, unit_copy)
    book.close()


class _Styles:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
        self.header = book.add_format(
            base
            | {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": HEADER_FILL,
                "border": 1,
                "align": "center",
                "text_wrap": True,
            }
        )
        self.required_header = book.add_format(
            base
            | {
                "bold": True,
                "font_color": "#FFFF00",
                "bg_color": HEADER_FILL,
                "border": 1,
                "align": "center",
                "text_wrap": True,
            }
        )
        self.text = book.add_format(base)
        self.wrap = book.add_format(base | {"text_wrap": True})
        self.date = book.add_format(base | {"num_format": "yyyy-mm-dd", "align": "left"})
        self.title = book.add_format(base | {"bold": True, "font_size": 16})
        self.section = book.add_format(
            base | {"bold": True, "font_size": 12, "font_color": HEADER_FILL}
        )

    def for_column(self, column: Column) -> Any:
        if column.type in ("date", "daterange"):
            return self.date
        return self.wrap if column.type == "longtext" else self.text


def _roster_formula(roster: Sheet) -> str:
    """A list that grows with the roster: OFFSET over the filled part of its first column."""
    ref = f"'{roster.name}'"
    return f"=OFFSET({ref}!$A$2,0,0,MAX(1,COUNTA({ref}!$A:$A)-1),1)"


# -- 选项: every dropdown list, editable by the office --


def list_range_name(list_name: str) -> str:
    return f"选项_{list_name}"


def _list_formula(list_name: str) -> str:
    """The rows of one list on 选项, wherever they stand, as long as they stay together."""
    ref = f"'{LISTS_SHEET}'"
    return (
        f'=OFFSET({ref}!$B$1,MATCH("{list_name}",{ref}!$A:$A,0)-1,0,'
        f'MAX(1,COUNTIF({ref}!$A:$A,"{list_name}")),1)'
    )


def _write_lists(book: xlsxwriter.Workbook, styles: _Styles, definition: Definition) -> None:
    extra = list(dict.fromkeys(h for cl in definition.lists.values() for h in cl.extra_headers))
    headers = [LIST_NAME_HEADER, LIST_VALUE_HEADER, *extra, "说明"]
    sheet = book.add_worksheet(LISTS_SHEET)
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, styles.header)
        sheet.set_column(col, col, 14 if col < len(headers) - 1 else 50)
    row = 1
    for choice_list in definition.lists.values():
        note = ("固定列表，不能修改。" if choice_list.closed else "") + choice_list.help
        for position, value in enumerate(choice_list.values):
            sheet.write_string(row, 0, choice_list.name, styles.text)
            sheet.write_string(row, 1, value, styles.text)
            for header in choice_list.extra_headers:
                text = choice_list.extra(value, header)
                if text:
                    sheet.write_string(row, headers.index(header), text, styles.text)
            if position == 0 and note:
                sheet.write_string(row, len(headers) - 1, note, styles.wrap)
            row += 1
    sheet.freeze_panes(1, 0)


# -- 填表说明 --


INSTRUCTION_WIDTHS = (18, 36, 6, 60)


def _write_instructions(book: xlsxwriter.Workbook, styles: _Styles, definition: Definition) -> None:
    sheet = book.add_worksheet(INSTRUCTIONS_SHEET)
    for col, width in enumerate(INSTRUCTION_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.write(0, 0, "填表说明", styles.title)
    sheet.write(
        1,
        0,
        "黄色列名为必填项。下拉框中的单位取自“单位”表，其他下拉选项取自“选项”表"
        "（可在同一列表的行中间插入新行增加选项）；日期可写 2008-03-10、3月10日 等。",
        styles.text,
    )
    row = 3
    for item in definition.sheets:
        sheet.write(row, 0, item.name, styles.section)
        sheet.write(row, 1, item.help, styles.text)
        row += 1
        for col, title in enumerate(("列名", "填写方式", "必填", "说明")):
            sheet.write(row, col, title, styles.header)
        row += 1
        for column in item.columns:
            cells = _instruction_row(column)
            sheet.write_row(row, 0, cells, styles.wrap)
            sheet.set_row(row, 15 * _lines_needed(cells))
            row += 1
        row += 1
    sheet.freeze_panes(1, 0)


def _lines_needed(cells: list[str]) -> int:
    """Wrapped lines of the fullest cell; a Chinese character takes two width units.

    Excel autofits such rows on open, LibreOffice does not, so the height is set.
    """
    widths = (len(text) * 2 / width for text, width in zip(cells, INSTRUCTION_WIDTHS, strict=True))
    return max(1, math.ceil(max(widths)))


def _settings_lines(value: Any, help_text: str) -> int:
    """Lines a 设置 row needs: its value (column 内容) or its 说明, whichever wraps more."""
    needed = 1
    for text, width in ((value, SETTINGS_WIDTHS[1]), (help_text, SETTINGS_WIDTHS[2])):
        if isinstance(text, str) and text:
            # Each typed line break starts a line; a Chinese character takes two width units.
            wrapped = (math.ceil(_width_units(part) / (width - 1)) for part in text.split("\n"))
            needed = max(needed, sum(max(1, lines) for lines in wrapped))
    return needed


def _width_units(text: str) -> int:
    return sum(2 if ord(char) > 255 else 1 for char in text)


def _instruction_row(column: Column) -> list[str]:
    how = column.type_label
    if column.choices:
        how += "：" + "、".join(column.choices)
    return [column.header, how, "是" if column.required else "", column.help]


# -- 设置 --


def _write_settings(
    book: xlsxwriter.Workbook, styles: _Styles, sheet: Sheet, values: Mapping[str, Any]
) -> None:
    ws = book.add_worksheet(sheet.name)
    for col, width in enumerate(SETTINGS_WIDTHS):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, SETTINGS_HEADERS, styles.header)
    for row, item in enumerate(sheet.columns, start=1):
        ws.write(row, 0, item.header, styles.required_header if item.required else styles.text)
        value = values.get(item.key, item.default)
        _write_value(
            ws, row, 1, value, styles.wrap if item.type == "longtext" else styles.for_column(item)
        )
        ws.write(row, 2, item.help, styles.wrap)
        # LibreOffice does not grow a row for wrapped text; without this the 说明 overlap.
        ws.set_row(row, 15 * _settings_lines(value, item.help))
        _add_validation(ws, item, row, row, 1, book_unit_list=False)
    ws.freeze_panes(1, 0)


# -- table sheets --


def _make_unit_copy(book: xlsxwriter.Workbook, definition: Definition, copy: UnitCopy) -> None:
    for name, value in copy.properties.items():
        book.set_custom_property(name, value)
    names = {s.name for s in definition.sheets if s.key in copy.protected}
    for worksheet in book.worksheets():
        if worksheet.name in names:
            worksheet.protect()  # no password: the office can still lift it


def _write_table(
    book: xlsxwriter.Workbook,
    styles: _Styles,
    sheet: Sheet,
    rows: Sequence[Sequence[Any]],
    unit_copy: UnitCopy | None = None,
) -> None:
    ws = book.add_worksheet(sheet.name)
    last_col = len(sheet.columns) - 1
    for col, column in enumerate(sheet.columns):
        ws.set_column(col, col, column.width, styles.for_column(column))
    ws.add_table(
        0,
        0,
        max(len(rows), 1),
        last_col,
        {
            "name": f"T_{sheet.key}",
            "style": "Table Style Light 9",
            "columns": [
                {
                    "header": c.header,
                    "header_format": styles.required_header if c.required else styles.header,
                }
                for c in sheet.columns
            ],
        },
    )
    for row, cells in enumerate(rows, start=1):
        for col, value in enumerate(cells):
            _write_value(ws, row, col, value, styles.for_column(sheet.columns[col]))
    last_row = max(VALIDATION_ROWS, len(rows) + 500)
    for col, column in enumerate(sheet.columns):
        if unit_copy and sheet.key not in unit_copy.protected and column.key == sheet.unit_column:
            _limit_to_unit(ws, column, last_row, col, unit_copy.unit)
        else:
            _add_validation(ws, column, 1, last_row, col, book_unit_list=True)
    ws.set_row(0, 30)
    ws.freeze_panes(1, 0)


def _write_value(ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _limit_to_unit(ws: Any, column: Column, last: int, col: int, unit: str) -> None:
    """In a unit's copy its unit column offers that unit only (written over the roster list)."""
    ws.data_validation(
        1,
        col,
        last,
        col,
        {
            "validate": "list",
            "source": [unit],
            "error_type": "warning",
            "error_title": column.header[:32],
            "error_message": f"本副本只填写“{unit}”的记录。",
            "input_title": column.header[:32],
            "input_message": f"本副本是“{unit}”的，请选择“{unit}”。"[:255],
        },
    )


def _add_validation(
    ws: Any, column: Column, first: int, last: int, col: int, book_unit_list: bool
) -> None:
    """Dropdowns for choices and units, ranges for numbers and dates, the help as input message."""
    rule: dict[str, Any] = {
        "validate": "any",
        "input_title": column.header[:32],
        "input_message": column.help[:255],
    }
    if column.type == "choice" and column.list:
        rule |= {
            "validate": "list",
            "source": f"={list_range_name(column.list)}",
            "error_type": "stop" if column.closed else "information",
            "error_message": "请从下拉框中选择。"
            if column.closed
            else "不在“选项”表的列表中，将按所填内容使用；常用的可在“选项”表中增加。",
        }
    elif column.type == "choice":
        rule |= {
            "validate": "list",
            "source": list(column.choices),
            "error_type": "stop",
            "error_message": "请从下拉框中选择：" + "、".join(column.choices),
        }
    elif column.type == "bool":
        rule |= {
            "validate": "list",
            "source": ["是", "否"],
            "error_type": "stop",
            "error_message": "请选择“是”或“否”",
        }
    elif column.type == "unit" and book_unit_list:
        rule |= {
            "validate": "list",
            "source": f"={UNIT_LIST_NAME}",
            "error_type": "warning",
            "error_message": "该单位不在“单位”表中。请从下拉框选择，或先在“单位”表中添加。",
        }
    elif column.type == "date":
        rule |= {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(2000, 1, 1),
            "maximum": dt.date(2099, 12, 31),
            "error_type": "warning",
            "error_message": "请填写日期，如 2008-03-10",
        }
    elif column.type == "integer":
        rule |= {
            "validate": "integer",
            "criteria": "between",
            "minimum": int(column.min or 0),
            "maximum": int(column.max if column.max is not None else 10**9),
            "error_type": "warning",
            "error_message": "请填写整数",
        }
    ws.data_validation(first, col, last, col, rule)
