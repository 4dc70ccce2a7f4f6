"""校验: each rule, planted into a copy of the example, is reported at its cell and alone."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import Editor, sha256, soffice_convert

from campaign_report import outputs
from campaign_report.cli import main
from campaign_report.steps import check_file, open_book
from campaign_report.validate import validate

Plant = Callable[[Editor], tuple[str, int | None, int | None]]


def _cell(sheet: str, header: str, value: object, row: int = 5) -> Plant:
    def plant(editor: Editor) -> tuple[str, int, int]:
        return (sheet, *editor.set(sheet, row, header, value))

    return plant


def _error_value(editor: Editor) -> tuple[str, int, int]:
    row, col = editor.set("征求意见表", 5, "发放份数", "#DIV/0!")
    editor.book["征求意见表"].cell(row, col).data_type = "e"  # an error value, not the text
    return "征求意见表", row, col


def _duplicate_visit(editor: Editor) -> tuple[str, int, int]:
    ws = editor.book["走访"]
    values = [c.value for c in ws[6]]
    row = ws.max_row + 1
    for col, value in enumerate(values, start=1):
        ws.cell(row, col, value)
    return "走访", row, editor.col("走访", "单位")  # the first column of the duplicate key


def _overdue_project(editor: Editor) -> tuple[str, int, int]:
    row, _ = editor.set("实事项目", 5, "完成时限", dt.datetime(2008, 4, 1))
    return "实事项目", row, editor.col("实事项目", "进度")  # the cell to update


def _clear_rows_of_unit(sheet: str, header: str) -> Plant:
    def plant(editor: Editor) -> tuple[str, int, int]:
        ws = editor.book[sheet]
        col = editor.col(sheet, header)

        def unit_at(row: int) -> str:
            return str(ws.cell(row, col).value or "").strip().replace("\u3000", "")

        counts: dict[str, int] = {}
        for row in range(2, ws.max_row + 1):
            counts[unit_at(row)] = counts.get(unit_at(row), 0) + 1
        unit = min((u for u in counts if u and u != "局领导"), key=lambda u: (counts[u], u))
        for row in range(2, ws.max_row + 1):
            if unit_at(row) == unit:
                for cell in ws[row]:
                    cell.value = None  # a blank row, as after the user deletes its contents
        return "单位", editor.find("单位", "单位名称", unit), 1

    return plant


def _clear_setting(label: str) -> Plant:
    def plant(editor: Editor) -> tuple[str, int, int]:
        row = editor.find("设置", "项目", label)
        editor.book["设置"].cell(row, 2).value = None
        return "设置", row, 2

    return plant


def _drop_sheet(name: str) -> Plant:
    def plant(editor: Editor) -> tuple[str, None, None]:
        del editor.book[name]
        return name, None, None

    return plant


def _drop_header(sheet: str, header: str) -> Plant:
    def plant(editor: Editor) -> tuple[str, int, None]:
        editor.set(sheet, 1, header, "备注")
        return sheet, 1, None

    return plant


def _cells(sheet: str, target: tuple[str, object], *others: tuple[str, object], row: int = 5):
    """Set several cells of one row; the issue is expected at the first."""

    def plant(editor: Editor) -> tuple[str, int, int]:
        for header, value in others:
            editor.set(sheet, row, header, value)
        return (sheet, *editor.set(sheet, row, *target))

    return plant


def _ditto_of_same_value(editor: Editor) -> tuple[str, int, int]:
    """同上 under a cell holding what the cell held: read back unchanged, with a warning."""
    row = next(
        r
        for r in range(3, 40)
        if editor.get("走访", r, "单位") == editor.get("走访", r - 1, "单位")
    )
    return ("走访", *editor.set("走访", row, "单位", "同上"))


def _headcount_below_visitors(editor: Editor) -> tuple[str, int, int]:
    row = editor.find("单位", "单位名称", "象溪工商所")
    editor.set("单位", editor.find("单位", "单位名称", "城区工商所"), "干部职工人数", 15)
    return ("单位", *editor.set("单位", row, "干部职工人数", 1))  # the total staff stays 100


def _two_row_header(editor: Editor) -> tuple[str, int, None]:
    ws = editor.book["走访"]
    del ws.tables["T_visits"]
    ws.insert_rows(1)
    for col in range(1, ws.max_column + 1):
        if ws.cell(2, col).value not in ("对象类别", "对象名称"):
            ws.cell(1, col).value, ws.cell(2, col).value = ws.cell(2, col).value, None
    ws.cell(1, 4).value = "走访对象"
    ws.merge_cells("D1:E1")
    return "走访", 1, None


PLANTS: dict[str, tuple[Plant, str]] = {
    "required": (_cell("走访", "对象名称", None), "错误"),
    "unreadable_date": (_cell("走访", "走访日期", "2008-13-45"), "错误"),
    "unreadable_range": (_cell("活动", "日期", "3月26-日"), "错误"),
    "unreadable_integer": (_cell("征求意见表", "回收份数", "一些"), "错误"),
    "bad_choice": (_cell("意见建议", "整改状态", "快好了"), "错误"),
    "choice_as_typed": (_cell("走访", "对象类别", "工厂"), "警告"),
    "bad_bool": (_cell("心得体会", "是否上报", "也许"), "错误"),
    "error_value": (_error_value, "错误"),
    "out_of_bounds": (_cell("活动", "参加人数", 200000), "错误"),
    "unknown_unit": (_cell("督查", "被检查单位", "宣传科"), "错误"),
    "unknown_person": (_cell("走访", "走访人", "张三丰", row=3), "警告"),
    "guessed": (_cell("走访", "走访人", "蓝刚、蓝刚", row=3), "警告"),
    "approximate": (_cell("活动", "参加人数", "约50"), "警告"),
    "date_outside_period": (_cell("督查", "检查日期", dt.datetime(2008, 5, 20)), "错误"),
    "date_excel_year": (
        _cell("督查", "检查日期", dt.datetime(dt.date.today().year, 3, 20)),
        "错误",
    ),
    "date_near_period": (_cell("督查", "检查日期", dt.datetime(2008, 4, 3)), "警告"),
    "range_reversed": (_cell("活动", "日期", "2008-03-28至2008-03-26"), "错误"),
    "duplicate_row": (_duplicate_visit, "警告"),
    "no_idea": (_clear_rows_of_unit("金点子", "推荐单位"), "警告"),
    "unit_missing_rows": (_clear_rows_of_unit("走访", "单位"), "警告"),
    "essay_too_short": (_cell("心得体会", "字数", 500), "警告"),
    "feedback_no_measure": (_cell("意见建议", "整改措施", None), "警告"),
    "feedback_no_owner": (_cell("意见建议", "责任人", None), "警告"),
    "project_overdue": (_overdue_project, "警告"),
    "returned_exceeds": (_cell("征求意见表", "回收份数", 999), "错误"),
    "missing_setting": (_clear_setting("单位全称"), "错误"),
    "missing_sheet": (_drop_sheet("督查"), "错误"),
    "missing_column": (_drop_header("走访", "情况记录"), "警告"),
    "header_matched": (_cell("走访", "对象名称", "企业名称", row=1), "提示"),
    "two_row_header": (_two_row_header, "提示"),
    "ditto": (_ditto_of_same_value, "警告"),
    "ditto_blank": (_cell("走访", "情况记录", "〃", row=2), "错误"),
    "middle_exceeds_headcount": (_cell("单位", "中层以上干部人数", 50, row=3), "错误"),
    "deadline_before_received": (_cell("意见建议", "整改时限", dt.datetime(2008, 3, 1)), "错误"),
    "deadline_before_campaign": (
        _cells("实事项目", ("完成时限", dt.datetime(2008, 2, 1)), ("进度", "已完成")),
        "错误",
    ),
    "person_unit_differs": (_cell("心得体会", "单位", "城区工商所", row=3), "警告"),
    "person_rank_differs": (_cell("心得体会", "职级", "一般干部", row=3), "警告"),
    "visitors_exceed_headcount": (_headcount_below_visitors, "警告"),
    "participants_exceed_staff": (_cell("活动", "参加人数", 150), "警告"),
}


def _keys(issues) -> set[tuple[str, str, int | None, int | None]]:
    return {(i.rule, i.sheet, i.row, i.col) for i in issues}


@pytest.fixture(scope="module")
def baseline(example_master: Path):
    return validate(open_book(example_master))


def test_the_seed_example_validates_without_errors(baseline) -> None:
    assert baseline.ok and baseline.errors == []
    assert baseline.issues == []  # not even a warning: year-less dates in the period are sure


def test_every_rule_with_a_message_is_planted_below(definition) -> None:
    assert set(definition.messages) == set(PLANTS)


@pytest.mark.parametrize("rule_id", sorted(PLANTS))
def test_each_rule_is_reported_at_its_cell_and_nothing_else(
    rule_id: str, example: Path, edit, baseline
) -> None:
    plant, severity = PLANTS[rule_id]
    editor = edit(example)
    sheet, row, col = plant(editor)
    editor.save()
    result = validate(open_book(example))
    new = [
        i for i in result.issues if (i.rule, i.sheet, i.row, i.col) not in _keys(baseline.issues)
    ]
    assert _keys(new) == {(rule_id, sheet, row, col)}, [i.message for i in new]
    assert new[0].severity == severity
    assert new[0].message and "？" not in new[0].message


def test_messages_say_what_and_how(example: Path, edit) -> None:
    editor = edit(example)
    editor.set("走访", 5, "走访日期", "2008-13-45")
    editor.save()
    issue = next(i for i in validate(open_book(example)).issues if i.rule == "unreadable_date")
    assert issue.message == "日期“2008-13-45”无法识别，请填写如 2008-03-10 或 3月10日。"
    assert (issue.header, issue.cell, issue.value) == ("走访日期", "A5", "2008-13-45")
    assert issue.unit  # the row's unit, for the per-unit count


def test_cli_exit_codes_and_json(example: Path, edit, capsys) -> None:
    assert main(["validate", str(example), "--no-copy"]) == 0
    editor = edit(example)
    editor.set("走访", 5, "对象类别", None)
    editor.save()
    capsys.readouterr()
    assert main(["validate", str(example), "--json", "--no-copy"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["errors"] == 1
    assert {"rule": "required", "sheet": "走访", "cell": "D5"}.items() <= data["issues"][0].items()


def test_the_input_file_is_never_changed(example: Path, edit) -> None:
    editor = edit(example)
    editor.set("走访", 5, "对象类别", None)
    editor.save()
    before = sha256(example)
    assert main(["validate", str(example)]) == 1
    assert sha256(example) == before
    assert example.with_name("台账.校验.xlsx").exists()


@pytest.fixture
def checked(example: Path, edit) -> tuple[Path, Path]:
    editor = edit(example)
    editor.set("走访", 5, "对象类别", None)
    editor.set("心得体会", 4, "字数", 500)
    editor.save()
    result, out = check_file(example)
    assert out == example.with_name("台账.校验.xlsx")
    return example, out


def test_checked_copy_marks_bad_cells_and_lists_issues(checked) -> None:
    source, out = checked
    book = openpyxl.load_workbook(out)
    bad = book["走访"]["D5"]
    assert bad.fill.fgColor.rgb.endswith(outputs.COLOURS["错误"])
    assert bad.comment.author == outputs.MARK_AUTHOR and "对象类别" in bad.comment.text
    assert book["心得体会"].cell(4, 5).fill.fgColor.rgb.endswith(outputs.COLOURS["警告"])
    sheet = book[outputs.ISSUES_SHEET]
    assert book.sheetnames[0] == outputs.ISSUES_SHEET
    headers = [c.value for c in sheet[3]][: len(outputs.ISSUE_HEADERS)]
    assert headers == list(outputs.ISSUE_HEADERS)
    assert sheet["A4"].value == "错误"  # most severe first
    result = validate(open_book(source))
    assert sheet.max_row >= 3 + len(result.issues)
    assert "T_issues" in sheet.tables and "T_issue_units" in sheet.tables


def test_issue_links_point_at_existing_cells(checked) -> None:
    _, out = checked
    book = openpyxl.load_workbook(out)
    links = [
        c.hyperlink for row in book[outputs.ISSUES_SHEET].iter_rows() for c in row if c.hyperlink
    ]
    assert links
    for link in links:
        sheet, cell = link.location.split("!")
        ws = book[sheet.strip("'")]
        row = int("".join(ch for ch in cell if ch.isdigit()))
        assert 1 <= row <= ws.max_row


def test_a_rerun_clears_its_own_marks_and_only_those(checked, edit) -> None:
    _, out = checked
    editor = edit(out)
    editor.set("走访", 5, "对象类别", "企业")  # the user fixes the error in the checked copy
    mine = editor.book["走访"]["G7"]
    mine.fill = openpyxl.styles.PatternFill("solid", fgColor=outputs.COLOURS["错误"])
    mine.comment = openpyxl.comments.Comment("我自己的批注", "科长")
    editor.save()
    _, again = check_file(out)
    assert again == out.with_name("台账.校验-2.xlsx")  # the copy it was run on stays as it was
    book = openpyxl.load_workbook(again)
    assert book["走访"]["D5"].comment is None
    assert book["走访"]["D5"].fill.fill_type is None
    assert book["走访"]["G7"].comment.text.startswith("我自己的批注")
    assert book["走访"]["G7"].fill.fgColor.rgb.endswith(outputs.COLOURS["错误"])
    assert (
        book["心得体会"].cell(4, 5).comment.author == outputs.MARK_AUTHOR
    )  # still wrong, still marked
    assert book.sheetnames.count(outputs.ISSUES_SHEET) == 1


def test_checked_copy_opens_in_libreoffice(checked, tmp_path: Path) -> None:
    _, out = checked
    soffice_convert(out, tmp_path)


def test_an_xlsm_gives_a_plain_xlsx_copy_that_excel_can_open(tmp_path: Path, definition) -> None:
    from campaign_report.adapters.xlsx_template import build_workbook
    from campaign_report.example import load_example

    records, settings = load_example(definition)
    xlsm = build_workbook(definition, tmp_path / "台账.xlsm", records, settings)
    _, out = check_file(xlsm)
    assert out.name == "台账.校验.xlsx"
    with zipfile.ZipFile(out) as archive:
        assert "xl/vbaProject.bin" not in archive.namelist()
        assert b"macroEnabled" not in archive.read("[Content_Types].xml")
    assert "控制台" in openpyxl.load_workbook(out).sheetnames


def test_several_mailed_back_copies_in_one_run(example: Path, edit, tmp_path: Path, capsys) -> None:
    good = Path(shutil.copy(example, tmp_path / "办公室.xlsx"))
    editor = edit(example)
    editor.set("走访", 5, "对象类别", None)
    editor.save()
    broken = tmp_path / "损坏.xlsx"
    broken.write_bytes(b"not a workbook")
    assert main(["validate", str(good), str(example), str(broken), "--json", "--no-copy"]) == 2
    captured = capsys.readouterr()
    files = json.loads(captured.out)["files"]
    assert [(f["file"], f.get("errors")) for f in files] == [
        (str(good), 0),
        (str(example), 1),
        (str(broken), None),
    ]
    assert not files[2]["ok"] and "不是 Excel 工作簿" in files[2]["error"]
    assert "损坏.xlsx" in captured.err and "不是 Excel 工作簿" in captured.err
    assert main(["validate", str(good), str(example), "--no-copy"]) == 1


def test_an_overdue_project_without_a_name_is_still_named_sanely(example: Path, edit) -> None:
    editor = edit(example)
    editor.set("实事项目", 5, "完成时限", dt.datetime(2008, 4, 1))
    editor.set("实事项目", 5, "项目名称", None)
    editor.save()
    issues = validate(open_book(example)).issues
    (overdue,) = [i for i in issues if i.rule == "project_overdue"]
    assert overdue.message.startswith("项目“”已过完成时限") and "nan" not in overdue.message


def test_issues_made_in_bulk_are_those_made_one_by_one(example: Path) -> None:
    """Rules that find many rows make their issues from arrays; nothing may differ."""
    from campaign_report.validate import _Sheet

    book = open_book(example)
    sheet = _Sheet(book, book.table("visits"))
    column = sheet.sheet.columns[3]
    indices = [0, 2, 5, 11]
    others = [9, 8, 7, 6]
    bulk = sheet.issues(
        "duplicate_row", "警告", indices, column, each={"other_row": others}, fields="甲、乙"
    )
    one_by_one = [
        sheet.issue("duplicate_row", "警告", i, column, other_row=o, fields="甲、乙")
        for i, o in zip(indices, others, strict=True)
    ]
    assert bulk == one_by_one
    assert len({i.row for i in bulk}) == 4 and all(i.unit and i.value for i in bulk)
    assert bulk[0].message == "与第9行重复（甲、乙相同），请删除多余的一行。"
    assert sheet.issues("required", "错误", [], column) == []
