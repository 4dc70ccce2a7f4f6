"""Write the merged book by editing the master's package parts, not by loading it whole.

openpyxl reads and rewrites every cell, style and part of a workbook; for a city's
book that is most of a merge's time. Here only the unit sheets' ``<sheetData>``, their
tables' ranges and a new 合并记录 sheet are written; every other part (styles, shared
strings, the roster, the VBA project of an .xlsm) is copied byte for byte. Kept master
rows are moved as their XML, so their styles and shared strings stay what they were.

It handles the books this tool builds and what Excel or LibreOffice save from them.
Whatever it does not know how to move safely (formulas, notes, hyperlinks, merged
cells in a data sheet; an existing 合并记录; a change of file type) makes
:func:`write` return None, and the caller falls back to the openpyxl writer.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import posixpath
import re
from collections.abc import Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape
from zipfile import BadZipFile, ZipFile

from ..atomic import atomic_path
from ..collect import LOG_SHEET, SOURCE_HEADER, MergeResult, OutRow, SheetRows
from ..model import column_letter, column_number
from .xlsx_package import Package, Unsupported

_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')
_NO_LETTERS = re.compile(rb'<c r="[^A-Z]')
_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>")
_ROW_NUMBER = re.compile(r'<row\b[^>]*?\br="(\d+)"')
_ROW_NUMBER_BYTES = re.compile(rb'[^>]*?\br="(\d+)"')  # in a row tag, after "<row "
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_STYLE = re.compile(r'\bs="(\d+)"')
_FORMULA = ("<f>", "<f ")
_UNSAFE_SHEET = (*_FORMULA, "<mergeCell", "<hyperlink", "<legacyDrawing")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
# A text cell after its address and style: the unit's text stays text, even one that starts =
_INLINE_OPEN, _INLINE_CLOSE = ' t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
_INLINE_OPEN_BYTES, _INLINE_CLOSE_BYTES = _INLINE_OPEN.encode(), _INLINE_CLOSE.encode()
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WORKSHEET_TYPE = _REL_NS + "/worksheet"
_WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


class _Unsupported(Exception):
    """Something this writer does not move safely: use the openpyxl writer."""


_CANNOT = (_Unsupported, Unsupported, KeyError, ValueError, UnicodeDecodeError, BadZipFile)


def write(
    master: Path,
    out: Path,
    result: MergeResult,
    prepared: Prepared | None,
) -> Path | None:
    """Write the merged book to ``out``; None when the openpyxl writer must do it.

    ``prepared``: :func:`prepare`'s, for this master (None: it found the master beyond this
    writer, and is not asked again).
    """
    if prepared is None or Path(master).suffix.lower() != Path(out).suffix.lower():
        return None
    try:
        with _Parts(prepared.package, master) as parts:
            _merge_parts(parts, prepared, result)
    except _CANNOT:
        return None
    with atomic_path(out) as scratch, open(scratch, "wb") as handle:
        prepared.package.save(handle)  # the parts merge did not change travel still compressed
    return Path(out)


def prepare(master: Path, tables: dict[str, SheetRows]) -> Prepared | None:
    """The master's side of the merged book, made before the merge plan (while the units'
    copies are still being read) from its unit sheets' ``tables``; None when the openpyxl
    writer must write it."""
    try:
        return Prepared(master, tables)
    except _CANNOT:
        return None


class Prepared:
    """What the merged book takes from the master alone: its package, the workbook's sheet
    list, and each unit sheet that has a header and a part, split into its rows
    (:class:`_SheetLayout`); a sheet without them keeps its rows as they are."""

    def __init__(self, master: Path, tables: dict[str, SheetRows]) -> None:
        self.package = Package(master)
        with _Parts(self.package, master) as parts:
            self.book = parts["xl/workbook.xml"].decode()
            self.rels = parts["xl/_rels/workbook.xml.rels"].decode()
            self.sheets = _sheet_parts(self.book, self.rels)
            if LOG_SHEET in self.sheets:
                raise _Unsupported("a 合并记录 sheet to replace")
            self.layouts = {
                key: _SheetLayout(parts[self.sheets[table.sheet.name]], table)
                for key, table in tables.items()
                if table.header_row is not None and table.sheet.name in self.sheets
            }


class _Parts:
    """The package's parts, read through one open zip (a Package opens its file per read).

    Writes go to the package, which saves them; reads take what was written, else the file's.
    """

    def __init__(self, package: Package, path: Path) -> None:
        self.package = package
        self.archive = ZipFile(path)
        self.written: dict[str, bytes] = {}

    def __enter__(self) -> _Parts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def __iter__(self) -> Iterator[str]:
        return iter(self.package)

    def __getitem__(self, name: str) -> bytes:
        if name in self.written:
            return self.written[name]
        if name not in self.package:
            raise KeyError(name)
        return self.archive.read(name)

    def __setitem__(self, name: str, data: bytes) -> None:
        self.written[name] = data
        self.package[name] = data

    def get(self, name: str, default: bytes | None = None) -> bytes | None:
        return self[name] if name in self.written or name in self.package else default


def _merge_parts(parts: _Parts, prepared: Prepared, result: MergeResult) -> None:
    for key, rows in result.plans.items():
        layout = prepared.layouts.get(key)
        if layout is None:
            continue
        table = layout.table
        path = prepared.sheets[table.sheet.name]
        xml, last_row, source_col = layout.rewrite(rows)
        parts[path] = xml
        for table_part in _table_parts(parts, path):
            parts[table_part] = _resize_table(
                parts[table_part].decode(), table.header_row, last_row, source_col
            ).encode()
    _add_log_sheet(parts, prepared.book, prepared.rels, result)


def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag))


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _sheet_parts(book: str, rels: str) -> dict[str, str]:
    """Sheet name -> part path, e.g. 走访 -> xl/worksheets/sheet7.xml."""
    targets = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        attrs = _attrs(tag)
        target = attrs["Target"]
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[attrs["Id"]] = posixpath.normpath(path)
    found = {}
    for tag in re.findall(r"<sheet\b[^>]*>", book):
        attrs = _attrs(tag)
        rid = next(v for k, v in attrs.items() if k.endswith(":id"))
        found[_unescape(attrs["name"])] = targets[rid]
    return found


def _table_parts(parts: _Parts, sheet_path: str) -> list[str]:
    folder, name = posixpath.split(sheet_path)
    rels = parts.get(f"{folder}/_rels/{name}.rels")
    if rels is None:
        return []
    found = []
    for tag in re.findall(r"<Relationship\b[^>]*>", rels.decode()):
        attrs = _attrs(tag)
        kind = attrs.get("Type", "")
        if kind.endswith("/table"):
            found.append(posixpath.normpath(posixpath.join(folder, attrs["Target"])))
        elif not kind.endswith(("/printerSettings", "/drawing")):
            raise _Unsupported(f"sheet relationship {kind}")
    return found


# -- a unit sheet --


class _SheetLayout:
    """A master's unit sheet split for the merged rows: all that is known before the plan.

    Rows stay UTF-8 bytes from the master's part to the merged one: a unit's texts (CJK) make
    a str twice the size, widened piece by piece when joined and encoded again at the end.
    What is rebuilt cell by cell (rarely) is made as text and encoded.
    """

    def __init__(self, xml: bytes, table: SheetRows) -> None:
        head, body, self.tail = _split_sheet_data(xml)
        self.head_xml = head.decode()
        _refuse_unsafe(body, self.tail.decode())
        self.table = table
        self.rows = _Rows(body)
        header = table.header_row
        self.above = self.rows.above(header)
        self.header_xml, self.source_col = _with_source_header(self.rows.get(header), header, table)
        self.styles = _column_styles(self.head_xml, self.rows.get(header + 1))
        self.mover = _Mover(body, self.source_col)

    def rewrite(self, rows: list[OutRow]) -> tuple[bytes, int, int]:
        """The sheet's XML with ``rows`` below the header; its last row and 合并来源 column."""
        table, by_number, styles, source_col = self.table, self.rows, self.styles, self.source_col
        header = table.header_row
        top = header + 1
        out = [x.encode() for x in [*self.above, self.header_xml]]
        # Every source text needs no escaping (the usual case): none is looked at again.
        plain = not _NEEDS_ESCAPE.search("".join([row.source for row in rows]))
        mover = self.mover
        mover.sources_plain = plain
        fresh = _NewRows(table, styles, source_col, plain)
        for number, row in enumerate(rows, start=top):
            if row.master is None:  # a row the master did not have
                out.append(fresh.row(number, row))
                continue
            if row.values is None:  # a row kept as it was: renumber it, add its source
                moved = mover.move(by_number.after_tag(row.master), row.master, number, row.source)
                if moved is not None:
                    out.append(moved)
                    continue
            out.append(_row_xml(number, row, by_number, table, styles, source_col).encode())
        last = top + len(rows) - 1 if rows else header
        head_xml = re.sub(
            r'<dimension ref="[^"]*"/>',
            f'<dimension ref="A1:{column_letter(max(source_col, 1))}{max(last, header)}"/>',
            self.head_xml,
        )
        out[:0] = [head_xml.encode(), b"<sheetData>"]
        out += [b"</sheetData>", self.tail]
        return b"".join(out), max(last, top), source_col


