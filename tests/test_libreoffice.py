"""The buttons in LibreOffice Calc, clicked headless end to end, and the .oxt they come in.

The clicks run in a real soffice with a throwaway profile: ``uno_driver.py`` (run by
LibreOffice's Python, /usr/bin/python3) adds the built extension through the extension
manager, loads the example workbook with a planted error, dispatches each toolbar URL on
the document's frame and reports what the document holds after each click. Inside soffice
the extension imports this checkout's product from the folders recorded in it, as
``setup-libreoffice`` records them. What it did is compared with the command line's
results on the same workbook.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import docx
import openpyxl
import pytest
from conftest import Editor
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

import campaign_report
from campaign_report import libreoffice, outputs
from campaign_report.cli import main as cli_main
from campaign_report.excel_build import CONTROL_SHEET, MACROS
from campaign_report.steps import build_example, check_file, report_file, summarise_file

HERE = Path(__file__).resolve().parent
PLANTED = ("走访", 5, "对象类别", None)  # a required cell emptied: an error at 走访!D5
USER_NOTE = ("走访", "A7", "用户自己的批注", "00FF00")  # the user's own note and colour
MANIFEST_NS = "{http://openoffice.org/2001/manifest}"
OOR_NS = "{http://openoffice.org/2001/registry}"
LO_TIMEOUT = 420  # seconds for the whole headless session; soffice is killed after it


def uno_python() -> str:
    """LibreOffice's Python: the one that imports uno (Debian: /usr/bin/python3)."""
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and shutil.which("soffice"):
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
            if probe.returncode == 0:
                return candidate
    if os.environ.get("CI"):
        pytest.fail("LibreOffice with python3-uno is required in CI")
    pytest.skip("no LibreOffice with a Python that imports uno")


def same_python_version(python: str) -> None:
    """The product's compiled dependencies (pandas) load in soffice only for the same minor."""
    theirs = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    ).stdout.strip()
    if theirs != str(sys.version_info[:2]):
        message = f"LibreOffice's Python is {theirs}, this venv's {sys.version_info[:2]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lo")


@pytest.fixture(scope="module")
def planted(book_dir: Path, definition) -> tuple[Path, str]:
    """The example as the office has it (.xlsm), a planted error, and a note of the user's."""
    path = build_example(book_dir / "台账.xlsm", definition)  # with the example's 选项
    editor = Editor(path, definition)
    editor.book = openpyxl.load_workbook(path, keep_vba=True)
    sheet, row, header, value = PLANTED
    original = editor.get(sheet, row, header)
    editor.set(sheet, row, header, value)
    name, cell, note, colour = USER_NOTE
    editor.book[name][cell].comment = Comment(note, "张三")
    editor.book[name][cell].fill = PatternFill("solid", fgColor=colour)
    editor.save()
    return path, original


