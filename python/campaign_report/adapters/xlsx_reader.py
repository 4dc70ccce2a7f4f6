"""Read a workbook file into raw sheets: one bulk pass a sheet, values only.

python-calamine (a Rust reader, ~9x faster than openpyxl on large sheets) is
used when installed; openpyxl's read-only mode otherwise. Both give the same
plain Python values (str, int, float, bool, date, datetime, None), and a
:class:`~campaign_report.model.CellError` for a cell showing #N/A, #DIV/0! ….

Before either reader sees the file, :func:`inspect` streams its XML parts once and
refuses what no real workbook holds: a zip bomb, a DTD (XXE, billion laughs). It also
notes what calamine cannot take: error cells (calamine reads them as blank) and a cell
far out (calamine allocates the whole rectangle up to it, and aborts the process when
that is too big); such a book is read with openpyxl, which streams.
"""

from __future__ import annotations

import math
import posixpath
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import BookReadError
from ..progress import ticker
from ..raw import CellError, RawSheet

SUPPORTED = (".xlsx", ".xlsm", ".xltx", ".xltm")

MAX_UNCOMPRESSED = 512 * 1024 * 1024  # all XML parts together; a 100 000-row book is ~40 MB
MAX_RATIO = 200  # a real sheet compresses 5-30 times; a bomb a thousand times
RATIO_FLOOR = 16 * 1024 * 1024  # small parts may compress very well: only big ones count
MAX_DENSE_CELLS = 20_000_000  # rows x columns calamine may allocate for one sheet
KEPT_PART_LIMIT = 1 << 20  # a part kept for the caller (a copy's docProps) is small
_CHUNK = 1 << 20


def read_raw_sheets(
    path: Path,
    engine: str = "auto",
    only: Collection[str] | None = None,
    progress: Any = None,
    ahead: bool = False,
    keep: Collection[str] = (),
    sheets_only: bool = False,
) -> Mapping[str, RawSheet]:
    """Return every sheet of ``path`` (or those named in ``only``) as :class:`RawSheet`.

    A ``progress`` that can draw a bar (see :mod:`campaign_report.progress`) gets a tick a sheet.
    With ``ahead``, the sheets are parsed in the background and a sheet is waited for when
    asked for (:class:`SheetsAhead`): the caller loads one while the next is parsed, and a
    damaged sheet raises :class:`BookReadError` then. With ``keep`` (package part names, not
    with ``ahead``), the sheets come as a :class:`RawBook` holding those parts too.
    ``sheets_only`` promises that the caller parses nothing of the file but what it gets
    here: then the parts only openpyxl would parse are scanned only if openpyxl reads.
    """
    path = Path(path)
    if ahead and engine == "auto" and only is None and not keep and not sheets_only:
        started = _take_started(path)
        if started is not None:  # read_ahead's: the same call, begun earlier
            sheets = started.result()
            if isinstance(sheets, SheetsAhead):
                sheets.report_to(progress)
            return sheets
    _check_file(path)
    opening = _Opening(path, engine != "openpyxl", READ_THREADS if ahead and not keep else 1)
    shape = inspect(path, only, keep, sheets_only, opening.start)
    if keep:
        return RawBook(_read(path, engine, only, progress, False, shape, opening), shape.kept)
    return _read(path, engine, only, progress, ahead, shape, opening)


class _Opening:
    """calamine's opening of a big book (it parses the shared strings: 0.4 s for 500 000
    texts, without the GIL), started once the parts it parses are scanned, so that it runs
    while the safety scan goes through the sheets: once for each thread that will parse."""

    FLOOR = 8 << 20  # uncompressed sheet XML left to scan: below it, opening costs ~1 ms

    def __init__(self, path: Path, wanted: bool, readers: int) -> None:
        self.path, self.wanted, self.readers = path, wanted, readers
        self.futures: list[Future[Any]] = []

    def start(self, sheet_bytes: int) -> None:
        if self.wanted and sheet_bytes >= self.FLOOR and _has_calamine():
            pool = ThreadPoolExecutor(self.readers, thread_name_prefix="open-book")
            self.futures = [pool.submit(_open_calamine, self.path) for _ in range(self.readers)]
            pool.shutdown(wait=False)

    def books(self) -> list[Any]:
        """The book opened for each reader; opened now, once, if it was not started."""
        if not self.futures:
            return [_open_calamine(self.path)]
        return [future.result() for future in self.futures]


