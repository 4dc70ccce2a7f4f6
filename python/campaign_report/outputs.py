"""What the tool writes back into a workbook, as plain data every adapter lays out.

The openpyxl adapter (files) takes the marks and blocks below. A live office
(Excel through xlwings, LibreOffice through UNO, later a WPS add-in) takes a
:class:`WritePlan`: plain, JSON-serialisable data saying which of the tool's
sheets to empty, which cells to mark or unmark, which blocks of values to write
where (links marked as such, every other value text or a number), an optional
chart and a status line. Each host only carries the plan out, in bulk. The
sheets named here are the tool's own; it rewrites them whole and touches nothing
else a user typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from .aggregate import Summary
from .excel_build import CONTROL_SHEET, STATUS_CELL
from .gaps import gap_lines
from .model import ERROR, Issue, column_letter
from .validate import ValidationResult

ISSUES_SHEET = "校验结果"
SUMMARY_SHEET = "汇总"
BASIS_SHEET = "报告依据"  # every figure the report states, and every row it left out
TOOL_SHEETS = (ISSUES_SHEET, SUMMARY_SHEET, BASIS_SHEET)
BASIS_HEADERS = ("状态", "数据名称", "事实", "报告中的文字", "数值", "计算方法", "来源行")
STATED, LEFT_OUT = "已写入报告", "未写入报告"
MAX_SOURCE_TEXT = 2000  # a figure over very many scattered rows lists the first of them
MARK_AUTHOR = "campaign-report 校验"  # a note by this author is the tool's, cleared on the next run
COLOURS = {"错误": "FFC7CE", "警告": "FFEB9C", "提示": "DDEBF7"}  # Excel's bad / neutral fills
ISSUE_HEADERS = (
    "严重程度",
    "工作表",
    "单元格",
    "列名",
    "填写内容",
    "问题说明",
    "单位",
    "规则",
    "已标注",
)
CELL_COLUMN = ISSUE_HEADERS.index("单元格")
MARKED_COLUMN = ISSUE_HEADERS.index("已标注")  # tells the next run which cells this one marked
MARKED = "是"
UNIT_COUNT_HEADERS = ("单位", "错误", "警告")


@dataclass(frozen=True)
class CellMark:
    """A highlight and a note on one cell the user must look at."""

    sheet: str
    row: int
    col: int
    colour: str  # RRGGBB
    note: str
    ours: bool = False  # in a plan: the last run marked this cell, so its note is ours to rewrite

    @property
    def address(self) -> str:
        return f"{column_letter(self.col)}{self.row}"


def cell_marks(result: ValidationResult) -> list[CellMark]:
    """One mark a cell: the most severe colour, every message of that cell in its note."""
    by_cell: dict[tuple[str, int, int], list[Issue]] = {}
    for issue in result.issues:
        if issue.row is not None and issue.col is not None:
            by_cell.setdefault((issue.sheet, issue.row, issue.col), []).append(issue)
    marks = []
    for (sheet, row, col), issues in by_cell.items():
        worst = ERROR if any(i.severity == ERROR for i in issues) else issues[0].severity
        note = "\n".join(f"【{i.severity}】{i.message}" for i in issues)
        marks.append(CellMark(sheet, row, col, COLOURS[worst], note))
    return marks


def issue_rows(result: ValidationResult, marks: list[CellMark]) -> list[tuple[Any, ...]]:
    """The 校验结果 table's rows, most severe first (the headers are :data:`ISSUE_HEADERS`)."""
    marked = {(m.sheet, m.row, m.col) for m in marks}
    return [
        (
            i.severity,
            i.sheet,
            i.cell,
            i.header,
            i.value,
            i.message,
            i.unit,
            result.rule_names.get(i.rule, i.rule),
            MARKED if (i.sheet, i.row, i.col) in marked else "",
        )
        for i in result.issues
    ]


def previously_marked(rows: list[list[Any]]) -> set[tuple[str, str]]:
    """(sheet, cell) pairs the last run marked, from its 校验结果 rows as read back."""
    found = set()
    for row in rows:
        if len(row) > MARKED_COLUMN and row[MARKED_COLUMN] == MARKED:
            sheet, cell = row[1], row[CELL_COLUMN]
            if isinstance(sheet, str) and isinstance(cell, str) and _is_address(cell):
                found.add((sheet, cell))
    return found


_ADDRESS = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def _is_address(text: str) -> bool:
    """A cell address inside Excel's grid: the list may have been typed over by anyone."""
    match = _ADDRESS.fullmatch(text)
    if not match:
        return False
    col = 0
    for letter in match[1]:
        col = col * 26 + ord(letter) - 64
    return col <= 16384 and int(match[2]) <= 1048576


