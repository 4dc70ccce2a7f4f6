"""The Excel buttons, run on xlwings' remote-interpreter book built from real workbooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Editor
from remote_book import actions, open_remote

from campaign_report import macros, outputs
from campaign_report.excel_build import CONTROL_SHEET
from campaign_report.steps import build_example, check_file


@pytest.fixture
def control_book(tmp_path: Path, definition) -> Path:
    """The example as the office has it: an .xlsm with the 控制台 sheet."""
    return build_example(tmp_path / "台账.xlsm", definition)


def _sheet_position(book, name: str) -> int:
    return [s.name for s in book.sheets].index(name)


def _status(book) -> str:
    position = _sheet_position(book, CONTROL_SHEET)  # the tool's sheets go in front of it
    for action in reversed(actions(book)):
        at = (action.get("sheet_position"), action["start_row"], action["start_column"])
        if action["func"] == "setValues" and at == (position, 11, 1):  # B12
            return action["values"][0][0]
    raise AssertionError("no status written")


def test_validate_marks_the_planted_error_and_lists_it(control_book: Path, edit) -> None:
    editor: Editor = edit(control_book)
    editor.book = __import__("openpyxl").load_workbook(control_book, keep_vba=True)
    editor.set("走访", 5, "对象类别", None)
    editor.save()
    book = open_remote(control_book)
    visits = _sheet_position(book, "走访")  # before the 校验结果 sheet is added in front
    result = macros.validate(book)
    assert result is not None and len(result.errors) == 1
    done = actions(book)
    colour = [a for a in done if a["func"] == "setRangeColor" and a.get("sheet_position") == visits]
    marked = {(a["start_row"], a["start_column"]): a["args"][0] for a in colour}
    assert marked.pop((4, 3)) == "#FFC7CE"  # D5, the planted error
    assert marked == {}  # the example itself draws no warning
    notes = [a for a in done if a["func"] == "addNote" and a.get("sheet_position") == visits]
    assert notes[0]["args"][0] == "$D$5" and "对象类别" in notes[0]["args"][1]
    assert {"func": "addSheet", "args": [0, outputs.ISSUES_SHEET]}.items() <= next(
        a for a in done if a["func"] == "addSheet"
    ).items()
    table = next(a for a in done if a["func"] == "setValues" and len(a["values"]) > 1)
    assert table["values"][0] == list(outputs.ISSUE_HEADERS)
    first = table["values"][1]
    assert first[0] == "错误" and first[outputs.CELL_COLUMN] == '=HYPERLINK("#\'走访\'!D5","D5")'
    assert first[outputs.MARKED_COLUMN] == outputs.MARKED
    assert _status(book).startswith("校验完成：1个错误")


def test_a_button_press_costs_calls_by_sheets_not_rows(control_book: Path, tmp_path: Path) -> None:
    small = open_remote(control_book)
    macros.validate(small)
    macros.aggregate(small)
    import openpyxl

    book = openpyxl.load_workbook(control_book, keep_vba=True)
    visits = book["走访"]
    template = [c.value for c in visits[visits.max_row]]
    for n in range(2000):  # 2000 more clean visits, each to a new enterprise
        row = list(template)
        row[4] = f"松阳县新办第{n}号茶叶合作社"
        visits.append(row)
    big_path = tmp_path / "大.xlsm"
    book.save(big_path)
    big = open_remote(big_path)
    macros.validate(big)
    macros.aggregate(big)
    assert len(actions(big)) == len(actions(small))
    assert len(actions(small)) < 20 * len(small.sheets)


def test_aggregate_writes_the_summary_sheet_with_totals(control_book: Path) -> None:
    book = open_remote(control_book)
    summary = macros.aggregate(book)
    done = actions(book)
    assert any(a["func"] == "addSheet" and a["args"][1] == outputs.SUMMARY_SHEET for a in done)
    position = 0  # added before the first sheet
    blocks = [
        a["values"]
        for a in done
        if a["func"] == "setValues" and a.get("sheet_position") == position and len(a["values"]) > 1
    ]
    per_unit = blocks[0]
    assert per_unit[0][0] == "单位" and per_unit[-1][0] == "合计"
    for col in range(1, len(per_unit[0])):
        assert per_unit[-1][col] == sum(r[col] for r in per_unit[1:-1])
    figures = dict(map(tuple, blocks[1][1:]))
    assert figures["参加走访企业的干部职工（人）"] == 86 and figures["走访企业（家，去重）"] == 123
    assert summary.facts["discussion_groups"] == 6
    assert _status(book) == "汇总完成，见“汇总”表。"


def test_generate_report_saves_next_to_the_book_and_says_where(
    control_book: Path, tmp_path: Path
) -> None:
    book = open_remote(control_book)
    written = macros.generate_report(book, out_dir=tmp_path)
    report = written["报告"]
    assert report == tmp_path / "台账.工作总结.docx" and report.exists()
    import docx

    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert "全系统86名干部职工共走访企业120余家" in text
    assert _status(book) == f"已生成工作总结：{report}"


def test_a_refused_report_is_a_message_in_the_book(control_book: Path, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(control_book, keep_vba=True)
    book["走访"]["D5"] = None
    book.save(control_book)
    remote = open_remote(control_book)
    assert macros.generate_report(remote, out_dir=tmp_path) is None
    assert _status(remote).startswith("未完成：工作簿有1个错误")
    assert not list(tmp_path.glob("*.docx"))


def test_a_plain_xlsx_without_control_sheet_gets_the_message_on_its_issue_sheet(
    example: Path,
) -> None:
    book = open_remote(example)
    macros.validate(book)
    done = actions(book)
    status = [
        a
        for a in done
        if a["func"] == "setValues" and (a["start_row"], a["start_column"]) == (1, 0)
    ]
    assert status and status[-1]["values"][0][0] == "校验通过：没有发现问题。"  # not one warning


def test_a_rerun_clears_the_marks_of_the_last_run(example: Path, edit) -> None:
    editor = edit(example)
    editor.set("走访", 5, "对象类别", None)
    editor.set("走访", 35, "走访人", "张三丰")  # a warning that stays
    editor.save()
    _, checked = check_file(example)  # as if the last run left its marks and list
    editor = edit(checked)
    editor.set("走访", 5, "对象类别", "企业")  # the user fixes it
    editor.save()
    book = open_remote(checked)
    visits = _sheet_position(book, "走访")
    macros.validate(book)
    done = [a for a in actions(book) if a.get("sheet_position") == visits]
    cleared = [
        a
        for a in done
        if a["func"] == "deleteNote" or a["func"] == "setRangeColor" and a["args"][0] is None
    ]
    assert {(a["func"], a["start_row"], a["start_column"]) for a in cleared} == {
        ("setRangeColor", 4, 3),
        ("deleteNote", 4, 3),
    }
    still = {(a["start_row"], a["start_column"]) for a in done if a["func"] == "setNoteText"}
    assert (34, 2) in still  # 张三丰 is still unknown: the note is rewritten, not added twice


def test_an_unexpected_failure_becomes_a_chinese_message(control_book: Path, monkeypatch) -> None:
    book = open_remote(control_book)

    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(macros, "aggregate_book", broken)
    assert macros.aggregate(book) is None
    assert _status(book).startswith("出错了：RuntimeError: 磁盘已满")


def test_an_unsaved_book_is_asked_to_be_saved_first(control_book: Path) -> None:
    book = open_remote(control_book)  # a remote book has a name but no folder, like an unsaved one
    assert macros.generate_report(book) is None
    assert _status(book) == "未完成：请先把工作簿保存到文件夹中，报告会保存在工作簿旁边"


def test_a_report_open_in_word_is_a_message(
    control_book: Path, tmp_path: Path, monkeypatch
) -> None:
    book = open_remote(control_book)

    def locked(document, path, **options):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("campaign_report.docx_writer.write_docx", locked)
    assert macros.generate_report(book, out_dir=tmp_path) is None
    status = _status(book)
    # the real report is named, not the hidden scratch file the writer was given
    assert status.startswith(f"未完成：无法写入“{tmp_path}{os.sep}") and "/." not in status
    assert "没有写入权限" in status


def test_merge_collects_the_copies_beside_the_book_and_lists_who_is_late(
    control_book: Path,
) -> None:
    import openpyxl

    from campaign_report.collect import COPIES_FOLDER, LOG_SHEET
    from campaign_report.steps import split_file

    copies = split_file(control_book, control_book.parent / COPIES_FOLDER)
    late = next(p for p in copies if "新兴工商所" in p.name)
    late.unlink()
    ours = next(p for p in copies if "古市工商所" in p.name)
    book = openpyxl.load_workbook(ours)
    book["金点子"].append(["古市工商所", "郑健", "茶叶品牌一村一品"])
    book.save(ours)
    remote = open_remote(control_book)
    result, out = macros.merge(remote, master=control_book)
    assert out == control_book.parent / "台账.合并.xlsm" and out.exists()
    assert "古市工商所：金点子 +1" in result.check_lines()
    status = _status(remote)
    assert status.startswith(f"已合并{len(copies) - 1}份副本，合并后的台账：{out}")
    assert "催报：新兴工商所" in status
    done = actions(remote)
    assert any(a["func"] == "addSheet" and a["args"][1] == LOG_SHEET for a in done)
    blocks = [a["values"] for a in done if a["func"] == "setValues" and len(a["values"]) > 1]
    assert blocks[0][0][:3] == ["单位", "文件", "保存时间"]
    assert ["新兴工商所", "未交副本"] in blocks[-1]
    merged = openpyxl.load_workbook(out, keep_vba=True)
    titles = [r[2].value for r in merged["金点子"].iter_rows(min_row=2)]
    assert "茶叶品牌一村一品" in titles and "控制台" in merged.sheetnames


def test_merge_without_the_folder_says_where_to_put_the_copies(control_book: Path) -> None:
    book = open_remote(control_book)
    assert macros.merge(book, master=control_book) is None
    assert _status(book).startswith("未完成：找不到文件夹")
    assert "各单位报表" in _status(book)


class _RecordingStatusBar:
    """Stands in for ``book.app``: records what the macros put in Excel's status bar."""

    def __init__(self) -> None:
        self.shown: list[str | bool] = []

    @property
    def status_bar(self) -> str | bool:
        return self.shown[-1] if self.shown else False

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self.shown.append(value)


