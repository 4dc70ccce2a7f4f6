"""The facts of the PC around Excel, behind one small interface that tests fake.

``doctor`` and ``setup-excel`` read (and ``setup-excel`` writes) the Windows registry,
the ``Zone.Identifier`` stream of downloaded files, PATH and the user's folders only
through :class:`OfficePC`. :class:`LocalPC` is the real machine; the tests pass a fake
Windows PC built in a temporary folder, so every check runs on Linux too.

Registry keys are written ``"HKCU\\Software\\..."``: the hive first, backslashes between.
"""

from __future__ import annotations

import locale
import os
import platform
import shutil
import sys
from importlib import metadata, util
from pathlib import Path
from typing import Protocol

RegistryValue = str | int

HIVES = ("HKCU", "HKLM", "HKCR")


class OfficePC(Protocol):
    """What doctor and setup-excel need to know about (and change on) the PC."""

    system: str  # platform.system(): "Windows", "Linux", "Darwin"
    executable: str  # the Python running now (sys.executable)
    ansi_encoding: str  # the code page VBA's Open/Input # read text files in (Windows "ANSI")

    def home(self) -> Path:
        """%USERPROFILE% (or ~)."""
        ...

    def env(self, name: str) -> str | None:
        """An environment variable (APPDATA, LOCALAPPDATA, ...)."""
        ...

    def which(self, program: str) -> str | None:
        """What PATH finds for ``program``, as cmd.exe would run it."""
        ...

    def package(self, name: str) -> tuple[str, Path] | None:
        """An installed distribution's version and its package folder, or None."""
        ...

    def reg_get(self, key: str, name: str = "") -> RegistryValue | None:
        """One registry value (``""`` is the key's default value), None when absent."""
        ...

    def reg_subkeys(self, key: str) -> list[str]:
        """The names of a key's subkeys; empty when the key is absent."""
        ...

    def reg_set(self, key: str, name: str, value: RegistryValue) -> None:
        """Write a REG_SZ (str) or REG_DWORD (int) value, creating the key."""
        ...

    def reg_delete(self, key: str) -> None:
        """Delete a key that has no subkeys, with its values; absent is fine."""
        ...

    def zone_identifier(self, path: Path) -> str | None:
        """The text of ``path``'s Zone.Identifier stream (Mark of the Web), None if unmarked."""
        ...


class LocalPC:
    """This machine: winreg and NTFS streams on Windows; elsewhere no registry and no marks."""

    def __init__(self) -> None:
        self.system = platform.system()
        self.executable = sys.executable
        # Python's "mbcs" codec is the Windows ANSI code page (936 on a Chinese PC).
        self.ansi_encoding = "mbcs" if self.system == "Windows" else locale.getpreferredencoding()

    def home(self) -> Path:
        return Path(os.environ.get("USERPROFILE") or Path.home())

    def env(self, name: str) -> str | None:
        return os.environ.get(name)

    def which(self, program: str) -> str | None:
        return shutil.which(program)

    def package(self, name: str) -> tuple[str, Path] | None:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
        spec = util.find_spec(name)  # locates the package without importing it
        if spec is None or spec.origin is None:
            return None
        return version, Path(spec.origin).parent

    def _open(self, key: str, write: bool = False):  # noqa: ANN202 - winreg.HKEYType
        import winreg

        hive, _, path = key.partition("\\")
        root = {
            "HKCU": winreg.HKEY_CURRENT_USER,
            "HKLM": winreg.HKEY_LOCAL_MACHINE,
            "HKCR": winreg.HKEY_CLASSES_ROOT,
        }[hive]
        if write:
            return winreg.CreateKeyEx(root, path, 0, winreg.KEY_WRITE)
        return winreg.OpenKey(root, path)

    def reg_get(self, key: str, name: str = "") -> RegistryValue | None:
        if self.system != "Windows":
            return None
        import winreg

        try:
            with self._open(key) as handle:
                value, _ = winreg.QueryValueEx(handle, name)
        except OSError:
            return None
        return value if isinstance(value, str | int) else None

    def reg_subkeys(self, key: str) -> list[str]:
        if self.system != "Windows":
            return []
        import winreg

        names = []
        try:
            with self._open(key) as handle:
                while True:
                    names.append(winreg.EnumKey(handle, len(names)))
        except OSError:  # absent key, or the end of the list
            return names

    def reg_set(self, key: str, name: str, value: RegistryValue) -> None:
        import winreg

        kind = winreg.REG_DWORD if isinstance(value, int) else winreg.REG_SZ
        with self._open(key, write=True) as handle:
            winreg.SetValueEx(handle, name, 0, kind, value)

    def reg_delete(self, key: str) -> None:
        import winreg

        parent, _, leaf = key.rpartition("\\")
        try:
            with self._open(parent, write=True) as handle:
                winreg.DeleteKey(handle, leaf)
        except FileNotFoundError:
            pass

    def zone_identifier(self, path: Path) -> str | None:
        if self.system != "Windows":
            return None
        try:  # an NTFS alternate data stream opens as "file:stream"
            with open(f"{path}:Zone.Identifier", encoding="utf-8", errors="replace") as stream:
                return stream.read()
        except OSError:
            return None
