"""``campaign-report doctor``: what on this PC stands between a click and a result.

One line a check, in Chinese, each with what to do. Everything about the PC is read
through :class:`~campaign_report.office_pc.OfficePC`, so the tests run every check
against faked Windows states. On Linux and macOS the Windows-only checks say so.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import excel_setup as es
from .excel_build import CONFIG_SHEET, XLWINGS_VERSION
from .office_pc import OfficePC

OK, INFO, WARN, PROBLEM, SKIP = "通过", "提示", "警告", "问题", "跳过"

EXCEL_APP_PATHS = (  # 64-bit Office (or 32-bit on 32-bit Windows), then 32-bit on 64-bit Windows
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\excel.exe",
    "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\App Paths\\excel.exe",
)
FILE_EXTS = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FileExts"
_WPS = re.compile(r"wps|kingsoft|\bket\b|\bket\.|(^|[\\/\s\"])et\.exe", re.IGNORECASE)
# The config rows a workbook's own xlwings.conf sheet must not list blank: a listed key wins
# over the user's file even when blank (see addin/README.md).
_OVERRIDING_KEYS = ("INTERPRETER_WIN", "INTERPRETER", "PYTHONPATH", "CONDA PATH", "CONDA ENV")


@dataclass(frozen=True)
class Check:
    status: str  # OK, INFO, WARN, PROBLEM or SKIP
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f" → {self.fix}" if self.fix else ""
        return f"[{self.status}] {self.name}：{self.detail}{fix}"


def run(pc: OfficePC, files: Sequence[Path] = ()) -> list[Check]:
    """Every check, in the order a user would fix them."""
    checks = [check_python(pc), *check_xlwings(pc)]
    if pc.system != "Windows":
        return [*checks, *_elsewhere(pc), *(c for f in files for c in check_file(pc, f))]
    version = es.office_versions(pc)[0]
    checks += [
        check_excel(pc),
        check_default_program(pc),
        check_macro_security(pc, version),
        check_trusted_locations(pc, version),
        check_addin(pc),
        *(check_interpreter(pc, which) for which in es.USER_CONFIGS),
    ]
    return [*checks, *(c for f in files for c in check_file(pc, f, version))]


def has_problem(checks: Iterable[Check]) -> bool:
    return any(c.status == PROBLEM for c in checks)


# --------------------------------------------------------------------------------------
# Python and xlwings
# --------------------------------------------------------------------------------------


def check_python(pc: OfficePC) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check(OK, "Python", f"{version}（{pc.executable}）")


def check_xlwings(pc: OfficePC) -> list[Check]:
    found = pc.package("xlwings")
    install = f"python -m pip install xlwings=={XLWINGS_VERSION}"
    if found is None:
        return [Check(PROBLEM, "xlwings", "未安装", install)]
    version, folder = found
    if version != XLWINGS_VERSION:
        return [
            Check(
                PROBLEM,
                "xlwings",
                f"装的是 {version}，而文件里的 VBA 按 {XLWINGS_VERSION} 生成",
                install,
            )
        ]
    checks = [Check(OK, "xlwings", version)]
    if pc.system != "Windows":
        checks.append(Check(SKIP, "xlwings DLL", "DLL 只随 Windows 版 xlwings 提供，此处不查"))
        return checks
    # The VBA module declares Lib "xlwings64-<version>.dll" (and the 32-bit one).
    wanted = [f"xlwings{bits}-{XLWINGS_VERSION}.dll" for bits in ("64", "32")]
    missing = [name for name in wanted if not (folder / name).is_file()]
    if missing:
        checks.append(
            Check(
                WARN,
                "xlwings DLL",
                f"{folder} 中缺少 {'、'.join(missing)}（VBA 声明的版本）",
                f"python -m pip install --force-reinstall xlwings=={XLWINGS_VERSION}",
            )
        )
    else:
        checks.append(Check(OK, "xlwings DLL", f"{wanted[0]} 与 VBA 声明的版本一致"))
    return checks


def _elsewhere(pc: OfficePC) -> list[Check]:
    where = "macOS" if pc.system == "Darwin" else pc.system
    if pc.system == "Darwin":
        excel = Path("/Applications/Microsoft Excel.app")
        found = (
            Check(OK, "Excel", str(excel))
            if excel.exists()
            else Check(
                WARN, "Excel", "未在“应用程序”中找到 Microsoft Excel", "没有 Excel 时用命令行"
            )
        )
    else:
        found = Check(
            SKIP, "Excel", f"{where} 上没有 Excel", "用命令行 validate / aggregate / report"
        )
    return [
        found,
        Check(
            SKIP,
            "Windows 设置",
            f"默认程序、宏安全级别、受信任位置、加载项和 Interpreter_Win 只能在 Windows 上检查，"
            f"{where} 上不查",
        ),
    ]


# --------------------------------------------------------------------------------------
# Excel and the programs around it
# --------------------------------------------------------------------------------------


def check_excel(pc: OfficePC) -> Check:
    path = next((p for key in EXCEL_APP_PATHS if (p := pc.reg_get(key))), None)
    if not isinstance(path, str) or not path:
        return Check(
            PROBLEM,
            "Excel",
            "未找到 Microsoft Excel",
            "按钮和功能区只能在 Microsoft Excel 中运行；没有 Excel 时用命令行 "
            "campaign-report validate / aggregate / report",
        )
    current = pc.reg_get("HKCR\\Excel.Application\\CurVer")
    version = str(current).rsplit(".", 1)[-1] if current else "?"
    return Check(OK, "Excel", f"已安装（版本 {version}）：{path}")


def check_default_program(pc: OfficePC) -> Check:
    """Which program a double-click on an .xlsm starts: Excel, WPS or something else."""
    progid = pc.reg_get(f"{FILE_EXTS}\\.xlsm\\UserChoice", "ProgId") or pc.reg_get("HKCR\\.xlsm")
    if not progid:
        return Check(WARN, "打开 .xlsm 的程序", "没有程序关联 .xlsm", _OPEN_WITH)
    command = pc.reg_get(f"HKCR\\{progid}\\shell\\open\\command") or pc.reg_get(
        f"HKCR\\{progid}\\shell\\Open\\command"
    )
    seen = f"{progid} {command or ''}"
    if _WPS.search(seen):
        return Check(
            PROBLEM,
            "打开 .xlsm 的程序",
            f"WPS（{progid}）。WPS 不能运行 xlwings 的按钮和功能区",
            _OPEN_WITH,
        )
    if "excel" in seen.casefold():
        return Check(OK, "打开 .xlsm 的程序", f"Microsoft Excel（{progid}）")
    return Check(
        WARN, "打开 .xlsm 的程序", f"不是 Excel：{progid} {command or ''}".strip(), _OPEN_WITH
    )


_OPEN_WITH = "右键 .xlsm 文件 → 打开方式 → 选择其他应用 → Excel，勾选“始终使用此应用打开”"

_VBA_WARNINGS = {
    1: (WARN, "启用所有宏（不安全，但按钮能运行）", "建议改为“禁用所有宏，并发出通知”"),
    2: (OK, "禁用所有宏，并发出通知：打开文件时点“启用内容”", ""),
    3: (
        WARN,
        "只启用数字签名的宏：本软件的宏没有签名，会被禁用",
        "把文件放在受信任位置（setup-excel 可添加），或在信任中心改为“禁用所有宏，并发出通知”",
    ),
    4: (
        PROBLEM,
        "禁用所有宏且不通知：按钮不会有任何反应",
        "把文件放在受信任位置（setup-excel 可添加），或在 文件 → 选项 → 信任中心 → 宏设置 中"
        "改为“禁用所有宏，并发出通知”",
    ),
}


def check_macro_security(pc: OfficePC, version: str) -> Check:
    policy = pc.reg_get(
        f"HKCU\\Software\\Policies\\Microsoft\\Office\\{version}\\Excel\\Security", "VBAWarnings"
    )
    user = pc.reg_get(f"{es.OFFICE_KEY}\\{version}\\Excel\\Security", "VBAWarnings")
    level = policy if isinstance(policy, int) else user if isinstance(user, int) else 2
    status, detail, fix = _VBA_WARNINGS.get(level, (WARN, f"未知级别 {level}", ""))
    if isinstance(policy, int):
        detail += "（由组策略设定）"
        fix = fix and "请 IT 把本软件的文件夹加为受信任位置"
    return Check(status, "宏安全级别", detail, fix)


def check_trusted_locations(pc: OfficePC, version: str) -> Check:
    if es.trusted_locations_disabled(pc, version):
        return Check(
            WARN,
            "受信任位置",
            "组策略禁用了自行添加的受信任位置",
            "打开文件时点“启用内容”，或请 IT 通过组策略添加本软件的文件夹",
        )
    template = es.template_folder(pc) / "x.xlsm"
    if es.is_trusted(pc, version, template):
        return Check(OK, "受信任位置", f"{template.parent} 是受信任位置")
    count = len(es.trusted_locations(pc, version))
    return Check(
        INFO,
        "受信任位置",
        f"共 {count} 个，不含模板文件夹 {template.parent}",
        "运行 campaign-report setup-excel --yes 添加（或打开文件时点“启用内容”）",
    )


def check_addin(pc: OfficePC) -> Check:
    path = es.addin_path(pc)
    if not path.is_file():
        return Check(
            WARN,
            "功能区加载项",
            f"未安装（{path} 不存在）；只用 .xlsm 的按钮时可不装",
            "运行 campaign-report setup-excel",
        )
    declared = vba_xlwings_version(path)
    if declared and declared != XLWINGS_VERSION:
        return Check(
            PROBLEM,
            "功能区加载项",
            f"{path} 的 VBA 按 xlwings {declared} 生成，本机是 {XLWINGS_VERSION}",
            "运行 campaign-report setup-excel 重新安装",
        )
    return Check(OK, "功能区加载项", f"已安装：{path}")


def check_interpreter(pc: OfficePC, which: str) -> Check:
    """The Python xlwings will start: Interpreter_Win of the user's file, else PATH's python."""
    name = "Python 路径（" + (".xlsm 按钮" if which == "xlsm" else "加载项") + "）"
    config = es.user_config_path(pc, which)
    values = es.read_config(config, pc.ansi_encoding)
    value = values.get(es.CONFIG_KEY) or values.get("INTERPRETER")
    setup = "运行 campaign-report setup-excel"
    if value:
        target = es.expand(pc, value)
        if not Path(target).is_file():
            return Check(PROBLEM, name, f"{config} 指向的 {target} 不存在", setup)
        if es.same_path(target, pc.executable):
            return Check(OK, name, f"{target}（{config}）")
        return Check(
            WARN,
            name,
            f"{config} 指向另一个 Python：{target}",
            f"那里也要装有 campaign-report 和 xlwings {XLWINGS_VERSION}；或{setup}改用当前 Python",
        )
    found = pc.which("python")
    if found is None:
        return Check(
            PROBLEM,
            name,
            "未设置 Interpreter_Win，PATH 上也没有 python：点按钮时 Excel 会报错",
            setup,
        )
    if "\\windowsapps\\" in found.casefold():
        return Check(
            PROBLEM,
            name,
            f"未设置 Interpreter_Win，PATH 上的 python 是应用商店的快捷方式（{found}）",
            f"{setup}；或在 设置 → 应用 → 高级应用设置 → 应用执行别名 中关掉 python.exe",
        )
    if es.same_path(found, pc.executable):
        return Check(OK, name, f"PATH 上的 python：{found}")
    return Check(
        WARN,
        name,
        f"未设置 Interpreter_Win，将用 PATH 上的 {found}，不是当前 Python",
        setup,
    )


# --------------------------------------------------------------------------------------
# The files the user names
# --------------------------------------------------------------------------------------


def check_file(pc: OfficePC, path: Path, version: str = "") -> list[Check]:
    path = Path(path)
    name = f"文件 {path.name}"
    if not path.is_file():
        return [Check(PROBLEM, name, f"找不到 {path}")]
    checks = [check_mark_of_the_web(pc, path, version)]
    if path.suffix.lower() in (".xlsm", ".xlam"):
        declared = vba_xlwings_version(path)
        if declared and declared != XLWINGS_VERSION:
            checks.append(
                Check(
                    PROBLEM,
                    name,
                    f"其中的 VBA 按 xlwings {declared} 生成，本机是 {XLWINGS_VERSION}",
                    "用 campaign-report new 或 setup-excel 生成新模板，把数据复制过去",
                )
            )
        blank = blank_config_rows(path)
        if blank:
            checks.append(
                Check(
                    WARN,
                    name,
                    f"隐藏表“{CONFIG_SHEET}”中 {'、'.join(blank)} 为空行，会盖过用户配置",
                    f"取消隐藏“{CONFIG_SHEET}”表，删除这些整行",
                )
            )
    return checks


def check_mark_of_the_web(pc: OfficePC, path: Path, version: str) -> Check:
    name = f"文件 {path.name}"
    if pc.system != "Windows":
        return Check(SKIP, name, "网络标记（Zone.Identifier）只在 Windows 上有，此处不查")
    zone = _zone_id(pc.zone_identifier(path))
    if zone is not None and zone >= 3:
        return Check(
            PROBLEM,
            name,
            "带有网络标记（来自互联网或邮件），Excel 会阻止其中的宏",
            f"右键文件 → 属性 → 勾选“解除锁定” → 确定；或在 PowerShell 中运行 "
            f"Unblock-File '{path}'",
        )
    trusted = es.is_trusted(pc, version, path) if version else None
    where = f"，位于受信任位置 {trusted.path}" if trusted else ""
    return Check(OK, name, f"没有网络标记{where}")


def _zone_id(text: str | None) -> int | None:
    match = re.search(r"^\s*ZoneId\s*=\s*(\d+)", text or "", re.MULTILINE)
    return int(match.group(1)) if match else None


def vba_xlwings_version(path: Path) -> str | None:
    """XLWINGS_VERSION as declared by the xlwings module inside a workbook or add-in."""
    try:
        from pyopenvba import ExcelFile

        with ExcelFile(path) as book:
            source = book.get_module("xlwings")
    except Exception:  # no project, no such module, an unreadable file: nothing to compare
        return None
    match = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', source)
    return match.group(1) if match else None


def blank_config_rows(path: Path) -> list[str]:
    """Keys listed blank in the book's xlwings.conf sheet, in the block xlwings reads."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # not a workbook openpyxl reads (an .xlam): nothing to report
        return []
    try:
        if CONFIG_SHEET not in book.sheetnames:
            return []
        blank = []
        for key, value, *_ in book[CONFIG_SHEET].iter_rows(max_col=2, values_only=True):
            if key in (None, ""):
                break  # xlwings reads from A1 down to the first empty cell
            if str(key).upper() in _OVERRIDING_KEYS and value in (None, ""):
                blank.append(str(key))
        return blank
    finally:
        book.close()
