"""Headers as people make them: two rows with merged group cells, units in brackets, aliases."""

from __future__ import annotations

from pathlib import Path

import pytest
from messy_headers import make_messy_headers

from campaign_report.adapters.xlsx_reader import read_raw_sheets
from campaign_report.aggregate import aggregate
from campaign_report.model import INFO, RawSheet, header_key, load_book
from campaign_report.report import render_document, to_markdown
from campaign_report.steps import open_book
from campaign_report.validate import validate


@pytest.fixture(scope="module")
def messy(example_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_messy_headers(example_master, tmp_path_factory.mktemp("messy") / "台账.xlsx")


def _figures_and_text(book) -> tuple[list, list, str]:
    summary = aggregate(book)
    per_unit = summary.per_unit.to_dict("records")
    text = to_markdown(render_document(book, summary))
    return summary.key_figures(), per_unit, text


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_messy_headers_give_the_clean_figures_and_report(
    engine: str, messy: Path, example_master: Path, definition
) -> None:
    clean = open_book(example_master)
    book = load_book(definition, read_raw_sheets(messy, engine=engine), source=str(messy))
    figures, per_unit, text = _figures_and_text(book)
    clean_figures, clean_per_unit, clean_text = _figures_and_text(clean)
    assert figures == clean_figures
    assert per_unit == clean_per_unit
    assert text == clean_text
    assert dict(figures)["走访企业（家，去重）"] == 123  # the two-row header's columns were read
    result = validate(book)
    assert result.errors == []
    assert {i.rule for i in result.issues} - {i.rule for i in validate(clean).issues} == {
        "header_matched",
        "two_row_header",
    }


def test_every_retyped_header_is_named_in_the_results(messy: Path) -> None:
    notes = [i for i in validate(open_book(messy)).issues if i.severity == INFO]
    messages = {(i.sheet, i.message) for i in notes}
    assert ("征求意见表", "列“发放份数（份）”已按“发放份数”读取。") in messages
    assert ("实事项目", "列“完成时间”已按“完成时限”读取。") in messages
    assert ("走访", "表头占两行（第1、2行），已合并读取。") in messages
    # a note points at the header cell a clerk typed
    note = next(i for i in notes if i.value == "发放份数（份）")
    assert (note.cell, note.header) == ("D1", "发放份数")


def test_a_column_really_missing_stays_an_error(definition) -> None:
    rows = [["走访日期", "单位", "走访人", "对象类别", "企业名称（全称）", "备注"]]
    rows.append(["3月24日", "办公室", "张三", "企业", "某某公司", ""])
    book = load_book(definition, {"走访": RawSheet("走访", rows)})
    missing = [i for i in book.issues if i.sheet == "走访" and i.rule == "missing_column"]
    assert {i.header for i in missing} == {"帮助解决事项", "情况记录", "解决问题数"}  # optional
    assert book.frame("visits").at[0, "target_name"] == "某某公司"  # alias with a note in brackets
    rows[0][4] = "对象"  # the alias
    rows[0][3] = "类别名称"  # neither header nor alias
    book = load_book(definition, {"走访": RawSheet("走访", rows)})
    missing = {i.header: i.severity for i in book.issues if i.rule == "missing_column"}
    assert missing.get("对象类别") == "错误"


def test_a_merged_group_cell_reads_as_none_beside_its_first_cell(definition) -> None:
    """What read-only readers give for 走访对象 merged over 对象类别 / 对象名称."""
    rows = [
        ["走访记录", None, None, None, None],
        ["走访日期", "单位", "走访人", "走访对象", None],
        [None, None, None, "对象类别", "对象名称"],
        ["3月24日", "办公室", "张三", "企业", "某某公司"],
    ]
    table = load_book(definition, {"走访": RawSheet("走访", rows)}).table("visits")
    assert table.header_row == 3
    assert table.columns == {
        "date": 1,
        "unit": 2,
        "visitors": 3,
        "target_kind": 4,
        "target_name": 5,
    }
    assert len(table.data) == 1


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("发放份数（份）", "发放份数"),
        ("人数(人)", "人数"),
        ("发放份数 ( 份 )", "发放份数"),
        ("对象\u3000名称", "对象名称"),
        ("ＡＢＣ名称【必填】*", "ABC名称"),
        ("日期：", "日期"),
    ],
)
def test_header_key_drops_width_spaces_and_bracketed_notes(typed: str, key: str) -> None:
    assert header_key(typed) == key


def test_the_summary_sheets_are_cell_for_cell_the_same(
    messy: Path, example_master: Path, tmp_path: Path
) -> None:
    import openpyxl

    from campaign_report.steps import summarise_file

    def cells(path: Path) -> list[tuple]:
        _, out = summarise_file(path, tmp_path / f"{path.parent.name}.汇总.xlsx")
        return list(openpyxl.load_workbook(out)["汇总"].iter_rows(values_only=True))

    clean = cells(example_master)
    assert cells(messy) == clean
    assert any(row[:2] == ("发放征求意见表（份）", 300) for row in clean)


def test_a_group_cell_may_end_the_header_it_spans(definition) -> None:
    """份数 merged over 发放 / 回收 reads as 发放份数 and 回收份数."""
    rows = [
        ["发放日期", "发放单位", "发放对象", "份数", None],
        [None, None, None, "发放", "回收"],
        ["2008-03-12", "办公室", "企业", 100, 86],
    ]
    table = load_book(definition, {"征求意见表": RawSheet("征求意见表", rows)}).table(
        "questionnaires"
    )
    assert (table.data.at[0, "handed_out"], table.data.at[0, "returned"]) == (100, 86)
