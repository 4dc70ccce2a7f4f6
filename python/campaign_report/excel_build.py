"""Build the Excel side of the product: the control sheet of the .xlsm and the ribbon add-in.

Nothing here writes VBA from scratch. Both VBA projects are the ones the pinned
xlwings wheel ships (``quickstart_standalone.xlsm`` and ``quickstart_addin_ribbon.xlam``),
with one standard module's source replaced by pyOpenVBA from the reviewed text
sources in ``addin/``. The donors' ``xlwings`` module supplies ``RunPython``.
See /work/shared/notes/excel-artefacts.md for why, and ``addin/README.md`` for the
install steps on Windows.

Usage::

    python -m campaign_report.excel_build OUTDIR   # writes OUTDIR/活动汇总.xlam
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import atomic
from .resources import addin_dir

if TYPE_CHECKING:
    import xlsxwriter
    import xlsxwriter.worksheet

# --------------------------------------------------------------------------------------
# The three actions: the only place they are named
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Macro:
    """One button: the VBA Sub behind it, its caption, the Python it runs, a line of help."""

    vba_sub: str
    caption: str
    python_function: str  # dotted path, e.g. "campaign_report.macros.validate"
    help: str

    @property
    def run_python(self) -> str:
        """The VBA statement of the Sub (and of its ribbon callback)."""
        module, function = self.python_function.rsplit(".", 1)
        return f'RunPython "import {module} as m; m.{function}()"'

    @property
    def ribbon_callback(self) -> str:
        """The callback in the add-in's ribbon module, ``On<Sub>``."""
        return f"On{self.vba_sub}"


MACROS: tuple[Macro, ...] = (
    Macro(
        "Validate",
        "校验",
        "campaign_report.macros.validate",
        "检查各表的填写：必填项、日期、数字和下拉选项，并指出发现的问题。",
    ),
    Macro(
        "Summarize",
        "汇总",
        "campaign_report.macros.aggregate",
        "按单位和项目统计各表数据，写入汇总表。",
    ),
    Macro(
        "Report",
        "生成报告",
        "campaign_report.macros.generate_report",
        "根据“设置”表和汇总结果，生成工作总结（Word 文档）。",
    ),
    Macro(
        "MergeCopies",
        "合并",
        "campaign_report.macros.merge",
        "把工作簿旁边“各单位报表”文件夹里各单位发回的副本合并成新的台账，列出催报名单。",
    ),
)

CONTROL_SHEET = "控制台"
STATUS_CELL = "B12"  # the macros write their one-line result here
STATUS_LABEL_CELL = "A12"
CONFIG_SHEET = "xlwings.conf"  # read by the standalone xlwings module (PROJECT_NAME "xlwings")
ADDIN_FILENAME = "活动汇总.xlam"

# The embedded xlwings module calls a DLL named after this version, and the user's
# Python must have the same xlwings installed; the donors are taken from this wheel only.
XLWINGS_VERSION = "0.37.8"

# Module names inside the donor projects. They are kept, not renamed (see the .bas headers).
WORKBOOK_MODULE = "Module1"
RIBBON_MODULE = "RibbonMyAddin"

VbaKind = Literal["workbook", "addin"]


@dataclass(frozen=True)
class _Donor:
    package_file: str  # file inside the installed xlwings package
    module: str  # the standard module whose source is replaced
    source: str  # text source in addin/


_DONORS: dict[str, _Donor] = {
    "workbook": _Donor("quickstart_standalone.xlsm", WORKBOOK_MODULE, "WorkbookMacros.bas"),
    "addin": _Donor("quickstart_addin_ribbon.xlam", RIBBON_MODULE, "RibbonCampaign.bas"),
}

# MS-OVBA 2.3.4.1, example 3.1.1: _VBA_PROJECT without a performance cache, version
# 0xFFFF so that Office ignores any cache and compiles from source. The donors ship it.
VBA_PROJECT_STREAM = bytes.fromhex("cc61ffff000100")

# customUI: the Office 2007 schema pair (what xlwings.xlam itself uses).
CUSTOMUI_PART = "customUI/customUI.xml"
CUSTOMUI_NAMESPACE = "http://schemas.microsoft.com/office/2006/01/customui"
CUSTOMUI_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
_CUSTOMUI_REL_TYPE_2010 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"

