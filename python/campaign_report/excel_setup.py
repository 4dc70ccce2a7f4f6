"""``campaign-report setup-excel``: make the Excel side work on this PC, and undo it.

What it does, each step idempotent:

1. writes ``INTERPRETER_WIN`` (this Python) into the user's xlwings config files, the
   ones the VBA reads: ``%USERPROFILE%\\.xlwings\\xlwings.conf`` for the .xlsm (its
   module's PROJECT_NAME is ``xlwings``) and ``%USERPROFILE%\\.myaddin\\myaddin.conf`` for
   the add-in (``myaddin``). VBA reads them with ``Open … For Input`` and ``Input #``: one
   ``"KEY","value"`` line each, CRLF, in the ANSI code page, the format xlwings' own
   ``xlwings config create`` writes;
2. builds the add-in into Excel's user startup folder (XLSTART), where
   ``xlwings addin install`` puts add-ins, so Excel loads it on start;
3. writes the .xlsm template, read-only, into ``文档\\活动汇总``: a file written here
   carries no download mark, so Excel does not block its macros, and a filled copy is
   saved under another name, which a later run or ``--remove`` never touches;
4. offers to add that folder as an Excel trusted location (HKCU registry);
5. (the command) runs doctor.

``--remove`` undoes each step, and only what setup wrote: a config line that names
another Python, or a trusted location someone else added, stays.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import atomic
from .errors import CampaignError
from .excel_build import ADDIN_FILENAME, TEMPLATE_FILENAME, build_addin
from .office_pc import OfficePC

CONFIG_KEY = "INTERPRETER_WIN"
# (folder, file) under %USERPROFILE%: the .xlsm's module, then the add-in's (PROJECT_NAME).
USER_CONFIGS = {"xlsm": (".xlwings", "xlwings.conf"), "xlam": (".myaddin", "myaddin.conf")}
TEMPLATE_FOLDER = "活动汇总"
TRUST_DESCRIPTION = "campaign-report"  # marks the trusted location setup added
OFFICE_KEY = "HKCU\\Software\\Microsoft\\Office"
DEFAULT_OFFICE_VERSION = "16.0"  # Excel 2016, 2019, 2021 and Microsoft 365

_CONFIG_LINE = re.compile(r'^\s*"([^"]*)"\s*,\s*"?([^"]*)"?\s*$')

Say = Callable[[str], None]
Ask = Callable[[str], bool]


# --------------------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------------------


def user_config_path(pc: OfficePC, which: str) -> Path:
    folder, name = USER_CONFIGS[which]
    return pc.home() / folder / name


def startup_folder(pc: OfficePC) -> Path:
    """Excel's per-user XLSTART: a trusted location by default, loaded on every start."""
    appdata = pc.env("APPDATA")
    base = Path(appdata) if appdata else pc.home() / "AppData" / "Roaming"
    return base / "Microsoft" / "Excel" / "XLSTART"


def addin_path(pc: OfficePC) -> Path:
    return startup_folder(pc) / ADDIN_FILENAME


def template_folder(pc: OfficePC) -> Path:
    return pc.home() / "Documents" / TEMPLATE_FOLDER


def installed_template(pc: OfficePC) -> Path:
    return template_folder(pc) / TEMPLATE_FILENAME


def expand(pc: OfficePC, text: str) -> str:
    """Expand %NAME% the way REG_EXPAND_SZ values and xlwings' config do."""
    return re.sub(r"%([^%]+)%", lambda m: pc.env(m.group(1)) or m.group(0), text)


def same_path(a: str | Path, b: str | Path) -> bool:
    """Windows paths compare without case and without a trailing separator."""
    return str(a).rstrip("\\/").casefold() == str(b).rstrip("\\/").casefold()


def office_versions(pc: OfficePC) -> list[str]:
    """The Office versions with Excel settings for this user, newest first (16.0 if none)."""
    found = [
        v
        for v in pc.reg_subkeys(OFFICE_KEY)
        if re.fullmatch(r"\d+\.0", v) and "Excel" in pc.reg_subkeys(f"{OFFICE_KEY}\\{v}")
    ]
    return sorted(found, key=lambda v: float(v), reverse=True) or [DEFAULT_OFFICE_VERSION]


# --------------------------------------------------------------------------------------
# The user's xlwings config files
# --------------------------------------------------------------------------------------


