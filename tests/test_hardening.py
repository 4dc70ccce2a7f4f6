"""Hostile and broken input, one point of issue #10 a test: nothing lost, no traceback."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from campaign_report import atomic
from campaign_report.cli import main
from campaign_report.errors import TemplateError
from campaign_report.steps import report_file


def _last_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- 1, 2: outputs go only to names the tool owns --


def test_report_cannot_overwrite_its_input(example: Path, capsys) -> None:
    before = example.read_bytes()
    assert main(["report", str(example), "--out", str(example), "--force"]) == 2
    assert example.read_bytes() == before
    assert "不能与输入文件相同" in _last_line(capsys.readouterr().err)


def test_rerunning_replaces_only_the_tools_own_unchanged_output(example: Path, capsys) -> None:
    checked = example.with_name("台账.校验.xlsx")
    assert main(["validate", str(example)]) == 0
    first = checked.stat().st_mtime_ns
    assert main(["validate", str(example)]) == 0  # unchanged: replaced in place
    assert checked.stat().st_mtime_ns != first
    assert not example.with_name("台账.校验-2.xlsx").exists()


def test_an_output_a_clerk_edited_is_kept_and_the_next_name_is_written(
    example: Path, capsys
) -> None:
    assert main(["aggregate", str(example)]) == 0
    summary = example.with_name("台账.汇总.xlsx")
    book = openpyxl.load_workbook(summary)
    book["汇总"]["A1"] = "办公室改过的标题"
    book.save(summary)
    edited = summary.read_bytes()
    capsys.readouterr()
    assert main(["aggregate", str(example)]) == 0
    out, err = capsys.readouterr()
    assert summary.read_bytes() == edited
    second = example.with_name("台账.汇总-2.xlsx")
    assert second.exists() and str(second) in out
    assert "被修改过" in err and "台账.汇总-2.xlsx" in err
    assert main(["aggregate", str(example)]) == 0  # -2 is the tool's own now: reused
    assert not example.with_name("台账.汇总-3.xlsx").exists()


def test_a_read_only_output_is_refused(example: Path, capsys) -> None:
    report = example.with_name("台账.工作总结.docx")
    assert main(["report", str(example)]) == 0
    report.chmod(stat.S_IREAD)
    before = report.read_bytes()
    try:
        assert main(["report", str(example)]) == 2
        assert report.read_bytes() == before
        line = _last_line(capsys.readouterr().err)
        assert "只读" in line and "台账.工作总结.docx" in line
    finally:
        report.chmod(0o644)


def test_the_stamp_is_a_zip_comment_and_an_md_comment(example: Path, tmp_path: Path) -> None:
    written = report_file(example, tmp_path / "r.docx", markdown=True)
    assert all(atomic.is_ours(p) for p in written.values())
    docx.Document(written["报告"])  # Word's reader takes the commented zip
    text = written["Markdown"].read_text(encoding="utf-8")
    assert text.splitlines()[-1].startswith("<!-- campaign-report:")
    written["Markdown"].write_text(text.replace("工作", "工做"), encoding="utf-8")
    assert not atomic.is_ours(written["Markdown"])


# -- 4, 7, 12: a full disk, a locked file: the real name and reason, both files or none --


def _full_disk_after(limit: int):
    """An ``open`` whose files raise ENOSPC once ``limit`` bytes are written."""
    real_open = open

    class Full(io.FileIO):
        written = 0

        def write(self, data) -> int:
            Full.written += len(data)
            if Full.written > limit:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    def fake(file, mode="r", *args, **kwargs):
        if "w" in mode and str(file).rsplit("/", 1)[-1].startswith("."):
            return io.BufferedWriter(Full(file, "w"))
        return real_open(file, mode, *args, **kwargs)

    return fake


def test_markdown_and_docx_are_written_together_or_not_at_all(
    example: Path, monkeypatch, capsys
) -> None:
    assert main(["report", str(example), "--markdown"]) == 0
    docx_path = example.with_name("台账.工作总结.docx")
    md_path = docx_path.with_suffix(".md")
    before = docx_path.read_bytes(), md_path.read_bytes()

    def fail(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", fail)
    capsys.readouterr()
    assert main(["report", str(example), "--markdown"]) == 2
    assert (docx_path.read_bytes(), md_path.read_bytes()) == before
    line = _last_line(capsys.readouterr().err)
    assert "磁盘已满" in line and "台账.工作总结.md" in line
    assert sorted(p.name for p in example.parent.iterdir()) == sorted(
        ["台账.xlsx", "台账.工作总结.docx", "台账.工作总结.md"]
    )


def test_a_full_disk_names_the_real_output_and_leaves_no_zipfile_traceback(
    example: Path, tmp_path: Path
) -> None:
    script = f"""