def _split_sheet_data(xml: bytes) -> tuple[bytes, bytes, bytes]:
    """The sheet's XML before ``<sheetData>``, the rows inside it, and what follows it."""
    start = xml.find(b"<sheetData")
    empty = _EMPTY_SHEET_DATA.match(xml, start) if start >= 0 else None
    if empty is not None:
        return xml[:start], b"", xml[empty.end() :]
    end = xml.find(b"</sheetData>", start)
    if start < 0 or end < 0 or not xml.startswith(b"<sheetData>", start):
        raise _Unsupported("no sheetData")
    return xml[:start], xml[start + len(b"<sheetData>") : end], xml[end + len(b"</sheetData>") :]


def _refuse_unsafe(body: bytes, tail_xml: str) -> None:
    """Formulas (in the rows), merged cells, links and notes (after them) are not moved here.

    One scan of the rows for ``<f`` (a formula, or a rich text run's font family), and the
    precise look only when it is there: the rows are most of a big sheet's XML.
    """
    formulas = b"<f" in body and any(mark.encode() in body for mark in _FORMULA)
    if formulas or any(mark in tail_xml for mark in _UNSAFE_SHEET):
        raise _Unsupported("formulas, merged cells, links or notes")


class _Rows:
    """A sheet's rows by number, split once on their tags (rows do not nest).

    Writers put rows in order and number them from the first without gaps, so row n is the
    piece n minus the first's number on: looked up there, and taken when it carries that
    number. Only a sheet whose rows are elsewhere gets a dict of every row (:func:`_rows`).
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pieces = body.split(b"<row ")  # each row's XML after its tag's name
        if self.pieces[0].strip():
            raise _Unsupported("text between rows")
        first = _ROW_NUMBER_BYTES.match(self.pieces[1]) if len(self.pieces) > 1 else None
        self.offset = int(first.group(1)) - 1 if first is not None else 0
        self.numbered: dict[int, str] | None = None

    def after_tag(self, number: int) -> bytes:
        """Row ``number``'s XML after ``<row ``; empty when the sheet has no such row."""
        at = number - self.offset
        if 0 < at < len(self.pieces) and self.pieces[at].startswith(b'r="%d"' % number):
            return self.pieces[at]
        found = self._numbered().get(number)
        return found[5:].encode() if found is not None else b""

    def get(self, number: int | None, default: str = "") -> str:
        """Row ``number``'s XML, as :func:`_rows` has it."""
        found = self.after_tag(number).decode().rstrip() if number is not None else ""
        if found and not found.endswith(("</row>", "/>")):
            raise _Unsupported("a row that does not end")
        return "<row " + found if found else default

    def above(self, header: int) -> list[str]:
        """The rows above the header, in order."""
        if header <= 1:  # the usual header row: no row is above it
            return []
        return [xml for n, xml in sorted(self._numbered().items()) if n < header]

    def _numbered(self) -> dict[int, str]:
        if self.numbered is None:
            self.numbered = _rows(self.body.decode())
        return self.numbered