def _open_calamine(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path))


# -- a read begun before the command needs it --

_started: tuple[tuple[Path, int, int], Future[Mapping[str, RawSheet]]] | None = None
# A smaller file is read in a few hundredths of a second: begun beside the imports it gains
# nothing measurable (ten interleaved runs of a one-county book's validate).
AHEAD_FLOOR = 1 << 20


def read_ahead(path: Path) -> None:
    """Begin ``read_raw_sheets(path, ahead=True)`` (what opening a book calls) in the
    background, for the next such call to take. A command line starts it before importing
    pandas and the rest (0.4 s): the safety scan and calamine's opening, which inflate and
    parse without the GIL, overlap the imports. One read is kept at most, and taken only
    while the file is unchanged; its failure is raised where it is taken, as it would be.
    """
    global _started
    key = _file_key(Path(path))
    if key is None or key[1] < AHEAD_FLOOR:  # missing: the call itself will say so
        return
    pool = ThreadPoolExecutor(1, thread_name_prefix="read-ahead")
    _started = (key, pool.submit(read_raw_sheets, Path(path), ahead=True))
    pool.shutdown(wait=False)


def _file_key(path: Path) -> tuple[Path, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return path.resolve(), stat.st_size, stat.st_mtime_ns


def _take_started(path: Path) -> Future[Mapping[str, RawSheet]] | None:
    global _started
    started, _started = _started, None
    if started is None or started[0] != _file_key(path):
        return None
    return started[1]


class RawBook(dict[str, RawSheet]):
    """A book's sheets, and ``parts``: the package parts asked for, as the safety scan
    inflated them (one that is missing, or over KEPT_PART_LIMIT, is not among them)."""

    def __init__(self, sheets: Mapping[str, RawSheet], parts: dict[str, bytes]) -> None:
        super().__init__(sheets)
        self.parts = parts


def _read(
    path: Path,
    engine: str,
    only: Collection[str] | None,
    progress: Any,
    ahead: bool,
    shape: Shape,
    opening: _Opening,
) -> Mapping[str, RawSheet]:
    # calamine reads an error cell (#N/A) as blank, and allocates a far-out cell's rectangle
    calamine_safe = not shape.error_cells and shape.dense_cells <= MAX_DENSE_CELLS
    if engine == "auto":
        engine = "calamine" if calamine_safe and _has_calamine() else "openpyxl"
    elif engine == "calamine" and not calamine_safe:
        engine = "openpyxl"
    try:
        if engine == "calamine":
            books = opening.books()
            return _read_calamine(books, path, only, progress, shape.sheet_sizes, ahead)
        scan_rest(path, shape)  # openpyxl parses every part: none unscanned
        return _read_openpyxl(path, only, progress)
    except BookReadError:
        raise
    except Exception as error:  # a damaged file can fail deep inside either reader
        raise _damaged(path, error) from error


@contextmanager
def reading_each(
    paths: Sequence[Path],
    only: Collection[str] | None = None,
    keep: Collection[str] = (),
    sheets_only: bool = False,
) -> Iterator[Iterator[tuple[Path, Mapping[str, RawSheet] | BookReadError]]]:
    """:func:`read_raw_sheets` of each path, in order, or the reason it cannot be read.

    The files are read in the background, two at a time, from the moment the block starts:
    calamine parses and zlib inflates without the GIL, so the caller's own work (reading the
    master) and thirty units' copies share the two cores. Files not yet read when the block
    ends are never read. With ``keep``, each book is a :class:`RawBook`; ``sheets_only`` is
    :func:`read_raw_sheets`'.
    """

    def read(path: Path) -> Mapping[str, RawSheet] | BookReadError:
        try:
            return read_raw_sheets(path, only=only, keep=keep, sheets_only=sheets_only)
        except BookReadError as error:
            return error

    pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="read-book")
    try:
        yield zip(paths, pool.map(read, paths), strict=True)
    finally:
        pool.shutdown(cancel_futures=True)


