"""Hand a copy of the book to each unit, and merge the copies that come back.

This is the core of ``split`` and ``merge``; it never touches a file. Adapters read
each workbook into raw sheets and its package into a :class:`PackageInfo`, and write
the :class:`MergeResult` plan into a new copy of the master.

- split: which rows go into each unit's copy, and the marker the copy carries (custom
  document properties: they survive renaming and Excel's saves, and cost no sheet).
- merge: the newest copy of a unit wins; its rows replace the unit's rows in the master,
  diffed like lines of text (unchanged, 改 modified, + added, − deleted), each merged
  row keeping its file and row (the 合并来源 column); rows naming another unit are kept
  and listed as conflicts; units with no copy, or with an empty per-unit sheet, are late.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from . import normalise as nm
from .definition import Definition, Sheet
from .model import (
    HEADER_SEARCH_COLUMNS,
    Issue,
    RawSheet,
    _find_header,
    _plain_header,
    _record_rows,
)

# The copy's marker, as custom document properties (File → 属性 → 自定义 in Excel).
MARK_UNIT = "报表单位"
MARK_CAMPAIGN = "活动名称"
MARK_MASTER = "台账版本"
MARK_SPLIT_AT = "分发时间"

SOURCE_HEADER = "合并来源"  # the tool's column at the right of each merged table
LOG_SHEET = "合并记录"
COPIES_FOLDER = "各单位报表"  # the Excel button merges the copies in this folder beside the book
# Sheets the office fills: sent to units read-only and never taken back from a copy.
DEFAULT_OFFICE_SHEETS = ("units", "staff", "leading_group")
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\s]+')


# -- reading rows --


class Row(NamedTuple):
    """One record as typed, in the definition's column order (None where the file has no column).

    A named tuple: a merge makes one for every row of the master and of each copy.
    """

    number: int  # Excel row in its own file
    values: tuple[Any, ...]
    unit: str  # the unit column's name, cleaned; "" when blank


@dataclass
class SheetRows:
    """A table sheet's records as read from one file, with where each column stands."""

    sheet: Sheet
    header_row: int | None
    positions: dict[str, int]  # column key -> Excel column number, for the columns found
    rows: list[Row]
    extra_headers: tuple[str, ...] = ()  # headers the definition does not know
    source_col: int | None = None  # a previous merge's 合并来源 column
    kept: list[tuple[int, int]] = field(default_factory=list)  # (records above it, Excel row)

    @property
    def present(self) -> tuple[int, ...]:
        """Indexes (definition order) of the columns this file has."""
        return tuple(i for i, c in enumerate(self.sheet.columns) if c.key in self.positions)

    @property
    def missing_headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.sheet.columns if c.key not in self.positions)


