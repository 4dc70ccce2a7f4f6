"""Ditto marks (同上, 〃, ") read as the value above, said so; error cells are never blanks."""

from __future__ import annotations

import pytest

from campaign_report.model import RawSheet, load_book

HEADER = ["走访日期", "单位", "走访人", "对象类别", "对象名称"]


def _visits(definition, *rows):
    book = load_book(definition, {"走访": RawSheet("走访", [HEADER, *rows])})
    return book, book.frame("visits")


def _cell_issues(book) -> list:
    """Issues of the 走访 cells (no settings here: year-less dates are guessed, as they should)."""
    return [
        i for i in book.issues if i.sheet == "走访" and i.rule not in ("missing_column", "guessed")
    ]


@pytest.mark.parametrize("mark", ["同上", "〃", '"', "＂", "同前", "″", " 同 上 "])
def test_a_ditto_mark_reads_as_the_value_above_with_a_warning(definition, mark: str) -> None:
    book, visits = _visits(
        definition,
        ["3月24日", "办公室", "张三", "企业", "甲公司"],
        [mark, mark, "李四", mark, "乙公司"],
    )
    assert list(visits["unit"]) == ["办公室", "办公室"]
    assert list(visits["target_kind"]) == ["企业", "企业"]
    assert visits.at[1, "date"] == visits.at[0, "date"]
    dittos = [i for i in book.issues if i.rule == "ditto"]
    assert [(i.cell, i.severity) for i in dittos] == [
        ("A3", "警告"),
        ("B3", "警告"),
        ("D3", "警告"),
    ]
    assert dittos[1].message == f"“{mark.strip()}”已按上一行的“办公室”读取，最好直接填写。"


def test_a_chain_of_dittos_follows_the_first_value(definition) -> None:
    _, visits = _visits(
        definition,
        ["3月24日", "办公室", "张三", "企业", "甲公司"],
        ["3月24日", "同上", "李四", "企业", "乙公司"],
        ["3月24日", "〃", "王五", "企业", "丙公司"],
    )
    assert list(visits["unit"]) == ["办公室"] * 3


def test_a_ditto_with_nothing_above_is_an_error_not_a_blank(definition) -> None:
    book, visits = _visits(
        definition,
        ["3月24日", "同上", "张三", "企业", "甲公司"],
        ["3月25日", "办公室", "李四", "企业", "乙公司"],
    )
    [issue] = _cell_issues(book)
    assert (issue.rule, issue.severity, issue.cell) == ("ditto_blank", "错误", "B2")
    assert visits["unit"].isna()[0]


def test_a_quote_inside_text_is_no_ditto(definition) -> None:
    _, visits = _visits(
        definition,
        ["3月24日", "办公室", "张三", "企业", "甲公司"],
        ["3月24日", "办公室", "李四", "企业", '"乙"公司'],
    )
    assert visits.at[1, "target_name"] == '"乙"公司'


@pytest.mark.parametrize("error", ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?"])
def test_an_error_value_is_an_error_in_any_column(definition, error: str) -> None:
    book, visits = _visits(definition, ["3月24日", "办公室", "张三", "企业", error])
    [issue] = _cell_issues(book)
    assert (issue.rule, issue.severity, issue.cell, issue.value) == (
        "error_value",
        "错误",
        "E2",
        error,
    )
    assert visits["target_name"].isna()[0]  # not counted, and said so