import builtins, io, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_hardening import _full_disk_after
builtins.open = io.open = _full_disk_after(20000)  # every writer's file: openpyxl's, the patcher's
from campaign_report.cli import main
sys.exit(main(["aggregate", {str(example)!r}]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    line = _last_line(done.stderr)
    assert "磁盘已满" in line and "台账.汇总.xlsx" in line and "/." not in line
    assert sorted(p.name for p in example.parent.iterdir()) == ["台账.xlsx"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "磁盘已满"),
        (errno.EROFS, "只读"),
        (errno.EACCES, "只读"),
        (errno.EBUSY, "占用"),
    ],
)
def test_each_write_failure_says_its_reason(code: int, reason: str) -> None:
    assert reason in atomic.reason(OSError(code, os.strerror(code)))


def test_a_read_only_folder_is_refused_by_name(example_master: Path, tmp_path: Path, capsys):
    folder = tmp_path / "只读"
    folder.mkdir()
    book = folder / "台账.xlsx"
    book.write_bytes(example_master.read_bytes())
    folder.chmod(stat.S_IREAD | stat.S_IEXEC)
    try:
        assert main(["aggregate", str(book)]) == 2
        line = _last_line(capsys.readouterr().err)
        assert "台账.汇总.xlsx" in line and "只读" in line
        assert sorted(p.name for p in folder.iterdir()) == ["台账.xlsx"]
    finally:
        folder.chmod(0o755)


# -- 13, 14: exit codes; validate goes on after a book it cannot write --


def test_a_refused_report_exits_1(example: Path, edit, capsys) -> None:
    editor = edit(example)
    editor.set("走访", 5, "走访日期", "3月99日")  # unreadable: an error (对象类别 is an open list)
    editor.save()
    assert main(["report", str(example)]) == 1
    assert "--force" in _last_line(capsys.readouterr().err)


def test_validate_goes_on_after_a_book_it_cannot_write(
    example_master: Path, tmp_path: Path, capsys
) -> None:
    books = []
    for name in ("甲.xlsx", "乙.xlsx", "丙.xlsx"):
        books.append(tmp_path / name)
        books[-1].write_bytes(example_master.read_bytes())
    blocked = tmp_path / "乙.校验.xlsx"
    blocked.write_bytes(b"x")
    blocked.chmod(stat.S_IREAD)
    try:
        assert main(["validate", "--json", *map(str, books)]) == 2
    finally:
        blocked.chmod(0o644)
    out, err = capsys.readouterr()
    files = json.loads(out)["files"]
    assert [f["file"] for f in files] == list(map(str, books))
    assert files[0]["ok"] and files[2]["ok"] and "只读" in files[1]["error"]
    assert (tmp_path / "丙.校验.xlsx").exists()
    assert "乙.xlsx" in _last_line(err)


