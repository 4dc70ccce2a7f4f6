"""A corpus of broken and hostile workbooks, made from the bundled example at test time.

Each case is a folder holding one input ``台账.xlsx`` (or another name) and what the case
needs beside it (a read-only output, a read-only folder). ``kind`` says what the commands
must make of it: ``unreadable`` (every command exits 2), ``readable`` (validate 0/1, aggregate
0, report as validate, report --force 0) or ``unwritable`` (a command that writes exits 2).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.protection import WorkbookProtection

INPUT = "台账.xlsx"
UNREADABLE, READABLE, UNWRITABLE = "unreadable", "readable", "unwritable"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    folder: Path

    @property
    def book(self) -> Path:
        found = [p for p in self.folder.iterdir() if p.name.startswith("台账")]
        return min(found, key=lambda p: len(p.name))


Maker = Callable[[Path, Path], None]  # (example, target file) -> writes the target
MAKERS: dict[str, tuple[str, Maker]] = {}


def case(name: str, kind: str = READABLE) -> Callable[[Maker], Maker]:
    def register(function: Maker) -> Maker:
        MAKERS[name] = (kind, function)
        return function

    return register


def build_corpus(example: Path, root: Path) -> list[Case]:
    cases = []
    for name, (kind, make) in MAKERS.items():
        folder = root / name
        folder.mkdir(parents=True)
        make(example, folder / INPUT)
        cases.append(Case(name, kind, folder))
    return cases


# -- helpers --


def _edit(example: Path, target: Path, change: Callable[[Any], None]) -> None:
    book = openpyxl.load_workbook(example)
    change(book)
    book.save(target)


def _set(sheet: Any, header: str, row: int, value: Any) -> None:
    headers = [c.value for c in sheet[1]]
    sheet.cell(row, headers.index(header) + 1).value = value


def _setting_cells(book: Any, *labels: str) -> list[Any]:
    """The 内容 cells of the 设置 rows labelled one of ``labels``."""
    return [row[1] for row in book["设置"].iter_rows(min_row=2) if row[0].value in labels]


def _rewrite_zip(example: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Copy the example's zip with each member passed through ``change`` (None drops it)."""
    with zipfile.ZipFile(example) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)


def _sheet_part(example: Path, title: str) -> str:
    """The zip member of the sheet named ``title``."""
    with zipfile.ZipFile(example) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{title}"[^>]*r:id="(rId\d+)"', workbook)
    if rid is None:
        rid = re.search(rf'<sheet [^>]*r:id="(rId\d+)"[^>]*name="{title}"', workbook)
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


# -- not a workbook at all --


@case("not-a-zip", UNREADABLE)
def _not_zip(example: Path, target: Path) -> None:
    target.write_bytes(b"this is not a workbook\n" * 100)


@case("empty-file", UNREADABLE)
def _empty(example: Path, target: Path) -> None:
    target.write_bytes(b"")


@case("xls-renamed", UNREADABLE)
def _xls_renamed(example: Path, target: Path) -> None:
    target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088)


@case("encrypted", UNREADABLE)
def _encrypted(example: Path, target: Path) -> None:
    # An encrypted .xlsx is an OLE compound file holding EncryptionInfo and EncryptedPackage.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    body = "EncryptionInfo EncryptedPackage".encode("utf-16-le") + os.urandom(8192)
    target.write_bytes(header + body)