def _rows(body: str) -> dict[int, str]:
    """Row number -> the row's XML, split on the row tags (rows do not nest)."""
    found = {}
    pieces = body.split("<row ")
    if pieces[0].strip():
        raise _Unsupported("text between rows")
    for piece in map(str.rstrip, pieces[1:]):
        digits = piece[3 : piece.find('"', 3)] if piece.startswith('r="') else ""
        if not digits.isdecimal():  # the number is not the first attribute
            number = _ROW_NUMBER.match("<row " + piece)
            digits = number.group(1) if number is not None else ""
        if not digits or not piece.endswith(("</row>", "/>")):
            raise _Unsupported("a row without its number")
        found[int(digits)] = "<row " + piece
    return found


def _cells(row_xml: str) -> dict[int, str]:
    found = {}
    for match in _CELL.finditer(row_xml):
        ref = _REF.search(match.group(0))
        if ref is None:
            raise _Unsupported("a cell without its address")
        found[column_number(ref.group(1))] = match.group(0)
    return found


def _with_source_header(row_xml: str, header: int, table: SheetRows) -> tuple[str, int]:
    cells = _cells(row_xml)
    if table.source_col is not None:  # a previous merge's column
        return row_xml, table.source_col
    filled = [c for c, x in cells.items() if "<v>" in x or "<is>" in x]
    col = max([*filled, *table.positions.values()]) + 1
    style = _STYLE.search(cells[max(filled)]) if filled else None
    cells[col] = _text_cell(
        f"{column_letter(col)}{header}", SOURCE_HEADER, style and style.group(1)
    )
    return _row_with(row_xml or f'<row r="{header}">', header, cells), col


