"""What a reader hands over: a sheet's values, and the error a cell shows.

Apart from :mod:`campaign_report.model` (which re-exports both) so that a reader can start
on a book before pandas is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class CellError(str):
    """A cell showing an Excel error value (#N/A, #DIV/0!, #REF! …): neither text nor blank.

    Readers hand it over in place of the value; reading reports it at its cell, as an error.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellError) and str.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(("CellError", str(self)))


@dataclass(frozen=True)
class RawSheet:
    """A sheet's cell values as an adapter read them, in one bulk pass.

    A blank cell is None or "" (calamine and LibreOffice give "", openpyxl and xlwings None).
    """

    name: str
    rows: Sequence[Sequence[Any]]
    first_row: int = 1  # Excel row number of rows[0]
    first_col: int = 1  # Excel column number of rows[i][0]