def unit_count_rows(result: ValidationResult) -> list[tuple[Any, ...]]:
    return [(unit, errors, warnings) for unit, (errors, warnings) in result.count_by_unit().items()]


def link_target(sheet: str, cell: str) -> str:
    """An in-book hyperlink location: '走访'!C5."""
    return f"'{sheet}'!{cell}"


@dataclass(frozen=True)
class Block:
    """One table of the 汇总 sheet, as plain cell values."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def summary_title(summary: Summary) -> str:
    return f"{summary.facts['settings'].get('campaign_name') or '活动'}汇总"


def summary_blocks(summary: Summary) -> list[Block]:
    """The 汇总 sheet's tables, top to bottom: per-unit, key figures, then each category."""
    figures = pd.DataFrame(_marked_figures(summary), columns=["项目", "数值"])
    per_unit = _marked_per_unit(summary)
    frames = [("各单位情况", per_unit), ("主要数字", figures), *summary.tables.items()]
    return [
        Block(
            title,
            tuple(frame.columns),
            [tuple(map(_plain, r)) for r in frame.itertuples(index=False)],
        )
        for title, frame in frames
    ]


def _marked_figures(summary: Summary) -> list[tuple[str, Any]]:
    """Key figures, a figure a missing column leaves uncounted marked instead of a false 0."""
    gaps = summary.gaps
    return [(label, gaps[label].mark if label in gaps else v) for label, v in summary.key_figures()]


def _marked_per_unit(summary: Summary) -> pd.DataFrame:
    """The per-unit table; a column counted without a column it needs is marked (all of it when
    the column is missing, the 合计 row when some cells could not be read)."""
    table = summary.per_unit
    marked = [t for t in table.columns if t in summary.gaps]
    if not marked:
        return table
    table = table.astype(object)
    for title in marked:
        gap = summary.gaps[title]
        rows = table.index if gap.missing else table.index[-1:]
        table.loc[rows, title] = gap.mark
    return table


def _plain(value: Any) -> Any:
    """A cell value both writers accept: numpy scalars and Timestamps become Python values."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


# -- the write plan a live office carries out --

MAX_CELL_MARKS = 200  # a colour and a note cost a call a cell in a live office: capped
TITLE = "title"
HEADER = "header"
HEADER_COLOUR = "1F4E78"
_ADDRESS = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


@dataclass(frozen=True)
class CellRef:
    """A cell by sheet, 1-based row and column."""

    sheet: str
    row: int
    col: int

    @property
    def address(self) -> str:
        return f"{column_letter(self.col)}{self.row}"


@dataclass(frozen=True)
class Link:
    """An in-book link at ``values[row][col]`` of a block, showing ``text``, going to a cell.

    The only formula the tool writes; each host spells it in its own syntax.
    """

    row: int  # 0-based, inside the block
    col: int
    sheet: str
    cell: str
    text: str


@dataclass(frozen=True)
class CellBlock:
    """Values written in one call at (row, col); ``style`` marks a title or a header row."""

    sheet: str
    row: int
    col: int
    values: list[list[Any]]
    style: str = ""  # "", TITLE (the block's cells bold) or HEADER (its first row styled)
    links: list[Link] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.values), default=0)


@dataclass(frozen=True)
class Chart:
    """A bar chart of some columns of a block, for hosts that can draw one."""

    sheet: str
    title: str
    header_row: int  # 1-based row of the block's header; categories in ``category_col`` below it
    category_col: int
    series_cols: list[int]
    count: int  # how many categories (rows under the header)
    anchor: CellRef  # the chart's top-left cell


@dataclass(frozen=True)
class Status:
    """The one line the office reads after a click; no cell means a message box."""

    text: str
    sheet: str | None = None
    cell: str | None = None


@dataclass
class WritePlan:
    """Everything one button writes, in the order a host carries it out.

    1. ``unmark``: cells the last run marked and this one does not: colour and note removed;
    2. ``marks``: colour and note a cell (a note the user wrote stays; an ``ours`` one is
       rewritten);
    3. ``fresh_sheets``: the tool's own sheets, emptied, or added in front when missing;
    4. ``blocks`` of values, then ``charts``;
    5. ``activate`` a sheet, then show ``status``.
    """

    unmark: list[CellRef] = field(default_factory=list)
    marks: list[CellMark] = field(default_factory=list)
    fresh_sheets: list[str] = field(default_factory=list)
    blocks: list[CellBlock] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    activate: str | None = None
    status: Status | None = None
    skipped_marks: int = 0  # cells over :data:`MAX_CELL_MARKS`, listed on 校验结果 only

    def to_json_dict(self) -> dict[str, Any]:
        """The plan as JSON data (dates as ISO text), for a host in another language."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_address(sheet: str, address: str) -> CellRef | None:
    """'D5' on a sheet -> CellRef(sheet, 5, 4); None for anything else."""
    match = _ADDRESS.match(address.replace("$", "").upper())
    if not match:
        return None
    col = 0
    for letter in match.group(1):
        col = col * 26 + ord(letter) - 64
    return CellRef(sheet, int(match.group(2)), col)