def read_config(path: Path, encoding: str) -> dict[str, str]:
    """The ``"KEY","value"`` lines of an xlwings config file, keys upper-cased as VBA matches."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_bytes().decode(encoding, errors="replace").splitlines():
        match = _CONFIG_LINE.match(line)
        if match:
            values.setdefault(match.group(1).upper(), match.group(2))
    return values


def write_config_value(path: Path, key: str, value: str | None, encoding: str) -> bool:
    """Set (or with None remove) one key, keeping every other line; True if the file changed.

    A file left with no line is deleted, so removal leaves no trace.
    """
    old = path.read_bytes().decode(encoding, errors="replace") if path.is_file() else ""
    lines = [
        line
        for line in old.splitlines()
        if line.strip() and not _is_key(line, key)  # xlwings drops blank lines too
    ]
    if value is not None:
        if '"' in value:
            raise CampaignError(f"路径“{value}”含有引号，xlwings 无法读取")
        lines.append(f'"{key}","{value}"')
    new = "".join(f"{line}\r\n" for line in lines)
    if new == old:
        return False
    if not lines:
        path.unlink(missing_ok=True)
        return True
    try:
        data = new.encode(encoding)
    except UnicodeEncodeError as error:
        raise CampaignError(
            f"路径“{value}”含有本机 ANSI 编码（{encoding}）写不出的字符，Excel 的宏读不到它；"
            "请把 Python 装到只含英文和常用汉字的路径下"
        ) from error
    atomic.write_bytes(path, data)
    return True


def _is_key(line: str, key: str) -> bool:
    match = _CONFIG_LINE.match(line)
    return bool(match) and match.group(1).upper() == key.upper()


# --------------------------------------------------------------------------------------
# Trusted locations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedLocation:
    key: str  # full registry key
    path: str  # expanded
    subfolders: bool
    description: str
    policy: bool  # set by Group Policy (cannot be changed by the user)


def trusted_locations(pc: OfficePC, version: str) -> list[TrustedLocation]:
    """Excel's trusted locations for this user: the user's own and the policy ones."""
    found = []
    for policy, root in (
        (False, f"{OFFICE_KEY}\\{version}\\Excel\\Security\\Trusted Locations"),
        (
            True,
            f"HKCU\\Software\\Policies\\Microsoft\\Office\\{version}\\Excel\\Security"
            "\\Trusted Locations",
        ),
    ):
        for name in pc.reg_subkeys(root):
            key = f"{root}\\{name}"
            path = pc.reg_get(key, "Path")
            if isinstance(path, str) and path:
                found.append(
                    TrustedLocation(
                        key,
                        expand(pc, path),
                        pc.reg_get(key, "AllowSubfolders") == 1,
                        str(pc.reg_get(key, "Description") or ""),
                        policy,
                    )
                )
    return found


def trusted_locations_disabled(pc: OfficePC, version: str) -> bool:
    """Group Policy "Disable all trusted locations" (or user locations not allowed)."""
    policy = f"HKCU\\Software\\Policies\\Microsoft\\Office\\{version}\\Excel\\Security"
    common = f"HKCU\\Software\\Policies\\Microsoft\\Office\\{version}\\Common\\Security"
    return (
        pc.reg_get(f"{policy}\\Trusted Locations", "AllLocationsDisabled") == 1
        or pc.reg_get(f"{common}\\Trusted Locations", "Allow User Locations") == 0
    )


def is_trusted(pc: OfficePC, version: str, file: Path) -> TrustedLocation | None:
    """The trusted location that covers ``file``'s folder, if any."""
    folder = str(Path(file).parent)
    for location in trusted_locations(pc, version):
        root = location.path.rstrip("\\/")
        if same_path(folder, root):
            return location
        inside = folder.casefold().startswith(root.casefold() + ("\\" if "\\" in root else "/"))
        if location.subfolders and inside:
            return location
    return None


def _our_trusted_keys(pc: OfficePC, version: str) -> list[str]:
    return [
        t.key
        for t in trusted_locations(pc, version)
        if not t.policy and t.description == TRUST_DESCRIPTION
    ]


