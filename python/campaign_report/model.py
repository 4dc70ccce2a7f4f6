"""Typed tables read from a workbook, each value keeping its sheet, row and column.

Adapters (openpyxl, python-calamine, xlwings) hand over plain rows of cell
values; :func:`load_book` finds the header row, maps columns by their Chinese
headers, normalises every value once and records what it could not read or had
to guess as :class:`Issue` values. Nothing here imports a spreadsheet library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import normalise as nm
from .definition import Column, Definition, Sheet

ERROR = "错误"
WARNING = "警告"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1}

ROW = "_row"  # the Excel row number of each record travels with it through pandas
# Labels of a total row: a clerk's 合计, or what Excel's own table Total Row writes (汇总 / Total).
TOTAL_LABELS = frozenset({"合计", "总计", "小计", "共计", "汇总", "Total"})
HEADER_SEARCH_ROWS = 10


class CellError(str):
    """A cell showing an Excel error value (#N/A, #DIV/0!, #REF! …): neither text nor blank.

    Readers hand it over in place of the value; reading reports it at its cell, as an error.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellError) and str.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(("CellError", str(self)))


@dataclass(frozen=True)
class RawSheet:
    """A sheet's cell values as an adapter read them, in one bulk pass."""

    name: str
    rows: Sequence[Sequence[Any]]
    first_row: int = 1  # Excel row number of rows[0]
    first_col: int = 1  # Excel column number of rows[i][0]


@dataclass(frozen=True)
class Issue:
    """One finding about the workbook, pointing at the cell a user must look at."""

    rule: str
    severity: str
    sheet: str  # the sheet's Chinese name
    message: str
    row: int | None = None
    col: int | None = None
    header: str = ""
    value: str = ""
    unit: str = ""

    @property
    def cell(self) -> str:
        if self.row is None:
            return ""
        return f"{column_letter(self.col or 1)}{self.row}"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "col": self.col,
            "header": self.header,
            "value": self.value,
            "unit": self.unit,
            "message": self.message,
        }


@dataclass
class Table:
    """One table sheet: typed values (``data``) and the values as typed (``raw``).

    Both frames share an index; ``data[ROW]`` is the Excel row of each record.
    A ``daterange`` column ``k`` gives ``k`` (start) and ``k_end``.
    """

    sheet: Sheet
    data: pd.DataFrame
    raw: pd.DataFrame
    columns: dict[str, int]  # column key -> Excel column number, for the columns present
    header_row: int | None

    def address(self, index: Any, key: str) -> tuple[int, int | None]:
        return int(self.data.at[index, ROW]), self.columns.get(key)


@dataclass
class CampaignBook:
    """Everything read from one workbook, ready for validate / aggregate / report."""

    definition: Definition
    settings: dict[str, Any]
    settings_rows: dict[str, int]  # setting key -> Excel row of its 内容 cell
    tables: dict[str, Table]
    issues: list[Issue] = field(default_factory=list)  # what reading could not read or guessed
    year: int = 2008
    source: str = ""

    def table(self, key: str) -> Table:
        return self.tables[key]

    def frame(self, key: str) -> pd.DataFrame:
        return self.tables[key].data


def column_letter(number: int) -> str:
    """Return the Excel letters of a 1-based column number (28 -> AB)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """Return the 1-based column number of Excel letters (AB -> 28)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def load_book(
    definition: Definition, raw_sheets: dict[str, RawSheet], source: str = ""
) -> CampaignBook:
    """Turn an adapter's raw sheets into typed tables, normalising every value once."""
    issues: list[Issue] = []
    settings, settings_rows, year = _load_settings(definition, raw_sheets, issues)
    tables = {}
    for sheet in definition.tables:
        raw = raw_sheets.get(sheet.name)
        if raw is None:
            issues.append(_sheet_issue(definition, "missing_sheet", sheet.name))
            raw = RawSheet(sheet.name, [])
        tables[sheet.key] = _load_table(definition, sheet, raw, year, issues)
    return CampaignBook(definition, settings, settings_rows, tables, issues, year, source)


# -- settings --

SETTINGS_HEADERS = ("项目", "内容", "说明")


