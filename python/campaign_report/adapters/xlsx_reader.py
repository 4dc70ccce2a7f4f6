"""Read a workbook file into raw sheets: one bulk pass a sheet, values only.

python-calamine (a Rust reader, ~9x faster than openpyxl on large sheets) is
used when installed; openpyxl's read-only mode otherwise. Both give the same
plain Python values (str, int, float, bool, date, datetime, None).
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..errors import BookReadError
from ..model import RawSheet
from ..progress import ticker

SUPPORTED = (".xlsx", ".xlsm", ".xltx", ".xltm")


def read_raw_sheets(
    path: Path,
    engine: str = "auto",
    only: Collection[str] | None = None,
    progress: Any = None,
) -> dict[str, RawSheet]:
    """Return every sheet of ``path`` (or those named in ``only``) as :class:`RawSheet`.

    A ``progress`` that can draw a bar (see :mod:`campaign_report.progress`) gets a tick a sheet.
    """
    path = Path(path)
    _check_file(path)
    if engine == "auto":
        engine = "calamine" if _has_calamine() else "openpyxl"
    try:
        if engine == "calamine" and _has_error_cells(path):
            engine = "openpyxl"
        read = _read_calamine if engine == "calamine" else _read_openpyxl
        return read(path, only, progress)
    except BookReadError:
        raise
    except Exception as error:  # a damaged file can fail deep inside either reader
        raise BookReadError(
            f"无法读取工作簿“{path.name}”：文件已损坏或不是 Excel 工作簿（{error}）"
        ) from error


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BookReadError(f"找不到文件“{path}”")
    if path.is_dir():
        raise BookReadError(f"“{path}”是文件夹，请指定一个 Excel 工作簿")
    if path.suffix.lower() == ".xls":
        raise BookReadError(f"“{path.name}”是旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再试")
    if not zipfile.is_zipfile(path):
        raise BookReadError(f"“{path.name}”不是 Excel 工作簿（.xlsx/.xlsm），或文件已加密、已损坏")


def _has_calamine() -> bool:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return False
    return True


def _has_error_cells(path: Path) -> bool:
    """True when a sheet holds an error value (#N/A, #DIV/0!…).

    python-calamine gives error cells as "" (blank), which would read a broken formula as an
    empty cell; openpyxl gives their text, so such a book is read with openpyxl.
    """
    marker, chunk = b't="e"', 1 << 20
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as member:
                tail = b""
                while block := member.read(chunk):
                    if marker in tail + block:
                        return True
                    tail = block[-len(marker) :]
    return False


def _read_openpyxl(path: Path, only: Collection[str] | None, progress: Any) -> dict[str, RawSheet]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {}
        wanted = [s for s in book.worksheets if only is None or s.title in only]
        tick = ticker(progress, "读取工作表", len(wanted))
        for sheet in wanted:
            sheet.reset_dimensions()  # trust the cells, not a stale <dimension> tag
            sheets[sheet.title] = RawSheet(sheet.title, list(sheet.iter_rows(values_only=True)))
            tick(sheet.title)
        return sheets
    finally:
        book.close()


def _read_calamine(path: Path, only: Collection[str] | None, progress: Any) -> dict[str, RawSheet]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheets = {}
    wanted = [name for name in book.sheet_names if only is None or name in only]
    tick = ticker(progress, "读取工作表", len(wanted))
    for name in wanted:
        sheet = book.get_sheet_by_name(name)
        rows = [
            tuple(_blank_to_none(v) for v in row) for row in sheet.to_python(skip_empty_area=False)
        ]
        sheets[name] = RawSheet(name, rows)
        tick(name)
    return sheets


def _blank_to_none(value: object) -> object:
    return None if value == "" else value
