"""Typed tables read from a workbook, each value keeping its sheet, row and column.

Adapters (openpyxl, python-calamine, xlwings) hand over plain rows of cell
values; :func:`load_book` finds the header row, maps columns by their Chinese
headers, normalises every value once and records what it could not read or had
to guess as :class:`Issue` values. Nothing here imports a spreadsheet library.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import normalise as nm
from .definition import ChoiceList, Column, Definition, Sheet
from .raw import CellError, RawSheet

ERROR = "错误"
WARNING = "警告"
INFO = "提示"  # nothing wrong; says how something was read (a header taken as a column)
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

ROW = "_row"  # the Excel row number of each record travels with it through pandas
# Labels of a total row: a clerk's 合计, or what Excel's own table Total Row writes (汇总 / Total).
TOTAL_LABELS = frozenset({"合计", "总计", "小计", "共计", "汇总", "Total"})
HEADER_SEARCH_ROWS = 10
LISTS_SHEET = "选项"  # the book's own lists, XLSForm's choices sheet
LIST_NAME_HEADER, LIST_VALUE_HEADER = "列表", "选项"
AS_TYPED = "as_typed"  # Parsed.note of a value outside an open list
HEADER_SEARCH_COLUMNS = 256  # a table's headers stand in its first columns, not at column 16000
# What Excel shows in a cell whose formula failed: an error, never a blank.
ERROR_VALUES = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


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
    definition: Definition, raw_sheets: Mapping[str, RawSheet], source: str = ""
) -> CampaignBook:
    """Turn an adapter's raw sheets into typed tables, normalising every value once."""
    issues: list[Issue] = []
    definition = definition.with_lists(read_lists(definition, raw_sheets.get(LISTS_SHEET)))
    settings, settings_rows, year = _load_settings(definition, raw_sheets, issues)
    tables = {}
    period = _period(settings)
    for sheet in definition.tables:
        raw = raw_sheets.get(sheet.name)
        if raw is None:
            issues.append(_sheet_issue(definition, "missing_sheet", sheet.name))
            raw = RawSheet(sheet.name, [])
        tables[sheet.key] = _load_table(definition, sheet, raw, (year, period), issues)
    return CampaignBook(definition, settings, settings_rows, tables, issues, year, source)


# -- the 选项 sheet --


def read_lists(definition: Definition, raw: RawSheet | None) -> dict[str, ChoiceList]:
    """The open lists the book's 选项 sheet redefines (a list absent there keeps its default)."""
    if raw is None:
        return {}
    header_index = next(
        (
            i
            for i, cells in enumerate(raw.rows[:HEADER_SEARCH_ROWS])
            if LIST_VALUE_HEADER in [nm.clean_text(c) for c in cells if c is not None]
        ),
        None,
    )
    if header_index is None:
        return {}
    headers = [nm.clean_text(c) if c is not None else "" for c in raw.rows[header_index]]
    name_pos, value_pos = (
        _position(headers, LIST_NAME_HEADER),
        _position(headers, LIST_VALUE_HEADER),
    )
    if name_pos is None or value_pos is None:
        return {}
    rows: dict[str, list[dict[str, str]]] = {}
    for cells in raw.rows[header_index + 1 :]:
        name, value = (nm.clean_text(_cell(cells, p)) for p in (name_pos, value_pos))
        if name in definition.lists and value:
            extras = {h: nm.clean_text(_cell(cells, i)) for i, h in enumerate(headers) if h}
            rows.setdefault(name, []).append({**extras, LIST_VALUE_HEADER: value})
    lists = {}
    for name, items in rows.items():
        default = definition.lists[name]
        if default.closed:
            continue
        values = tuple(dict.fromkeys(i[LIST_VALUE_HEADER] for i in items))
        first = {v: next(i for i in items if i[LIST_VALUE_HEADER] == v) for v in values}
        extras = tuple(tuple(first[v].get(h, "") for h in default.extra_headers) for v in values)
        lists[name] = ChoiceList(name, values, False, default.extra_headers, extras, default.help)
    return lists


