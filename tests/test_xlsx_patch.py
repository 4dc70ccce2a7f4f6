"""The patched copies: only what the tool changes is rewritten, the rest travels byte for byte."""

from __future__ import annotations

import os
import signal
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from campaign_report import outputs
from campaign_report.adapters import xlsx_package, xlsx_writer
from campaign_report.adapters.xlsx_package import Package
from campaign_report.adapters.xlsx_patch import sheet_names, write_patched_copy
from campaign_report.adapters.xlsx_template import build_workbook
from campaign_report.example import load_example
from campaign_report.steps import check_file, open_book, summarise_file
from campaign_report.validate import validate


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_untouched_parts_are_copied_byte_for_byte(tmp_path: Path, definition) -> None:
    records, settings = load_example(definition)
    records["visits"][3] = [*records["visits"][3][:3], "工厂", *records["visits"][3][4:]]
    example = build_workbook(definition, tmp_path / "台账.xlsx", records, settings)  # one mark
    _, out = check_file(example)
    before, after = _parts(example), _parts(out)
    marked = {m.sheet for m in outputs.cell_marks(validate(open_book(example)))}
    book = openpyxl.load_workbook(example, read_only=True)
    parts = dict(
        zip(
            book.sheetnames,
            sorted(
                (n for n in before if n.startswith("xl/worksheets/sheet")),
                key=lambda n: int(n.removeprefix("xl/worksheets/sheet").removesuffix(".xml")),
            ),
            strict=True,
        )
    )
    untouched = [part for sheet, part in parts.items() if sheet not in marked]
    assert untouched and marked
    for name in [*untouched, "xl/sharedStrings.xml", "xl/theme/theme1.xml", "docProps/app.xml"]:
        assert after[name] == before[name], name
    for sheet in marked:
        assert after[parts[sheet]] != before[parts[sheet]], sheet


def test_the_users_tables_validations_and_names_survive(example: Path) -> None:
    _, checked = check_file(example)
    _, summary = summarise_file(example)
    source = openpyxl.load_workbook(example)
    tools = ((checked, outputs.ISSUES_SHEET, ()), (summary, outputs.SUMMARY_SHEET, ("报告依据",)))
    for copy, tool_sheet, more in tools:
        book = openpyxl.load_workbook(copy)
        assert book.sheetnames == [tool_sheet, *more, *source.sheetnames]
        assert book.active.title == tool_sheet
        assert set(book.defined_names) == set(source.defined_names)
        for name in source.sheetnames:
            mine, theirs = book[name], source[name]
            assert set(mine.tables) == set(theirs.tables), name
            assert [t.ref for t in mine.tables.values()] == [t.ref for t in theirs.tables.values()]
            assert len(mine.data_validations.dataValidation) == len(
                theirs.data_validations.dataValidation
            )
            assert [c.number_format for c in mine[2]] == [c.number_format for c in theirs[2]]


def test_a_marked_cell_keeps_its_number_format_and_a_users_note(
    example: Path, edit, tmp_path: Path
) -> None:
    editor = edit(example)
    row, col = editor.set("活动", 5, "日期", "3月99日")  # unreadable: an error mark
    cell = editor.book["活动"].cell(row, col)
    cell.comment = Comment("请办公室核实", "张科长")
    other = editor.book["活动"].cell(6, col)
    other.comment = Comment("我自己的批注", "张科长")
    other.fill = PatternFill("solid", fgColor="FF00B0F0")
    editor.save()
    _, out = check_file(example)
    book = openpyxl.load_workbook(out)
    marked = book["活动"].cell(row, col)
    assert marked.fill.fgColor.rgb == f"FF{outputs.COLOURS['错误']}"
    assert marked.comment.text == "请办公室核实"  # the user's note is never replaced
    untouched = book["活动"].cell(6, col)
    assert untouched.comment.text == "我自己的批注"
    assert untouched.fill.fgColor.rgb == "FF00B0F0"