def add_trusted_location(pc: OfficePC, version: str, folder: Path) -> bool:
    """Add ``folder`` for Excel ``version``; False when a location already covers it."""
    if any(same_path(t.path, folder) for t in trusted_locations(pc, version)):
        return False
    root = f"{OFFICE_KEY}\\{version}\\Excel\\Security\\Trusted Locations"
    names = {n.casefold() for n in pc.reg_subkeys(root)}
    # Excel names its own keys Location0, Location1, ...; take a free number well above them.
    number = next(n for n in range(20, 1000) if f"location{n}" not in names)
    key = f"{root}\\Location{number}"
    pc.reg_set(key, "Path", str(folder).rstrip("\\/") + "\\")
    pc.reg_set(key, "AllowSubfolders", 0)
    pc.reg_set(key, "Description", TRUST_DESCRIPTION)
    pc.reg_set(key, "Date", dt.datetime.now().strftime("%Y/%m/%d %H:%M"))
    return True


# --------------------------------------------------------------------------------------
# setup and remove
# --------------------------------------------------------------------------------------


def setup(pc: OfficePC, say: Say, ask: Ask) -> None:
    """Configure the interpreter, install the add-in and the template, offer to trust it."""
    _require_windows(pc)
    if "\\WindowsApps\\" in pc.executable:
        say(
            f"提示：当前 Python（{pc.executable}）来自应用商店；"
            "如 Excel 找不到它，请改装 python.org 版"
        )
    for which in USER_CONFIGS:
        path = user_config_path(pc, which)
        changed = write_config_value(path, CONFIG_KEY, pc.executable, pc.ansi_encoding)
        say(f"{'已写入' if changed else '已是最新'}：{path}（{CONFIG_KEY} = {pc.executable}）")
    addin = build_addin(addin_path(pc))
    say(f"已安装加载项：{addin}（重启 Excel 后出现“活动汇总”选项卡）")
    template = _write_template(template_folder(pc))
    say(f"已生成模板：{template}")
    version = office_versions(pc)[0]
    folder = template.parent
    if is_trusted(pc, version, template):
        say(f"“{folder}”已是受信任位置")
    elif trusted_locations_disabled(pc, version):
        say("本机的组策略不允许自行添加受信任位置；打开模板时点“启用内容”，或请 IT 添加")
    elif ask(f"把“{folder}”加为 Excel 的受信任位置（其中的文件打开时直接启用宏）？"):
        add_trusted_location(pc, version, folder)
        say(f"已加为受信任位置：{folder}")
    else:
        say("未添加受信任位置；打开模板时点“启用内容”即可（以后可运行 setup-excel --yes 添加）")


def remove(pc: OfficePC, say: Say) -> None:
    """Undo :func:`setup`: only what it wrote, nothing of the user's."""
    _require_windows(pc)
    for which in USER_CONFIGS:
        path = user_config_path(pc, which)
        value = read_config(path, pc.ansi_encoding).get(CONFIG_KEY)
        if value is not None and same_path(value, pc.executable):
            write_config_value(path, CONFIG_KEY, None, pc.ansi_encoding)
            say(f"已从 {path} 删除 {CONFIG_KEY}")
        elif value is not None:
            say(f"保留 {path} 中的 {CONFIG_KEY}（指向另一个 Python：{value}）")
    for path in (addin_path(pc), installed_template(pc)):
        if path.exists():
            path.chmod(stat.S_IREAD | stat.S_IWRITE)
            path.unlink()
            say(f"已删除：{path}")
    folder = template_folder(pc)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    for version in office_versions(pc):
        for key in _our_trusted_keys(pc, version):
            pc.reg_delete(key)
            say(f"已删除受信任位置：{key}")
    say("已撤销 setup-excel 所做的设置。")


def _write_template(folder: Path) -> Path:
    """Write the template read-only: Excel then saves a filled copy under a new name, so a
    later run (which replaces the template) or --remove never deletes the office's work."""
    from .steps import new_workbook

    path = folder / TEMPLATE_FILENAME  # installed_template
    if path.exists():
        path.chmod(stat.S_IREAD | stat.S_IWRITE)
    new_workbook(path)
    path.chmod(stat.S_IREAD)
    return path


def _require_windows(pc: OfficePC) -> None:
    if pc.system != "Windows":
        raise CampaignError(
            "setup-excel 只在 Windows 上配置 Excel；"
            "本机可直接用命令行 validate / aggregate / report"
        )