def plain(value: Any) -> Any:
    """A cell value in one form whatever wrote it: 5.0 -> 5, a midnight datetime -> date."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def read_table(sheet: Sheet, raw: RawSheet) -> SheetRows:
    """The records of one table sheet: header found by name, blank and total rows left out."""
    return read_tables(sheet, [raw])[0]


def read_tables(sheet: Sheet, raws: Sequence[RawSheet]) -> list[SheetRows]:
    """:func:`read_table` over one sheet of several files (the units' copies), together.

    Column by column, as model's loader does: a column is cut out of the rows in one pass and
    each distinct value made plain once. model's own rule then picks the record rows, once
    over every file's rows: the copies share most values, and each is tested once.
    """
    cuts = [_Cut.of(sheet, raw) for raw in raws]
    together = {
        c.key: list(chain.from_iterable(cut.columns[i] for cut in cuts))
        for i, c in enumerate(sheet.columns)
    }
    records = _record_rows(together, sum(len(cut.body) for cut in cuts))
    tables, start = [], 0
    for cut, raw in zip(cuts, raws, strict=True):
        end = start + len(cut.body)
        first, last = bisect.bisect_left(records, start), bisect.bisect_left(records, end)
        tables.append(cut.table(raw, [i - start for i in records[first:last]]))
        start = end
    return tables


@dataclass
class _Cut:
    """A table sheet's header and its columns' plain values, before records are picked."""

    sheet: Sheet
    header_index: int | None
    found: dict[str, int]  # column key -> position in the row
    body: Sequence[Sequence[Any]]
    columns: list[list[Any]]  # definition order

    @classmethod
    def of(cls, sheet: Sheet, raw: RawSheet) -> _Cut:
        header_index, found = _header(sheet, raw.rows)
        if header_index is None:
            return cls(sheet, None, {}, [], [[] for _ in sheet.columns])
        body = raw.rows[header_index + 1 :]
        return cls(
            sheet,
            header_index,
            found,
            body,
            _columns(body, [found.get(c.key) for c in sheet.columns]),
        )

    def table(self, raw: RawSheet, records: list[int]) -> SheetRows:
        """The sheet's rows, given which of them carry a record."""
        sheet, columns = self.sheet, self.columns
        if self.header_index is None:
            return SheetRows(sheet, None, {}, [])
        header_row = raw.first_row + self.header_index
        count = len(self.body)
        kept = []
        if len(records) < count:  # records are a sorted subset of the body's rows
            others = sorted(set(range(count)).difference(records))
            kept = [  # a total row: no record, but its place is kept
                (bisect.bisect_left(records, i), header_row + 1 + i)
                for i in others
                if any(not nm.is_blank(v) for v in self.body[i])
            ]
        at = _unit_index(sheet)
        names = columns[at] if at is not None else [None] * count
        units = {n: nm.clean_name(n) if n is not None else "" for n in dict.fromkeys(names)}
        values = list(zip(*columns, strict=True))
        numbers: Sequence[int] = range(header_row + 1, header_row + 1 + count)
        if len(records) < count:
            values, names = [values[i] for i in records], [names[i] for i in records]
            numbers = [header_row + 1 + i for i in records]
        rows = list(
            map(_make_row, zip(numbers, values, map(units.__getitem__, names), strict=True))
        )
        extra, source = _header_facts(sheet, raw.rows[self.header_index])
        positions = {key: raw.first_col + pos for key, pos in self.found.items()}
        source_col = raw.first_col + source if source is not None else None
        return SheetRows(sheet, header_row, positions, rows, extra, source_col, kept)


# A Row from a (number, values, unit) tuple, in C: a merge makes one for every row it reads.
_make_row = functools.partial(tuple.__new__, Row)


def _header_facts(sheet: Sheet, cells: Sequence[Any]) -> tuple[tuple[str, ...], int | None]:
    """The headers the definition does not know, and where 合并来源 stands (None: nowhere)."""
    known = tuple(c.header for c in sheet.columns)
    try:
        return _header_facts_of(known, tuple(cells))
    except TypeError:  # an unhashable cell
        return _header_facts_of.__wrapped__(known, tuple(cells))


@functools.lru_cache(maxsize=256)
def _header_facts_of(
    known_headers: tuple[str, ...], cells: tuple[Any, ...]
) -> tuple[tuple[str, ...], int | None]:
    """Cached: the copies of one book share their header rows."""
    headers = [nm.clean_text(h) if h is not None else "" for h in cells]
    known = {nm.clean_text(h).replace(" ", "") for h in known_headers}
    extra = tuple(
        h for h in headers if h and h.replace(" ", "") not in known and h != SOURCE_HEADER
    )
    return extra, headers.index(SOURCE_HEADER) if SOURCE_HEADER in headers else None


def _header(sheet: Sheet, rows: Sequence[Sequence[Any]]) -> tuple[int | None, dict[str, int]]:
    """model's header search, answered at once for the books this tool writes.

    When the first row holds every header exactly, no other row or pair of rows can match
    more columns, so find_header would choose it too, with these positions.
    """
    if rows:
        headers = tuple((c.header, c.key) for c in sheet.columns)
        first = tuple(rows[0][:HEADER_SEARCH_COLUMNS])
        try:
            found = _first_row_header(headers, first)
        except TypeError:  # an unhashable cell
            found = _first_row_header.__wrapped__(headers, first)
        if found is not None:
            return 0, dict(found)
    return _find_header(sheet, rows)


@functools.lru_cache(maxsize=1024)
def _first_row_header(
    headers: tuple[tuple[str, str], ...], cells: tuple[Any, ...]
) -> tuple[tuple[str, int], ...] | None:
    """(column key, position) of every header when ``cells`` hold them all exactly, else None.

    Cached: the copies of one book share their header rows.
    """
    exact = {_plain_header(header): key for header, key in headers}
    found: dict[str, int] = {}
    for pos, cell in enumerate(cells):
        if isinstance(cell, str) and cell.strip():
            key = exact.get(_plain_header(cell))
            if key and key not in found:
                found[key] = pos
    return tuple(found.items()) if len(found) == len(headers) else None


_NUMBERS = frozenset({bool, int, float})


def _columns(body: Sequence[Sequence[Any]], places: list[int | None]) -> list[list[Any]]:
    """Each column's plain values, top to bottom (all None for a column the sheet lacks)."""
    wanted = [p for p in places if p is not None]
    if not wanted or not body:
        return [[None] * len(body) for _ in places]
    width = max(wanted) + 1
    if min(map(len, body)) < width:  # short rows (an openpyxl read): pad them
        body = [r if len(r) >= width else (*r, *(None,) * (width - len(r))) for r in body]
    picked = list(map(itemgetter(*wanted), body))
    cut = iter(zip(*picked, strict=True) if len(wanted) > 1 else [picked])
    return [_plain_column(next(cut)) if p is not None else [None] * len(body) for p in places]


def _plain_column(values: Sequence[Any]) -> list[Any]:
    """:func:`plain` over a column, once per distinct value where values cannot be confused."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:  # text as is; "" is a blank
        return list(values) if "" not in values else [v or None for v in values]
    if len(kinds & _NUMBERS) <= 1:  # 1, 1.0 and True are equal keys: never in one dict
        try:
            made = {v: plain(v) for v in dict.fromkeys(values)}
            return [made[v] for v in values]
        except TypeError:  # an unhashable value
            pass
    return [plain(v) for v in values]


def _unit_index(sheet: Sheet) -> int | None:
    keys = [c.key for c in sheet.columns]
    return keys.index(sheet.unit_column) if sheet.unit_column else None


def settings_values(definition: Definition, raw: RawSheet | None) -> dict[str, Any]:
    """The 设置 sheet's 内容 cells as typed, by setting key (for the units' copies)."""
    by_label = {nm.clean_text(r[0]): r[1] for r in (raw.rows if raw else ()) if len(r) > 1 and r[0]}
    return {
        item.key: plain(by_label.get(item.header))
        for item in definition.settings.columns
        if by_label.get(item.header) is not None
    }


# -- which sheets --


def office_sheet_keys(definition: Definition) -> frozenset[str]:
    """Sheets the office keeps: settings, the rosters, and tables no unit column splits."""
    named = definition.rules.get("office_sheets", DEFAULT_OFFICE_SHEETS)
    return frozenset(
        [s.key for s in definition.sheets if s.is_settings or not s.unit_column] + list(named)
    )


def unit_sheets(definition: Definition) -> tuple[Sheet, ...]:
    """Table sheets each unit fills its own rows of: these are split and merged."""
    office = office_sheet_keys(definition)
    return tuple(s for s in definition.tables if s.key not in office)


@dataclass(frozen=True)
class RosterUnit:
    name: str
    kind: str


def roster(definition: Definition, units: SheetRows) -> list[RosterUnit]:
    """The units of the 单位 sheet, in order, each once."""
    name_at = [c.key for c in units.sheet.columns].index(units.sheet.unit_column or "name")
    kind_at = next((i for i, c in enumerate(units.sheet.columns) if c.type == "choice"), None)
    seen, found = set(), []
    for row in units.rows:
        name = nm.clean_name(row.values[name_at])
        if name and name not in seen:
            seen.add(name)
            kind = nm.clean_text(row.values[kind_at]) if kind_at is not None else ""
            found.append(RosterUnit(name, kind))
    return found


# -- split --


def copy_filename(master: Path, unit: str) -> str:
    """台账.xlsm + 古市工商所 -> 台账.古市工商所.xlsx (a copy never carries macros)."""
    return f"{Path(master).stem}.{_UNSAFE_IN_NAME.sub('_', unit)}.xlsx"


def marker(unit: str, campaign: str, version: str, when: dt.datetime) -> dict[str, str]:
    return {
        MARK_UNIT: unit,
        MARK_CAMPAIGN: campaign,
        MARK_MASTER: version,
        MARK_SPLIT_AT: when.strftime("%Y-%m-%d %H:%M"),
    }


def split_records(
    definition: Definition, tables: dict[str, SheetRows], unit: str
) -> dict[str, list[list[Any]]]:
    """The records of one unit's copy: the office's sheets whole, the unit's own rows elsewhere."""
    split = {s.key for s in unit_sheets(definition)}
    records = {}
    for key, table in tables.items():
        rows = table.rows if key not in split else [r for r in table.rows if r.unit == unit]
        records[key] = [list(r.values) for r in rows]
    return records