def _load_settings(
    definition: Definition, raw_sheets: dict[str, RawSheet], issues: list[Issue]
) -> tuple[dict[str, Any], dict[str, int], int]:
    sheet = definition.settings
    raw = raw_sheets.get(sheet.name)
    if raw is None:
        issues.append(_sheet_issue(definition, "missing_sheet", sheet.name))
        raw = RawSheet(sheet.name, [])
    typed_by_label = {nm.clean_text(r[0]): (i, r) for i, r in enumerate(raw.rows) if r and r[0]}
    year = _campaign_year(sheet, typed_by_label)
    settings: dict[str, Any] = {}
    rows: dict[str, int] = {}
    value_col = raw.first_col + 1
    for item in sheet.columns:
        found = typed_by_label.get(item.header)
        value = found[1][1] if found and len(found[1]) > 1 else None
        row = raw.first_row + found[0] if found else None
        if row is not None:
            rows[item.key] = row
        parsed = parse_value(item, value, year)
        _report_parse(definition, sheet, item, value, parsed, row, value_col, "", issues)
        if parsed.value is None and item.required:
            issues.append(
                _cell_issue(
                    definition, "missing_setting", ERROR, sheet, item, row, value_col, value
                )
            )
        settings[item.key] = parsed.value if parsed.value is not None else item.default
    return settings, rows, year


def _campaign_year(sheet: Sheet, typed_by_label: dict[str, tuple[int, Sequence[Any]]]) -> int:
    """The year that dates typed without one (3/10, 3月10日) belong to."""
    for key in ("period_start", "report_date", "period_end"):
        found = typed_by_label.get(sheet.column(key).header)
        if found and len(found[1]) > 1:
            parsed = nm.parse_date(found[1][1], dt.date.today().year)
            if parsed.ok and parsed.value is not None and not parsed.note:
                return parsed.value.year
    return dt.date.today().year


# -- tables --


def _load_table(
    definition: Definition, sheet: Sheet, raw: RawSheet, year: int, issues: list[Issue]
) -> Table:
    header_index, positions = _find_header(sheet, raw.rows)
    columns = {key: raw.first_col + pos for key, pos in positions.items()}
    header_row = raw.first_row + header_index if header_index is not None else None
    for column in sheet.columns:
        if column.key not in positions and raw.rows:
            issues.append(_missing_column_issue(definition, sheet, column, header_row))
    records, raw_records, row_numbers = [], [], []
    body = raw.rows[header_index + 1 :] if header_index is not None else []
    parse_cache: dict[tuple[str, Any], nm.Parsed] = {}
    for offset, cells in enumerate(body):
        if not cells:  # an empty row (a reader gives () for the gaps before a far-out cell)
            continue
        values = {key: _cell(cells, pos) for key, pos in positions.items()}
        if _is_skippable(values.values()):
            continue
        row = header_row + 1 + offset
        unit = nm.clean_name(values.get(sheet.unit_column)) if sheet.unit_column else ""
        typed = {}
        for column in sheet.columns:
            value = values.get(column.key)
            parsed = _cached_parse(parse_cache, column, value, year)
            if column.key in positions:
                _report_parse(
                    definition, sheet, column, value, parsed, row, columns[column.key], unit, issues
                )
            typed.update(_typed_fields(column, parsed))
        records.append(typed)
        raw_records.append({key: values.get(key) for key in positions})
        row_numbers.append(row)
    return Table(
        sheet, _frame(sheet, records, row_numbers), pd.DataFrame(raw_records), columns, header_row
    )


def _find_header(sheet: Sheet, rows: Sequence[Sequence[Any]]) -> tuple[int | None, dict[str, int]]:
    """Find the row holding most of the sheet's headers and where each header stands."""
    by_header = {nm.clean_text(c.header): c.key for c in sheet.columns}
    best_index, best = None, {}
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = {}
        for pos, cell in enumerate(cells):
            key = by_header.get(nm.clean_text(cell).replace(" ", "")) if cell is not None else None
            if key and key not in found:
                found[key] = pos
        if len(found) > len(best):
            best_index, best = index, found
    return best_index, best


def _cell(cells: Sequence[Any], pos: int) -> Any:
    return cells[pos] if pos < len(cells) else None


def _is_skippable(values: Any) -> bool:
    """Blank rows, and the total rows an Excel table or a clerk adds, carry no record."""
    filled = [v for v in values if not nm.is_blank(v)]
    if not filled:
        return True
    first_text = next((v for v in filled if isinstance(v, str)), None)
    return first_text is not None and nm.clean_text(first_text).replace(" ", "") in TOTAL_LABELS


def _cached_parse(cache: dict, column: Column, value: Any, year: int) -> nm.Parsed:
    try:
        key = (column.key, value)
        if key not in cache:
            cache[key] = parse_value(column, value, year)
        return cache[key]
    except TypeError:  # an unhashable value: parse it without the cache
        return parse_value(column, value, year)