def _position(headers: list[str], wanted: str) -> int | None:
    return headers.index(wanted) if wanted in headers else None


# -- settings --

SETTINGS_HEADERS = ("项目", "内容", "说明")


def _load_settings(
    definition: Definition, raw_sheets: Mapping[str, RawSheet], issues: list[Issue]
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


def _period(settings: dict[str, Any]) -> nm.Period | None:
    start, end = settings.get("period_start"), settings.get("period_end")
    return nm.Period(start, end) if start and end and start <= end else None


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
    definition: Definition,
    sheet: Sheet,
    raw: RawSheet,
    year: tuple[int, nm.Period | None],
    issues: list[Issue],
) -> Table:
    """Column by column: each distinct value of a column is parsed once, whatever the rows."""
    header = find_header(sheet, raw.rows)
    header_index, positions = header.index, header.positions
    columns = {key: raw.first_col + pos for key, pos in positions.items()}
    header_row = raw.first_row + header_index if header_index is not None else None
    for column in sheet.columns:
        if column.key not in positions and raw.rows:
            issues.append(_missing_column_issue(definition, sheet, column, header_row))
    issues.extend(_header_notes(definition, sheet, header, header_row, columns))
    body = raw.rows[header_index + 1 :] if header_index is not None else []
    cells = {key: _Cells.of(column) for key, column in _transpose(body, positions).items()}
    kept = _kept_rows(cells, len(body))
    rows = (kept + (header_row or 0) + 1).tolist()
    dittos = _ditto_marks(definition)
    values, copied = {}, {}
    for key, column_cells in cells.items():
        values[key], copied[key] = _resolve_ditto_cells(column_cells.take(kept), dittos)
    units = values[sheet.unit_column].mapped(nm.clean_name) if sheet.unit_column in values else None
    typed: dict[str, Any] = {}
    for column in sheet.columns:
        if column.key in values:
            where = _Where(rows, columns[column.key], units)
            typed.update(
                _read_column(
                    definition, sheet, column, values[column.key], copied[column.key], where,
                    year, issues,
                )
            )  # fmt: skip
        else:
            blank = _Cells(np.zeros(len(rows), dtype=np.intp), [None])
            typed.update(_typed_columns(column, blank, [parse_value(column, None, *year).value]))
    raw_frame = pd.DataFrame({key: c.values() for key, c in values.items()}, dtype=object)
    return Table(sheet, _frame(sheet, typed, rows), raw_frame, columns, header_row)


_NUMBER_TYPES = frozenset({bool, int, float})