@pytest.fixture(scope="module")
def clicked(planted: tuple[Path, str], book_dir: Path) -> dict[str, Any]:
    """One headless session: 校验, fix the cell, 校验 again, 汇总, 生成报告, then an unsaved one."""
    python = uno_python()
    same_python_version(python)
    path, original = planted
    oxt = libreoffice.build_extension(
        book_dir / "ext" / "活动汇总.oxt", libreoffice.product_paths()
    )
    spec = {
        "profile": str(book_dir / "profile"),
        "oxt": str(oxt),
        "book": str(path),
        "fix": [PLANTED[0], "D5", original],
        "pidfile": str(book_dir / "soffice.pid"),
    }
    spec_file = book_dir / "spec.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    try:
        done = subprocess.run(
            [python, str(HERE / "uno_driver.py"), str(spec_file)],
            capture_output=True,
            text=True,
            timeout=LO_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        _kill_office(Path(spec["pidfile"]))  # the driver is killed; its soffice is not
        pytest.fail(f"LibreOffice did not finish within {LO_TIMEOUT} s")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _kill_office(pidfile: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        os.killpg(int(pidfile.read_text()), signal.SIGKILL)


def _new_marks(after: dict[str, Any], before: dict[str, Any], key: str) -> dict[str, Any]:
    """What a click added or changed on the user's sheets (the tool's sheets left out)."""
    return {
        where: value
        for where, value in after[key].items()
        if before[key].get(where) != value and where.split("!")[0] not in outputs.TOOL_SHEETS
    }


def _users_sheets(cells: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cells.items() if k.split("!")[0] not in outputs.TOOL_SHEETS}


def _cli_marks(path: Path) -> dict[str, tuple[int, str]]:
    result, _ = check_file(path, write=False)
    return {
        f"{m.sheet}!{m.address}": (int(m.colour, 16), m.note) for m in outputs.cell_marks(result)
    }


# -- the extension file --


def test_the_oxt_is_built_from_the_sources_by_the_excel_command(tmp_path: Path) -> None:
    assert cli_main(["excel", str(tmp_path)]) == 0
    oxt = tmp_path / libreoffice.OXT_FILENAME
    sources = libreoffice.sources_dir()
    with zipfile.ZipFile(oxt) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    on_disk = {p.relative_to(sources).as_posix() for p in sources.rglob("*") if p.is_file()} - {
        p.relative_to(sources).as_posix() for p in sources.rglob("__pycache__/*")
    }
    assert set(parts) == on_disk
    for name in on_disk - {"Addons.xcu"}:  # the toolbar gets its buttons from MACROS
        assert parts[name] == (sources / name).read_bytes(), name
    manifest = ET.fromstring(parts["META-INF/manifest.xml"])
    listed = {
        e.get(f"{MANIFEST_NS}full-path"): e.get(f"{MANIFEST_NS}media-type")
        for e in manifest.iter(f"{MANIFEST_NS}file-entry")
    }
    assert set(listed) == set(parts) - {"description.xml", "META-INF/manifest.xml"}
    assert listed["CampaignHandler.py"] == "application/vnd.sun.star.uno-component;type=Python"
    for name in ("Addons.xcu", "ProtocolHandler.xcu"):
        assert listed[name] == "application/vnd.sun.star.configuration-data"
    again = libreoffice.build_extension(tmp_path / "again.oxt")
    assert again.read_bytes() == oxt.read_bytes()  # reproducible
    description = ET.fromstring(parts["description.xml"])
    ns = "{http://openoffice.org/extensions/description/2006}"
    assert description.find(f"{ns}identifier").get("value") == libreoffice.IDENTIFIER
    assert description.find(f"{ns}version").get("value") == campaign_report.__version__


def test_the_toolbar_has_the_excel_buttons_and_the_handler_takes_their_urls() -> None:
    parts = libreoffice.extension_parts()
    addons = ET.fromstring(parts["Addons.xcu"])
    buttons = [
        {p.get(f"{OOR_NS}name"): p.findtext("value") for p in node.findall("prop")}
        for node in addons.iter("node")
        if node.find("prop") is not None
    ]
    assert (
        [b["Title"] for b in buttons]
        == [m.caption for m in MACROS]
        == ["校验", "汇总", "生成报告", "合并"]
    )
    assert {b["Context"] for b in buttons} == {"com.sun.star.sheet.SpreadsheetDocument"}
    handler = ET.fromstring(parts["ProtocolHandler.xcu"])
    (protocol,) = [v.text for v in handler.iter("value")]
    node = next(n for n in handler.iter("node") if n.get(f"{OOR_NS}name") != "HandlerSet")
    source = parts["CampaignHandler.py"].decode()
    assert f'IMPLEMENTATION = "{node.get(f"{OOR_NS}name")}"' in source
    assert (
        protocol == libreoffice.PROTOCOL + "*" and f'PROTOCOL = "{libreoffice.PROTOCOL}"' in source
    )
    from campaign_report import macros

    for button in buttons:
        command = button["URL"].removeprefix(libreoffice.PROTOCOL)
        assert callable(getattr(macros, command))


# -- the clicks --


def test_validate_colours_and_notes_the_planted_error_as_the_cli_marks_it(
    clicked: dict[str, Any], planted: tuple[Path, str]
) -> None:
    before, after = clicked["before"], clicked["validate"]
    colours = _new_marks(after, before, "colours")
    notes = _new_marks(after, before, "notes")
    assert colours["走访!D5"] == 0xFFC7CE and "“对象类别”不能为空" in notes["走访!D5"]
    expected = _cli_marks(planted[0])  # the command line on the same file
    assert colours == {where: colour for where, (colour, _) in expected.items()}
    assert notes == {where: note for where, (_, note) in expected.items()}
    assert after["status"] == "校验完成：1个错误，0个警告。"  # the example itself draws none


def test_the_issue_list_equals_the_cli_and_its_links_lead_to_the_cells(
    clicked: dict[str, Any], planted: tuple[Path, str]
) -> None:
    sheet = clicked["validate"][outputs.ISSUES_SHEET]
    assert sheet["top"] == [1, 1]
    values, formulas = sheet["values"], sheet["formulas"]
    assert values[2][: len(outputs.ISSUE_HEADERS)] == list(outputs.ISSUE_HEADERS)
    result, _ = check_file(planted[0], write=False)
    expected = outputs.issue_rows(result, outputs.cell_marks(result))
    width = len(outputs.ISSUE_HEADERS)
    rows = [r[:width] for r in values[3 : 3 + len(expected)]]
    assert rows == [[str(v) for v in row] for row in expected]
    assert rows[0][:3] == ["错误", "走访", "D5"]
    for row, issue in zip(formulas[3:], result.issues, strict=False):
        link = row[outputs.CELL_COLUMN]
        assert (
            link.startswith("=HYPERLINK(")
            and clicked["links"][link] == f"{issue.sheet}!{issue.cell}"
        )
    assert len(clicked["links"]) == len(result.issues)


def test_a_rerun_clears_only_the_tools_own_marks(clicked: dict[str, Any]) -> None:
    first, again = clicked["validate"], clicked["revalidate"]
    assert "走访!D5" not in again["notes"] and "走访!D5" not in again["colours"]
    for key in ("colours", "notes"):  # every other mark, the tool's or the user's, as it was
        kept = {k: v for k, v in first[key].items() if k != "走访!D5"}
        assert _users_sheets(again[key]) == _users_sheets(kept)
    name, cell, note, colour = USER_NOTE
    assert again["notes"][f"{name}!{cell}"] == note  # the user's own note and colour stay
    assert again["colours"][f"{name}!{cell}"] == int(colour, 16)
    assert again["status"] == "校验通过：没有发现问题。"


def test_aggregate_writes_the_cli_figures_and_the_totals_add_up(
    clicked: dict[str, Any], planted: tuple[Path, str], tmp_path: Path
) -> None:
    fixed = Path(shutil.copy(planted[0], tmp_path / "台账.xlsm"))
    book = openpyxl.load_workbook(fixed, keep_vba=True)
    book["走访"]["D5"] = planted[1]
    book.save(fixed)
    summary, _ = summarise_file(fixed, tmp_path / "汇总.xlsx")
    seen = clicked["aggregate"]
    grid = seen[outputs.SUMMARY_SHEET]["values"]
    plan = outputs.summary_plan(summary, [CONTROL_SHEET])
    for block in (b for b in plan.blocks if b.sheet == outputs.SUMMARY_SHEET):
        for r, row in enumerate(block.values):
            for c, value in enumerate(row):
                got = grid[block.row - 1 + r][block.col - 1 + c]
                assert got == (float(value) if isinstance(value, int) else value)
    per_unit = next(b for b in plan.blocks if b.values[0][0] == "单位").values
    at = next(i for i, r in enumerate(grid) if r[0] == "单位")
    table = grid[at : at + len(per_unit)]
    assert table[-1][0] == "合计"
    for col in range(1, len(table[0])):
        assert table[-1][col] == sum(r[col] for r in table[1:-1])
    assert sorted(seen["charts"][outputs.SUMMARY_SHEET]) == sorted(
        title for _, title in outputs.UNIT_CHARTS
    )
    assert seen["status"] == "汇总完成，见“汇总”表。"


def test_the_report_is_written_beside_the_workbook_with_the_cli_text(
    clicked: dict[str, Any], planted: tuple[Path, str], tmp_path: Path
) -> None:
    path = planted[0]
    written = path.with_name("台账.工作总结.docx")
    assert clicked["report"]["status"] == f"已生成工作总结：{written}"
    fixed = Path(shutil.copy(path, tmp_path / "台账.xlsm"))
    book = openpyxl.load_workbook(fixed, keep_vba=True)
    book["走访"]["D5"] = planted[1]
    book.save(fixed)
    cli = report_file(fixed, tmp_path / "cli.docx")["报告"]

    def text(p: Path) -> list[str]:
        return [par.text for par in docx.Document(str(p)).paragraphs]

    assert text(written) == text(cli)
    assert any("全系统86名干部职工共走访企业120余家" in t for t in text(written))


def test_an_unsaved_document_is_asked_to_be_saved_first(clicked: dict[str, Any]) -> None:
    assert clicked["unsaved_url"] == ""
    assert clicked["unsaved_report"]["status"] == (
        "未完成：请先把工作簿保存到文件夹中，报告会保存在工作簿旁边"
    )


# -- setup-libreoffice --

FAKE_UNOPKG = """#!/bin/sh
echo "$@" >> "{log}"
for a in "$@"; do case "$a" in *.oxt) cp "$a" "{keep}";; esac; done
"""


def test_setup_records_where_the_product_is_so_libreoffices_python_imports_it(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    python = uno_python()
    same_python_version(python)
    bin_dir, log, keep = tmp_path / "bin", tmp_path / "unopkg.log", tmp_path / "installed.oxt"
    bin_dir.mkdir()
    fake = bin_dir / "unopkg"
    fake.write_text(FAKE_UNOPKG.format(log=log, keep=keep))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    profile = tmp_path / "profile"

    assert cli_main(["setup-libreoffice", "--profile", str(profile)]) == 0
    said = capsys.readouterr().out
    assert "已为当前用户安装 LibreOffice 扩展" in said and "请重启 LibreOffice" in said
    (call,) = log.read_text().splitlines()
    assert call.split()[:3] == ["add", "--force", f"-env:UserInstallation={profile.as_uri()}"]
    with zipfile.ZipFile(keep) as archive:
        paths = json.loads(archive.read(libreoffice.PATHS_PART))
    probe = (
        "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
        "import campaign_report.adapters.uno_book, pandas; "
        "print(campaign_report.adapters.uno_book.__file__)"
    )
    done = subprocess.run([python, "-c", probe, json.dumps(paths)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parent.parent == Path(libreoffice.__file__).parent

    assert cli_main(["setup-libreoffice", "--remove", "--profile", str(profile)]) == 0
    assert log.read_text().splitlines()[1].split()[0::2] == ["remove", libreoffice.IDENTIFIER]
    assert "已卸载" in capsys.readouterr().out


def test_the_macros_import_no_office_library() -> None:
    code = (
        "import sys, campaign_report.macros; "
        "print(sorted(m for m in ('xlwings', 'uno') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_plan_is_plain_json_data(example: Path) -> None:
    result, _ = check_file(example, write=False)
    plan = outputs.validation_plan(result, ["走访", "活动"], [])
    again = json.loads(json.dumps(plan.to_json_dict(), ensure_ascii=False))
    assert again["status"]["text"] == result.summary_line()
    assert again["blocks"][1]["values"][0] == list(outputs.ISSUE_HEADERS)
    assert {(lk["sheet"], lk["cell"]) for lk in again["blocks"][1]["links"]} == {
        (i.sheet, i.cell) for i in result.issues if i.cell and i.sheet in ("走访", "活动")
    }


def test_a_plan_caps_the_marks_and_says_how_many_were_left(example: Path, edit) -> None:
    editor = edit(example)
    for row in (3, 4, 5):  # the example alone has nothing to mark
        editor.set("走访", row, "对象类别", "工厂")
    editor.save()
    result, _ = check_file(example, write=False)
    names = sorted({i.sheet for i in result.issues})
    plan = outputs.validation_plan(result, names, [], max_marks=2)
    every = outputs.cell_marks(result)
    assert len(every) > 2 and plan.marks == every[:2]
    assert plan.skipped_marks == len(every) - 2
    assert plan.status.text.endswith(f"另有{len(every) - 2}处未标色，见校验结果表。")
    table = plan.blocks[1].values[1:]
    marked = [row for row in table if row[outputs.MARKED_COLUMN] == outputs.MARKED]
    assert {(r[1], r[outputs.CELL_COLUMN]) for r in marked} == {
        (m.sheet, m.address) for m in every[:2]
    }
