"""A copy of the example whose headers look the way clerks make them.

Two-row headers with merged group cells, units in brackets of either width, aliases,
NFKC and spacing variants and a title row above the header. The data rows are untouched,
so every figure must come out as in the clean example.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

# sheet -> {header as defined: header as typed}
RENAMED: dict[str, dict[str, str]] = {
    "单位": {"干部职工人数": "干部职工人数（人）", "中层以上干部人数": "中层以上干部人数(人)"},
    "人员": {"姓名": "姓\u3000名", "职级": "级别"},
    "活动": {"参加人数": "参加人数(人)", "每日派出人数": "每日派出人数（人/天）", "日期": "日 期"},
    "意见建议": {"征求渠道": "渠道", "整改时限": "整改时限【日期】", "责任人": "责任人 "},
    "征求意见表": {"发放份数": "发放份数（份）", "回收份数": "回收数量(份)"},
    "金点子": {"金点子题目": "题目"},
    "心得体会": {"字数": "文章字数（字）", "是否上报": "是否上报\n（是/否）"},
    "实事项目": {"完成时限": "完成时间", "责任科室": "责任单位"},
    "督查": {"检查方式": "检查方式（定期/不定期/明查/暗访）"},
}
# sheet -> (group header, the headers it spans): a two-row header with a merged group cell
GROUPED: dict[str, tuple[str, tuple[str, ...]]] = {
    "走访": ("走访对象", ("对象类别", "对象名称")),
    "意见建议": ("整改落实", ("整改措施", "责任单位", "渠道")),
}
TITLED = ("领导小组", "金点子")  # sheets with a title row above the header


def make_messy_headers(clean: Path, out: Path) -> Path:
    """Write ``out``: ``clean`` with its headers retyped as people do."""
    book = openpyxl.load_workbook(clean)
    for ws in book.worksheets:
        for name in list(ws.tables):
            del ws.tables[name]  # a table's ref would not follow the inserted rows
        ws.freeze_panes = None
        for header, typed in RENAMED.get(ws.title, {}).items():
            _header_cell(ws, header).value = typed
        if ws.title in GROUPED:
            _two_row_header(ws, *GROUPED[ws.title])
        if ws.title in TITLED:
            ws.insert_rows(1)
            ws.cell(1, 1, f"{ws.title}登记表")
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ws.max_column)
    book.save(out)
    return out


def _header_cell(ws: Worksheet, header: str):
    return next(c for c in ws[1] if c.value == header)


def _two_row_header(ws: Worksheet, group: str, members: tuple[str, ...]) -> None:
    """Row 1 holds the group and the other headers (merged down), row 2 the members."""
    headers = [c.value for c in ws[1]]
    ws.insert_rows(2)
    cols = sorted(headers.index(m) + 1 for m in members)
    ordered = [headers[c - 1] for c in cols]
    for col, header in zip(cols, ordered, strict=True):
        ws.cell(2, col, header)
        ws.cell(1, col).value = None
    # the members are made adjacent by moving them, in order, next to the first of them
    if cols != list(range(cols[0], cols[0] + len(cols))):
        _gather(ws, cols)
        cols = list(range(cols[0], cols[0] + len(cols)))
    ws.cell(1, cols[0], group)
    ws.merge_cells(start_row=1, start_column=cols[0], end_row=1, end_column=cols[-1])
    for col in range(1, ws.max_column + 1):
        if col not in cols and ws.cell(1, col).value is not None:
            ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)


def _gather(ws: Worksheet, cols: list[int]) -> None:
    """Move whole columns so that ``cols`` stand side by side, keeping their order."""
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    order = list(range(1, ws.max_column + 1))
    before = [c for c in order if c < cols[0] and c not in cols]
    after = [c for c in order if c > cols[0] and c not in cols]
    new_order = before + cols + after
    for r, values in enumerate(grid, start=1):
        for c, source in enumerate(new_order, start=1):
            ws.cell(r, c).value = values[source - 1]
