"""Hostile and broken input, one point of issue #10 a test: nothing lost, no traceback."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import subprocess
import sys
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
import builtins, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_hardening import _full_disk_after
import zipfile
zipfile.io = type(sys)("fake_io")
zipfile.io.open = _full_disk_after(20000)
zipfile.io.BufferedIOBase = __import__("io").BufferedIOBase
zipfile.io.SEEK_SET, zipfile.io.SEEK_CUR, zipfile.io.SEEK_END = 0, 1, 2
zipfile.io.BytesIO = __import__("io").BytesIO
zipfile.io.BufferedReader = __import__("io").BufferedReader
zipfile.io.RawIOBase = __import__("io").RawIOBase
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
    editor.set("走访", 5, "对象类别", "工厂")
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
