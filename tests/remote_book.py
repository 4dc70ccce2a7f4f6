"""Open a real .xlsx as xlwings' remote-interpreter book, so the macros run without Excel.

``xw.Book(json=payload)`` implements the object model the macros call and
records every write as an action (``book.json()["actions"]``). The payload is
what xlwings' Office.js client would send: each sheet's values anchored at A1,
dates as ISO strings, and the cells that carry a note.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl
import xlwings as xw

_COMMENT_REF = re.compile(rb'<comment ref="([A-Z]+[0-9]+)"')


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _notes(path: Path) -> dict[str, list[dict[str, str]]]:
    """Sheet title -> cells with a note, read from the comments parts."""
    book = openpyxl.load_workbook(path)
    return {
        ws.title: [{"address": c.coordinate} for row in ws.iter_rows() for c in row if c.comment]
        for ws in book.worksheets
    }


def payload(path: Path) -> dict[str, Any]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    notes = _notes(path)
    sheets = []
    for ws in book.worksheets:
        rows = [[_value(v) for v in row] for row in ws.iter_rows(values_only=True)]
        while rows and all(v == "" for v in rows[-1]):
            rows.pop()
        width = max((len(r) for r in rows), default=1)
        values = [r + [""] * (width - len(r)) for r in rows] or [[""]]
        last = f"{openpyxl.utils.get_column_letter(width)}{len(values)}"
        sheets.append(
            {
                "name": ws.title,
                "values": values,
                "pictures": [],
                "tables": [],
                "shapes": [],
                "charts": [],
                "notes": notes.get(ws.title, []),
                "visibility": "Visible",
                "print_area": None,
                "show_gridlines": True,
                "pivot_tables": [],
                "used_range_address": f"A1:{last}",
            }
        )
    book.close()
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {
            "name": Path(path).name,
            "active_sheet_index": 0,
            "selection": "A1",
            "calculation": "Automatic",
        },
        "names": [],
        "sheets": sheets,
    }


def open_remote(path: Path) -> Any:
    return xw.Book(json=payload(path))


def actions(book: Any) -> list[dict[str, Any]]:
    return book.json()["actions"]