@dataclass(frozen=True)
class _Cells:
    """A column's cells, factorised: row ``i`` holds ``uniques[codes[i]]``.

    Every test, clean and parse runs once per distinct value; rows are picked with numpy.
    """

    codes: np.ndarray  # one index into uniques per row
    uniques: list[Any]

    @classmethod
    def of(cls, values: Sequence[Any]) -> _Cells:
        count = len(values)
        cells = values if isinstance(values, np.ndarray) else _objects(values)
        try:
            codes, found = pd.factorize(cells)
            uniques = found.tolist()  # None and NaN got code -1
            # 1, 1.0 and True are equal keys: where numbers are, keep their types apart.
            numbers = not set(map(type, uniques)).isdisjoint(_NUMBER_TYPES)
            if numbers and len(set(map(type, cells)) & _NUMBER_TYPES) > 1:
                keyed = np.fromiter(
                    zip(map(type, cells), cells, strict=True), dtype=object, count=count
                )
                codes, found = pd.factorize(keyed)
                uniques = [value for _, value in found]
        except TypeError:  # an unhashable value (a live host may hand over anything)
            return cls(np.arange(count), list(values))
        if "" in uniques:  # calamine's blank: the same None as every other reader's
            uniques[uniques.index("")] = None
        if (codes < 0).any():
            codes[codes < 0] = len(uniques)
            uniques.append(None)
        return cls(codes, uniques)

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> _Cells:
        return _Cells(self.codes[rows], self.uniques)

    def per_row(self, per_value: Sequence[Any]) -> np.ndarray:
        """An object array holding, for each row, the entry of ``per_value`` for its value."""
        return _objects(per_value)[self.codes]

    def short_texts(self, longest: int, test: Callable[[str], bool]) -> np.ndarray:
        """``test`` of each row's value that is text of at most ``longest`` characters."""
        per_value = [isinstance(v, str) and len(v) <= longest and test(v) for v in self.uniques]
        return np.array(per_value, dtype=bool)[self.codes]

    def blank(self) -> np.ndarray:
        """Whether each row's value is blank, as a boolean array."""
        return np.array(nm.blank_flags(self.uniques), dtype=bool)[self.codes]

    def mapped(self, function: Callable[[Any], Any]) -> np.ndarray:
        return self.per_row([function(v) for v in self.uniques])

    def values(self) -> np.ndarray:
        return self.per_row(self.uniques)

    def __getitem__(self, row: int) -> Any:
        return self.uniques[self.codes[row]]


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-d object array of ``values`` (tuples stay whole, unlike ``np.array``)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _transpose(body: Sequence[Sequence[Any]], positions: dict[str, int]) -> dict[str, Any]:
    """The cells of each wanted column, in one C-level pass over the rows."""
    if not positions:
        return {}
    if not body:
        return {key: () for key in positions}
    width = max(positions.values()) + 1
    if len(set(map(len, body))) == 1 and len(body[0]) >= width:  # a reader's rectangle
        grid = np.empty((len(body), len(body[0])), dtype=object)
        try:
            grid[:] = body
        except ValueError:  # every cell a sequence of one length: numpy sees a 3rd axis
            pass
        else:
            return {key: np.ascontiguousarray(grid[:, pos]) for key, pos in positions.items()}
    if max(map(len, body)) > 2 * width:  # far more cells than wanted: cut them first
        body = [row[:width] for row in body]
    columns = list(itertools.zip_longest(*body))
    columns += [(None,) * len(body)] * (width - len(columns))  # every row shorter than width
    return {key: columns[pos] for key, pos in positions.items()}


def _kept_rows(cells: dict[str, _Cells], count: int) -> np.ndarray:
    """Indices of the rows that carry a record: not blank, not a 合计 / Total row.

    A total row is one whose first filled text cell (in header order) is a total label.
    """
    filled = np.zeros(count, dtype=bool)
    suspects = np.zeros(count, dtype=bool)
    for column in cells.values():
        filled |= ~column.blank()
        suspects |= column.short_texts(_TOTAL_LABEL_CHARS, _is_total_label)
    for i in np.flatnonzero(suspects & filled):
        texts = (c[i] for c in cells.values() if isinstance(c[i], str) and not nm.is_blank(c[i]))
        first = next(texts, None)
        if first is not None and _is_total_label(first):
            filled[i] = False
    return np.flatnonzero(filled)


def _record_rows(cells: dict[str, Sequence[Any]], count: int) -> list[int]:
    """Indices of the rows of ``cells`` (column key -> values) that carry a record."""
    if _every_row_a_record(cells):
        return list(range(count))
    return _kept_rows({k: _Cells.of(v) for k, v in cells.items()}, count).tolist()


def _every_row_a_record(cells: dict[str, Sequence[Any]]) -> bool:
    """Whether :func:`_kept_rows` keeps every row, told from each column's distinct values:
    so it is when one column has no blank value (no row is empty) and no column holds a
    total label (no row is a total). Most sheets are so, and need no factorising."""
    try:
        distinct = [list(dict.fromkeys(values)) for values in cells.values()]
    except TypeError:  # an unhashable value
        return False
    if all(any(nm.blank_flags(values)) for values in distinct):
        return False
    longest = _TOTAL_LABEL_CHARS
    return not any(
        isinstance(v, str) and len(v) <= longest and _is_total_label(v)
        for values in distinct
        for v in values
    )