_VBA_PART = "xl/vbaProject.bin"


# --------------------------------------------------------------------------------------
# VBA project
# --------------------------------------------------------------------------------------


# The Chinese texts of the VBA guards (addin/Guards.bas). The .bas holds "@NAME@", which
# the build fills with the text's UTF-16 code units, 4 hex digits each; the VBA turns them
# back with ChrW. So the source stays ASCII, as code page 1252 requires, and the texts are
# read and reviewed here. The three tags are the names steps.sibling gives the outputs of
# validate, aggregate and report (a test runs the CLI and compares).
VBA_TEXTS: dict[str, str] = {
    "CR_TITLE": "活动汇总",
    "CR_NO_BOOK": "请先打开要处理的台账工作簿，再点此按钮。",
    "CR_PROTECTED": "此工作簿在“受保护的视图”中打开。请先点黄色提示栏中的“启用编辑”，再点此按钮。",
    "CR_NOT_EXCEL": "这里的按钮只能在 Microsoft Excel 中运行，WPS 等程序不能运行。\n\n"
    "选“是”：用命令行处理已保存的本文件，完成后打开结果。\n"
    "选“否”：请改用 Microsoft Excel 打开本文件，再点按钮。",
    "CR_SAVE_FIRST": "请先保存工作簿（Ctrl+S），再点此按钮：命令行处理的是保存在磁盘上的文件。",
    "CR_CLI_FAILED": "命令行处理没有完成，原因见刚才的命令行窗口。"
    "可在命令提示符中运行 campaign-report doctor 检查本机。",
    "CR_FAILED": "无法运行 Python：",
    "CR_FAILED_HINT": "\n\n请在命令提示符中运行 campaign-report doctor 检查本机。"
    "安全软件可能拦截了 Excel 启动 cmd.exe，请 IT 放行（见使用说明）。",
    "CR_TAG_VALIDATE": "校验",
    "CR_TAG_AGGREGATE": "汇总",
    "CR_TAG_REPORT": "工作总结",
    "CR_TAG_MERGE": "合并",  # merge keeps the book's own suffix (.xlsm stays .xlsm)
}
GUARDS_SOURCE = "Guards.bas"


def vba_hex(text: str) -> str:
    """``text`` as UTF-16 code units, 4 hex digits each: what Guards.bas's CrText decodes."""
    data = text.replace("\n", "\r\n").encode("utf-16-be")  # MsgBox wants CRLF
    return data.hex().upper()


def vba_source(kind: VbaKind) -> str:
    """The module source for ``kind``: its addin/*.bas with Guards.bas inserted, CRLF, ASCII."""
    module = _ascii_source(_DONORS[kind].source)
    guards = re.sub(
        r"@(\w+)@", lambda m: vba_hex(VBA_TEXTS[m.group(1)]), _ascii_source(GUARDS_SOURCE)
    )
    head, marker, body = module.partition("Option Explicit\n")
    if not marker:
        raise RuntimeError(f"{_DONORS[kind].source} has no Option Explicit line")
    # VBA wants module-level declarations (the guards' Consts) before the first procedure.
    text = f"{head}{marker}\n{guards}\n{body}"
    return "\r\n".join(text.splitlines()) + "\r\n"


def _ascii_source(name: str) -> str:
    text = (addin_dir() / name).read_bytes().decode("ascii")  # keep VBA ASCII (cp1252)
    return "\n".join(text.splitlines()) + "\n"


def donor_path(kind: VbaKind) -> Path:
    """Locate the donor file in the installed xlwings package, refusing another version."""
    installed = metadata.version("xlwings")
    if installed != XLWINGS_VERSION:
        raise RuntimeError(
            f"xlwings {installed} is installed; the add-in is built from {XLWINGS_VERSION}"
        )
    spec = util.find_spec("xlwings")  # locates the package without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError("xlwings is not installed")
    return Path(spec.origin).parent / _DONORS[kind].package_file