# -- merge: the copies --


@dataclass(frozen=True)
class PackageInfo:
    """What a file says about itself outside its cells: the marker and when it was saved."""

    marker: dict[str, str]
    saved: dt.datetime | None  # docProps/core.xml modified, UTC
    mtime: float  # the file system's time, for copies whose saved time ties


@dataclass
class Copy:
    """A unit's copy as read: its unit, times and the rows of each unit sheet it has."""

    path: Path
    unit: str
    info: PackageInfo
    sheets: dict[str, SheetRows]
    notes: list[str] = field(default_factory=list)  # warnings about this copy

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def order(self) -> tuple[dt.datetime, float]:
        """Newer sorts higher: saved time first, then the file's time."""
        return (self.info.saved or dt.datetime.min, self.info.mtime)


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def identify(
    definition: Definition,
    path: Path,
    info: PackageInfo,
    sheets: dict[str, SheetRows],
    units: Sequence[RosterUnit],
    campaign: str,
    master_version: str,
) -> Copy | Skipped:
    """Whose copy is this? The marker says; a copy without one is known by its name or rows.

    ``sheets`` are the copy's unit sheets, as :func:`copy_tables` reads them.
    """
    sheets = dict(sheets)
    names = {u.name for u in units}
    notes = []
    unit = nm.clean_name(info.marker.get(MARK_UNIT))
    if not unit:
        unit = _unit_from_name(path, names) or _unit_from_rows(sheets.values())
        if not unit:
            return Skipped(
                path, "不是分发给单位的副本（没有分发标记，文件名和各行也看不出是哪个单位的）"
            )
        notes.append(f"没有分发标记，按文件名或各行的单位认定为“{unit}”")
    copy_campaign = nm.clean_text(info.marker.get(MARK_CAMPAIGN))
    if copy_campaign and campaign and copy_campaign != nm.clean_text(campaign):
        return Skipped(path, f"是另一项活动“{copy_campaign}”的副本")
    if unit not in names:
        notes.append(f"“{unit}”不在台账的单位表中，仍按该单位合并")
    version = info.marker.get(MARK_MASTER)
    if version and master_version and version != master_version:
        notes.append("副本分发后台账有过改动：台账上该单位后来的改动会被副本替换，请核对")
    for sheet in unit_sheets(definition):
        found = sheets.get(sheet.key)
        if found is None or found.header_row is None:
            sheets.pop(sheet.key, None)
            notes.append(f"副本没有“{sheet.name}”表，该单位此表沿用台账原有的行")
            continue
        if found.missing_headers:
            notes.append(
                f"“{sheet.name}”表缺少列“{'、'.join(found.missing_headers)}”（旧模板），"
                "这些列保留台账原有内容，新增的行为空"
            )
        if found.extra_headers:
            notes.append(
                f"“{sheet.name}”表的列“{'、'.join(found.extra_headers)}”不在模板中，未合并"
            )
    return Copy(Path(path), unit, info, sheets, notes)