_TOTAL_LABEL_CHARS = 12  # a total label with its spacing (as collect judges); longer: content


@dataclass(frozen=True)
class _Where:
    """Where a column's values stand: their Excel rows, the column, each row's unit."""

    rows: list[int]
    col: int
    units: np.ndarray | None

    def of(self, index: int) -> tuple[int, int, str]:
        return self.rows[index], self.col, self.units[index] if self.units is not None else ""


def _read_column(
    definition: Definition,
    sheet: Sheet,
    column: Column,
    cells: _Cells,
    copied: dict[int, tuple[str, Any]],
    where: _Where,
    year: tuple[int, nm.Period | None],
    issues: list[Issue],
) -> dict[str, np.ndarray]:
    """A column's typed values; what could not be read or was guessed goes into ``issues``.

    ``copied`` maps the rows whose ditto mark (同上, 〃) was replaced by the value above to
    (the mark, that value or None when there was nothing above).
    """
    typed, doubtful = _parse_column(column, cells.uniques, year)
    blanked = []  # rows read as blank whatever they hold
    for index, mark in copied.items():
        issues.append(_ditto_issue(definition, sheet, column, where.of(index), mark))
        if mark[1] is None:
            blanked.append(index)
    for index in _rows_of(cells, doubtful):
        if index in copied and copied[index][1] is None:
            continue
        row, col, unit = where.of(index)
        value = cells[index]
        if _is_error_value(value):  # never a blank: the figure it feeds would silently shrink
            issues.append(
                _cell_issue(definition, "error_value", ERROR, sheet, column, row, col, value, unit)
            )
            blanked.append(index)
        else:
            parse = doubtful[cells.codes[index]]
            _report_parse(definition, sheet, column, value, parse, row, col, unit, issues)
    return _typed_columns(column, cells, typed, blanked)


def _distinct(values: list[Any]) -> list[Any]:
    try:
        return list(dict.fromkeys(values))
    except TypeError:  # an unhashable value: keep them all
        return list(values)


def _is_total_label(text: str) -> bool:
    return nm.clean_text(text).replace(" ", "") in TOTAL_LABELS


def _parse_column(
    column: Column, uniques: list[Any], year: tuple[int, nm.Period | None]
) -> tuple[list[Any], dict[int, nm.Parsed]]:
    """Each distinct value's typed value, and the parse of those not read cleanly (by index).

    Error values (#N/A) read as unreadable.
    """
    if column.type in _TEXT_CLEANERS:
        return _parse_texts(_TEXT_CLEANERS[column.type], uniques)
    parse = _PARSERS[column.type] if column.type not in ("date", "daterange") else None
    parsed = [
        nm.Parsed(None, ok=False)
        if _is_error_value(value) or isinstance(value, CellError)
        else parse(column, value, year[0])
        if parse
        else parse_value(column, value, *year)
        for value in uniques
    ]
    doubtful = {k: p for k, p in enumerate(parsed) if not p.ok or p.approx or p.note}
    return [p.value for p in parsed], doubtful


def _parse_texts(
    clean: Callable[[Any], str], uniques: list[Any]
) -> tuple[list[Any], dict[int, nm.Parsed]]:
    """Text needs no parse object: it is blank, an error value, or cleaned."""
    if _all_plain(clean, uniques):
        return [value or None for value in uniques], {}
    values: list[Any] = []
    failed: dict[int, nm.Parsed] = {}
    for index, value in enumerate(uniques):
        if isinstance(value, str) and (isinstance(value, CellError) or _is_error_value(value)):
            failed[index] = nm.Parsed(None, ok=False)
            values.append(None)
        else:
            values.append(clean(value) or None)  # a cleaner leaves nothing of a blank
    return values, failed