@case("truncated", UNREADABLE)
def _truncated(example: Path, target: Path) -> None:
    data = example.read_bytes()
    target.write_bytes(data[: len(data) // 2])


@case("zip-of-text", UNREADABLE)
def _zip_of_text(example: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("readme.txt", "hello")


@case("no-workbook-part", UNREADABLE)
def _no_workbook_part(example: Path, target: Path) -> None:
    _rewrite_zip(example, target, lambda n, d: None if n == "xl/workbook.xml" else d)


@case("broken-sheet-xml", UNREADABLE)
def _broken_sheet_xml(example: Path, target: Path) -> None:
    part = _sheet_part(example, "走访")
    _rewrite_zip(example, target, lambda n, d: d[: len(d) // 2] if n == part else d)


@case("xxe", UNREADABLE)
def _xxe(example: Path, target: Path) -> None:
    doctype = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/sharedStrings.xml" or name == "xl/workbook.xml":
            data = data.replace(b"?>", b"?>" + doctype, 1)
            data = data.replace(b"<t>", b"<t>&xxe;", 1)
        return data

    _rewrite_zip(example, target, change)


@case("billion-laughs", UNREADABLE)
def _billion_laughs(example: Path, target: Path) -> None:
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{"&l" + str(i - 1) + ";" * 1}{("&l" + str(i - 1) + ";") * 9}">'
        for i in range(1, 10)
    )
    doctype = f"<!DOCTYPE x [{entities}]>".encode()

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/sharedStrings.xml":
            data = data.replace(b"?>", b"?>" + doctype, 1).replace(b"<t>", b"<t>&l9;", 1)
        return data

    _rewrite_zip(example, target, change)


@case("zip-bomb", UNREADABLE)
def _zip_bomb(example: Path, target: Path) -> None:
    """A 1 GB sheet that compresses to about 1 MB."""
    part = _sheet_part(example, "走访")
    with (
        zipfile.ZipFile(example) as src,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info.filename, src.read(info.filename))
                continue
            original = src.read(info.filename)
            head, tail = original.split(b"<sheetData>")
            with dst.open(info.filename, "w", force_zip64=True) as stream:
                stream.write(head + b"<sheetData>")
                chunk = b" " * (1 << 20)
                for _ in range(1024):
                    stream.write(chunk)
                stream.write(b"</sheetData>" + tail.split(b"</sheetData>")[1])


@case("directory", UNREADABLE)
def _directory(example: Path, target: Path) -> None:
    target.mkdir()


# -- sheets --


@case("missing-sheet")
def _missing_sheet(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: b.remove(b["走访"]))


@case("renamed-sheet")
def _renamed_sheet(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: setattr(b["走访"], "title", "走访记录"))


@case("only-settings")
def _only_settings(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for sheet in list(book.worksheets):
            if sheet.title != "设置":
                book.remove(sheet)

    _edit(example, target, change)


@case("empty-workbook")
def _empty_workbook(example: Path, target: Path) -> None:
    openpyxl.Workbook().save(target)


@case("hidden-sheet")
def _hidden_sheet(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: setattr(b["走访"], "sheet_state", "hidden"))


@case("very-hidden-sheet")
def _very_hidden(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: setattr(b["单位"], "sheet_state", "veryHidden"))


@case("protected-sheet")
def _protected_sheet(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        book["走访"].protection.sheet = True
        book["走访"].protection.password = "secret"

    _edit(example, target, change)


@case("protected-workbook")
def _protected_workbook(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        book.security = WorkbookProtection(workbookPassword="secret", lockStructure=True)

    _edit(example, target, change)


@case("english-sheet-names")
def _english_names(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for number, sheet in enumerate(book.worksheets):
            sheet.title = f"Sheet{number + 1}"

    _edit(example, target, change)


@case("forged-issues-sheet")
def _forged_issues_sheet(example: Path, target: Path) -> None:
    """A 校验结果 sheet typed by a user, naming cells that do not exist."""

    def change(book: Any) -> None:
        sheet = book.create_sheet("校验结果", 0)
        sheet.append(["x"])
        for cell in ("ZZZZ99999999", "A0", "", "=1+1", "XFD1048576", "走访!A1"):
            sheet.append(["错误", "走访", cell, "", "", "", "", "", "是"])
        sheet.append(["错误", "不存在", "A1", "", "", "", "", "", "是"])

    _edit(example, target, change)


@case("forged-summary-sheet")
def _forged_summary_sheet(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book.create_sheet("汇总", 0)
        sheet["A1"] = "=SUM(1,2)"
        sheet.merge_cells("A1:D4")

    _edit(example, target, change)


@case("extra-sheets-and-chart")
def _extra_sheets(example: Path, target: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    def change(book: Any) -> None:
        sheet = book.create_sheet("用户自己的表")
        for n in range(1, 6):
            sheet.append([f"项{n}", n])
        chart = BarChart()
        chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=5))
        sheet.add_chart(chart, "D2")

    _edit(example, target, change)


# -- headers --


@case("renamed-header")
def _renamed_header(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: _set(b["走访"], "走访人", 1, "走访人员"))


@case("duplicate-header")
def _duplicate_header(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: _set(b["走访"], "对象名称", 1, "单位"))


@case("merged-header")
def _merged_header(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: b["走访"].merge_cells("A1:C1"))


@case("header-moved-down")
def _header_moved_down(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: b["走访"].insert_rows(1, 3))


@case("header-deleted")
def _header_deleted(example: Path, target: Path) -> None:
    _edit(example, target, lambda b: b["走访"].delete_rows(1))


@case("columns-moved")
def _columns_moved(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book["走访"]
        sheet.move_range(f"A1:A{sheet.max_row}", cols=sheet.max_column + 2)

    _edit(example, target, change)


@case("headers-with-spaces")
def _header_spaces(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for cell in book["走访"][1]:
            if isinstance(cell.value, str):
                cell.value = f" {cell.value[0]}\u3000{cell.value[1:]} \n"

    _edit(example, target, change)


# -- values --


def _fill(header: str, value: Any, rows: range = range(2, 8), sheet: str = "走访") -> Maker:
    def make(example: Path, target: Path) -> None:
        def change(book: Any) -> None:
            for row in rows:
                _set(book[sheet], header, row, value)

        _edit(example, target, change)

    return make


for _name, (_sheet, _header, _value) in {
    "formula-in-count": ("征求意见表", "发放份数", "=1+1"),
    "formula-in-unit": ("走访", "单位", "=A1&B1"),
    "formula-injection-unit": ("走访", "单位", "=cmd|' /C calc'!A0"),
    "formula-injection-plus": ("走访", "对象名称", "+SUM(1,2)"),
    "formula-injection-at": ("走访", "帮助解决事项", "@SUM(1,2)"),
    "formula-injection-minus": ("单位", "单位名称", "-2+3"),
    "text-1mb": ("走访", "情况记录", "长" * (1 << 20)),
    "text-32000-in-date": ("走访", "走访日期", "3月" + " " * 32000 + "10日"),
    "text-32000-digits": ("征求意见表", "发放份数", "9" * 32000),
    "text-32000-unit": ("走访", "单位", "所" * 32000),
    "control-chars": ("走访", "对象名称", "_x0001_a_x001F_b\tc\rd\x7f"),
    "emoji": ("走访", "走访人", "张三😀👨‍👩‍👧"),
    "rtl-text": ("走访", "对象名称", "\u202eشركة עברית\u202c"),
    "zero-width": ("走访", "单位", "\u200b\ufeff"),
    "bool-in-date": ("走访", "走访日期", True),
    "huge-number": ("征求意见表", "发放份数", 10**30),
    "negative-number": ("征求意见表", "回收份数", -5),
    "float-number": ("征求意见表", "发放份数", 1e308),
    "typo-unit": ("走访", "单位", "城区工商所所"),
    "unknown-unit": ("金点子", "推荐单位", "不存在的单位"),
    "far-future-date": ("走访", "走访日期", "9999-12-31"),
    "excel-serial-zero": ("走访", "走访日期", 0),
    "excel-serial-huge": ("走访", "走访日期", 10**12),
    "empty-strings": ("走访", "走访人", ""),
    "total-label-rows": ("走访", "单位", "合计"),
}.items():
    case(_name)(_fill(_header, _value, sheet=_sheet))


@case("error-values")
def _error_values(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book["征求意见表"]
        for row, error in zip(range(2, 6), ("#N/A", "#DIV/0!", "#VALUE!", "#REF!"), strict=True):
            _set(sheet, "发放份数", row, error)
            sheet.cell(row, [c.value for c in sheet[1]].index("发放份数") + 1).data_type = "e"

    _edit(example, target, change)


@case("error-values-text-columns")
def _error_values_text(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book["走访"]
        col = [c.value for c in sheet[1]].index("单位") + 1
        for row in range(2, 5):
            sheet.cell(row, col).value = "#NAME?"
            sheet.cell(row, col).data_type = "e"

    _edit(example, target, change)


@case("settings-emptied")
def _settings_emptied(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for row in book["设置"].iter_rows(min_row=2, min_col=2, max_col=2):
            row[0].value = None

    _edit(example, target, change)


@case("settings-period-huge")
def _settings_period_huge(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for cell in _setting_cells(book, "活动开始日期"):
            cell.value = "1900-01-01"
        for cell in _setting_cells(book, "活动结束日期"):
            cell.value = "9999-12-31"

    _edit(example, target, change)


@case("settings-formula-title")
def _settings_formula_title(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for cell in _setting_cells(book, "活动名称", "公文标题", "单位全称", "主送"):
            cell.value = '=HYPERLINK("http://example.com","点我")'
            cell.data_type = "s"

    _edit(example, target, change)


@case("settings-round-to-zero")
def _settings_round_to(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for cell in _setting_cells(book, "约数取整"):
            cell.value = 0

    _edit(example, target, change)


@case("rows-deleted")
def _rows_deleted(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        for sheet in book.worksheets[1:]:
            if sheet.title != "设置":
                sheet.delete_rows(2, sheet.max_row)

    _edit(example, target, change)


@case("blank-and-total-rows")
def _blank_total_rows(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book["走访"]
        sheet.insert_rows(5, 3)
        sheet.append(["合计", None, None, None, 999])

    _edit(example, target, change)


@case("duplicate-rows")
def _duplicate_rows(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book["金点子"]
        for row in list(sheet.iter_rows(min_row=2, values_only=True)):
            sheet.append(row)

    _edit(example, target, change)


@case("random-types-everywhere")
def _random_types(example: Path, target: Path) -> None:
    import datetime as dt

    values = [0, -1, 3.5, True, "", " ", "是", dt.datetime(1900, 1, 1), dt.time(12, 0), "3月32日"]

    def change(book: Any) -> None:
        for sheet in book.worksheets:
            for number, row in enumerate(sheet.iter_rows(min_row=2, max_row=6)):
                for offset, cell in enumerate(row):
                    cell.value = values[(number + offset) % len(values)]

    _edit(example, target, change)


@case("macro-workbook")
def _macro_workbook(example: Path, target: Path) -> None:
    shutil.copy(example, target)
    target.rename(target.with_suffix(".xlsm"))


@case("dimension-lies")
def _dimension_lies(example: Path, target: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
        return data

    _rewrite_zip(example, target, change)


@case("sixteen-thousand-columns")
def _wide(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        sheet = book["走访"]
        for col in range(8, 16001):
            sheet.cell(1, col, f"列{col}")
            sheet.cell(2, col, col)

    _edit(example, target, change)


@case("million-empty-formatted-rows")
def _million_rows(example: Path, target: Path) -> None:
    """Rows 200..1 000 199 formatted (a fill) but empty, as a select-all-and-colour leaves."""
    part = _sheet_part(example, "走访")

    def change(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        head, rest = data.split(b"</sheetData>")
        rows = io.BytesIO()
        for row in range(200, 1_000_200):
            rows.write(b'<row r="%d" s="1" customFormat="1"/>' % row)
        return head + rows.getvalue() + b"</sheetData>" + rest

    _rewrite_zip(example, target, change)


@case("last-cell-far-away")
def _last_cell_far(example: Path, target: Path) -> None:
    def change(book: Any) -> None:
        book["走访"]["XFD1048576"] = "x"

    _edit(example, target, change)


# -- outputs that must not be replaced, and places that cannot be written --


def _readonly(path: Path) -> None:
    path.chmod(stat.S_IREAD)


@case("readonly-outputs", UNWRITABLE)
def _readonly_outputs(example: Path, target: Path) -> None:
    shutil.copy(example, target)
    for name in ("台账.校验.xlsx", "台账.汇总.xlsx", "台账.工作总结.docx"):
        shutil.copy(example, target.with_name(name))
        _readonly(target.with_name(name))


@case("readonly-folder", UNWRITABLE)
def _readonly_folder(example: Path, target: Path) -> None:
    shutil.copy(example, target)
    target.parent.chmod(stat.S_IREAD | stat.S_IEXEC)


@case("edited-outputs")
def _edited_outputs(example: Path, target: Path) -> None:
    """Outputs a clerk has since corrected (not the tool's own bytes): they are kept."""
    shutil.copy(example, target)
    for name in ("台账.校验.xlsx", "台账.汇总.xlsx", "台账.工作总结.docx"):
        shutil.copy(example, target.with_name(name))


@case("readonly-input")
def _readonly_input(example: Path, target: Path) -> None:
    shutil.copy(example, target)
    _readonly(target)


def release(cases: list[Case]) -> None:
    """Give write access back so that pytest can clean up."""
    for item in cases:
        item.folder.chmod(0o755)
        for path in item.folder.iterdir():
            if not path.is_dir():
                path.chmod(0o644)