def _column_styles(head_xml: str, first_row: str) -> dict[int, str]:
    """Each column's style for new cells: the first data row's, else the column's default."""
    styles = {}
    for tag in re.findall(r"<col\b[^>]*>", head_xml):
        attrs = _attrs(tag)
        if "style" in attrs:
            for col in range(int(attrs["min"]), int(attrs["max"]) + 1):
                styles[col] = attrs["style"]
    for col, cell in _cells(first_row).items():
        found = _STYLE.search(cell)
        if found:
            styles[col] = found.group(1)
    return styles


def _row_xml(
    number: int,
    row: OutRow,
    by_number: dict[int, str],
    table: SheetRows,
    styles: dict[int, str],
    source_col: int,
) -> str:
    """A row rebuilt cell by cell: a master row's cells, values written over them."""
    source = by_number.get(row.master, "") if row.master is not None else ""
    cells = {
        col: _REF.sub(lambda m: f'r="{m.group(1)}{number}"', cell, count=1)
        for col, cell in _cells(source).items()
    }
    if row.values is not None:
        columns = table.sheet.columns
        for index in row.present:
            col = table.positions.get(columns[index].key)
            if col is not None:
                style = _STYLE.search(cells.get(col, ""))
                cells[col] = _cell(
                    col, number, row.values[index], style and style.group(1) or styles.get(col)
                )
    if row.source:
        cells[source_col] = _text_cell(f"{column_letter(source_col)}{number}", row.source, None)
    return _row_with(source or f'<row r="{number}">', number, cells)