def vba_project_bytes(kind: VbaKind) -> bytes:
    """Return the donor's vbaProject.bin with its macro module replaced by our source."""
    donor = _DONORS[kind]
    source = vba_source(kind)
    from pyopenvba import ExcelFile

    # pyOpenVBA edits whole packages, so it works on a throwaway copy of the donor.
    with tempfile.TemporaryDirectory(prefix="campaign-vba-") as tmp:
        copy = Path(tmp) / f"donor{Path(donor.package_file).suffix}"
        copy.write_bytes(donor_path(kind).read_bytes())
        with ExcelFile(copy) as book:
            book.set_module(donor.module, source)
            book.save()
        with zipfile.ZipFile(copy) as package:
            raw = package.read(_VBA_PART)
    return _normalise_project(raw)


def _normalise_project(raw: bytes) -> bytes:
    """Put back the two spec-form details pyOpenVBA's save departs from.

    It zeroes the last two bytes of the 7-byte _VBA_PROJECT (``cc61ffff000000``) and
    appends four zero bytes after the dir stream's Terminator/Reserved pair. Both are
    "ignored on read", but the donor form is what Excel already opens, so restore it.
    """
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, decompress

    cfb = CFB.from_bytes(raw)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    dir_stream = decompress(cfb.get_stream_in_storage("VBA", "dir"))
    padded_end = b"\x10\x00" + bytes(8)  # Terminator, Size 0, Reserved 0, 4 stray bytes
    if dir_stream.endswith(padded_end):
        cfb.write_stream_in_storage("VBA", "dir", compress(dir_stream[:-4]))
    return cfb.to_bytes()


def build_vba_project(kind: VbaKind, out_path: Path) -> Path:
    """Write the edited vbaProject.bin of the workbook or the add-in to ``out_path``."""
    out_path = Path(out_path)
    atomic.write_bytes(out_path, vba_project_bytes(kind))
    return out_path


# --------------------------------------------------------------------------------------
# Control sheet of the .xlsm (XlsxWriter)
# --------------------------------------------------------------------------------------

_FIRST_BUTTON_ROW = 3  # zero-based: buttons in rows 4, 6, 8, 10, a thin row after each
_BUTTON_SIZE = {"width": 128, "height": 36, "x_offset": 6, "y_offset": 4}

# The settings block of the xlwings.conf sheet, read from A1 down to the first empty cell in
# column A (key in A, value in B; column C is ours for hints). A key listed here wins over the
# user's %USERPROFILE%\\.xlwings\\xlwings.conf even when its value is blank, so the donor's
# blank rows (Interpreter_Win/_Mac, PYTHONPATH, Conda Path/Env, UDF Modules) are left out:
# the interpreter comes from the user's file, which `campaign-report setup-excel` writes.
# The Boolean keys keep the donor's FALSE: the VBA compares them with True, and an empty
# cell there (Empty compared with True) is a case xlwings never ships, so never tried.
_CONFIG_ROWS: tuple[tuple[str, bool, str], ...] = (
    ("Debug UDFs", False, "本工作簿不用"),
    ("Use UDF Server", False, "本工作簿不用"),
    ("Show Console", False, "改为 TRUE 时运行会显示命令行窗口，便于排查问题"),
)
_CONFIG_NOTES = (
    "说明：本表由 xlwings 读取，设置从 A1 开始，每行一项（A 列名称，B 列值）。",
    "Python 的路径由 campaign-report setup-excel 写入用户文件夹下的 .xlwings\\xlwings.conf。",
    "只想让本文件用另一个 Python 时，在上面的设置中插入一行：A 列 Interpreter_Win，"
    "B 列 python.exe 的完整路径（也可加 PYTHONPATH、Conda Path、Conda Env）。",
    "本表列出的项优先于用户文件中的同名设置，值为空也一样，所以不用的项不要列出。",
    "Python 环境须装有 xlwings " + XLWINGS_VERSION + " 和 campaign-report。",
)