def parse_value(column: Column, value: Any, year: int) -> nm.Parsed:
    """Normalise one cell after its column's type."""
    if isinstance(value, CellError):
        return nm.Parsed(None, ok=False)
    parser = _PARSERS[column.type]
    return parser(column, value, year)


_PARSERS: dict[str, Callable[[Column, Any, int], nm.Parsed]] = {
    "text": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_text(v)),
    "longtext": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_long_text(v)),
    "integer": lambda c, v, y: nm.parse_integer(v),
    "date": lambda c, v, y: nm.parse_date(v, y),
    "daterange": lambda c, v, y: nm.parse_span(v, y),
    "choice": lambda c, v, y: nm.parse_choice(v, c.choices),
    "bool": lambda c, v, y: nm.parse_bool(v),
    "unit": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_name(v)),
    "person": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_name(v)),
    "persons": lambda c, v, y: nm.parse_persons(v),
}


def _typed_fields(column: Column, parsed: nm.Parsed) -> dict[str, Any]:
    if column.type == "daterange":
        span = parsed.value
        return {
            column.key: span.start if span else None,
            f"{column.key}_end": span.end if span else None,
        }
    return {column.key: parsed.value}


_DTYPES = {"integer": "Int64", "bool": "boolean", "date": "datetime64[ns]"}


def _frame(sheet: Sheet, records: list[dict[str, Any]], rows: list[int]) -> pd.DataFrame:
    names = []
    for column in sheet.columns:
        names.append(column.key)
        if column.type == "daterange":
            names.append(f"{column.key}_end")
    frame = pd.DataFrame.from_records(records, columns=names)
    for column in sheet.columns:
        if column.type in ("date", "daterange"):
            for name in (column.key, f"{column.key}_end")[: 1 + (column.type == "daterange")]:
                frame[name] = pd.to_datetime(frame[name])
        elif column.type in _DTYPES:
            frame[column.key] = frame[column.key].astype(_DTYPES[column.type])
        else:
            frame[column.key] = frame[column.key].astype(object)
    frame[ROW] = pd.Series(rows, dtype="int64")
    return frame


# -- issues --

_UNREADABLE = {
    "integer": "unreadable_integer",
    "date": "unreadable_date",
    "daterange": "unreadable_range",
    "choice": "bad_choice",
    "bool": "bad_bool",
}


def _report_parse(
    definition: Definition,
    sheet: Sheet,
    column: Column,
    value: Any,
    parsed: nm.Parsed,
    row: int | None,
    col: int | None,
    unit: str,
    issues: list[Issue],
) -> None:
    """Record what could not be read (an error) and what was guessed (a warning)."""
    if not parsed.ok:
        rule = _UNREADABLE.get(column.type, "unreadable_integer")
        if isinstance(value, CellError):
            rule = "error_value"
        issues.append(_cell_issue(definition, rule, ERROR, sheet, column, row, col, value, unit))
    elif parsed.approx or parsed.note:
        rule = "approximate" if parsed.approx else "guessed"
        normalised = display(parsed.value)
        issue = _cell_issue(
            definition, rule, WARNING, sheet, column, row, col, value, unit, normalised=normalised
        )
        issues.append(issue)


def _cell_issue(
    definition: Definition,
    rule: str,
    severity: str,
    sheet: Sheet,
    column: Column,
    row: int | None,
    col: int | None,
    value: Any,
    unit: str = "",
    **fields: Any,
) -> Issue:
    typed = display(value)
    message = definition.message(
        rule,
        header=column.header,
        value=typed,
        sheet=sheet.name,
        choices="、".join(column.choices),
        min=_bound(column.min),
        max=_bound(column.max),
        **fields,
    )
    return Issue(rule, severity, sheet.name, message, row, col, column.header, typed, unit)


def _missing_column_issue(
    definition: Definition, sheet: Sheet, column: Column, header_row: int | None
) -> Issue:
    severity = ERROR if column.required else WARNING
    message = definition.message("missing_column", sheet=sheet.name, header=column.header)
    return Issue("missing_column", severity, sheet.name, message, header_row, None, column.header)


def _sheet_issue(definition: Definition, rule: str, sheet_name: str) -> Issue:
    return Issue(rule, ERROR, sheet_name, definition.message(rule, sheet=sheet_name))


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def display(value: Any) -> str:
    """Return a value as a user would read it in a message (an empty cell: "", never "nan")."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, float) and value != value:  # NaN: pandas' stand-in for an empty cell
        return ""
    if isinstance(value, nm.DateSpan):
        if value.is_single_day:
            return display(value.start)
        return f"{display(value.start)}至{display(value.end)}"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):
        return "、".join(map(str, value))
    return str(value).strip()
