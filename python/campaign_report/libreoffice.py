"""The LibreOffice side: build the 活动汇总.oxt extension and install it for the user.

The extension is a zip of the text sources in ``addin/libreoffice/`` (see its
``META-INF/manifest.xml``), with one toolbar button for each action of
:data:`campaign_report.excel_build.MACROS`. Its Python handler imports the
product from the environment it was installed into: ``setup-libreoffice``
records those folders in the extension (``product-paths.json``) and adds it
with LibreOffice's extension manager (``unopkg``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from . import atomic
from .errors import CampaignError
from .excel_build import MACROS
from .resources import addin_dir

OXT_FILENAME = "活动汇总.oxt"
IDENTIFIER = "org.campaignreport.calc"
PROTOCOL = "org.campaignreport.calc:"
PATHS_PART = "product-paths.json"
CONTEXT = "com.sun.star.sheet.SpreadsheetDocument"
_BUTTONS_MARK = "<!-- BUTTONS -->"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # a reproducible zip: the same sources give the same bytes


def sources_dir() -> Path:
    return addin_dir() / "libreoffice"


def toolbar_buttons() -> list[tuple[str, str]]:
    """(caption, URL) of each button, in the order of the Excel ribbon."""
    return [(m.caption, PROTOCOL + m.python_function.rsplit(".", 1)[1]) for m in MACROS]


def _addons_xcu(template: str) -> str:
    nodes = []
    for number, (caption, url) in enumerate(toolbar_buttons(), start=1):
        props = {"URL": url, "Title": caption, "Target": "_self", "Context": CONTEXT}
        lines = "".join(
            f'          <prop oor:name="{name}" oor:type="xs:string">'
            f"<value>{escape(value)}</value></prop>\n"
            for name, value in props.items()
        )
        nodes.append(
            f'        <node oor:name="b{number:02d}" oor:op="replace">\n{lines}        </node>'
        )
    return template.replace(_BUTTONS_MARK, "\n".join(nodes))


def extension_parts(paths: Sequence[str] = ()) -> dict[str, bytes]:
    """Every part of the .oxt, by its name inside the zip."""
    root = sources_dir()
    parts = {}
    for file in sorted(root.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts:
            name = file.relative_to(root).as_posix()
            data = file.read_bytes()
            if name == "Addons.xcu":
                data = _addons_xcu(data.decode("utf-8")).encode("utf-8")
            parts[name] = data
    if paths:
        parts[PATHS_PART] = json.dumps(list(paths), ensure_ascii=False, indent=1).encode("utf-8")
    return parts


def build_extension(out: Path, paths: Sequence[str] = ()) -> Path:
    """Write 活动汇总.oxt; ``paths`` are folders the handler puts in front of ``sys.path``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic.atomic_path(out) as scratch, zipfile.ZipFile(scratch, "w") as archive:
        for name, data in extension_parts(paths).items():
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out


# -- setup-libreoffice --


def product_paths() -> list[str]:
    """The folders LibreOffice's Python needs to import the product and its dependencies."""
    package = Path(__file__).resolve().parent
    paths = [str(package.parent)]  # where campaign_report itself is (a checkout's python/)
    for key in ("purelib", "platlib"):
        folder = sysconfig.get_paths()[key]
        if folder not in paths:
            paths.append(folder)
    return paths


@dataclass(frozen=True)
class Office:
    """A LibreOffice installation: its unopkg, and the Python it runs extensions with."""

    unopkg: Path
    python: Path | None  # None: not found
    bundled: bool  # its own Python (Windows, macOS, TDF builds), not the system's