class _NewRows:
    """Writes the rows the master did not have, as :func:`_row_xml` would, but quicker.

    Which columns a row fills, their letters and styles are worked out once for each set of
    columns a copy has (``OutRow.present``), not once a cell. The usual row (each of those
    columns styled, a source that needs no escaping) is joined from pieces kept a column
    and a value at a time (:class:`_RowPieces`).
    """

    def __init__(
        self, table: SheetRows, styles: dict[int, str], source_col: int, plain: bool = False
    ) -> None:
        self.table = table
        self.styles = styles
        self.source_col = source_col
        self.source_letters = column_letter(source_col)
        self.sources_plain = plain  # no source text needs escaping
        self.layouts: dict[tuple[int, ...], _Shape] = {}
        self.texts = _TextCells()

    def row(self, number: int, row: OutRow) -> bytes:
        """The row's XML, UTF-8."""
        values = row.values or ()
        present = row.present if values else ()
        shape = self.layouts.get(present) or self._layout(present)
        if shape.pieces is not None and row.source:
            made = shape.pieces.row(number, values, row.source)
            if made is not None:
                return made
        before, same, after = shape.before, shape.same, shape.after
        cells = _new_cells(number, values, before, self.texts) if before else ""
        if row.source:  # 合并来源, in its column (it takes the place of a value there)
            cells += _source_cell(f"{self.source_letters}{number}", row.source)
        elif same:
            cells += _new_cells(number, values, same, self.texts)
        if after:
            cells += _new_cells(number, values, after, self.texts)
        return f'<row r="{number}">{cells}</row>'.encode()

    def _layout(self, present: tuple[int, ...]) -> _Shape:
        """The row's value columns left of 合并来源, in its column, and right of it."""
        columns, places = self.table.sheet.columns, {}
        for index in present:
            col = self.table.positions.get(columns[index].key)
            if col is not None:
                places[col] = index
        cells = []
        for col, index in sorted(places.items()):
            style = self.styles.get(col)
            cells.append((index, col, column_letter(col), style, f' s="{style}"' if style else ""))
        before = [c for c in cells if c[1] < self.source_col]
        same = [c for c in cells if c[1] == self.source_col]
        after = [c for c in cells if c[1] > self.source_col]
        # A blank writes a styled empty cell in each column, none is left out: pieces hold.
        usual = self.sources_plain and not same and len(cells) > 1 and all(c[3] for c in cells)
        pieces = _RowPieces(before, after, self.source_letters) if usual else None
        found = _Shape(before, same, after, pieces)
        self.layouts[present] = found
        return found


# (value index, column, its letters, style, the style attribute)
_Layout = list[tuple[int, int, str, str | None, str]]
_EPOCH_DAY = _EPOCH.date()


class _Shape(NamedTuple):
    """A set of columns' cells, by where they stand from 合并来源; ``pieces`` for the usual
    row (None: every row is written cell by cell)."""

    before: _Layout
    same: _Layout
    after: _Layout
    pieces: _RowPieces | None


class _RowPieces:
    """A row as the pieces between its row number's places, joined with the number.

    ``<row r="7"><c r="A7" s="2" t="inlineStr">…</c><c r="B7" …`` is "7".join of
    ``<row r="``, ``"><c r="A``, ``" s="2" t="inlineStr">…</c><c r="B``, …: each piece after
    a value's cell address is fixed by its column and value, so it is kept in that column's
    dict (texts, dates, blanks: values a sheet repeats) and a row is a few calls in C.
    Numbers are made each time, never kept (1, 1.0 and True are one key, not one cell); a
    row with a text to escape or another kind of value is left to the cell-by-cell writer.
    """

    def __init__(self, before: _Layout, after: _Layout, source_letters: str) -> None:
        cells = [*before, *after]
        self.pick = itemgetter(*(c[0] for c in cells))
        heads = [f'<c r="{c[2]}' for c in cells]
        heads.insert(len(before), f'<c r="{source_letters}')
        nexts = [*heads[1:], "</row>"]  # what follows each cell: the next one's head
        self.start = [b'<row r="', f'">{heads[0]}'.encode()]
        self.source_at = 2 + len(before)
        self.source_end = f"{_INLINE_CLOSE}{nexts[len(before)]}".encode()
        self.styles = [c[4] for c in cells]
        self.nexts = nexts[: len(before)] + nexts[len(before) + 1 :]
        self.kept: list[dict[Any, bytes]] = [{} for _ in cells]
        self.room = _TextCells.LIMIT

    def row(self, number: int, values: tuple[Any, ...], source: str) -> bytes | None:
        """The row's XML (UTF-8); None when one of its values is not a text, a date, a number
        or a blank, or is a text to escape."""
        picked = self.pick(values)
        pieces = self.start.copy()
        try:
            pieces += map(dict.get, self.kept, picked)
        except TypeError:  # an unhashable value
            return None
        if None in pieces:
            for k, piece in enumerate(pieces[2:]):
                if piece is None and (piece := self._learn(k, picked[k])) is None:
                    return None
                pieces[2 + k] = piece
        source_cell = b'"%s%s%s' % (_INLINE_OPEN_BYTES, source.encode(), self.source_end)
        pieces.insert(self.source_at, source_cell)
        return (b"%d" % number).join(pieces)

    def _learn(self, k: int, value: Any) -> bytes | None:
        """The piece after value ``value``'s address in value column ``k``, kept."""
        kind = type(value)
        if kind is str:
            tail = _inline_tail(value)
        elif kind is dt.date:
            tail = f"><v>{(value - _EPOCH_DAY).days}</v></c>"
        elif value is None:
            tail = "/>"  # the column is styled: an empty styled cell
        elif (kind is int or kind is float) and math.isfinite(value):  # made, never kept
            return f'"{self.styles[k]}><v>{value!r}</v></c>{self.nexts[k]}'.encode()
        else:
            return None
        if tail is None:  # a text to escape
            return None
        piece = f'"{self.styles[k]}{tail}{self.nexts[k]}'.encode()
        if self.room > 0:
            self.room -= 1
            self.kept[k][value] = piece
        return piece