def test_a_blank_required_cell_with_no_xml_gets_its_mark(example: Path, edit) -> None:
    editor = edit(example)
    row, col = editor.set("走访", 3, "对象名称", None)
    del editor.book["走访"]._cells[(row, col)]  # as Excel saves a cleared, unformatted cell
    part = f"xl/worksheets/sheet{editor.book.sheetnames.index('走访') + 1}.xml"
    editor.save()
    ref = f'r="{openpyxl.utils.get_column_letter(col)}{row}"'
    assert ref not in _parts(example)[part].decode()
    _, out = check_file(example)
    cell = openpyxl.load_workbook(out)["走访"].cell(row, col)
    assert cell.fill.fgColor.rgb == f"FF{outputs.COLOURS['错误']}"
    assert "不能为空" in cell.comment.text


def test_rerun_on_the_checked_copy_replaces_the_tool_sheet_and_its_marks(
    example: Path, edit, tmp_path: Path
) -> None:
    editor = edit(example)
    row, col = editor.set("走访", 3, "对象名称", None)
    editor.set("走访", 35, "走访人", "张三丰")  # a warning that stays, so 校验结果 stays a table
    editor.save()
    _, first = check_file(example)
    fixed = edit(first)
    fixed.set("走访", row, "对象名称", "新补的企业")
    fixed.save()
    _, second = check_file(first, tmp_path / "again.xlsx")
    book = openpyxl.load_workbook(second)
    assert book.sheetnames.count(outputs.ISSUES_SHEET) == 1
    cell = book["走访"].cell(row, col)
    assert cell.comment is None
    assert cell.fill.fill_type is None
    parts = _parts(second)
    assert len([n for n in parts if n.startswith("xl/tables/")]) == len(
        [n for n in _parts(first) if n.startswith("xl/tables/")]
    )


@pytest.mark.parametrize("marks", [0, 3])
def test_the_patcher_writes_a_sound_zip_with_unique_table_ids(
    example: Path, tmp_path: Path, marks: int
) -> None:
    result = validate(open_book(example))
    chosen = outputs.cell_marks(result)[:marks]
    tool = openpyxl.Workbook()
    tool.remove(tool.active)
    xlsx_writer._write_issues_sheet(tool, result, chosen, sheet_names(example))
    out = write_patched_copy(example, tmp_path / "patched.xlsx", tool, chosen)
    parts = _parts(out)
    ids = [
        openpyxl.xml.functions.fromstring(data).get("id")
        for name, data in parts.items()
        if name.startswith("xl/tables/")
    ]
    assert len(ids) == len(set(ids))
    types = parts["[Content_Types].xml"].decode()
    for name in parts:
        if name.endswith(".xml") and not name.startswith(("[", "_rels", "docProps")):
            assert f'PartName="/{name}"' in types or name.endswith(".rels"), name


def _issues_sheet(path: Path) -> tuple[list[tuple], dict[str, str], dict[str, str], str]:
    sheet = openpyxl.load_workbook(path)[outputs.ISSUES_SHEET]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    links = {c.coordinate: c.hyperlink.location for row in sheet.iter_rows() for c in row
             if c.hyperlink}  # fmt: skip
    blue = {c.coordinate: c.font.color.rgb for row in sheet.iter_rows() for c in row
            if c.hyperlink and c.font.color is not None}  # fmt: skip
    return rows, links, blue, str(dict(sheet.tables.items()))


def test_issue_rows_past_openpyxls_share_are_the_same_rows(
    example: Path, edit, tmp_path: Path, monkeypatch
) -> None:
    """Rows past the first BY_OPENPYXL are streamed as XML; nothing may tell them apart."""
    editor = edit(example)
    for row in range(3, 12):
        editor.set("走访", row, "对象名称", None)
    editor.set("走访", 35, "走访人", "张三丰 ")
    editor.save()
    _, whole = check_file(example, tmp_path / "whole.xlsx")
    monkeypatch.setattr(xlsx_writer, "BY_OPENPYXL", 2)
    _, streamed = check_file(example, tmp_path / "streamed.xlsx")
    rows, links, blue, tables = _issues_sheet(streamed)
    assert len(rows) > 10 and len(links) >= 10 and set(blue.values()) == {"000563C1"}
    assert (rows, links, blue, tables) == _issues_sheet(whole)
    with zipfile.ZipFile(streamed) as archive:
        assert archive.testzip() is None