def copy_tables(
    definition: Definition, books: Sequence[Mapping[str, RawSheet]]
) -> list[dict[str, SheetRows]]:
    """The unit sheets of each copy (by sheet key), each sheet read over all copies at once."""
    found: list[dict[str, SheetRows]] = [{} for _ in books]
    for sheet in unit_sheets(definition):
        having = [i for i, raw in enumerate(books) if sheet.name in raw]
        tables = read_tables(sheet, [books[i][sheet.name] for i in having])
        for i, table in zip(having, tables, strict=True):
            found[i][sheet.key] = table
    return found


def _unit_from_name(path: Path, names: Iterable[str]) -> str:
    parts = set(Path(path).stem.split("."))
    return next((n for n in names if n in parts), "")


def _unit_from_rows(tables: Iterable[SheetRows]) -> str:
    units = {r.unit for t in tables for r in t.rows if r.unit}
    return units.pop() if len(units) == 1 else ""


def newest_per_unit(copies: Sequence[Copy]) -> tuple[list[Copy], list[Skipped]]:
    """One copy a unit, the newest; an older one is listed, never merged a second time."""
    by_unit: dict[str, list[Copy]] = {}
    for copy in copies:
        by_unit.setdefault(copy.unit, []).append(copy)
    chosen, older = [], []
    for unit, group in by_unit.items():
        group.sort(key=lambda c: c.order, reverse=True)
        chosen.append(group[0])
        for copy in group[1:]:
            older.append(
                Skipped(copy.path, f"“{unit}”有更新的副本“{group[0].name}”，这份较旧，未合并")
            )
    return chosen, older


