"""A Windows office PC faked in a temporary folder, for doctor and setup-excel.

The registry is a dict; files (the user's home, APPDATA, Python, xlwings' DLLs) are real
files under the temporary folder; Zone.Identifier streams and PATH lookups are dicts.
:func:`office_pc` builds the usual PC: Excel 2016+ installed and opening .xlsm, macros
"disabled with notification", Excel's default trusted locations, python.org Python
installed but not on PATH, nothing of ours installed. Tests change one fact at a time.
"""

from __future__ import annotations

from pathlib import Path

from campaign_report.excel_build import XLWINGS_VERSION
from campaign_report.office_pc import RegistryValue

EXCEL_EXE = "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE"
OFFICE = "HKCU\\Software\\Microsoft\\Office\\16.0"
TRUSTED = f"{OFFICE}\\Excel\\Security\\Trusted Locations"
POLICY = "HKCU\\Software\\Policies\\Microsoft\\Office\\16.0\\Excel\\Security"
USER_CHOICE = (
    "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FileExts\\.xlsm\\UserChoice"
)
STORE_ALIAS = "C:\\Users\\张三\\AppData\\Local\\Microsoft\\WindowsApps\\python.exe"


class FakeWindowsPC:
    system = "Windows"

    def __init__(self, root: Path, ansi_encoding: str = "gbk") -> None:
        self.root = root
        self.ansi_encoding = ansi_encoding
        self._home = root / "Users" / "张三"
        self._home.mkdir(parents=True)
        self.environ = {
            "USERPROFILE": str(self._home),
            "APPDATA": str(self._home / "AppData" / "Roaming"),
            "LOCALAPPDATA": str(self._home / "AppData" / "Local"),
        }
        python = self._home / "AppData" / "Local" / "Programs" / "Python" / "Python311"
        python.mkdir(parents=True)
        (python / "python.exe").write_bytes(b"MZ")
        self.executable = str(python / "python.exe")
        self.xlwings_folder = python / "Lib" / "site-packages" / "xlwings"
        self.xlwings_folder.mkdir(parents=True)
        for bits in ("64", "32"):
            (self.xlwings_folder / f"xlwings{bits}-{XLWINGS_VERSION}.dll").write_bytes(b"MZ")
        self.xlwings_version: str | None = XLWINGS_VERSION
        self.on_path: dict[str, str] = {}
        self.zones: dict[Path, str] = {}
        self.registry: dict[str, dict[str, RegistryValue]] = {}

    # -- the OfficePC interface --

    def home(self) -> Path:
        return self._home

    def env(self, name: str) -> str | None:
        return self.environ.get(name)

    def which(self, program: str) -> str | None:
        return self.on_path.get(program)

    def package(self, name: str) -> tuple[str, Path] | None:
        assert name == "xlwings"
        return None if self.xlwings_version is None else (self.xlwings_version, self.xlwings_folder)

    def reg_get(self, key: str, name: str = "") -> RegistryValue | None:
        values = self._key(key)
        if values is None:
            return None
        return next((v for n, v in values.items() if n.casefold() == name.casefold()), None)

    def reg_subkeys(self, key: str) -> list[str]:
        prefix = key.casefold() + "\\"
        names: dict[str, str] = {}
        for full in self.registry:
            if full.casefold().startswith(prefix):
                child = full[len(prefix) :].split("\\", 1)[0]
                names.setdefault(child.casefold(), child)
        return list(names.values())

    def reg_set(self, key: str, name: str, value: RegistryValue) -> None:
        values = self._key(key)
        if values is None:
            values = self.registry[key] = {}
        values[name] = value

    def reg_delete(self, key: str) -> None:
        assert not self.reg_subkeys(key), "RegDeleteKey refuses a key with subkeys"
        for full in list(self.registry):
            if full.casefold() == key.casefold():
                del self.registry[full]

    def zone_identifier(self, path: Path) -> str | None:
        return self.zones.get(Path(path))

    # -- building states --

    def _key(self, key: str) -> dict[str, RegistryValue] | None:
        return next((v for k, v in self.registry.items() if k.casefold() == key.casefold()), None)

    def set(self, key: str, name: str, value: RegistryValue) -> FakeWindowsPC:
        self.reg_set(key, name, value)
        return self


def office_pc(root: Path) -> FakeWindowsPC:
    """The usual office PC before setup-excel (see the module docstring)."""
    pc = FakeWindowsPC(root)
    pc.set(
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\excel.exe", "", EXCEL_EXE
    )
    pc.set("HKCR\\Excel.Application\\CurVer", "", "Excel.Application.16")
    pc.set("HKCR\\.xlsm", "", "Excel.SheetMacroEnabled.12")
    pc.set(USER_CHOICE, "ProgId", "Excel.SheetMacroEnabled.12")
    pc.set("HKCR\\Excel.SheetMacroEnabled.12\\shell\\Open\\command", "", f'"{EXCEL_EXE}" "%1"')
    pc.set(f"{OFFICE}\\Excel\\Options", "Maximized", 1)
    # Excel's own defaults: the program's startup folder and the user's XLSTART (written with
    # this system's separator, as the other fake paths are).
    pc.set(f"{TRUSTED}\\Location0", "Path", "C:\\Program Files\\Microsoft Office\\XLSTART\\")
    pc.set(f"{TRUSTED}\\Location2", "Path", "%APPDATA%/Microsoft/Excel/XLSTART/")
    pc.set(f"{TRUSTED}\\Location2", "Description", "Excel default location: User StartUp")
    return pc
