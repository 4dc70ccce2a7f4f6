"""汇总: per-unit table, totals, distinct counts and the 汇总 sheet with its chart."""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from unittest import mock

import openpyxl
from conftest import soffice_convert
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from campaign_report import normalise as nm
from campaign_report import outputs
from campaign_report.aggregate import PER_UNIT_COLUMNS, TOTAL_LABEL, aggregate
from campaign_report.cli import main
from campaign_report.normalise import name_key
from campaign_report.steps import open_book


def test_totals_row_is_the_sum_of_the_unit_rows(example_master: Path) -> None:
    table = aggregate(open_book(example_master)).per_unit
    units, total = table.iloc[:-1], table.iloc[-1]
    assert total["单位"] == TOTAL_LABEL
    for column in PER_UNIT_COLUMNS:
        assert total[column] == units[column].sum(), column
    assert total["走访（次）"] == len(open_book(example_master).frame("visits"))
    assert total["征求意见表（份）"] == 300


def test_per_unit_counts_follow_normalised_unit_names(example: Path, edit) -> None:
    book = open_book(example)
    before = aggregate(book).per_unit.set_index("单位")
    editor = edit(example)
    editor.append("金点子", {"推荐单位": " 办公室\u3000", "金点子题目": "建立企业服务联络员制度"})
    editor.save()
    after = aggregate(open_book(example)).per_unit.set_index("单位")
    assert after.at["办公室", "金点子（条）"] == before.at["办公室", "金点子（条）"] + 1
    assert list(after.index) == list(before.index)


def test_distinct_counts_ignore_stray_spaces(example: Path, edit) -> None:
    facts = aggregate(open_book(example)).facts["visits"]
    assert (facts["visitors"], facts["targets"], facts["main_rows"]) == (86, 123, 137)
    editor = edit(example)
    name = editor.get("走访", 60, "对象名称")
    visitor = editor.get("走访", 60, "走访人").split("、")[0]
    unit = editor.get("走访", 60, "单位")
    editor.append(
        "走访",
        {
            "走访日期": "3月30日",
            "单位": unit,
            "走访人": f" {visitor} ",
            "对象类别": "企业",
            "对象名称": name.replace("县", "县\u3000") + " ",
        },
    )
    editor.save()
    facts = aggregate(open_book(example)).facts["visits"]
    assert (facts["visitors"], facts["targets"], facts["main_rows"]) == (86, 123, 138)


def test_named_facts_of_the_seed(example_master: Path) -> None:
    facts = aggregate(open_book(example_master)).facts
    assert facts["discussion_groups"] == 6
    assert facts["feedback"]["questionnaires_out"] == 300
    assert [t["topic"] for t in facts["feedback"]["topics"]][:2] == [
        "少数干部学习不够，业务不精",
        "干部创新精神不够",
    ]
    essays = facts["essays"]
    assert (essays["authors"], essays["average_length"], essays["submitted"]) == (31, 1500, 4)
    assert facts["ideas"]["every_unit"] is True
    assert facts["projects"]["count"] == 10
    assert facts["leading_group"]["duties"] == {
        "实施": ["人教科"],
        "督查": ["监察室"],
        "协调": ["办公室"],
    }
    assert facts["duration"] == {"days": 31, "months": 1}