# Joins a column's distinct texts for one test of them all. It is printable, stable under
# NFKC (no decomposition, never composes with a neighbour) and none of what the tests look
# for, so each test of the joined text holds for every text in it; a text containing it
# (next to a space) only sends the column down the usual path.
_SEP = "|"
_PLAIN_TESTS: dict[Callable[[Any], str], Callable[[str, str], bool]] = {
    nm.clean_text: nm.plain_lines,
    nm.clean_long_text: nm.plain_lines,
    nm.clean_name: nm.plain_names,
}


def _all_plain(clean: Callable[[Any], str], uniques: list[Any]) -> bool:
    """True when each distinct value is blank or text that ``clean`` leaves as it is, and none
    is an error value (#N/A): tested on them all joined, not with a call a value (a column
    of 100 000 distinct texts: 29 ms instead of 60)."""
    test = _PLAIN_TESTS.get(clean)
    types = set(map(type, uniques)) if test is not None else set()
    if not types or not types <= {str, type(None)}:
        return False
    texts = [v for v in uniques if v is not None] if type(None) in types else uniques
    joined = _SEP.join(texts)
    return "#" not in joined and test(joined, _SEP)


def _rows_of(cells: _Cells, uniques: Collection[int]) -> list[int]:
    """The rows holding any of the given distinct values (by index)."""
    return np.flatnonzero(np.isin(cells.codes, list(uniques))).tolist() if uniques else []


@dataclass(frozen=True)
class HeaderMatch:
    """Where a sheet's header stands and which cell was taken as which column."""

    index: int | None  # index in rows of the (last) header row; data starts below it
    positions: dict[str, int]  # column key -> position in the row
    taken: dict[str, str]  # column key -> the header as typed, where it differs from ours
    two_rows: bool = False


_BRACKETED = re.compile(r"[(\[【〔<《][^)\]】〕>》]*[)\]】〕>》]")
_HEADER_NOISE = re.compile(r"[\s*:：]")


def header_key(text: Any) -> str:
    """A header as compared: NFKC, no spaces, no bracketed unit or note (发放份数（份）)."""
    text = unicodedata.normalize("NFKC", nm.clean_text(text))
    return _HEADER_NOISE.sub("", _BRACKETED.sub("", text))


def _find_header(sheet: Sheet, rows: Sequence[Sequence[Any]]) -> tuple[int | None, dict[str, int]]:
    """The header row's index and each column's position (see :func:`find_header`)."""
    found = find_header(sheet, rows)
    return found.index, found.positions


def find_header(sheet: Sheet, rows: Sequence[Sequence[Any]]) -> HeaderMatch:
    """Find the row (or two rows, with merged group cells) holding most of the sheet's headers.

    Readers give a merged cell's value in its first cell only, so a two-row header is read
    cell by cell: the lower cell, else the upper one, else both joined (either way round).
    """
    exact = {nm.clean_text(c.header).replace(" ", ""): c.key for c in sheet.columns}
    loose = {header_key(name): c.key for c in sheet.columns for name in (c.header, *c.aliases)}
    keys: dict[str, tuple[str, str]] = {}  # text -> (exact key, loose key), each computed once
    top = [list(cells[:HEADER_SEARCH_COLUMNS]) for cells in rows[:HEADER_SEARCH_ROWS]]
    best = HeaderMatch(None, {}, {})
    for index, cells in enumerate(top):
        candidates = [[(cell,) for cell in cells]]
        if index:
            candidates.append(_two_row_cells(top[index - 1], cells))
        for two_rows, texts in enumerate(candidates):
            found = _match_cells(texts, exact, loose, keys)
            if len(found[0]) > len(best.positions):
                best = HeaderMatch(index, found[0], found[1], bool(two_rows))
    return best


def _two_row_cells(upper: Sequence[Any], lower: Sequence[Any]) -> list[tuple[Any, ...]]:
    group, texts = None, []
    for pos in range(max(len(upper), len(lower))):
        top, bottom = _cell(upper, pos), _cell(lower, pos)
        group = top if isinstance(top, str) and top.strip() else group  # spans rightwards
        if group and isinstance(bottom, str):  # 走访对象 + 名称, or 发放 + 份数 under 份数
            texts.append((bottom, top, f"{group}{bottom}", f"{bottom}{group}"))
        else:
            texts.append((bottom, top))
    return texts