def test_an_unexpected_failure_is_one_line_without_traceback(
    example: Path, monkeypatch, capsys
) -> None:
    def boom(book):
        raise ValueError("Length of values does not match length of index")

    monkeypatch.setattr("campaign_report.steps.aggregate", boom)
    assert main(["aggregate", str(example)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and _last_line(err).startswith("错误：内部错误")
    with pytest.raises(ValueError):
        main(["--debug", "aggregate", str(example)])


# -- 6: user templates --


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% for i in range(10**8) %}{% endfor %}", "太大"),
        ("{{ 1/0 }}", "除以零"),
        ("{{ 10**5000 }}", "指数"),
        ("{{ 'x' * 100000000 }}", "太长"),
        ("{{ ['x'] * 100000000 }}", "太长"),
        ("{{ 'x'.center(1000000000) }}", "太大"),
        ("{{ 'x'|center(1000000000) }}", "太大"),
        ("{% for i in range(90000) %}{% for j in range(90000) %}{% endfor %}{% endfor %}", "range"),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}", "嵌套太深"),
        ("{% include 'x.j2' %}", "include"),
        ("{% import 'x.j2' as x %}", "include"),
        ("{% extends 'x.j2' %}", "include"),
    ],
)
def test_template_limits_are_one_chinese_line(
    example_master: Path, tmp_path: Path, capsys, template: str, expected: str
) -> None:
    path = tmp_path / "模板.md.j2"
    path.write_text(template, encoding="utf-8")
    with pytest.raises(TemplateError, match=expected):
        report_file(example_master, tmp_path / "r.docx", template=path, force=True)
    assert main(["report", str(example_master), "--template", str(path), "--force"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "模板.md.j2" in _last_line(err)
    assert not (tmp_path / "r.docx").exists()


def test_a_big_figure_handed_to_a_report_function_is_no_padding(
    example_master: Path, tmp_path: Path
) -> None:
    """The limits bound str padding, not the campaign's own numbers (a city's sum is big)."""
    path = tmp_path / "模板.md.j2"
    path.write_text('{{ clause("共{}人次", 27025380) }}{{ "{}".format(-27025380) }}', "utf-8")
    paths = report_file(example_master, tmp_path / "r.docx", template=path, force=True)
    text = "".join(p.text for p in docx.Document(paths["报告"]).paragraphs)
    assert "共27025380人次" in text and "-27025380" in text


def test_a_template_that_is_not_utf8(example_master: Path, tmp_path: Path) -> None:
    path = tmp_path / "模板.md.j2"
    path.write_bytes("标题".encode("gbk"))
    with pytest.raises(TemplateError, match="UTF-8"):
        report_file(example_master, tmp_path / "r.docx", template=path, force=True)


# -- 5: a row naming a unit that is not in 单位 --


def test_rows_of_units_not_in_the_roster_count_on_one_other_row(example: Path, edit) -> None:
    from campaign_report.aggregate import aggregate
    from campaign_report.steps import open_book

    before = aggregate(open_book(example)).per_unit.set_index("单位")
    editor = edit(example)
    editor.set("走访", 2, "单位", "城区工商所所")  # a typo in 走访 …
    editor.set("金点子", 2, "推荐单位", "不存在的单位")  # … and another in 金点子
    editor.save()
    after = aggregate(open_book(example)).per_unit.set_index("单位")
    visits, ideas = "走访（次）", "金点子（条）"
    assert after.loc["（其他）", visits] == 1 and after.loc["（其他）", ideas] == 1
    assert after.loc["合计", visits] == before.loc["合计", visits]  # nothing lost, nothing added
    assert after.loc["合计", ideas] == before.loc["合计", ideas]


# -- 3: error cells are errors at their cell, on both readers, and never a silent zero --


def _plant_errors(example: Path) -> Path:
    book = openpyxl.load_workbook(example)
    sheet = book["征求意见表"]
    col = [c.value for c in sheet[1]].index("发放份数") + 1
    for row, error in zip(range(2, 6), ("#N/A", "#DIV/0!", "#VALUE!", "#REF!"), strict=True):
        sheet.cell(row, col).value = error
        sheet.cell(row, col).data_type = "e"
    # Typed text that looks exactly like an error value counts as one: Excel and LibreOffice
    # hand both over as the same text, and the checks treat every host alike.
    sheet.cell(6, col).value = "#N/A"
    sheet.cell(6, col).data_type = "s"
    book.save(example)
    return example


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_error_cells_read_as_errors_on_both_readers(example: Path, engine: str) -> None:
    from campaign_report.adapters.xlsx_reader import read_raw_sheets
    from campaign_report.model import CellError

    _plant_errors(example)
    rows = read_raw_sheets(example, engine="openpyxl" if engine == "openpyxl" else "auto")
    cells = [r[3] for r in rows["征求意见表"].rows[1:6]]
    assert [type(c) is CellError for c in cells] == [True, True, True, True, False]
    assert cells[:4] == [CellError(e) for e in ("#N/A", "#DIV/0!", "#VALUE!", "#REF!")]


def test_error_cells_are_errors_at_their_cell_and_aggregate_says_so(example: Path, capsys) -> None:
    from campaign_report.steps import open_book
    from campaign_report.validate import validate

    _plant_errors(example)
    errors = [i for i in validate(open_book(example)).errors if i.rule == "error_value"]
    assert [(i.sheet, i.cell, i.value) for i in errors] == [
        ("征求意见表", "D2", "#N/A"),
        ("征求意见表", "D3", "#DIV/0!"),
        ("征求意见表", "D4", "#VALUE!"),
        ("征求意见表", "D5", "#REF!"),
        ("征求意见表", "D6", "#N/A"),
    ]
    assert main(["validate", str(example)]) == 1
    capsys.readouterr()
    assert main(["aggregate", str(example)]) == 1  # figures left incomplete: no silent zero
    assert "5个单元格是错误值" in capsys.readouterr().err


# -- 9: text that looks like a formula stays text in the tool's own sheets --

HOSTILE = "=cmd|' /C calc'!A0"


def test_formula_like_text_stays_text_in_the_tools_sheets(example: Path, edit) -> None:
    editor = edit(example)
    cells = [
        ("走访", *editor.set("走访", 2, "单位", HOSTILE)),
        ("单位", *editor.set("单位", 3, "单位名称", "+SUM(1,2)")),
        ("设置", editor.find("设置", "项目", "活动名称"), 2),
    ]
    editor.book["设置"].cell(cells[2][1], 2).value = "-1+2"
    for sheet, row, col in cells:  # typed as text ('=cmd… in Excel), not as a formula
        editor.book[sheet].cell(row, col).data_type = "s"
    editor.save()
    assert main(["validate", str(example)]) == 1
    assert main(["aggregate", str(example)]) == 0
    for name, sheet in (("台账.校验.xlsx", "校验结果"), ("台账.汇总.xlsx", "汇总")):
        with zipfile.ZipFile(example.with_name(name)) as archive:
            xml = "".join(archive.read(n).decode() for n in archive.namelist() if "sheet" in n)
        assert "cmd|" not in "".join(_formulas(example.with_name(name), sheet))
        assert "<f>SUM(1,2)" not in xml
    checked = openpyxl.load_workbook(example.with_name("台账.校验.xlsx"))["校验结果"]
    texts = [c.value for row in checked.iter_rows() for c in row if c.data_type == "s"]
    assert HOSTILE in texts
    summary = openpyxl.load_workbook(example.with_name("台账.汇总.xlsx"))["汇总"]
    assert summary["A1"].value == "-1+2汇总" and summary["A1"].data_type == "s"
    assert "+SUM(1,2)" in [c.value for c in summary["A"]]


def _formulas(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_the_excel_adapter_writes_formula_like_text_as_text() -> None:
    from campaign_report import outputs
    from campaign_report.adapters.xlwings_book import _write_block

    written = {}

    class Range:
        def __init__(self, *where) -> None:
            self.where = where

        def __setattr__(self, name, value) -> None:
            if name == "value":
                written[self.where] = value
            object.__setattr__(self, name, value)

    class Sheet:
        def range(self, *where):
            return Range(*where)

    link = outputs.Link(0, 4, "走访", "C5", "C5")
    row = [HOSTILE, "+1", "-1", "@A1", "C5", "办公室", 3]
    _write_block(Sheet(), outputs.CellBlock("校验结果", 4, 1, [row], links=[link]))
    (values,) = written.values()
    assert values[0][:4] == ["'" + HOSTILE, "'+1", "'-1", "'@A1"]  # Excel keeps these as text
    assert values[0][4].startswith("=HYPERLINK(")  # the tool's own formula stays one
    assert values[0][5:] == ["办公室", 3]


# -- 10, 11: zip bombs, DTDs, far-out cells, long runs of spaces --


def test_a_zip_bomb_is_refused_before_it_is_opened(example_master: Path, tmp_path: Path) -> None:
    from campaign_report.adapters import xlsx_reader
    from campaign_report.errors import BookReadError

    bomb = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(example_master) as src, zipfile.ZipFile(bomb, "w", 8) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with dst.open("xl/worksheets/sheet99.xml", "w", force_zip64=True) as stream:
            for _ in range(600):
                stream.write(b" " * (1 << 20))
    with pytest.raises(BookReadError, match="压缩炸弹"):
        xlsx_reader.read_raw_sheets(bomb)


def test_a_dtd_is_refused(example_master: Path, tmp_path: Path) -> None:
    from campaign_report.adapters import xlsx_reader
    from campaign_report.errors import BookReadError

    xxe = tmp_path / "xxe.xlsx"
    with zipfile.ZipFile(example_master) as src, zipfile.ZipFile(xxe, "w", 8) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///">]>', 1)
            dst.writestr(info, data)
    with pytest.raises(BookReadError, match="DTD"):
        xlsx_reader.read_raw_sheets(xxe)


def _with_dtd(source: Path, out: Path, part: str, moved: dict[str, str] | None = None) -> Path:
    """``source`` with a DTD in ``part``; ``moved`` renames parts, and the texts naming them."""
    moved = moved or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", 8) as dst:
        for info in src.infolist():
            data = src.read(info)
            for old, new in moved.items():
                data = data.replace(old.encode(), new.encode())
            name = moved.get(info.filename, info.filename)
            if name == part:
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///">]>', 1)
            dst.writestr(name, data)
    return out


def test_a_merge_leaves_parts_calamine_never_parses_for_openpyxl(
    example_master: Path, tmp_path: Path
) -> None:
    """Merge reads a copy's sheets with calamine and parses nothing else of it: a table's
    part is scanned only when openpyxl, which parses it, is to read the copy."""
    from campaign_report.adapters import xlsx_reader
    from campaign_report.errors import BookReadError

    xxe = _with_dtd(example_master, tmp_path / "xxe.xlsx", "xl/tables/table1.xml")
    with pytest.raises(BookReadError, match="DTD"):
        xlsx_reader.read_raw_sheets(xxe)  # by default every part is scanned
    shape = xlsx_reader.inspect(xxe, sheets_only=True)
    assert "xl/tables/table1.xml" in shape.unscanned and "docProps/app.xml" in shape.unscanned
    assert not [p for p in shape.unscanned if p.startswith("xl/worksheets/sheet")]
    read = xlsx_reader.read_raw_sheets(xxe, sheets_only=True)
    assert read["走访"].rows == xlsx_reader.read_raw_sheets(example_master)["走访"].rows
    with pytest.raises(BookReadError, match="DTD"):
        xlsx_reader.read_raw_sheets(xxe, engine="openpyxl", sheets_only=True)


def test_a_part_the_workbook_links_to_is_scanned_wherever_it_lies(
    example_master: Path, tmp_path: Path
) -> None:
    from campaign_report.adapters import xlsx_reader
    from campaign_report.errors import BookReadError

    strings = {
        "xl/sharedStrings.xml": "docProps/strings.xml",
        "sharedStrings.xml": "../docProps/strings.xml",
    }
    xxe = _with_dtd(example_master, tmp_path / "xxe.xlsx", "docProps/strings.xml", strings)
    assert "docProps/strings.xml" in zipfile.ZipFile(xxe).namelist()
    with pytest.raises(BookReadError, match="DTD"):
        xlsx_reader.read_raw_sheets(xxe, sheets_only=True)


def test_calamine_opens_a_book_only_once_the_parts_it_parses_are_scanned(
    example_master: Path, tmp_path: Path
) -> None:
    """A big book is opened in the background while its sheets are scanned: never before
    the shared strings and the rest that opening it parses are."""
    from campaign_report.adapters import xlsx_reader
    from campaign_report.errors import BookReadError

    calls: list[int] = []
    strings = _with_dtd(example_master, tmp_path / "a.xlsx", "xl/sharedStrings.xml")
    with pytest.raises(BookReadError, match="DTD"):
        xlsx_reader.inspect(strings, opened=calls.append)
    assert calls == []
    sheet = _with_dtd(example_master, tmp_path / "b.xlsx", "xl/worksheets/sheet1.xml")
    with pytest.raises(BookReadError, match="DTD"):
        xlsx_reader.inspect(sheet, opened=calls.append)
    assert len(calls) == 1 and calls[0] > 0  # the sheets' bytes, scanned after the call


def test_a_far_out_cell_is_read_without_a_huge_rectangle(example: Path) -> None:
    """calamine would allocate 16384 x 1048576 cells (and abort the process) for XFD1048576."""
    from campaign_report.adapters import xlsx_reader

    book = openpyxl.load_workbook(example)
    book["走访"]["XFD1048576"] = "远处"
    book.save(example)
    assert xlsx_reader.inspect(example).dense_cells > xlsx_reader.MAX_DENSE_CELLS
    rows = xlsx_reader.read_raw_sheets(example)["走访"].rows
    assert rows[-1][-1] == "远处" and len(rows) == 1048576
    assert all(len(r) < 100 for r in rows[:-1])  # empty cells trimmed: no dense rectangle


def test_a_date_with_a_long_run_of_spaces_is_linear() -> None:
    """32 000 spaces cost 8 s before (quadratic); the date is still read."""
    from campaign_report import normalise as nm

    parsed = nm.parse_date("3月" + " " * 32000 + "10日", 2008)
    assert parsed.ok and str(parsed.value) == "2008-03-10"
    assert not nm.parse_date("2008-03-10" + " " * 500 + "以后", 2008).ok  # nothing dropped


# -- 12: messages --


def test_empty_required_cells_never_show_nan(example: Path, edit, capsys) -> None:
    editor = edit(example)
    editor.set("征求意见表", 3, "发放份数", None)
    editor.set("走访", 4, "对象名称", None)
    editor.save()
    assert main(["validate", "--json", str(example)]) == 1
    issues = json.loads(capsys.readouterr().out)["issues"]
    required = [i for i in issues if i["rule"] == "required"]
    assert len(required) == 2 and all(i["value"] == "" for i in required)
    sheet = openpyxl.load_workbook(example.with_name("台账.校验.xlsx"))["校验结果"]
    assert not [c.value for row in sheet.iter_rows() for c in row if c.value == "nan"]


def test_the_rule_column_is_chinese_and_json_keeps_ids(example: Path, edit, capsys) -> None:
    editor = edit(example)
    editor.set("走访", 2, "单位", "城区工商所所")
    editor.set("活动", 2, "参加人数", "30余")  # a warning: an approximate count
    editor.save()
    assert main(["validate", "--json", str(example)]) == 1
    rules = {i["rule"] for i in json.loads(capsys.readouterr().out)["issues"]}
    assert {"unknown_unit", "approximate"} <= rules
    sheet = openpyxl.load_workbook(example.with_name("台账.校验.xlsx"))["校验结果"]
    column = [row[7] for row in sheet.iter_rows(min_row=4, values_only=True) if row[0]]
    assert "单位不在名册中" in column and "约数" in column
    assert not {"unknown_unit", "approximate"} & set(column)


def test_a_misspelt_unit_gets_a_suggestion(example: Path, edit) -> None:
    from campaign_report.steps import open_book
    from campaign_report.validate import validate

    editor = edit(example)
    right = editor.get("走访", 2, "单位")
    editor.set("走访", 2, "单位", right + "所")
    editor.set("走访", 3, "单位", "完全不相干的名字")
    editor.save()
    issues = [i for i in validate(open_book(example)).errors if i.rule == "unknown_unit"]
    assert f"是否为“{right}”？" in issues[0].message
    assert "是否为" not in issues[1].message