def status_place(sheet_names: Collection[str]) -> tuple[str | None, str | None]:
    """Where the office looks: the control sheet's status cell, else 校验结果!A2, else a box."""
    if CONTROL_SHEET in sheet_names:
        return CONTROL_SHEET, STATUS_CELL
    if ISSUES_SHEET in sheet_names:
        return ISSUES_SHEET, "A2"
    return None, None


def status_plan(text: str, sheet_names: Collection[str]) -> WritePlan:
    """A plan that only says something (a failure, a report written)."""
    return WritePlan(status=Status(text, *status_place(sheet_names)))


def validation_plan(
    result: ValidationResult,
    sheet_names: Sequence[str],
    previous_rows: Sequence[Sequence[Any]] = (),
    max_marks: int = MAX_CELL_MARKS,
) -> WritePlan:
    """校验: unmark the last run's cells (read back from its 校验结果 rows), mark this run's,
    rewrite 校验结果 with links to the cells, and say the count."""
    names = set(sheet_names)
    previous = {
        ref
        for sheet, cell in previously_marked([list(r) for r in previous_rows])
        if sheet in names and (ref := parse_address(sheet, cell)) is not None
    }
    marks = [m for m in cell_marks(result) if m.sheet in names]
    kept = [replace(m, ours=CellRef(m.sheet, m.row, m.col) in previous) for m in marks[:max_marks]]
    new_cells = {CellRef(m.sheet, m.row, m.col) for m in kept}
    unmark = sorted(previous - new_cells, key=lambda r: (r.sheet, r.row, r.col))
    rows = [list(r) for r in issue_rows(result, kept)]
    links = [
        Link(offset, CELL_COLUMN, issue.sheet, issue.cell, issue.cell)
        for offset, issue in enumerate(result.issues, start=1)
        if issue.cell and issue.sheet in names
    ]
    blocks = [
        CellBlock(ISSUES_SHEET, 1, 1, [[result.summary_line()]], TITLE),
        CellBlock(ISSUES_SHEET, 3, 1, [list(ISSUE_HEADERS), *rows], HEADER, links),
    ]
    units = unit_count_rows(result)
    if units:
        values = [list(UNIT_COUNT_HEADERS), *map(list, units)]
        blocks.append(CellBlock(ISSUES_SHEET, 3, len(ISSUE_HEADERS) + 2, values, HEADER))
    skipped = len(marks) - len(kept)
    more = f"另有{skipped}处未标色，见校验结果表。" if skipped else ""
    text = f"{result.summary_line()}{more}"
    return WritePlan(
        unmark=unmark,
        marks=kept,
        fresh_sheets=[ISSUES_SHEET],
        blocks=blocks,
        activate=ISSUES_SHEET,
        status=Status(text, *status_place(names | {ISSUES_SHEET})),
        skipped_marks=skipped,
    )


# One bar chart a series: visits run to hundreds, ideas to a few, and each must be readable.
UNIT_CHARTS = (("走访（次）", "各单位走访（次）"), ("金点子（条）", "各单位金点子（条）"))
CHART_COLUMNS = 8  # the columns each chart takes, side by side right of the table


def unit_charts(sheet: str, header_row: int, table: Block) -> list[Chart]:
    """Visits and ideas per unit, one chart each, the 合计 row left out, units in table order."""
    units = len(table.rows) - 1  # the last row is 合计
    charts: list[Chart] = []
    if units < 1:
        return charts
    left = len(table.headers) + 2  # right of the table
    for series, title in UNIT_CHARTS:
        if series in table.headers:
            charts.append(
                Chart(
                    sheet,
                    title,
                    header_row=header_row,
                    category_col=1,
                    series_cols=[table.headers.index(series) + 1],
                    count=units,
                    anchor=CellRef(sheet, header_row, left),
                )
            )
            left += CHART_COLUMNS
    return charts


def _summary_status(summary: Summary) -> str:
    """Done, and which figures a missing or unreadable column left uncounted (marked in 汇总)."""
    lines = gap_lines(summary.gaps)
    if not lines:
        return "汇总完成，见“汇总”表。"
    return (
        f"汇总完成，见“汇总”表。{lines[0]}共{len(summary.gaps)}个数字未能完整统计，已在表中标出。"
    )