# -- merge: the rows --


class OutRow(NamedTuple):
    """A row of the merged sheet: a master row as it is, or values written over one."""

    master: int | None  # the master's Excel row to start from (None: a new row)
    values: tuple[Any, ...] | None = None  # definition-order values to write, or None
    present: tuple[int, ...] = ()  # which of ``values`` to write
    source: str = ""  # 合并来源; "" keeps what the master row had


@dataclass(frozen=True)
class Change:
    """What one copy does to one sheet."""

    rows: int = 0  # the copy's rows of its own unit
    added: int = 0
    deleted: int = 0
    modified: int = 0
    conflicts: int = 0  # rows naming another unit (kept, counted in ``added`` too)

    @property
    def any(self) -> bool:
        return bool(self.added or self.deleted or self.modified)


@dataclass(frozen=True)
class Conflict:
    sheet: str
    file: str
    row: int
    named: str  # the unit the row names
    unit: str  # the copy's unit


@dataclass
class MergeResult:
    """The merge, ready to be written or printed."""

    definition: Definition
    plans: dict[str, list[OutRow]]  # sheet key -> the merged sheet's rows, top to bottom
    used: list[Copy]
    changes: dict[tuple[str, str], Change]  # (unit, sheet key)
    conflicts: list[Conflict]
    skipped: list[Skipped]
    late: list[tuple[str, str]]  # (unit, why)
    rows_before: dict[str, int] = field(default_factory=dict)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return [(c.name, note) for c in self.used for note in c.notes]

    def check_lines(self) -> list[str]:
        """古市工商所：走访 +5 −1 改2；金点子 +3 — one line a copy."""
        lines = []
        for copy in self.used:
            parts = []
            for sheet in unit_sheets(self.definition):
                change = self.changes.get((copy.unit, sheet.key))
                if change and change.any:
                    parts.append(_change_text(sheet.name, change))
            lines.append(f"{copy.unit}：{'；'.join(parts) if parts else '没有改动'}")
        return lines

    def summary_line(self) -> str:
        text = f"合并了{len(self.used)}份副本"
        if self.skipped:
            text += f"，跳过{len(self.skipped)}份"
        if self.conflicts:
            text += f"，{len(self.conflicts)}行写的是其他单位（已保留，见合并记录）"
        late = late_units(self.late)
        return text + (f"；催报：{'、'.join(late)}" if late else "；各单位都已报送")

    def log_tables(self) -> list[LogTable]:
        """The 合并记录 sheet's tables, top to bottom."""
        sheets = unit_sheets(self.definition)
        used = [
            (
                c.unit,
                c.name,
                c.info.saved.strftime("%Y-%m-%d %H:%M") if c.info.saved else "",
                *(self.changes.get((c.unit, s.key), Change()).rows for s in sheets),
                "；".join(
                    _change_text(s.name, ch)
                    for s in sheets
                    if (ch := self.changes.get((c.unit, s.key), Change())).any
                )
                or "没有改动",
            )
            for c in self.used
        ]
        return [
            LogTable(
                "使用的副本",
                ("单位", "文件", "保存时间", *(f"{s.name}（行）" for s in sheets), "改动"),
                used,
            ),
            LogTable(
                "写的是其他单位的行（已保留，请核对）",
                ("工作表", "文件", "副本中的行", "行中写的单位", "副本的单位"),
                [(c.sheet, c.file, c.row, c.named, c.unit) for c in self.conflicts],
            ),
            LogTable(
                "跳过的副本", ("文件", "原因"), [(s.path.name, s.reason) for s in self.skipped]
            ),
            LogTable("提示", ("文件", "说明"), self.warnings),
            LogTable("催报", ("单位", "原因"), self.late),
        ]


