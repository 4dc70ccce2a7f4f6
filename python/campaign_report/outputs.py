"""What the tool writes back into a workbook, as plain data both adapters lay out.

The openpyxl adapter (files) and the xlwings adapter (live Excel) take these
plans and write them in bulk: the marks on bad cells, the 校验结果 sheet and
the 汇总 sheet. The sheets named here are the tool's own; it rewrites them
whole and touches nothing else a user typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .aggregate import Summary
from .model import ERROR, Issue, column_letter
from .validate import ValidationResult

ISSUES_SHEET = "校验结果"
SUMMARY_SHEET = "汇总"
TOOL_SHEETS = (ISSUES_SHEET, SUMMARY_SHEET)
MARK_AUTHOR = "campaign-report 校验"  # a note by this author is the tool's, cleared on the next run
COLOURS = {"错误": "FFC7CE", "警告": "FFEB9C"}  # Excel's own bad / neutral fills
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
            i.rule,
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
            if isinstance(sheet, str) and isinstance(cell, str):
                found.add((sheet, cell))
    return found


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
    figures = pd.DataFrame(summary.key_figures(), columns=["项目", "数值"])
    frames = [("各单位情况", summary.per_unit), ("主要数字", figures), *summary.tables.items()]
    return [
        Block(
            title,
            tuple(frame.columns),
            [tuple(map(_plain, r)) for r in frame.itertuples(index=False)],
        )
        for title, frame in frames
    ]


def _plain(value: Any) -> Any:
    """A cell value both writers accept: numpy scalars and Timestamps become Python values."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value