class _TextCells(dict[str, str]):
    """What follows a text cell's address, for each text: a sheet's texts repeat (units,
    kinds, places), and a look-up is quicker than checking and formatting them again.
    Bounded, so that a sheet of free text costs no more memory than the texts themselves.
    """

    LIMIT = 100_000

    def tail(self, text: str) -> str | None:
        """:func:`_inline_tail` of a text not kept yet, kept while there is room."""
        found = _inline_tail(text)
        if found is not None and len(self) < self.LIMIT:
            self[text] = found
        return found


def _new_cells(number: int, values: tuple[Any, ...], layout: _Layout, texts: _TextCells) -> str:
    """The cells :func:`_cell` writes for ``values``; the common kinds without a call each."""
    out = []
    at = f'{number}"'
    for index, col, letters, style, s in layout:
        value = values[index]
        kind = type(value)
        if kind is str:
            tail = texts.get(value) or texts.tail(value)
            if tail is None:  # & < > or a control character: escaped cell by cell
                out.append(_cell(col, number, value, style))
            else:
                out.append(f'<c r="{letters}{at}{s}{tail}')
        elif value is None:
            if style:
                out.append(f'<c r="{letters}{at}{s}/>')
        elif (kind is int or kind is float) and math.isfinite(value):
            out.append(f'<c r="{letters}{at}{s}><v>{value!r}</v></c>')
        elif kind is dt.date:
            out.append(f'<c r="{letters}{at}{s}><v>{(value - _EPOCH_DAY).days}</v></c>')
        else:
            out.append(_cell(col, number, value, style))
    return "".join(out)


class _Mover:
    """Moves kept rows of one sheet to their new numbers, each with its 合并来源 cell.

    Every cell address ends in the row's old number and a quote (A12"). When that text occurs
    exactly once a cell, it occurs nowhere else in the row, and one replace renumbers the row.
    What holds for the whole sheet (each cell's address first, with its column) is checked
    once; a sheet where it does not is checked row by row. ``plain``: no source text needs
    escaping, so none is looked at again. Rows are UTF-8 bytes, as the part holds them.
    """

    def __init__(self, body: bytes, source_col: int, plain: bool = False) -> None:
        self.source_col = source_col
        self.letters = column_letter(source_col)
        self.letters_bytes = self.letters.encode()
        self.sources_plain = plain
        if not _odd_cell(self.letters).search(body):  # the usual sheet, told in one scan
            self.plain = self.clear = True
            return
        self.plain = body.count(b"<c ") == body.count(b'<c r="') and not _NO_LETTERS.search(body)
        # No cell in 合并来源's column or right of it: no row needs looking at for one.
        self.clear = self.plain and not _at_or_right_of(self.letters).search(body)

    def move(self, after_tag: bytes, old: int, number: int, source: str) -> bytes | None:
        """The row (its XML after ``<row ``) at row ``number``; None when it must be rebuilt
        cell by cell."""
        opening_end = after_tag.find(b">") + 1
        if not opening_end:
            return None
        if after_tag[opening_end - 2] == _SLASH:
            body = b""
        elif after_tag.endswith(b"</row>"):
            body = after_tag[opening_end:-6]
        else:  # blanks after it, or no end: as :func:`_row_xml` would, if it ends at all
            return None
        cells, at = body.count(b"<c "), b'%d"' % old
        if body.count(at) != cells:
            return None  # old"… in a value too
        if not self.plain and (body.count(b'<c r="') != cells or _NO_LETTERS.search(body)):
            return None  # an address not first, or without its column
        if cells and not self.clear:
            last = body.rfind(b'<c r="') + 6
            letters = body[last : body.index(at, last)]
            if (len(letters), letters) >= (len(self.letters_bytes), self.letters_bytes):
                return None  # it has a 合并来源 cell already: rebuild it cell by cell
        if old != number:
            body = body.replace(at, b'%d"' % number)
        if after_tag.startswith(b'r="' + at):  # as every writer puts it: the number first
            extra = _row_attributes(after_tag[len(at) + 3 : opening_end])
        else:
            extra = _row_attributes(after_tag[:opening_end].replace(b' r="%d"' % old, b"", 1))
        if not source:
            return b'<row r="%d"%s>%s</row>' % (number, extra, body)
        if self.sources_plain:
            cell = b'<c r="%s%d"%s%s%s' % (
                self.letters_bytes,
                number,
                _INLINE_OPEN_BYTES,
                source.encode(),
                _INLINE_CLOSE_BYTES,
            )
        else:
            cell = _source_cell(f"{self.letters}{number}", source).encode()
        return b'<row r="%d"%s>%s%s</row>' % (number, extra, body, cell)