def add_control_sheet(workbook: xlsxwriter.Workbook, title: str) -> None:
    """Add the 控制台 sheet (first), the hidden xlwings.conf sheet and the VBA project.

    Call it on a workbook whose filename ends in .xlsm, before adding any other sheet.
    """
    if workbook.worksheets():
        raise ValueError(f"add_control_sheet must add the first sheet ({CONTROL_SHEET})")
    workbook.add_vba_project(io.BytesIO(vba_project_bytes("workbook")), is_stream=True)
    # Bind to the donor's document modules: ThisWorkbook, Sheet1 (here 控制台), Sheet2.
    workbook.set_vba_name("ThisWorkbook")
    sheet = workbook.add_worksheet(CONTROL_SHEET)
    sheet.set_vba_name("Sheet1")
    _lay_out_control_sheet(workbook, sheet, title)
    _add_config_sheet(workbook)
    _no_code_names_after(workbook)


def _no_code_names_after(workbook: xlsxwriter.Workbook) -> None:
    """Give the sheets added after ours no codeName, so each codeName has its document module.

    XlsxWriter names every sheet of a workbook with a VBA project (Sheet3, Sheet4, ...), but
    the donor project has document modules for ThisWorkbook, Sheet1 and Sheet2 only. Excel
    would have to create the missing modules on open, which changes the project (a "save
    changes?" prompt on close). A sheet without a codeName is what Excel itself saves for a
    sheet whose module it has not created yet (one added by code before the VBA editor was
    opened), and it creates the module only when needed. Adding document modules instead
    would rewrite the PROJECT and dir streams, an edit nobody has checked in Excel.
    """
    add_worksheet = workbook.add_worksheet

    def add_without_code_name(*args: Any, **kwargs: Any) -> xlsxwriter.worksheet.Worksheet:
        sheet = add_worksheet(*args, **kwargs)
        sheet.vba_codename = ""  # not None: XlsxWriter adds no name; falsy: it writes none
        return sheet

    workbook.add_worksheet = add_without_code_name  # type: ignore[method-assign]


def _lay_out_control_sheet(
    workbook: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet, title: str
) -> None:
    title_format = workbook.add_format({"bold": True, "font_size": 18, "valign": "vcenter"})
    note_format = workbook.add_format({"font_color": "#595959", "valign": "vcenter"})
    help_format = workbook.add_format({"text_wrap": True, "valign": "vcenter"})
    label_format = workbook.add_format({"bold": True, "valign": "vcenter"})
    status_format = workbook.add_format(
        {"bg_color": "#F2F2F2", "bottom": 1, "border_color": "#BFBFBF", "valign": "vcenter"}
    )
    hint_format = workbook.add_format({"font_color": "#7F7F7F", "text_wrap": True, "valign": "top"})

    sheet.hide_gridlines(2)
    sheet.set_column("A:A", 20)
    sheet.set_column("B:B", 64)
    sheet.fit_to_pages(1, 0)  # printed or exported, the sheet stays one page wide
    sheet.set_row(0, 36)
    sheet.write("A1", title, title_format)
    sheet.write("A2", "点击左侧按钮运行对应操作，结果显示在下方“状态”一栏。", note_format)
    for index, macro in enumerate(MACROS):
        row = _FIRST_BUTTON_ROW + 2 * index
        sheet.set_row(row, 33)
        sheet.set_row(row + 1, 8)
        sheet.insert_button(
            row, 0, {"macro": macro.vba_sub, "caption": macro.caption, **_BUTTON_SIZE}
        )
        sheet.write(row, 1, f"{macro.caption}：{macro.help}", help_format)
    sheet.set_row(_cell_row(STATUS_CELL), 24)
    sheet.write(STATUS_LABEL_CELL, "状态：", label_format)
    sheet.write_blank(STATUS_CELL, None, status_format)
    sheet.set_row(13, 48)
    sheet.merge_range(
        "A14:B14",
        "首次使用前须在本机装好 Python 和 campaign-report，运行一次 campaign-report setup-excel，"
        "并允许本文件运行宏。有问题时运行 campaign-report doctor 本文件名，按提示处理。",
        hint_format,
    )
    sheet.activate()