@dataclass(frozen=True)
class LogTable:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def late_units(late: Sequence[tuple[str, str]]) -> list[str]:
    return list(dict.fromkeys(unit for unit, _ in late))


def _change_text(name: str, change: Change) -> str:
    parts = [
        f"+{change.added}" if change.added else "",
        f"−{change.deleted}" if change.deleted else "",
    ]
    parts.append(f"改{change.modified}" if change.modified else "")
    text = f"{name} {' '.join(p for p in parts if p)}"
    return text + (f"（其中{change.conflicts}行写的是其他单位）" if change.conflicts else "")


def merge(
    definition: Definition,
    master: dict[str, SheetRows],
    units: Sequence[RosterUnit],
    copies: Sequence[Copy],
    skipped: Sequence[Skipped] = (),
) -> MergeResult:
    """Replace each copy's unit's rows in the master's unit sheets; nothing is written here."""
    chosen, older = newest_per_unit(copies)
    order = {u.name: i for i, u in enumerate(units)}
    chosen.sort(key=lambda c: (order.get(c.unit, len(order)), c.unit))
    plans, changes, conflicts = {}, {}, []
    for sheet in unit_sheets(definition):
        table = master.get(sheet.key) or SheetRows(sheet, None, {}, [])
        plans[sheet.key] = _merge_sheet(table, chosen, changes, conflicts)
    late = _late(definition, units, chosen, changes, master)
    before = {s.key: len(master[s.key].rows) for s in unit_sheets(definition) if s.key in master}
    return MergeResult(
        definition, plans, chosen, changes, conflicts, [*skipped, *older], late, before
    )


def source_text(copy: Copy, row: int) -> str:
    return f"{copy.unit}：{copy.name} 第{row}行"


def _merge_sheet(
    table: SheetRows,
    copies: Sequence[Copy],
    changes: dict[tuple[str, str], Change],
    conflicts: list[Conflict],
) -> list[OutRow]:
    sheet = table.sheet
    merged = {c.unit for c in copies if sheet.key in c.sheets}
    # Each row is placed by (master row index it follows, group, copy, step); see _diff.
    placed: list[tuple[Anchor, OutRow]] = [
        ((i, 0, 0, 0), OutRow(row.number))
        for i, row in enumerate(table.rows)
        if row.unit not in merged
    ]
    placed += [((before - 1, 4, 0, 0), OutRow(number)) for before, number in table.kept]
    last_index = len(table.rows) - 1
    by_unit: dict[str, list[tuple[int, Row]]] = {}
    for i, row in enumerate(table.rows):
        by_unit.setdefault(row.unit, []).append((i, row))
    for number, copy in enumerate(copies):
        theirs = copy.sheets.get(sheet.key)
        if theirs is None:
            continue
        old, mine = by_unit.get(copy.unit, []), ("", copy.unit)
        own = [r if r.unit else _with_unit(sheet, r, copy) for r in theirs.rows if r.unit in mine]
        other = [r for r in theirs.rows if r.unit not in mine]
        rows, change = _diff(old, own, copy, theirs.present, (last_index, 3, number))
        last = (old[-1][0], 2, number) if old else (last_index, 3, number)
        for k, row in enumerate(other, start=10**6):
            rows.append(((*last, k), _new_row(copy, row, theirs.present)))
            conflicts.append(Conflict(sheet.name, copy.name, row.number, row.unit, copy.unit))
        placed += rows
        changes[(copy.unit, sheet.key)] = Change(
            len(own), change.added + len(other), change.deleted, change.modified, len(other)
        )
    placed.sort(key=itemgetter(0))
    return list(map(itemgetter(1), placed))