def test_summary_copy_has_the_table_and_a_native_chart(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    assert main(["aggregate", str(example), "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    sheet = book[outputs.SUMMARY_SHEET]
    assert book.sheetnames[0] == outputs.SUMMARY_SHEET
    table = sheet.tables["T_summary_0"]
    rows = list(sheet[table.ref])
    header = [c.value for c in rows[0]]
    body = [[c.value for c in r] for r in rows[1:]]
    assert body[-1][0] == TOTAL_LABEL
    for col in range(1, len(header)):
        assert body[-1][col] == sum(r[col] for r in body[:-1]), header[col]
    with zipfile.ZipFile(out) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        # Visits (dozens a unit) and ideas (one or two) each get a chart of their own, so that
        # both can be read; units run top to bottom in the table's order (reversed bar axis).
        assert len(charts) == 2
        titles = []
        for name in charts:
            xml = archive.read(name).decode()
            assert "<barChart>" in xml and '<barDir val="bar"/>' in xml
            assert xml.count("<ser>") == 1 and "'汇总'!$A$" in xml
            assert '<orientation val="maxMin"/>' in xml
            titles += re.findall(r"<a:t>([^<]*)</a:t>", xml)
        assert titles == ["各单位走访（次）", "各单位金点子（条）"]
    # Every header shows whole on one line: the column is at least its width.
    for col, title in enumerate(header, start=1):
        width = sheet.column_dimensions[openpyxl.utils.get_column_letter(col)].width
        assert width >= 2 * len(title), title
    figures = {r[0].value: r[1].value for r in sheet.iter_rows() if r[0].value and r[1].value}
    # The enterprise-visit count says so beside the all-visits total.
    assert "走访企业（次）" in figures and "走访记录（次）" not in figures
    definition = open_book(example).definition
    assert {s.name for s in definition.sheets} <= set(book.sheetnames)


def test_summary_copy_opens_in_libreoffice(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    assert main(["aggregate", str(example), "--out", str(out)]) == 0
    soffice_convert(out, tmp_path)


def test_an_empty_template_sums_to_zero(tmp_path: Path) -> None:
    template = tmp_path / "空.xlsx"
    assert main(["new", str(template)]) == 0
    summary = aggregate(open_book(template))
    assert [v for _, v in summary.key_figures()] == [0] * len(summary.key_figures())
    assert summary.per_unit["单位"].tolist() == [TOTAL_LABEL]
    assert summary.facts["ideas"]["every_unit"] is False


def test_rows_of_units_without_a_roster_count_on_their_own_row(definition) -> None:
    """No 单位 roster at all: the visits still count, on the （其他） row, and pandas is not
    asked to put that label into a column of numbers (a warning now, an error to come)."""
    from campaign_report.aggregate import OTHER_LABEL
    from campaign_report.model import RawSheet, load_book

    header = ["走访日期", "单位", "走访人", "对象类别", "对象名称"]
    rows = [["3月24日", "办公室", "张三", "企业", "甲公司"]]
    book = load_book(definition, {"走访": RawSheet("走访", [header, *rows])})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = aggregate(book).per_unit
    assert table["单位"].tolist() == [OTHER_LABEL, TOTAL_LABEL]
    visits = next(t for t, (sheet, *_) in PER_UNIT_COLUMNS.items() if sheet == "visits")
    assert table[visits].tolist() == [1, 1]


# Characters where keying texts joined could go wrong: whitespace of every kind, invisible
# ones, compatibility forms, marks that combine with the character before them (ｶﾞ is ガ),
# Hangul jamo that compose, Σ whose lower case depends on its neighbours, İ that lowers to two
# characters, and the joining character itself.
_AWKWARD = (
    "a", "A", "Σ", "ς", "İ", "甲", "\u0301", "\u3099", "ﾞ", "ｶ", "ᄀ", "ᅡ", "ᆨ", "①", "Ａ",
    " ", "\u3000", "\xa0", "\t", "\n", "\u200b", "\ufeff", "\x01", "_x000d_", "\ue000", "（",
)  # fmt: skip


_TEXTS = st.lists(st.sampled_from(_AWKWARD), max_size=6).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXTS, min_size=2, max_size=40, unique=True))
def test_names_keyed_together_get_each_its_own_key(texts: list[str]) -> None:
    """A big column's names are keyed in one pass over them joined (aggregate, duplicate
    rows): each must get exactly the key name_key gives it alone."""
    alone = list(map(name_key, texts))
    with mock.patch.object(nm, "_BATCH", 2):  # batches of any size
        assert nm.name_keys(texts) == alone  # a text holding the joining character: one by one
        joinable = [t for t in texts if nm._JOIN not in t]
        assume(len(joinable) >= 2)
        with mock.patch.object(nm, "name_key", side_effect=AssertionError("one by one")):
            assert nm.name_keys(joinable) == [
                k for t, k in zip(texts, alone, strict=True) if t in joinable
            ]
