"""The bundled example: the seed's 2008 campaign as readable CSV files, one per sheet."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

from .definition import ChoiceList, Column, Definition
from .model import LISTS_SHEET, RawSheet, read_lists
from .resources import workbook_dir

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAIN_INT = re.compile(r"^-?\d+$")


def example_dir() -> Path:
    return workbook_dir() / "example"


def examples_dir() -> Path:
    """The invented example campaigns (a township, a bureau of another trade), one folder each."""
    return workbook_dir() / "examples"


def example_folders() -> dict[str, Path]:
    """Every example campaign by name: the bundled one (示例) and the invented ones."""
    folders = {"示例": example_dir()}
    if examples_dir().is_dir():
        folders |= {p.name: p for p in sorted(examples_dir().iterdir()) if p.is_dir()}
    return folders


def load_example_lists(definition: Definition, folder: Path | None = None) -> dict[str, ChoiceList]:
    """The example's own 选项 rows (选项.csv), read as the book's 选项 sheet would be."""
    path = (folder or example_dir()) / f"{LISTS_SHEET}.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [[cell or None for cell in row] for row in csv.reader(handle)]
    return read_lists(definition, RawSheet(LISTS_SHEET, rows))


def load_example(
    definition: Definition, folder: Path | None = None
) -> tuple[dict[str, list], dict[str, Any]]:
    """Return (records by sheet key, settings by key) as a clerk would have typed them in Excel."""
    folder = folder or example_dir()
    settings = _load_settings(definition, folder / f"{definition.settings.name}.csv")
    records = {}
    for sheet in definition.tables:
        path = folder / f"{sheet.name}.csv"
        if path.exists():
            records[sheet.key] = _load_rows(sheet.columns, path)
    return records, settings


def _load_settings(definition: Definition, path: Path) -> dict[str, Any]:
    by_label = {item.header: item for item in definition.settings.columns}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        by_label[r["项目"]].key: as_typed(by_label[r["项目"]], r["内容"])
        for r in rows
        if r["项目"] in by_label
    }


def _load_rows(columns: tuple[Column, ...], path: Path) -> list[list[Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [[as_typed(c, row.get(c.header, "")) for c in columns] for row in rows]


def as_typed(column: Column, text: str) -> Any:
    """What Excel would store for this text: numbers and ISO dates as values, the rest as text."""
    if text is None or text == "":
        return None
    if column.type == "integer" and _PLAIN_INT.match(text):
        return int(text)
    if column.type in ("date", "daterange") and _ISO_DATE.match(text):
        return dt.date.fromisoformat(text)
    return text