def _add_config_sheet(workbook: xlsxwriter.Workbook) -> None:
    # Hidden: office users never need it, and it would sit between 控制台 and the data sheets.
    sheet = workbook.add_worksheet(CONFIG_SHEET)
    sheet.set_vba_name("Sheet2")  # the donor's Sheet2 is its _xlwings.conf sheet
    sheet.hide()
    sheet.set_column("A:A", 18)
    sheet.set_column("B:B", 40)
    sheet.set_column("C:C", 70)
    for row, (key, value, hint) in enumerate(_CONFIG_ROWS):
        sheet.write_string(row, 0, key)
        sheet.write_boolean(row, 1, value)
        sheet.write_string(row, 2, hint)
    first_note = len(_CONFIG_ROWS) + 1  # one empty row ends the settings block
    for offset, note in enumerate(_CONFIG_NOTES):
        sheet.write_string(first_note + offset, 0, note)


def _cell_row(cell: str) -> int:
    match = re.fullmatch(r"[A-Z]+([0-9]+)", cell)
    if match is None:
        raise ValueError(f"not a cell reference: {cell!r}")
    return int(match.group(1)) - 1


# --------------------------------------------------------------------------------------
# Ribbon add-in (.xlam)
# --------------------------------------------------------------------------------------


def build_addin(out_path: Path) -> Path:
    """Write the ribbon add-in: the donor .xlam with our customUI and VBA project.

    Everything else of the donor is kept, including its disabled ``_myaddin.conf``
    sheet: the add-in then reads ``myaddin.conf`` beside the workbook or in
    %USERPROFILE%\\.myaddin, and otherwise runs the ``python`` on PATH.
    """
    out_path = Path(out_path)
    replacements = {
        CUSTOMUI_PART: (addin_dir() / "customUI.xml").read_bytes(),
        _VBA_PART: vba_project_bytes("addin"),
    }
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(donor_path("addin")) as donor,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package,
    ):
        for info in donor.infolist():
            data = replacements.get(info.filename) or donor.read(info)
            if info.filename == "_rels/.rels":
                data = _use_2006_customui_type(data)
            # The donor's ZipInfo keeps names, order and timestamps: the build is reproducible.
            package.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    atomic.write_bytes(out_path, buffer.getvalue())
    return out_path


def _use_2006_customui_type(rels: bytes) -> bytes:
    # The donor mixes the 2010 relationship type with the 2006 namespace; use the 2006 pair.
    text = rels.decode("utf-8")
    if text.count(_CUSTOMUI_REL_TYPE_2010) == 1:
        text = text.replace(_CUSTOMUI_REL_TYPE_2010, CUSTOMUI_REL_TYPE)
    if text.count(CUSTOMUI_REL_TYPE) != 1 or f'Target="{CUSTOMUI_PART}"' not in text:
        raise RuntimeError("unexpected _rels/.rels in the donor add-in")
    return text.encode("utf-8")


# --------------------------------------------------------------------------------------
# Files and command line
# --------------------------------------------------------------------------------------


TEMPLATE_FILENAME = "活动台账模板.xlsm"


def build_excel_files(outdir: Path) -> dict[str, Path]:
    """Build the office files from the text sources: the .xlsm, the .xlam and LibreOffice's .oxt."""
    from .libreoffice import OXT_FILENAME, build_extension
    from .steps import new_workbook  # the template builder, which calls add_control_sheet

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    return {
        "带按钮的模板": new_workbook(outdir / TEMPLATE_FILENAME),
        "加载项": build_addin(outdir / ADDIN_FILENAME),
        "LibreOffice 扩展": build_extension(outdir / OXT_FILENAME),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write OUTDIR/活动台账模板.xlsm and OUTDIR/活动汇总.xlam from addin/."""
    parser = argparse.ArgumentParser(
        prog="python -m campaign_report.excel_build",
        description=f"Build {TEMPLATE_FILENAME} and {ADDIN_FILENAME} from addin/.",
    )
    parser.add_argument("outdir", type=Path, help="folder to write the two files into")
    parser.add_argument(
        "--vba",
        action="store_true",
        help="also write the two edited vbaProject.bin files, for inspection",
    )
    args = parser.parse_args(argv)
    for path in build_excel_files(args.outdir).values():
        print(path)
    if args.vba:
        for kind in ("workbook", "addin"):
            print(build_vba_project(kind, args.outdir / f"vbaProject-{kind}.bin"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