class _WithStatusBar:
    """The remote book (which has no status bar) with a recording one."""

    def __init__(self, book) -> None:
        self._book, self.app = book, _RecordingStatusBar()

    def __getattr__(self, name: str):
        return getattr(self._book, name)


@pytest.mark.parametrize("macro", ["validate", "aggregate", "generate_report"])
def test_each_button_shows_its_steps_in_the_status_bar_and_gives_it_back(
    control_book: Path, macro: str, tmp_path: Path
) -> None:
    from campaign_report.adapters.xlwings_book import XlwingsBook

    book = _WithStatusBar(open_remote(control_book))
    kwargs = {"out_dir": tmp_path} if macro == "generate_report" else {}
    assert getattr(macros, macro)(XlwingsBook(book), **kwargs) is not None
    steps = [s for s in book.app.shown if s]
    assert steps[0] == "正在读取工作簿……" and len(steps) >= 2
    assert all(s.startswith("正在") for s in steps)
    assert book.app.shown[-1] is False  # Excel's own status bar is back


def test_aggregate_writes_the_basis_sheet(control_book: Path) -> None:
    book = open_remote(control_book)
    summary = macros.aggregate(book)
    done = actions(book)
    assert any(a["func"] == "addSheet" and a["args"][1] == outputs.BASIS_SHEET for a in done)
    blocks = [a["values"] for a in done if a["func"] == "setValues" and a["values"]]
    basis = next(b for b in blocks if tuple(b[0]) == outputs.BASIS_HEADERS)
    assert len(basis) - 1 == len(summary.trace.stated)  # the seed leaves no row out
    assert {row[0] for row in basis[1:]} == {outputs.STATED}