# An OutRow from its fields' tuple, in C (see _make_row).
_make_out_row = functools.partial(tuple.__new__, OutRow)


def _with_unit(sheet: Sheet, row: Row, copy: Copy) -> Row:
    """A row left without its (required) unit in a unit's copy is that unit's: fill it in."""
    if row.unit:
        return row
    index = _unit_index(sheet)
    if index is None or not sheet.columns[index].required:
        return row
    note = f"“{sheet.name}”表第{row.number}行没有写单位，已按副本填为“{copy.unit}”"
    copy.notes.append(note)
    values = (*row.values[:index], copy.unit, *row.values[index + 1 :])
    return Row(row.number, values, copy.unit)


def _new_row(copy: Copy, row: Row, present: tuple[int, ...], master: int | None = None) -> OutRow:
    return OutRow(master, row.values, present, source_text(copy, row.number))


Anchor = tuple[int, int, int, int]


def _diff(
    old: list[tuple[int, Row]],
    new: list[Row],
    copy: Copy,
    present: tuple[int, ...],
    end: tuple[int, int, int],
) -> tuple[list[tuple[Anchor, OutRow]], Change]:
    """Diff the unit's master rows with its copy's rows, on the columns the copy has.

    Unchanged rows keep their master cells; a changed row is written over the master row it
    replaces; an added row goes after the unit's row before it, so the sheet keeps its order.
    """
    before = _project([r.values for _, r in old], present)
    after = _project([r.values for r in new], present)
    if before == after:  # most copies come back as they went: no diff to compute
        opcodes = [("equal", 0, len(before), 0, len(after))]
    elif not before or not after:  # a round's first copy, or one emptied: nothing to match
        opcodes = [("insert" if after else "delete", 0, len(before), 0, len(after))]
    else:
        opcodes = SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    placed: list[tuple[Anchor, OutRow]] = []
    added = deleted = modified = 0
    source = f"{copy.unit}：{copy.name} 第"  # + row + 行, as source_text writes it
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":  # unchanged rows keep their master cells
            placed += [
                ((index, 0, 0, 0), _make_out_row((row.number, None, (), f"{source}{n}行")))
                for (index, row), n in zip(old[i1:i2], (r.number for r in new[j1:j2]), strict=True)
            ]
            continue
        pairs = (
            _pair_edited(before, after, range(i1, i2), range(j1, j2)) if tag == "replace" else {}
        )
        # where rows with no partner go: after the unit's previous row, or before its first
        anchor = (old[i1 - 1][0], 1, 0) if i1 > 0 else ((old[0][0], -1, 0) if old else end)
        if tag == "insert":  # a block of new rows (a round's first merge: every row)
            placed += [
                ((*anchor, step), _make_out_row((None, r.values, present, f"{source}{r.number}行")))
                for step, r in enumerate(new[j1:j2], start=1)
            ]
            added += j2 - j1
            continue
        step = 0
        for j in range(j1, j2):
            if j in pairs:
                index, master_row = old[pairs[j]]
                anchor, step = (index, 1, 0), 0
                row = _new_row(copy, new[j], present, master_row.number)
                placed.append(((index, 0, 0, 0), row))
                modified += 1
            else:
                step += 1
                placed.append(((*anchor, step), _new_row(copy, new[j], present)))
                added += 1
        deleted += (i2 - i1) - len(pairs)
    return placed, Change(len(new), added, deleted, modified)