def _damaged(path: Path, error: Exception) -> BookReadError:
    return BookReadError(f"无法读取工作簿“{path.name}”：文件已损坏或不是 Excel 工作簿（{error}）")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BookReadError(f"找不到文件“{path}”")
    if path.is_dir():
        raise BookReadError(f"“{path}”是文件夹，请指定一个 Excel 工作簿")
    if path.suffix.lower() == ".xls":
        raise BookReadError(f"“{path.name}”是旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再试")
    if not zipfile.is_zipfile(path):
        raise BookReadError(f"“{path.name}”不是 Excel 工作簿（.xlsx/.xlsm），或文件已加密、已损坏")


# -- what the file holds, before a reader opens it --


@dataclass
class Shape:
    """What one streaming pass over a workbook's XML found."""

    uncompressed: int = 0
    error_cells: bool = False
    dense_cells: int = 0  # the largest rows x columns rectangle of a sheet
    sheet_sizes: dict[str, int] = field(default_factory=dict)  # a sheet's XML bytes, by name
    kept: dict[str, bytes] = field(default_factory=dict)  # the parts asked for, as inflated
    unscanned: list[str] = field(default_factory=list)  # parts calamine never parses


_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
# Patterns start with a literal, so re searches for it at C speed (a \s first is ~6x slower).
_WIDE_CELL = re.compile(rb' r="([A-Z]{3})\d')  # a column past ZZ: rare, so cheap to find
_ERROR_MARK = b't="e"'
_ERROR_CELL = re.compile(rb'<c\b[^>]*?\st="e"')


def inspect(
    path: Path,
    only: Collection[str] | None = None,
    keep: Collection[str] = (),
    sheets_only: bool = False,
    opened: Callable[[int], None] = lambda sheet_bytes: None,
) -> Shape:
    """Stream every XML part once: refuse a bomb or a DTD, note error cells and the extent.

    With ``only`` (sheet names), the parts of the other sheets are left alone: no reader
    opens them (a unit's copy has six sheets merge never reads). The parts named in ``keep``
    are kept as scanned (``Shape.kept``), up to KEPT_PART_LIMIT bytes each. With
    ``sheets_only``, so are the parts calamine parses; the others (a sheet's tables and
    links, [Content_Types], docProps not kept) are left in ``Shape.unscanned`` for
    :func:`scan_rest`.
    The sheets are scanned last: ``opened`` is called, with their XML bytes, once every
    other part (all that opening the book parses) is scanned.
    """
    path = Path(path)
    shape = Shape()
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            book = next((n for n in sorted(names) if n.endswith("workbook.xml")), None)
            if book is None:
                raise BookReadError(f"“{path.name}”不是 Excel 工作簿：其中没有工作簿内容")
            _check_declared_sizes(path, infos)
            first: dict[str, list[bytes]] = {book: [], _rels_of(book): []}
            for info in infos:  # scanned (no DTD) before they are parsed below, and kept
                if info.filename in first:
                    kept = _keeping(_inflated(archive, raw, info), first[info.filename])
                    _scan_part(path, kept, info.filename, shape)
            parts, targets = _sheet_parts(book, *(b"".join(c) for c in first.values()))
            sizes = {i.filename: i.file_size for i in infos}
            shape.sheet_sizes = {name: sizes.get(part, 0) for name, part in parts.items()}
            unread = {p for n, p in parts.items() if n not in only} if only is not None else set()
            linked = {*targets, *keep} if parts and sheets_only else None
            sheets = set(parts.values()) - unread
            scan = _PartScan(path, archive, raw, shape, keep, linked)
            not_yet = {*first, *unread, *sheets}
            for info in infos:
                if info.filename not in not_yet:
                    scan(info)
            opened(sum(sizes[p] for p in sheets if p in sizes))
            for info in infos:
                if info.filename in sheets:
                    scan(info)
    except BookReadError:
        raise
    except _CORRUPT as error:
        raise _corrupt(path, error) from None
    return shape


class _PartScan:
    """Scans one part after another of an open book into ``shape``: those calamine never
    parses left for :func:`scan_rest` (with ``linked``), those in ``keep`` kept."""

    def __init__(
        self,
        path: Path,
        archive: zipfile.ZipFile,
        raw: BinaryIO,
        shape: Shape,
        keep: Collection[str],
        linked: set[str] | None,
    ) -> None:
        self.path, self.archive, self.raw, self.shape = path, archive, raw, shape
        self.keep, self.linked = keep, linked

    def __call__(self, info: zipfile.ZipInfo) -> None:
        name, shape = info.filename, self.shape
        if not name.endswith((".xml", ".rels", ".vml")):
            return
        if self.linked is not None and _unparsed(name, self.linked):
            shape.unscanned.append(name)
            return
        chunks = _inflated(self.archive, self.raw, info)
        if name not in self.keep:
            _scan_part(self.path, chunks, name, shape)
            return
        kept: list[bytes] = []
        _scan_part(self.path, _keeping(chunks, kept, KEPT_PART_LIMIT), name, shape)
        if kept or not info.file_size:
            shape.kept[name] = b"".join(kept)