def summary_plan(summary: Summary, sheet_names: Collection[str]) -> WritePlan:
    """汇总: rewrite the 汇总 sheet, one block a table top to bottom, and chart the units."""
    blocks = [CellBlock(SUMMARY_SHEET, 1, 1, [[summary_title(summary)]], TITLE)]
    charts = []
    row = 3
    for number, table in enumerate(summary_blocks(summary)):
        blocks.append(CellBlock(SUMMARY_SHEET, row, 1, [[table.title]], TITLE))
        values = [list(table.headers), *map(list, table.rows)]
        blocks.append(CellBlock(SUMMARY_SHEET, row + 1, 1, values, HEADER))
        if number == 0:
            charts += unit_charts(SUMMARY_SHEET, row + 1, table)
        row += len(table.rows) + 4
    fresh, status = [SUMMARY_SHEET], _summary_status(summary)
    if summary.trace is not None:  # 报告依据: the figures the default report states
        fresh.insert(0, BASIS_SHEET)  # added first, so 汇总 lands in front of it
        basis = [list(BASIS_HEADERS), *(list(r.values) for r in basis_rows(summary.trace))]
        blocks.append(CellBlock(BASIS_SHEET, 1, 1, [["报告依据"]], TITLE))
        blocks.append(CellBlock(BASIS_SHEET, 3, 1, basis, HEADER))
        left = summary.trace.left_out_count
        status += f"另有{left}条记录未写入报告，见“报告依据”表。" if left else ""
    return WritePlan(
        fresh_sheets=fresh,
        blocks=blocks,
        charts=charts,
        activate=SUMMARY_SHEET,
        status=Status(status, *status_place(sheet_names)),
    )


# -- 合并 --


def log_plan(
    sheet: str, title: str, tables: Sequence[Any], status: str, sheet_names: Collection[str]
) -> WritePlan:
    """合并记录: a title and titled tables (``title``, ``headers``, ``rows``) top to bottom.

    What units typed is shown as text: a value starting with = is written as '= text.
    """
    blocks = [CellBlock(sheet, 1, 1, [[title]], TITLE)]
    row = 3
    for table in tables:
        width = len(table.headers)
        rows = [[_as_text(v) for v in r] for r in table.rows] or [["（无）"] + [""] * (width - 1)]
        blocks.append(CellBlock(sheet, row, 1, [[table.title]], TITLE))
        blocks.append(CellBlock(sheet, row + 1, 1, [list(table.headers), *rows], HEADER))
        row += len(rows) + 4
    return WritePlan(
        fresh_sheets=[sheet],
        blocks=blocks,
        activate=sheet,
        status=Status(status, *status_place(sheet_names)),
    )


def _as_text(value: Any) -> Any:
    return f"'{value}" if isinstance(value, str) and value.startswith("=") else value


@dataclass(frozen=True)
class BasisRow:
    """One line of 报告依据: a stated figure, or a row the report left out; ``link`` its cell."""

    values: tuple[Any, ...]
    link: str  # in-book location of the first source row, "" when none


def basis_rows(trace: Any) -> list[BasisRow]:
    """The 报告依据 table (headers :data:`BASIS_HEADERS`): stated figures, then rows left out."""
    from .report import row_ranges  # the report module owns the trace and its wording

    rows = []
    for fact, words in trace.stated:
        sources = ""
        if fact.numbers:  # ranges past the cut-off are not even worked out
            sources = f"{fact.sheet}!{row_ranges(fact.numbers, MAX_SOURCE_TEXT)}"
        if len(sources) > MAX_SOURCE_TEXT:
            sources = sources[:MAX_SOURCE_TEXT] + "……"
        link = link_target(fact.sheet, f"A{fact.numbers[0]}") if fact.numbers else ""
        values = (STATED, fact.key, fact.label, words, value_text(fact.value), fact.how, sources)
        rows.append(BasisRow(values, link))
    for sheet, numbers in trace.left_out.items():
        for row in numbers:
            values = (LEFT_OUT, "", "", "", "", "", f"{sheet}!{row}")
            rows.append(BasisRow(values, link_target(sheet, f"A{row}")))
    return rows


def value_text(value: Any) -> Any:
    """A fact's value as one cell: numbers stay numbers, lists and records become short text."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        if "count" in value and "unit" in value:  # one kind of activity
            return f"{value['count']}{value['unit']}"
        if "targets" in value:  # one kind of visit target
            return f"{value['targets']}{value['measure']}（{value['rows']}次）"
        return "；".join(f"{k}：{value_text(v)}" for k, v in value.items() if v)[:500]
    if isinstance(value, (list, tuple)):
        return "、".join(str(value_text(v)) for v in value)[:500]
    return str(value)[:500]