def _project(values: list[tuple[Any, ...]], present: tuple[int, ...]) -> list[tuple[Any, ...]]:
    """The rows' values in the columns ``present`` (all of them, most often: as they are)."""
    if not values or present == tuple(range(len(values[0]))):
        return values
    if len(present) == 1:
        return [(v[present[0]],) for v in values]
    return list(map(itemgetter(*present), values))


def _pair_edited(
    before: list[tuple[Any, ...]], after: list[tuple[Any, ...]], olds: range, news: range
) -> dict[int, int]:
    """In a block of differing rows, pair each new row with the old row it most resembles."""
    if len(olds) * len(news) > 250_000:  # a unit that rewrote its whole sheet: pair in order
        candidates = {j: [i] for j, i in zip(news, olds, strict=False)}
    else:
        candidates = {j: list(olds) for j in news}
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for j, options in candidates.items():
        scored = [(_same_cells(before[i], after[j]), -i, i) for i in options if i not in taken]
        best = max(scored, default=None)
        if best is not None and 2 * best[0] >= len(after[j]):
            pairs[j] = best[2]
            taken.add(best[2])
    return pairs


def _same_cells(old: tuple[Any, ...], new: tuple[Any, ...]) -> int:
    return sum(a == b for a, b in zip(old, new, strict=True))


def _late(
    definition: Definition,
    units: Sequence[RosterUnit],
    copies: Sequence[Copy],
    changes: dict[tuple[str, str], Change],
    master: dict[str, SheetRows],
) -> list[tuple[str, str]]:
    """催报: units with no copy, then units whose copy leaves a per-unit sheet empty."""
    have = {c.unit for c in copies}
    late = [(u.name, "未交副本") for u in units if u.name not in have]
    exempt = set(definition.rules.get("exempt_unit_kinds", ()))
    kinds = {u.name: u.kind for u in units}
    for copy in copies:
        if kinds.get(copy.unit) in exempt:
            continue
        for sheet in unit_sheets(definition):
            if not sheet.per_unit:
                continue
            if sheet.key in copy.sheets:  # the copy's rows of its own unit (or of none)
                count = changes[(copy.unit, sheet.key)].rows
            else:
                table = master.get(sheet.key)
                count = sum(1 for r in table.rows if r.unit == copy.unit) if table else 0
            if not count:
                late.append((copy.unit, f"“{sheet.name}”表没有填写"))
    return late


# -- provenance, for the issues found on a merged book --


def sources(
    definition: Definition, raw_sheets: Mapping[str, RawSheet]
) -> dict[tuple[str, int], str]:
    """(sheet name, Excel row) -> the 合并来源 a merge wrote there (empty for other books)."""
    found = {}
    for sheet in unit_sheets(definition):
        raw = raw_sheets.get(sheet.name)
        header_index = _find_header(sheet, raw.rows)[0] if raw else None
        if raw is None or header_index is None:
            continue
        headers = [nm.clean_text(h) for h in raw.rows[header_index]]
        if SOURCE_HEADER not in headers:
            continue
        col = headers.index(SOURCE_HEADER)
        first = raw.first_row + header_index + 1
        for row, cells in enumerate(raw.rows[header_index + 1 :], start=first):
            if col < len(cells) and not nm.is_blank(cells[col]):
                found[(sheet.name, row)] = nm.clean_text(cells[col])
    return found


def name_sources(issues: Sequence[Issue], found: dict[tuple[str, int], str]) -> list[Issue]:
    """Each issue on a merged row says which unit's file and row to fix."""
    if not found:
        return list(issues)
    return [
        replace(i, message=f"{i.message}（来源：{found[(i.sheet, i.row)]}）")
        if (i.sheet, i.row) in found
        else i
        for i in issues
    ]