_SLASH = ord("/")


def _source_cell(ref: str, text: str) -> str:
    """:func:`_text_cell` without a style, quicker for the text that needs no escaping."""
    tail = _inline_tail(text)
    return f'<c r="{ref}"{tail}' if tail is not None else _text_cell(ref, text, None)


def _inline_tail(text: str) -> str | None:
    """What follows a text cell's address and style, `` t="inlineStr">…</c>``; None when the
    text needs escaping (& < > or a control character), which :func:`_text_cell` does."""
    if _NEEDS_ESCAPE.search(text):
        return None
    return f"{_INLINE_OPEN}{text}{_INLINE_CLOSE}"


@functools.lru_cache(maxsize=64)
def _at_or_right_of(letters: str) -> re.Pattern[bytes]:
    """A cell address whose column is ``letters`` or right of it (H: H-Z, AA, AB …)."""
    return re.compile(f'<c r="(?:{_columns_from(letters)})[0-9]'.encode())


@functools.lru_cache(maxsize=64)
def _odd_cell(letters: str) -> re.Pattern[bytes]:
    """A cell whose address is not its first attribute or has no column, or one in column
    ``letters`` or right of it: what the mover's sheet-wide checks look for, in one pattern."""
    return re.compile(f'<c (?:(?!r="[A-Z])|r="(?:{_columns_from(letters)})[0-9])'.encode())


def _columns_from(letters: str) -> str:
    """A pattern of the column ``letters`` and every column right of it."""
    width = len(letters)
    options = [f"[A-Z]{{{width + 1},}}", letters]
    for i, letter in enumerate(letters):
        if letter != "Z":
            options.append(f"{letters[:i]}[{chr(ord(letter) + 1)}-Z][A-Z]{{{width - i - 1}}}")
    return "|".join(options)


@functools.lru_cache(maxsize=256)
def _row_attributes(opening: bytes) -> bytes:
    """A row tag's attributes but its number and spans (which 合并来源 would outgrow)."""
    attrs = {k: v for k, v in _attrs(opening.decode()).items() if k not in ("r", "spans")}
    return "".join(f' {k}="{v}"' for k, v in attrs.items()).encode()


def _row_with(row_xml: str, number: int, cells: dict[int, str]) -> str:
    """A row element numbered ``number`` holding ``cells`` in column order."""
    opening = re.match(r"<row\b[^>]*?/?>", row_xml).group(0)
    attrs = {k: v for k, v in _attrs(opening).items() if k not in ("r", "spans")}
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    body = "".join(c for _, c in sorted(cells.items()) if c)
    return f'<row r="{number}"{extra}>{body}</row>'


def _cell(col: int, number: int, value: Any, style: str | None) -> str:
    ref = f"{column_letter(col)}{number}"
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}"{s}><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{s}><v>{(value - _EPOCH.date()).days}</v></c>'
    return _text_cell(ref, str(value), style)


