"""Shared fixtures: the definition, the bundled example built once, and a way to edit copies."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from campaign_report.definition import Definition, load_definition
from campaign_report.steps import build_example


def pytest_configure(config: pytest.Config) -> None:
    # xlwings' remote-interpreter book (the Excel macros' tests) needs a key when xlwings is
    # first imported; the noncommercial one covers government use. Tests only.
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    # Measured page layouts are kept between runs in the user's cache folder; the tests keep
    # theirs apart, one folder a session, so that each session measures afresh.
    os.environ["CAMPAIGN_REPORT_CACHE"] = tempfile.mkdtemp(prefix="campaign-report-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("CAMPAIGN_REPORT_CACHE", ""), ignore_errors=True)


@pytest.fixture(scope="session")
def definition() -> Definition:
    return load_definition()


@pytest.fixture(scope="session")
def example_master(tmp_path_factory: pytest.TempPathFactory, definition: Definition) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "示例台账.xlsx", definition)


@pytest.fixture
def example(tmp_path: Path, example_master: Path) -> Path:
    """A fresh copy of the example workbook that a test may change."""
    return Path(shutil.copy(example_master, tmp_path / "台账.xlsx"))


class Editor:
    """Edit a workbook copy by sheet name and column header, as a user would in Excel."""

    def __init__(self, path: Path, definition: Definition) -> None:
        self.path, self.definition = path, definition
        self.book = openpyxl.load_workbook(path)

    def col(self, sheet: str, header: str) -> int:
        headers = [c.value for c in self.book[sheet][1]]
        return headers.index(header) + 1

    def set(self, sheet: str, row: int, header: str, value: Any) -> tuple[int, int]:
        col = self.col(sheet, header)
        self.book[sheet].cell(row, col).value = value  # cell(r, c, None) would keep the old value
        return row, col

    def get(self, sheet: str, row: int, header: str) -> Any:
        return self.book[sheet].cell(row, self.col(sheet, header)).value

    def append(self, sheet: str, values: dict[str, Any]) -> int:
        ws = self.book[sheet]
        row = ws.max_row + 1
        for header, value in values.items():
            self.set(sheet, row, header, value)
        return row

    def find(self, sheet: str, header: str, value: Any) -> int:
        col = self.col(sheet, header)
        for row in range(2, self.book[sheet].max_row + 1):
            if self.book[sheet].cell(row, col).value == value:
                return row
        raise LookupError(value)

    def save(self) -> Path:
        self.book.save(self.path)
        return self.path


@pytest.fixture
def edit(definition: Definition) -> Callable[[Path], Editor]:
    return lambda path: Editor(path, definition)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def soffice_convert(path: Path, outdir: Path, target: str = "pdf") -> Path:
    """Convert with headless LibreOffice; a missing soffice skips locally and fails in CI."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice is not installed")
    profile = outdir / "lo-profile"
    completed = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    result = outdir / f"{Path(path).stem}.{target}"
    assert completed.returncode == 0, completed.stderr
    assert result.exists() and result.stat().st_size > 1000, completed.stdout + completed.stderr
    return result
