"""Lists the office edits in the book (the 选项 sheet), and books made before they existed."""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl

from campaign_report.aggregate import OTHER_LABEL, TOTAL_LABEL, aggregate
from campaign_report.model import LISTS_SHEET
from campaign_report.steps import open_book, report_file
from campaign_report.validate import validate


def _text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def _add_list_row(path: Path, values: dict[str, str]) -> None:
    """Insert a row at the end of its list's block on 选项, as an office would."""
    book = openpyxl.load_workbook(path)
    ws = book[LISTS_SHEET]
    headers = [c.value for c in ws[1]]
    last = max(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == values["列表"])
    ws.insert_rows(last + 1)
    for header, value in values.items():
        ws.cell(last + 1, headers.index(header) + 1, value)
    book.save(path)


def test_a_kind_the_office_adds_gets_its_own_statement(example: Path, edit, tmp_path) -> None:
    _add_list_row(
        example,
        {
            "列表": "活动类型",
            "选项": "读书会",
            "所属部分": "学习讨论",
            "计数单位": "场",
            "说法": "举办",
        },
    )
    editor = edit(example)
    for day in (13, 24):
        editor.append(
            "活动",
            {"日期": f"2008-03-{day}", "组织单位": "办公室", "活动类型": "读书会",
             "活动名称": "青年干部读书会", "参加人数": 20},
        )  # fmt: skip
    editor.save()
    assert not [i for i in validate(open_book(example)).issues if i.rule == "choice_as_typed"]
    out = report_file(example, tmp_path / "r.docx")["报告"]
    study = _text(out).split("四、")[1].split("五、")[0]  # the 学习讨论 section
    assert "3月13-24日，共举办青年干部读书会2场，参加40人次" in study


def test_a_value_outside_an_open_list_is_used_as_typed(example: Path, edit, tmp_path) -> None:
    editor = edit(example)
    row = editor.append(
        "活动",
        {"日期": "2008-03-28", "组织单位": "办公室", "活动类型": "植树活动",
         "活动名称": "义务植树", "参加人数": 30},
    )  # fmt: skip
    editor.save()
    issues = [i for i in validate(open_book(example)).issues if i.rule == "choice_as_typed"]
    assert [(i.severity, i.sheet, i.row, i.value) for i in issues] == [
        ("警告", "活动", row, "植树活动")
    ]
    assert "已按所填内容使用" in issues[0].message
    out = report_file(example, tmp_path / "r.docx")["报告"]
    assert "3月28日，开展义务植树，30人参加" in _text(out)


def test_a_value_outside_a_closed_list_is_an_error(example: Path, edit) -> None:
    editor = edit(example)
    editor.set("意见建议", 3, "整改状态", "快好了")
    editor.save()
    issues = [i for i in validate(open_book(example)).issues if i.value == "快好了"]
    assert [(i.rule, i.severity) for i in issues] == [("bad_choice", "错误")]


def test_a_book_from_before_the_lists_still_reads(example: Path, tmp_path: Path) -> None:
    """No 选项 sheet, no new columns: warnings about the columns, the definition's lists."""
    book = openpyxl.load_workbook(example)
    del book[LISTS_SHEET]
    for sheet, header in (("领导小组", "分工"), ("走访", "解决问题数"), ("心得体会", "类别")):
        ws = book[sheet]
        ws.delete_cols([c.value for c in ws[1]].index(header) + 1)
    book.save(example)
    result = validate(open_book(example))
    missing = sorted(i.header for i in result.issues if i.rule == "missing_column")
    assert missing == ["分工", "类别", "解决问题数"]
    assert {i.severity for i in result.issues if i.rule == "missing_column"} == {"警告"}
    # the seed's 局领导 and 行风监督员 are not in the generic lists: used as typed, not errors
    assert not result.errors
    out = report_file(example, tmp_path / "r.docx")["报告"]
    assert "全系统86名干部职工共走访企业120余家" in _text(out)


def test_rows_naming_a_unit_outside_the_roster_count_on_their_own_row(example: Path, edit) -> None:
    editor = edit(example)
    editor.append("金点子", {"推荐单位": "宣传科", "金点子题目": "开设微信公众号"})
    editor.set("督查", 2, "被检查单位", "城区工商所、古市工商所")
    editor.save()
    table = aggregate(open_book(example)).per_unit.set_index("单位")
    assert table.at[OTHER_LABEL, "金点子（条）"] == 1
    assert table.at[TOTAL_LABEL, "金点子（条）"] == 26
    assert table.at["古市工商所", "接受督查（次）"] == 2  # its own row and the shared cell
    assert table.at[TOTAL_LABEL, "接受督查（次）"] == 9  # one visit counted for each unit named


def test_the_units_copies_carry_the_books_lists(example: Path, tmp_path: Path) -> None:
    from campaign_report.steps import split_file

    _add_list_row(example, {"列表": "活动类型", "选项": "读书会", "所属部分": "学习讨论"})
    copy = split_file(example, tmp_path / "copies")[0]
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(copy)[LISTS_SHEET].iter_rows()]
    assert ["活动类型", "读书会"] in [r[:2] for r in rows]