def _text_cell(ref: str, text: str, style: str | None) -> str:
    """An inline string: a unit's text stays text, even one that starts with =."""
    s = f' s="{style}"' if style else ""
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return f'<c r="{ref}"{s}{_INLINE_OPEN}{escape(text)}{_INLINE_CLOSE}'


# -- its table --


def _resize_table(xml: str, header: int, last_row: int, source_col: int) -> str:
    """The table reaches the last merged row, and takes in 合并来源 when it ends beside it."""
    opening = re.search(r"<table\b[^>]*>", xml).group(0)
    ref = _attrs(opening)["ref"]
    first, last = ref.split(":")
    first_col, first_row = re.match(r"([A-Z]+)(\d+)", first).groups()
    last_col = column_number(re.match(r"([A-Z]+)", last).group(1))
    if int(first_row) != header:
        return xml
    if last_col == source_col - 1 and SOURCE_HEADER not in xml:
        ids = [int(i) for i in re.findall(r'<tableColumn\b[^>]*\bid="(\d+)"', xml)]
        column = f'<tableColumn id="{max(ids) + 1}" name="{SOURCE_HEADER}"/>'
        xml = xml.replace("</tableColumns>", column + "</tableColumns>")
        xml = re.sub(r'<tableColumns count="\d+"', f'<tableColumns count="{len(ids) + 1}"', xml)
        last_col = source_col
    new_ref = f"{first_col}{first_row}:{column_letter(last_col)}{last_row}"
    xml = xml.replace(f'ref="{ref}"', f'ref="{new_ref}"')
    return xml


# -- 合并记录 --


def _add_log_sheet(parts: _Parts, book: str, rels: str, result: MergeResult) -> None:
    """合并记录 as a new last sheet of plain cells (the book opens where it did before)."""
    numbers = [int(n) for n in re.findall(r"xl/worksheets/sheet(\d+)\.xml", " ".join(parts))]
    path = f"xl/worksheets/sheet{max(numbers, default=0) + 1}.xml"
    rid_numbers = [int(n) for n in re.findall(r'Id="rId(\d+)"', rels)]
    rid = f"rId{max(rid_numbers, default=0) + 1}"
    sheet_ids = [int(n) for n in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', book)]
    prefix = re.search(rf'xmlns:(\w+)="{re.escape(_REL_NS)}"', book)
    if prefix is None or "</sheets>" not in book:
        raise _Unsupported("workbook.xml without the relationships prefix")
    sheet = (
        f'<sheet name="{LOG_SHEET}" sheetId="{max(sheet_ids) + 1}" {prefix.group(1)}:id="{rid}"/>'
    )
    # First, and the one shown: the other sheets' indexes move up one, none stays selected.
    others = set(_sheet_parts(book, rels).values())
    book = book.replace("<sheets>", "<sheets>" + sheet, 1)
    book = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m[1]) + 1}"', book)
    book = re.sub(r'\s(?:activeTab|firstSheet)="\d+"', "", book)
    parts["xl/workbook.xml"] = book.encode()
    for name in others:  # as bytes: the big sheets need no decoding for this
        xml = parts[name]
        if b'tabSelected="1"' in xml:
            parts[name] = xml.replace(b' tabSelected="1"', b"")
    relation = f'<Relationship Id="{rid}" Type="{_WORKSHEET_TYPE}" Target="/{path}"/>'
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", relation + "</Relationships>"
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    override = f'<Override PartName="/{path}" ContentType="{_WORKSHEET_CT}"/>'
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    parts[path] = _log_sheet_xml(result).encode()


def _log_sheet_xml(result: MergeResult) -> str:
    lines: list[Sequence[Any]] = [[result.summary_line()], []]
    for block in result.log_tables():
        lines += [[block.title], list(block.headers), *(block.rows or [["（无）"]]), [], []]
    rows = []
    for number, values in enumerate(lines, start=1):
        cells = "".join(_cell(col, number, v, None) for col, v in enumerate(values, start=1))
        rows.append(f'<row r="{number}">{cells}</row>' if cells else "")
    widths = (18, 36, 18, 14, 14, 14, 14, 40)
    cols = "".join(
        f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in enumerate(widths, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
        f"<cols>{cols}</cols><sheetData>{''.join(rows)}</sheetData></worksheet>"
    )