def test_notes_written_as_text_are_the_bytes_lxml_writes() -> None:
    """A sheet's first notes are written as text (millions of lxml elements otherwise)."""
    from lxml import etree

    from campaign_report.adapters import xlsx_patch as patch
    from campaign_report.adapters.xlsx_package import to_xml

    notes = {
        (5, 4): "【错误】“对象类别”不能为空，请填写。",
        (2, 1): '【警告】与第1行重复\n【提示】A&B <c> "引号" \r 回车',
        (1048576, 16384): "x" * 300,
    }
    for block in (1, 3):
        comments, drawing = patch._empty_comments(), patch._empty_drawing(block)
        patch._add_notes(comments, drawing, notes, 1024 * block + 1)
        expected = (to_xml(comments), etree.tostring(drawing, encoding="UTF-8"))
        assert patch._new_notes_xml(notes, block) == expected


def test_parts_deflated_meanwhile_are_the_parts_written(
    example_master: Path, tmp_path: Path
) -> None:
    package = Package(example_master)
    package["xl/新的.xml"] = b"<a>first</a>"
    package["xl/新的.xml"] = b"<a>second</a>" * 1000  # the second write wins
    package["xl/不要的.xml"] = b"<a/>"
    package.remove("xl/不要的.xml")
    out = tmp_path / "out.xlsx"
    with out.open("wb") as handle:
        package.save(handle)
    with zipfile.ZipFile(out) as saved:
        assert saved.testzip() is None  # every CRC checks
        assert saved.read("xl/新的.xml") == b"<a>second</a>" * 1000
        assert "xl/不要的.xml" not in saved.namelist()
        with zipfile.ZipFile(example_master) as source:
            assert [n for n in saved.namelist() if n != "xl/新的.xml"] == source.namelist()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_package_written_before_a_fork_saves_in_the_child(
    example_master: Path, tmp_path: Path, monkeypatch
) -> None:
    """A process pool forks the process; the parent's deflating thread is not in the child."""
    deflate = xlsx_package._deflate

    def slowly(data: bytes):
        time.sleep(0.5)  # still deflating in the parent's thread when the child is forked
        return deflate(data)

    monkeypatch.setattr(xlsx_package, "_deflate", slowly)
    package = Package(example_master)
    package["xl/新的.xml"] = b"<a>before</a>"
    out = tmp_path / "child.xlsx"
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's lines run in another process)
        try:
            package["xl/其后.xml"] = b"<a>after</a>"
            with out.open("wb") as handle:
                package.save(handle)
        finally:
            os._exit(0)
    for _ in range(200):  # a hang would otherwise hang the suite
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child hung saving the package")
    assert os.waitstatus_to_exitcode(status) == 0
    with zipfile.ZipFile(out) as saved:
        assert saved.read("xl/新的.xml") == b"<a>before</a>"
        assert saved.read("xl/其后.xml") == b"<a>after</a>"


def test_a_saved_package_leaves_no_deflating_thread(example_master: Path, tmp_path: Path) -> None:
    import threading

    before = set(threading.enumerate())
    package = Package(example_master)
    package["xl/新的.xml"] = b"<a/>"
    with (tmp_path / "once.xlsx").open("wb") as handle:
        package.save(handle)
    package["xl/又一个.xml"] = b"<b/>"  # written after a save: deflated by a new thread
    with (tmp_path / "twice.xlsx").open("wb") as handle:
        package.save(handle)
    with zipfile.ZipFile(tmp_path / "twice.xlsx") as saved:
        assert saved.read("xl/又一个.xml") == b"<b/>" and saved.read("xl/新的.xml") == b"<a/>"
    ours = [t for t in set(threading.enumerate()) - before if t.name.startswith("deflate")]
    for thread in ours:
        thread.join(timeout=5)
    assert not [t for t in ours if t.is_alive()]