# Parts calamine never parses, as its reading a book with each of them garbled shows: a
# sheet's tables and links, the package's list of types, docProps. Left unscanned only
# when the workbook does not link to them, so a renamed shared-strings part is scanned.
_UNPARSED_BY_CALAMINE = re.compile(
    r"xl/tables/[^/]+\.xml|xl/worksheets/_rels/[^/]+\.rels|docProps/[^/]+\.xml"
    r"|\[Content_Types\]\.xml"
)


def _unparsed(part: str, linked: set[str]) -> bool:
    return part not in linked and _UNPARSED_BY_CALAMINE.fullmatch(part) is not None


_CORRUPT = (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError, RuntimeError)


def _corrupt(path: Path, error: Exception) -> BookReadError:
    return BookReadError(f"无法读取工作簿“{path.name}”：文件已损坏或已加密（{error}）")


def scan_rest(path: Path, shape: Shape) -> None:
    """Scan the parts :func:`inspect` left for a reader other than calamine."""
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            for name in shape.unscanned:
                info = archive.getinfo(name)
                _scan_part(path, _inflated(archive, raw, info), name, shape)
    except _CORRUPT as error:
        raise _corrupt(path, error) from None
    shape.unscanned = []


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name's and extra's lengths


def _inflated(archive: zipfile.ZipFile, raw: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes in chunks of at most ``_CHUNK``, inflated straight with zlib.

    zipfile's reader costs tens of microseconds a part and checks a CRC on every byte; a
    book has dozens of parts and a unit's copy is read thirty times over, so the common
    methods are inflated here (the CRC is the reader's business, not this scan's).
    """
    if info.flag_bits & 0x1:
        raise RuntimeError(f"{info.filename} 已加密")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with archive.open(info) as stream:  # bzip2, lzma: rare, zipfile knows them
            while chunk := stream.read(_CHUNK):
                yield chunk
        return
    raw.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"{info.filename} 的文件头有误")
    raw.seek(name_length + extra_length, 1)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0 and (chunk := raw.read(min(_CHUNK, left))):
            left -= len(chunk)
            yield chunk
        return
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    while not inflate.eof:
        if inflate.unconsumed_tail:
            chunk = inflate.decompress(inflate.unconsumed_tail, _CHUNK)
        elif left > 0 and (piece := raw.read(min(_CHUNK, left))):
            left -= len(piece)
            chunk = inflate.decompress(piece, _CHUNK)
        else:
            break  # the data ends early: the reader will say the file is damaged
        if chunk:
            yield chunk
    if rest := inflate.flush():
        yield rest


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _rels_of(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _keeping(
    chunks: Iterator[bytes], kept: list[bytes], limit: float = math.inf
) -> Iterator[bytes]:
    """``chunks``, each also added to ``kept``; past ``limit`` bytes, ``kept`` is emptied."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size <= limit:
            kept.append(chunk)
        elif kept:
            kept.clear()
        yield chunk


def _sheet_parts(book: str, book_xml: bytes, rels_xml: bytes) -> tuple[dict[str, str], set[str]]:
    """Each sheet's part by the sheet's name, and every part the workbook links to; none
    when the book is laid out unexpectedly."""
    from xml.etree import ElementTree

    folder = book.rpartition("/")[0]
    try:
        relations = ElementTree.fromstring(rels_xml)
        targets = {
            r.get("Id"): posixpath.normpath(t[1:] if t.startswith("/") else f"{folder}/{t}")
            for r in relations
            if (t := r.get("Target") or "") and r.get("TargetMode") != "External"
        }
        parts = {}
        for sheet in ElementTree.fromstring(book_xml).iter(f"{_MAIN_NS}sheet"):
            parts[sheet.get("name") or ""] = targets[sheet.get(_REL_ID)]
        return parts, set(targets.values())
    except (KeyError, ElementTree.ParseError):
        return {}, set()  # then every part is scanned, and sheets are read in the book's order


def _check_declared_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise BookReadError(_too_big(path, total))
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BookReadError(_bomb(path, info))


def _scan_part(path: Path, chunks: Iterator[bytes], name: str, shape: Shape) -> None:
    """Read one part in chunks, counting real bytes (a zip header may lie about them)."""
    sheet = name.startswith("xl/worksheets/")
    max_row = max_col = last_row = 0
    tail = head = b""
    prolog_read = False
    for chunk in chunks:
        shape.uncompressed += len(chunk)
        if shape.uncompressed > MAX_UNCOMPRESSED:
            raise BookReadError(_too_big(path, shape.uncompressed))
        if not prolog_read:
            head += chunk
            prolog_read = _prolog_read(path, head)
        if not sheet:
            continue
        text = tail + chunk
        shape.error_cells = shape.error_cells or (
            _ERROR_MARK in text and bool(_ERROR_CELL.search(text))
        )
        # The last row holding a cell: only its number matters, so look from the end
        # (a million formatted empty rows hold no cell and do not count).
        cell = text.rfind(b"<c ")  # a bare <c> can only stand after the last <c …>
        cell = max(cell, text.rfind(b"<c>", max(cell, 0)))
        if cell >= 0:
            max_row = max(max_row, _row_before(text, cell) or last_row)
        last_row = _row_before(text, len(text)) or last_row
        for letters in _WIDE_CELL.findall(text):
            max_col = max(max_col, _column_number(letters))
        tail = text[-256:]
    if not prolog_read:
        _prolog_read(path, head, ended=True)
    if sheet:
        shape.dense_cells = max(shape.dense_cells, max_row * max(max_col, 26))


# What may stand before an XML document's root element: a byte-order mark, the declaration,
# comments, processing instructions, space. A DTD can only stand there, so only there is it
# looked for (not in megabytes of cells).
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_MAX_PROLOG = 1 << 16  # Excel writes about 60 bytes


def _prolog_read(path: Path, head: bytes, ended: bool = False) -> bool:
    """True once ``head`` reaches the root element; refuse a DTD (or a prolog no writer makes)."""
    end = _PROLOG.match(head).end()  # type: ignore[union-attr]  # matches the empty string
    after = head[end : end + 9]
    if not ended and (len(after) < 9 or after.startswith((b"<?", b"<!--"))):
        if len(head) > _MAX_PROLOG:
            raise BookReadError(f"“{path.name}”的内容开头异常（不像 Excel 写出的文件），已拒绝读取")
        return False  # the prolog goes on in the next chunk
    if after.startswith(b"<!"):
        raise BookReadError(
            f"“{path.name}”含有 Excel 不会写入的 DTD 声明（可能是恶意文件），已拒绝读取"
        )
    return True


def _row_before(text: bytes, end: int) -> int:
    start = text.rfind(b"<row", 0, end)
    match = _ROW_NUMBER.match(text, start) if start >= 0 else None
    return int(match[1]) if match else 0


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _too_big(path: Path, size: int) -> str:
    return (
        f"“{path.name}”解压后超过 {MAX_UNCOMPRESSED // 2**20} MB（{size // 2**20} MB 以上），"
        "不像活动台账（可能是“压缩炸弹”），已拒绝读取"
    )


def _bomb(path: Path, info: zipfile.ZipInfo) -> str:
    return (
        f"“{path.name}”中的“{info.filename}”压缩比异常（{info.file_size // 2**20} MB 压缩成 "
        f"{info.compress_size // 1024} KB，可能是“压缩炸弹”），已拒绝读取"
    )


# -- the readers --


def _has_calamine() -> bool:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return False
    return True


def _read_openpyxl(path: Path, only: Collection[str] | None, progress: Any) -> dict[str, RawSheet]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {}
        wanted = [s for s in book.worksheets if only is None or s.title in only]
        tick = ticker(progress, "读取工作表", len(wanted))
        for sheet in wanted:
            sheet.reset_dimensions()  # trust the cells, not a stale <dimension> tag
            rows = [tuple(map(_value, row)) for row in sheet.iter_rows()]
            sheets[sheet.title] = RawSheet(sheet.title, _trim(rows))
            tick(sheet.title)
        return sheets
    finally:
        book.close()


def _value(cell: object) -> object:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "e" and isinstance(value, str):
        return CellError(value)
    return value


def _trim(rows: list[tuple]) -> list[tuple]:
    """Drop trailing empty cells and rows: a far-out cell must not make a huge rectangle."""
    trimmed = []
    for row in rows:
        end = len(row)
        while end and (row[end - 1] is None or row[end - 1] == ""):
            end -= 1
        trimmed.append(row[:end])
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def _read_calamine(
    books: list[Any],
    path: Path,
    only: Collection[str] | None,
    progress: Any,
    sizes: dict[str, int],
    ahead: bool,
) -> Mapping[str, RawSheet]:
    book = books[0]
    wanted = [name for name in book.sheet_names if only is None or name in only]
    if ahead:
        return SheetsAhead(books, path, wanted, sizes, progress)
    sheets = {}
    tick = ticker(progress, "读取工作表", len(wanted))
    for name in wanted:  # a small book (a unit's copy) costs less than a thread would
        sheets[name] = _calamine_sheet(book, name)
        tick(name)
    return sheets


def _calamine_sheet(book: Any, name: str) -> RawSheet:
    sheet = book.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    if sheet.width > WIDE:  # a wide sheet pads every row with thousands of blanks
        rows = [_trailing_blanks_cut(row) for row in rows]
    return RawSheet(name, rows)  # blank cells stay "", as calamine gives them


class SheetsAhead(Mapping[str, RawSheet]):
    """A book's sheets, parsed by worker threads while the caller works on those it has.

    calamine parses a sheet's XML without holding the GIL, so on two cores the next sheets
    are parsed while the caller loads the last one. Small sheets (settings, lists, rosters)
    are parsed first: a caller needs them before the big ones. A sheet that cannot be read
    raises :class:`BookReadError` when it is asked for.
    """

    def __init__(
        self, books: list[Any], path: Path, names: list[str], sizes: dict[str, int], progress: Any
    ) -> None:
        self._path, self._names = path, names
        self._tick = ticker(progress, "读取工作表", len(names))
        self._books: queue.SimpleQueue = queue.SimpleQueue()  # a calamine book serves one
        for book in books:  # thread at a time: a thread finding none opens its own
            self._books.put(book)
        self._left, self._lock = len(names), threading.Lock()
        order = sorted(names, key=lambda n: sizes.get(n, 0) > SMALL_SHEET)  # stable: book order
        pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="read-sheet")
        self._pending = {name: pool.submit(self._parse, name) for name in order}
        pool.shutdown(wait=False)  # the threads end when the queue is done
        self._ticked: set[str] = set()

    def report_to(self, progress: Any) -> None:
        """Tick ``progress`` from now on (a read begun before its caller had a bar)."""
        self._tick = ticker(progress, "读取工作表", len(self._names))

    def _parse(self, name: str) -> RawSheet:
        try:
            book = self._books.get_nowait()
        except queue.Empty:
            book = _open_calamine(self._path)
        try:
            return _calamine_sheet(book, name)
        finally:
            self._done_with(book)

    def _done_with(self, book: Any) -> None:
        """Hand the book to the next sheet; after the last, let the books go (memory)."""
        with self._lock:
            self._left -= 1
            if self._left:
                self._books.put(book)
                return
        while not self._books.empty():
            self._books.get_nowait()

    def __getitem__(self, name: str) -> RawSheet:
        future = self._pending[name]  # KeyError: no such sheet
        try:
            sheet = future.result()
        except Exception as error:
            raise _damaged(self._path, error) from error
        self._tick_read()
        return sheet

    def _tick_read(self) -> None:
        """Tick every sheet parsed by now (from the caller's thread: a host's bar is not
        thread-safe), so that sheets no one asks for fill the bar too."""
        for name, future in self._pending.items():
            if name not in self._ticked and future.done():
                self._ticked.add(name)
                self._tick(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


READ_THREADS = 2  # this is for two cores; a third thread only waits for the GIL
SMALL_SHEET = 1 << 20  # uncompressed XML bytes: a roster, not a sheet of records
WIDE = 1024


def _trailing_blanks_cut(values: list) -> list:
    end = len(values)
    while end and values[end - 1] == "":
        end -= 1
    return values[:end]