def _match_cells(
    texts: list[tuple[Any, ...]],
    exact: dict[str, str],
    loose: dict[str, str],
    keys: dict[str, tuple[str, str]],
) -> tuple[dict[str, int], dict[str, str]]:
    """Exact headers first, then variants and aliases for the columns still unmatched."""
    found: dict[str, int] = {}
    taken: dict[str, str] = {}
    for loosely in (False, True):
        for pos, options in enumerate(texts):
            if pos in found.values():
                continue
            for text in options:
                if not isinstance(text, str) or not text.strip():
                    continue  # a header is text
                if text not in keys:
                    keys[text] = (_plain_header(text), header_key(text))
                key = (loose if loosely else exact).get(keys[text][loosely])
                if key and key not in found:
                    found[key] = pos
                    if loosely:
                        taken[key] = nm.clean_text(text)
                    break
    return found, taken


def _plain_header(text: Any) -> str:
    return nm.clean_text(text).replace(" ", "")


def _ditto_marks(definition: Definition) -> frozenset[str]:
    return frozenset(_ditto_key(m) for m in definition.rules.get("ditto_marks", ()))


def _ditto_key(value: Any) -> str:
    return unicodedata.normalize("NFKC", nm.clean_text(value)).replace(" ", "")


def _resolve_ditto_cells(
    cells: _Cells, marks: frozenset[str]
) -> tuple[_Cells, dict[int, tuple[str, Any]]]:
    """:func:`_resolve_dittos` on factorised cells (most columns hold no mark at all)."""
    short = [v for v in cells.uniques if isinstance(v, str) and len(v) <= _DITTO_CHARS]
    if not any(_ditto_key(v) in marks for v in short):  # _is_ditto, its tests made above
        return cells, {}
    values, copied = _resolve_dittos(cells.values().tolist(), marks)
    return _Cells.of(values), copied


def _resolve_dittos(
    values: list[Any], marks: frozenset[str]
) -> tuple[list[Any], dict[int, tuple[str, Any]]]:
    """A column with each ditto mark (同上, 〃) replaced by the value above it.

    Also returns, for each replaced row, (the mark, the value above or None). A mark with
    nothing above stays in place and reads as unreadable.
    """
    copied: dict[int, tuple[str, Any]] = {}
    candidates = {v for v in _distinct(values) if _is_ditto(v, marks)}
    if not candidates:
        return values, copied
    values = list(values)
    for index, value in enumerate(values):
        if value in candidates:
            previous = values[index - 1] if index else None
            if nm.is_blank(previous):
                copied[index] = (value, None)
            else:
                copied[index] = (value, previous)
                values[index] = previous
    return values, copied


def _is_ditto(value: Any, marks: frozenset[str]) -> bool:
    return isinstance(value, str) and len(value) <= _DITTO_CHARS and _ditto_key(value) in marks


_DITTO_CHARS = 8  # a mark with its spacing; longer text is content


def _ditto_issue(
    definition: Definition,
    sheet: Sheet,
    column: Column,
    where: tuple[int, int | None, str],
    copied: tuple[str, Any],
) -> Issue:
    mark, previous = copied
    row, col, unit = where
    if previous is None:
        return _cell_issue(definition, "ditto_blank", ERROR, sheet, column, row, col, mark, unit)
    return _cell_issue(
        definition, "ditto", WARNING, sheet, column, row, col, mark, unit, above=display(previous)
    )


def _is_error_value(value: Any) -> bool:
    return isinstance(value, str) and "#" in value and value.strip().upper() in ERROR_VALUES


def _cell(cells: Sequence[Any], pos: int) -> Any:
    return cells[pos] if pos < len(cells) else None


