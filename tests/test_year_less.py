"""Year-less dates take the campaign's year; a warning only where the reading is in doubt."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from campaign_report import normalise as nm
from campaign_report.model import RawSheet, load_book
from campaign_report.validate import validate

ACROSS_NEW_YEAR = nm.Period(dt.date(2009, 9, 1), dt.date(2010, 1, 31))
MARCH = nm.Period(dt.date(2008, 3, 1), dt.date(2008, 3, 31))


@pytest.mark.parametrize(
    ("typed", "period", "expected"),
    [
        ("1月20日", ACROSS_NEW_YEAR, dt.date(2010, 1, 20)),
        ("9/3", ACROSS_NEW_YEAR, dt.date(2009, 9, 3)),
        ("12月31日", ACROSS_NEW_YEAR, dt.date(2009, 12, 31)),
        ("3月10日", MARCH, dt.date(2008, 3, 10)),
        ("三月十日", MARCH, dt.date(2008, 3, 10)),
        ("4月30日", MARCH, dt.date(2008, 4, 30)),  # a deadline after the period: no doubt
        ("2月29日", MARCH, dt.date(2008, 2, 29)),
    ],
)
def test_a_year_less_date_takes_the_year_of_the_period(typed, period, expected) -> None:
    parsed = nm.parse_date(typed, 1999, period)
    assert (parsed.value, parsed.note) == (expected, "")


def test_a_span_takes_the_year_of_the_period_too() -> None:
    parsed = nm.parse_span("1月18-20日", 2009, ACROSS_NEW_YEAR)
    assert parsed.value == nm.DateSpan(dt.date(2010, 1, 18), dt.date(2010, 1, 20))
    assert parsed.note == ""


def test_only_a_reading_in_doubt_is_noted_and_says_why() -> None:
    parsed = nm.parse_date("6月30日", 2009, ACROSS_NEW_YEAR)  # 2 months before or 5 after
    assert parsed.value == dt.date(2009, 6, 30)
    assert parsed.note == "未写年份，可能是2009或2010年，已按2009年"
    whole_year = nm.Period(dt.date(2008, 1, 15), dt.date(2009, 1, 20))
    assert nm.parse_date("1月16日", 2008, whole_year).note  # inside the period twice


def test_without_a_period_the_default_year_is_noted_as_before() -> None:
    parsed = nm.parse_date("3月10日", 2008)
    assert (parsed.value, parsed.note) == (dt.date(2008, 3, 10), "未写年份，按2008年")


def _book(definition, start: object, end: object, visit_date: object):
    settings = [["项目", "内容"], ["活动开始日期", start], ["活动结束日期", end]]
    visits = [
        ["走访日期", "单位", "走访人", "对象类别", "对象名称"],
        [visit_date, "办公室", "张三", "企业", "某某公司"],
    ]
    raw = {"设置": RawSheet("设置", settings), "走访": RawSheet("走访", visits)}
    return load_book(definition, raw)


def _visit_issues(book) -> list:
    return [i for i in validate(book).issues if i.sheet == "走访" and i.header == "走访日期"]


def test_a_campaign_across_new_year_reads_january_in_the_next_year(definition) -> None:
    book = _book(definition, "2009-09-01", "2010-01-31", "1月20日")
    assert book.frame("visits").at[0, "date"].date() == dt.date(2010, 1, 20)
    assert _visit_issues(book) == []


def test_a_date_excel_completed_with_this_year_gets_a_hint(definition) -> None:
    this_year = dt.date.today().year
    book = _book(definition, "2008-03-01", "2008-03-31", dt.datetime(this_year, 3, 30))
    [issue] = _visit_issues(book)
    assert issue.rule == "date_excel_year" and issue.severity == "错误"
    assert "3/30" in issue.message and f"{this_year}年" in issue.message
    assert "应为2008年3月30日" in issue.message
    # a real date of another year far out is only said to be outside the period
    book = _book(definition, "2008-03-01", "2008-03-31", dt.datetime(2006, 3, 30))
    assert [i.rule for i in _visit_issues(book)] == ["date_outside_period"]


def test_the_doubtful_reading_says_why_in_the_results(definition, tmp_path: Path) -> None:
    book = _book(definition, "2009-09-01", "2010-01-31", "6月30日")
    issues = [i for i in _visit_issues(book) if i.rule == "guessed"]
    assert len(issues) == 1 and "可能是2009或2010年" in issues[0].message


@pytest.mark.parametrize(
    "typed", ["3月24日上午", "2008年3月24日（星期一）", "2008/3/24 星期一", "3月24日(周一)下午"]
)
def test_a_weekday_or_part_of_the_day_after_a_date_is_no_error(typed: str) -> None:
    assert nm.parse_date(typed, 2008, MARCH) == nm.Parsed(dt.date(2008, 3, 24))