def find_office() -> Office:
    names = ("unopkg.com", "unopkg.exe", "unopkg") if os.name == "nt" else ("unopkg",)
    unopkg = next((Path(p) for n in names if (p := shutil.which(n))), None)
    if unopkg is None:
        for folder in _program_dirs():
            found = next((folder / n for n in names if (folder / n).is_file()), None)
            if found:
                unopkg = found
                break
    if unopkg is None:
        raise CampaignError("找不到 LibreOffice（unopkg）。请先安装 LibreOffice 7 或更新版本")
    program = unopkg.resolve().parent
    own = next((program / n for n in ("python.exe", "python") if (program / n).is_file()), None)
    if own is not None:
        return Office(unopkg, own, bundled=True)
    system = Path("/usr/bin/python3")
    return Office(unopkg, system if system.is_file() else None, bundled=False)


def _program_dirs() -> list[Path]:
    if os.name == "nt":
        bases = [os.environ.get(v, "") for v in ("ProgramFiles", "ProgramFiles(x86)")]
        return [Path(b) / "LibreOffice" / "program" for b in bases if b]
    return [
        Path("/usr/lib/libreoffice/program"),
        Path("/opt/libreoffice/program"),
        Path("/Applications/LibreOffice.app/Contents/MacOS"),
    ]


def python_version(python: Path) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        major, minor = done.stdout.split()
        return int(major), int(minor)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def as_root() -> bool:
    """unopkg refuses per-user installs as root: root installs for every user (--shared)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def install(
    office: Office, oxt_dir: Path, env_args: Sequence[str] = (), shared: bool = False
) -> list[str]:
    """Build the extension with this environment's paths and add it for the user.

    Returns what was done and what the user must still do, in Chinese, line by line.
    """
    oxt = build_extension(Path(oxt_dir) / OXT_FILENAME, product_paths())
    scope = ["--shared"] if shared else []
    _unopkg(office, ["add", "--force", *scope, *env_args, str(oxt)])
    who = "本机所有用户（以管理员身份运行）" if shared else "当前用户"
    said = [f"已为{who}安装 LibreOffice 扩展“活动汇总”（{OXT_FILENAME}）。"]
    said.append("已记录本工具所在的 Python 包目录，LibreOffice 的 Python 会从这里导入：")
    said += [f"  {p}" for p in product_paths()]
    said += _python_advice(office)
    said.append("请重启 LibreOffice，打开台账后在工具栏点“校验”“汇总”“生成报告”。")
    return said


def remove(office: Office, env_args: Sequence[str] = (), shared: bool = False) -> list[str]:
    _unopkg(office, ["remove", *(["--shared"] if shared else []), *env_args, IDENTIFIER])
    return ["已卸载 LibreOffice 扩展“活动汇总”。请重启 LibreOffice。"]


def _python_advice(office: Office) -> list[str]:
    ours = sys.version_info[:2]
    theirs = python_version(office.python) if office.python else None
    if office.bundled:
        pip = f'"{office.python}" -m pip install campaign-report'
        version = ".".join(map(str, theirs)) if theirs else "未知"
        return [
            f"注意：这个 LibreOffice 自带 Python（{office.python}，版本 {version}）。"
            "pandas 等带编译部分的包必须为它的版本安装：请用它自己的 Python 安装本工具，"
            f"例如 {pip}（Windows 上在“命令提示符”中运行；若提示没有 pip，"
            "先运行同一个 python.exe -m ensurepip），然后用它重新运行本命令。",
        ]
    if theirs is not None and theirs != ours:
        return [
            f"注意：LibreOffice 使用的 Python 是 {theirs[0]}.{theirs[1]}，本工具装在 "
            f"Python {ours[0]}.{ours[1]} 中，pandas 等包可能无法导入。请用 {office.python} "
            "创建虚拟环境（加 --system-site-packages）安装本工具后，在其中重新运行本命令。",
        ]
    return []


def _unopkg(office: Office, args: list[str]) -> None:
    try:
        done = subprocess.run(
            [str(office.unopkg), *args], capture_output=True, text=True, timeout=300, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise CampaignError(f"无法运行 LibreOffice 的扩展管理器（unopkg）：{error}") from error
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        hint = "（请先关闭所有 LibreOffice 窗口再试）"
        raise CampaignError(f"unopkg {args[0]} 失败：{detail[-1] if detail else ''}{hint}")