def parse_value(
    column: Column, value: Any, year: int, period: nm.Period | None = None
) -> nm.Parsed:
    """Normalise one cell after its column's type; year-less dates go by ``period``."""
    if isinstance(value, CellError):
        return nm.Parsed(None, ok=False)
    if column.type not in ("date", "daterange"):
        return _PARSERS[column.type](column, value, year)
    parse = nm.parse_date if column.type == "date" else nm.parse_span
    parsed = parse(value, year, period)
    # an Excel serial or a two-digit year that lands in the period is not in doubt
    sure = period and period.holds(parsed.value)
    if parsed.note and sure and not parsed.note.startswith(nm.NOTE_DOUBTFUL_YEAR):
        return nm.Parsed(parsed.value)
    return parsed


_TEXT_CLEANERS: dict[str, Callable[[Any], str]] = {
    "text": nm.clean_text,
    "longtext": nm.clean_long_text,
    "unit": nm.clean_name,
    "person": nm.clean_name,
}
_PARSERS: dict[str, Callable[[Column, Any, int], nm.Parsed]] = {
    "text": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_text(v)),
    "longtext": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_long_text(v)),
    "integer": lambda c, v, y: nm.parse_integer(v),
    "date": lambda c, v, y: nm.parse_date(v, y),
    "daterange": lambda c, v, y: nm.parse_span(v, y),
    "choice": lambda c, v, y: _parse_choice(c, v),
    "bool": lambda c, v, y: nm.parse_bool(v),
    "unit": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_name(v)),
    "units": lambda c, v, y: nm.parse_persons(v),
    "person": lambda c, v, y: nm.BLANK if nm.is_blank(v) else nm.Parsed(nm.clean_name(v)),
    "persons": lambda c, v, y: nm.parse_persons(v),
}


def _parse_choice(column: Column, value: Any) -> nm.Parsed:
    parsed = nm.parse_choice(value, column.choices)
    if parsed.ok or column.closed:
        return parsed
    return nm.Parsed(nm.clean_text(value), note=AS_TYPED)  # an open list: used as typed


def _typed_columns(
    column: Column, cells: _Cells, values: list[Any], blanked: Sequence[int] = ()
) -> dict[str, np.ndarray]:
    """Each row's typed value (a ``daterange`` gives start and end); ``blanked`` rows: None.

    ``values`` holds the typed value of each of ``cells``' distinct values.
    """
    if column.type == "daterange":
        typed = {
            column.key: cells.per_row([span.start if span else None for span in values]),
            f"{column.key}_end": cells.per_row([span.end if span else None for span in values]),
        }
    else:
        typed = {column.key: cells.per_row(values)}
    for array in typed.values():
        array[list(blanked)] = None
    return typed


_DTYPES = {"integer": "Int64", "bool": "boolean", "date": "datetime64[ns]"}


def _frame(sheet: Sheet, typed: dict[str, list[Any]], rows: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(typed, index=pd.RangeIndex(len(rows)))
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
    elif parsed.note or parsed.approx:
        if parsed.note == AS_TYPED:
            rule, fields = "choice_as_typed", {"list": column.list}
        else:
            rule = "approximate" if parsed.approx else "guessed"
            fields = {"normalised": display(parsed.value), "note": parsed.note}
        issues.append(
            _cell_issue(definition, rule, WARNING, sheet, column, row, col, value, unit, **fields)
        )


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


def _header_notes(
    definition: Definition,
    sheet: Sheet,
    header: HeaderMatch,
    header_row: int | None,
    columns: dict[str, int],
) -> list[Issue]:
    """Say which typed header was read as which column, so a clerk can check the match."""
    notes = []
    if header.two_rows and header_row is not None:
        message = definition.message("two_row_header", first=header_row - 1, second=header_row)
        notes.append(Issue("two_row_header", INFO, sheet.name, message, header_row - 1, None))
    for key, typed in header.taken.items():
        column = sheet.column(key)
        message = definition.message("header_matched", value=typed, header=column.header)
        notes.append(
            Issue(
                "header_matched",
                INFO,
                sheet.name,
                message,
                header_row,
                columns[key],
                column.header,
                typed,
            )
        )
    return notes


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
