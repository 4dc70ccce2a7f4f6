"""Progress on long steps: a tick a sheet while reading, a tick a part while writing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from campaign_report.steps import check_file


class Recording:
    """A host that can draw bars: records every line and every tick."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.bars: dict[str, tuple[int, list[str]]] = {}

    def __call__(self, message: str) -> None:
        self.lines.append(message)

    def bar(self, label: str, total: int):
        ticks: list[str] = []
        self.bars[label] = (total, ticks)
        return ticks.append


def test_reading_ticks_each_sheet_and_writing_each_part(example: Path) -> None:
    progress = Recording()
    _, out = check_file(example, progress=progress)
    total, sheets = progress.bars["读取工作表"]
    names = openpyxl.load_workbook(example, read_only=True).sheetnames
    assert sorted(sheets) == sorted(names) and total == len(sheets)  # once each, as loaded
    total, parts = progress.bars["写出"]
    import zipfile

    assert parts == zipfile.ZipFile(out).namelist() and total == len(parts)
    assert progress.lines[0].startswith("读取")


def test_the_cli_draws_bars_only_on_a_terminal(example: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "campaign_report", "validate", str(example), "--no-copy"]
    piped = subprocess.run(command, capture_output=True, text=True, env=os.environ | {})
    assert "读取工作表" not in piped.stderr  # no bar into a file or a pipe
    assert "读取“台账.xlsx”" in piped.stderr
