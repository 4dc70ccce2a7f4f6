"""A copy of the example with mistakes planted at known cells, and correct entries typed oddly.

Each mistake is one a careful clerk would catch: the existing rules' kinds and the
cross-sheet ones (a person's unit or rank against 人员, part ≤ whole, counts against the
roster, date order, ditto marks, error values, dates Excel completed with this year).
Each correct entry is unusual but right (other date forms, Chinese or full-width numerals,
stray spaces, boundaries such as 回收 = 发放); none should draw an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cn2an
import openpyxl

THIS_YEAR = dt.date.today().year


@dataclass(frozen=True)
class Planted:
    kind: str
    sheet: str
    row: int
    col: int


class Planter:
    """Plants into an openpyxl book by sheet name and header; no two plants share a row."""

    def __init__(self, path: Path) -> None:
        self.book = openpyxl.load_workbook(path)
        self.mistakes: list[Planted] = []
        self.correct: list[Planted] = []
        self._rows: set[tuple[str, int]] = set()

    def col(self, sheet: str, header: str) -> int:
        return [c.value for c in self.book[sheet][1]].index(header) + 1

    def get(self, sheet: str, row: int, header: str) -> Any:
        return self.book[sheet].cell(row, self.col(sheet, header)).value

    def row_of(self, sheet: str, header: str, value: Any) -> int:
        col = self.col(sheet, header)
        ws = self.book[sheet]
        return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == value)

    def _set(self, sheet: str, row: int, header: str, value: Any) -> Planted:
        self.book[sheet].cell(row, self.col(sheet, header)).value = value
        return Planted("", sheet, row, self.col(sheet, header))

    def _claim(self, sheet: str, row: int) -> None:
        assert (sheet, row) not in self._rows, f"{sheet} row {row} planted twice"
        self._rows.add((sheet, row))

    def mistake(
        self, kind: str, sheet: str, row: int, header: str, value: Any, at: str = ""
    ) -> None:
        """Plant ``value``; the mistake is to be reported at column ``at`` (default: here)."""
        self._claim(sheet, row)
        self._set(sheet, row, header, value)
        self.mistakes.append(Planted(kind, sheet, row, self.col(sheet, at or header)))

    def ok(self, kind: str, sheet: str, row: int, header: str, value: Any) -> None:
        self._claim(sheet, row)
        self._set(sheet, row, header, value)
        self.correct.append(Planted(kind, sheet, row, self.col(sheet, header)))

    def append(self, sheet: str, values: list[Any]) -> int:
        ws = self.book[sheet]
        row = ws.max_row + 1
        for col, value in enumerate(values, start=1):
            ws.cell(row, col).value = value
        return row


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _cn(number: int) -> str:
    return cn2an.an2cn(number)


def plant(clean: Path, out: Path) -> tuple[list[Planted], list[Planted]]:
    """Write ``out`` with the plants; return (mistakes, correct entries) with their cells."""
    p = Planter(clean)
    _visits(p)
    _activities(p)
    _essays(p)
    _questionnaires_and_units(p)
    _feedback_projects_inspections(p)
    p.book.save(out)
    return p.mistakes, p.correct


def _visits(p: Planter) -> None:
    s = "走访"
    row = p.append(s, [c.value for c in p.book[s][46]])  # a row entered twice
    p._claim(s, row)
    p.mistakes.append(Planted("duplicate_row", s, row, p.col(s, "单位")))
    p._claim(s, 46)
    p.mistake("ditto_blank", s, 2, "情况记录", "〃")  # nothing above the first row
    p.mistake("required", s, 40, "对象名称", None)
    p.mistake("unreadable_date", s, 41, "走访日期", "2008-13-45")
    p.mistake("bad_choice", s, 42, "对象类别", "工厂")
    p.mistake("unknown_person", s, 43, "走访人", "张三丰")
    p.mistake("date_near_period", s, 44, "走访日期", dt.datetime(2008, 4, 3))
    p.mistake("date_outside_period", s, 45, "走访日期", dt.datetime(2008, 5, 20))
    p.mistake("unknown_unit", s, 47, "单位", "城区所")
    other = "城区工商所" if p.get(s, 48, "单位") != "城区工商所" else "古市工商所"  # room to spare
    p.mistake("person_unit_differs", s, 48, "单位", other)
    p.mistake("ditto", s, 50, "对象类别", "同上")
    p.mistake("error_value", s, 51, "单位", "#REF!")
    p.mistake("date_excel_year", s, 52, "走访日期", dt.datetime(THIS_YEAR, 3, 22))
    p.mistake("required", s, 53, "走访人", None)
    p.mistake("ditto", s, 54, "单位", "〃")

    day = _day(p.get(s, 60, "走访日期"))
    p.ok("date_ymd_chinese", s, 60, "走访日期", f"{day.year}年{day.month}月{day.day}日")
    day = _day(p.get(s, 61, "走访日期"))
    p.ok("date_dotted", s, 61, "走访日期", f"{day.month}.{day.day}")
    day = _day(p.get(s, 62, "走访日期"))
    p.ok("date_numerals", s, 62, "走访日期", f"{_cn(day.month)}月{_cn(day.day)}日")
    day = _day(p.get(s, 63, "走访日期"))
    p.ok("date_hao", s, 63, "走访日期", f"{day.month}月{day.day}号")
    day = _day(p.get(s, 64, "走访日期"))
    p.ok("date_slashes", s, 64, "走访日期", f"{day.year}/{day.month}/{day.day}")
    day = _day(p.get(s, 65, "走访日期"))
    p.ok("date_compact", s, 65, "走访日期", day.strftime("%Y%m%d"))
    day = _day(p.get(s, 66, "走访日期"))
    p.ok("date_with_time", s, 66, "走访日期", f"{day.isoformat()} 09:30")
    names = p.get(s, 67, "走访人")
    p.ok("names_stray_spaces", s, 67, "走访人", f" {names} ".replace("、", " 、 "))
    p.ok("unit_full_width_space", s, 68, "单位", f"{p.get(s, 68, '单位')}\u3000")
    row = next(r for r in range(69, 90) if p.get(s, r, "对象类别") == "企业")
    p.ok("choice_with_space", s, row, "对象类别", "企 业")
    row = next(r for r in range(row + 1, 100) if "、" in (p.get(s, r, "走访人") or ""))
    p.ok("names_with_deng", s, row, "走访人", f"{p.get(s, row, '走访人')}等")
    p.ok("target_stray_spaces", s, row + 1, "对象名称", f" {p.get(s, row + 1, '对象名称')}  ")
    day = _day(p.get(s, row + 2, "走访日期"))
    digits = str.maketrans("0123456789", "０１２３４５６７８９")
    p.ok("date_full_width", s, row + 2, "走访日期", f"{day.month}月{day.day}日".translate(digits))
    row = next(r for r in range(row + 3, 120) if "、" in (p.get(s, r, "走访人") or ""))
    p.ok("names_comma", s, row, "走访人", p.get(s, row, "走访人").replace("、", "，"))


def _activities(p: Planter) -> None:
    s = "活动"
    p.mistake("error_value", s, 13, "参加人数", "#DIV/0!")
    p.mistake("date_outside_period", s, 14, "日期", dt.datetime(2007, 3, 18))
    p.mistake("bad_choice", s, 15, "活动类型", "讨论会")
    p.mistake("unreadable_range", s, 20, "日期", "3月26-日")
    p.mistake("range_reversed", s, 21, "日期", "2008-03-28至2008-03-26")
    p.mistake("out_of_bounds", s, 22, "参加人数", 200000)
    p.mistake("participants_exceed_staff", s, 23, "参加人数", 150)
    p.mistake("participants_exceed_staff", s, 24, "参加人数", 99999)

    p.ok("integer_numerals", s, 16, "参加人数", _cn(int(p.get(s, 16, "参加人数"))))
    digits = str.maketrans("0123456789", "０１２３４５６７８９")
    p.ok("integer_full_width", s, 17, "参加人数", str(p.get(s, 17, "参加人数")).translate(digits))
    p.ok("integer_with_unit", s, 18, "参加人数", f"{p.get(s, 18, '参加人数')}人")
    row = p.row_of(s, "日期", "3月26-28日")
    p.ok("range_zhi", s, row, "日期", "3月26日至28日")
    row = p.row_of(s, "日期", "3月19-22日")
    p.ok("range_slashes", s, row, "日期", "3/19-3/22")
    p.ok("participants_all_staff", s, 3, "参加人数", 100)  # the whole staff: 100 in 单位
    row = p.row_of(s, "活动类型", "联系村")
    p.ok("villagers_at_a_village_meeting", s, row, "参加人数", 300)  # open to the public


def _essays(p: Planter) -> None:
    s = "心得体会"
    p.mistake("person_rank_differs", s, p.row_of(s, "作者", "夏强"), "职级", "一般干部")
    p.mistake("person_unit_differs", s, p.row_of(s, "作者", "叶永忠"), "单位", "城区工商所")
    p.mistake("essay_too_short", s, 12, "字数", 500)
    p.mistake("bad_bool", s, 13, "是否上报", "也许")
    p.mistake("unreadable_integer", s, 14, "字数", "很多")
    p.mistake("error_value", s, 15, "字数", "#VALUE!")
    p.mistake("unknown_person", s, 16, "作者", "王小二")
    p.mistake("bad_choice", s, 17, "职级", "科员")

    p.ok("thousands_separator", s, 20, "字数", f"{int(p.get(s, 20, '字数')):,}")
    p.ok("bool_tick", s, 21, "是否上报", "√" if p.get(s, 21, "是否上报") == "是" else "×")
    name = p.get(s, 22, "作者")
    p.ok("name_spaced", s, 22, "作者", " ".join(name))
    p.ok("choice_full_width_space", s, 23, "职级", p.get(s, 23, "职级").replace("", "\u3000")[1:-1])


def _questionnaires_and_units(p: Planter) -> None:
    s = "征求意见表"
    p.mistake("error_value", s, 3, "发放份数", "#N/A")
    p.mistake("returned_exceeds", s, 4, "回收份数", 999)
    p.mistake("unreadable_integer", s, 5, "回收份数", "一些")
    p.ok("integer_numerals_unit", s, 2, "发放份数", f"{_cn(int(p.get(s, 2, '发放份数')))}份")
    p.ok("returned_all", s, 6, "回收份数", p.get(s, 6, "发放份数"))
    row = p.append(s, ["合计", None, None, 300, 251])  # a clerk's total row, skipped
    p._claim(s, row)
    p.correct.append(Planted("total_row", s, row, 1))

    u = "单位"
    p.mistake(
        "middle_exceeds_headcount", u, p.row_of(u, "单位名称", "办公室"), "中层以上干部人数", 50
    )
    # 象溪工商所 sent more people visiting than it has; the total staff stays 100
    big = p.row_of(u, "单位名称", "城区工商所")
    p._set(u, big, "干部职工人数", int(p.get(u, big, "干部职工人数")) + 4)
    p._claim(u, big)
    row = p.row_of(u, "单位名称", "象溪工商所")
    p.mistake("visitors_exceed_headcount", u, row, "干部职工人数", 1)
    row = p.row_of(u, "单位名称", "信息中心")
    p.ok("middle_equals_headcount", u, row, "中层以上干部人数", p.get(u, row, "干部职工人数"))
    p.mistake("bad_choice", "人员", 10, "职级", "科员")


def _feedback_projects_inspections(p: Planter) -> None:
    s = "意见建议"
    p.mistake("deadline_before_received", s, 5, "整改时限", dt.datetime(2008, 3, 1))
    p.mistake("feedback_no_measure", s, 6, "整改措施", None)
    p.mistake("feedback_no_owner", s, 7, "责任人", None)
    p.mistake("person_unit_differs", s, 8, "责任单位", "法制科")  # 项秀英 is in 办公室
    p.ok("deadline_same_day", s, 10, "整改时限", p.get(s, 10, "收到日期"))
    day = _day(p.get(s, 11, "整改时限"))
    p.ok("deadline_year_less", s, 11, "整改时限", f"{day.month}月{day.day}日")

    s = "实事项目"
    p.mistake("deadline_before_campaign", s, 3, "完成时限", dt.datetime(2007, 12, 31))
    p._set(s, 3, "进度", "已完成")
    p.mistake("project_overdue", s, 4, "完成时限", dt.datetime(2008, 4, 1), at="进度")
    p.mistake("unknown_unit", s, 5, "责任科室", "宣传科")
    day = _day(p.get(s, 10, "完成时限"))
    p.ok("deadline_dotted", s, 10, "完成时限", f"{day.year}.{day.month}.{day.day}")

    s = "督查"
    p.mistake("unknown_unit", s, 3, "被检查单位", "宣传科")
    p.mistake("date_excel_year", s, 4, "检查日期", dt.datetime(THIS_YEAR, 3, 19))
    p.mistake("bad_choice", s, 5, "检查方式", "抽查")
    p.ok("last_day_year_less", s, 9, "检查日期", "3月31日")

    s = "金点子"
    row = p.row_of(s, "提出人", "王忠良")
    p.mistake("person_unit_differs", s, row, "推荐单位", "人教科")  # 王忠良 is in 监察室
    p.ok("bool_letter", s, 10, "是否上报", "Y" if p.get(s, 10, "是否上报") == "是" else "N")
