"""The checked and summary copies, written by patching the user's package, not re-saving it.

What changes in a copy is small: a style index and a note on each marked cell, and the tool's
own sheets. So the untouched parts travel byte for byte (see :mod:`xlsx_package`); a marked
sheet is rewritten as text, row by row, only where it has marks; the tool's sheets are laid
out by openpyxl in a small book of their own and transplanted in, their styles appended to
the user's. The user's tables, validations, names and styles stay exactly as they were.

Whatever this module does not understand raises :class:`Unsupported`; the caller then
writes the copy the slow, general way, with openpyxl.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from lxml import etree
from openpyxl.workbook import Workbook

from .. import outputs
from ..atomic import atomic_path
from ..model import column_letter, column_number
from ..progress import ticker
from .xlsx_package import (
    CT_NS,
    DOC_REL,
    Package,
    Relationship,
    Unsupported,
    parse_xml,
    rels_name,
    to_xml,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_M = f"{{{MAIN_NS}}}"
_R_ID = f"{{{DOC_REL}}}id"
WORKSHEET = f"{DOC_REL}/worksheet"
STYLES = f"{DOC_REL}/styles"
COMMENTS = f"{DOC_REL}/comments"
VML = f"{DOC_REL}/vmlDrawing"
CALC_CHAIN = f"{DOC_REL}/calcChain"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_SMALL_PART = 4_000_000  # a sheet this small (uncompressed) is cheap to rewrite to deselect it

_ROW_TAG = re.compile(r"<row\b[^>]*?(/?)>")
_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_CELL_REF = re.compile(r'\sr="([A-Z]{1,3})(\d+)"')
_ROW_REF = re.compile(r'\sr="(\d+)"')
_STYLE = re.compile(r'\ss="(\d+)"')
_SPANS = re.compile(r'\sspans="[^"]*"')
_LEGACY = re.compile(r"<(?:\w+:)?legacyDrawing\b[^>]*?\bid=\"([^\"]+)\"[^>]*/>")
_AFTER_LEGACY = re.compile(
    r"<(?:legacyDrawingHF|drawingHF|picture|oleObjects|controls|webPublishItems|tableParts"
    r"|extLst)\b|</worksheet>"
)
_COL = re.compile(r"<col\b[^>]*>")


def write_patched_copy(
    source: Path,
    out: Path,
    tool_book: Workbook,
    marks: Sequence[outputs.CellMark] = (),
    clear: Iterable[tuple[str, str]] = (),
    progress: Any = None,
) -> Path:
    """Copy ``source`` to ``out`` with ``marks`` applied and ``tool_book``'s sheets in front.

    ``clear`` names the cells a previous run marked: their fill goes back to none when it is
    still one of ours. Every note by the tool on a rewritten sheet is replaced.
    """
    package = Package(source)
    if any(name.lower().endswith("vbaproject.bin") for name in package.names):
        raise Unsupported("macros")  # an .xlsm gives a plain .xlsx copy: openpyxl drops the VBA
    book = _Workbook(package)
    for name in tool_book.sheetnames:
        book.remove_sheet(name)
    by_sheet: dict[str, dict[int, dict[int, outputs.CellMark | None]]] = defaultdict(dict)
    parts = book.parts  # a property that walks the sheet list: once, not once a mark
    for sheet, ref in clear:
        match = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
        if match and sheet in parts:
            by_sheet[sheet].setdefault(int(match[2]), {})[column_number(match[1])] = None
    for mark in marks:
        if mark.sheet in parts:
            by_sheet[mark.sheet].setdefault(mark.row, {})[mark.col] = mark
    for sheet, cells in by_sheet.items():
        _SheetEditor(book, sheet).apply(cells)
    book.insert_tool_sheets(tool_book)
    book.save()
    with atomic_path(out) as scratch, open(scratch, "wb") as handle:
        package.save(handle, ticker(progress, "写出", len(package.names)))
    return Path(out)


# What a package the patcher misreads can raise; the caller then copies through openpyxl.
PATCH_FAILURES = (Unsupported, KeyError, ValueError, IndexError, etree.XMLSyntaxError)


def sheet_names(source: Path) -> list[str]:
    """The worksheet names of ``source``, in order, read from its workbook part alone."""
    return list(_Workbook(Package(source)).parts)


# -- the workbook part --


class _Workbook:
    """workbook.xml, its relationships, the styles and the content types, edited in memory."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.part = package.main_part()
        self.root = parse_xml(package.read(self.part))
        self.rels = package.relationships(self.part)
        self.types = package.content_types()
        styles = [r.target for r in self.rels if r.type == STYLES]
        if not styles:
            raise Unsupported("no styles part")
        self.styles = _Styles(package, styles[0])
        self.rewritten: set[str] = set()  # sheet parts rewritten anyway (cheap to deselect)
        self._table_ids: set[str | None] | None = None  # ids of the tables, once looked up

    @property
    def sheets_node(self) -> etree._Element:
        node = self.root.find(f"{_M}sheets")
        if node is None:
            raise Unsupported("no sheets")
        return node

    @property
    def parts(self) -> dict[str, str]:
        """Sheet name -> part name, for worksheets (not chart sheets)."""
        by_id = {r.id: r.target for r in self.rels if r.type == WORKSHEET}
        return {
            s.get("name"): by_id[s.get(_R_ID)] for s in self.sheets_node if s.get(_R_ID) in by_id
        }

    def remove_sheet(self, name: str) -> None:
        nodes = list(self.sheets_node)
        found = [i for i, s in enumerate(nodes) if s.get("name") == name]
        if not found:
            return
        index = found[0]
        node = nodes[index]
        rel = next(r for r in self.rels if r.id == node.get(_R_ID))
        self._remove_tree(rel.target)
        self.rels = [r for r in self.rels if r.id != rel.id]
        self.sheets_node.remove(node)
        self._shift_sheet_positions(lambda i: None if i == index else i - (i > index))
        self._drop_calc_chain()

    def insert_tool_sheets(self, tool_book: Workbook) -> None:
        tool = _ToolPackage(tool_book)
        count = len(tool.sheets)
        self._shift_sheet_positions(lambda i: i + count)
        next_id = max((int(s.get("sheetId", 0)) for s in self.sheets_node), default=0) + 1
        for position, (name, part) in enumerate(tool.sheets):
            new_part = self._copy_tree(tool, part)
            rel_id = self._new_rel_id()
            self.rels.append(Relationship(rel_id, WORKSHEET, new_part))
            node = etree.Element(f"{_M}sheet")
            node.set("name", name)
            node.set("sheetId", str(next_id + position))
            node.set(_R_ID, rel_id)
            self.sheets_node.insert(position, node)
        self._activate_first()

    def save(self) -> None:
        self.styles.save()
        self.package.write(self.part, to_xml(self.root))
        self.package.set_relationships(self.part, self.rels)
        self.package.set_content_types(self.types)

    # -- parts --

    def _remove_tree(self, part: str) -> None:
        for rel in self.package.relationships(part):
            if not rel.external and self.package.has(rel.target):
                self._remove_tree(rel.target)
        self.package.remove(part)
        if self.package.has(rels_name(part)):
            self.package.remove(rels_name(part))
        for override in self.types.findall(f"{{{CT_NS}}}Override"):
            if override.get("PartName") == f"/{part}":
                self.types.remove(override)

    def _copy_tree(self, tool: _ToolPackage, part: str) -> str:
        """Copy a part of the tool's book and everything it points at, under free names."""
        stem = re.sub(r"\d*(\.\w+)$", r"{}\1", part)
        new_part = self.package.unused_name(stem)
        data = tool.package.read(part)
        if part in tool.sheet_parts:
            data = tool.sheet_xml(part, self.styles).encode("utf-8")
            if part in tool.streamed:
                data = tool.streamed[part].spliced(data)
        elif "/tables/" in part:
            data = self._renumber_table(data)
        self.package.write(new_part, data)
        self.add_override(new_part, tool.content_type(part))
        rels = []
        for rel in tool.package.relationships(part):
            target = rel.target if rel.external else self._copy_tree(tool, rel.target)
            rels.append(Relationship(rel.id, rel.type, target, rel.external))
        self.package.set_relationships(new_part, rels)
        return new_part

    def _renumber_table(self, data: bytes) -> bytes:
        root = parse_xml(data)
        if self._table_ids is None:  # the book's own tables, read once
            self._table_ids = {
                parse_xml(self.package.read(name)).get("id")
                for name in self.package.names
                if name.startswith("xl/tables/") and name.endswith(".xml")
            }
        used = self._table_ids
        number = 1
        while str(number) in used:
            number += 1
        root.set("id", str(number))
        used.add(str(number))
        return to_xml(root)

    def add_override(self, part: str, content_type: str) -> None:
        node = etree.SubElement(self.types, f"{{{CT_NS}}}Override")
        node.set("PartName", f"/{part}")
        node.set("ContentType", content_type)

    def ensure_default(self, extension: str, content_type: str) -> None:
        for node in self.types.findall(f"{{{CT_NS}}}Default"):
            if (node.get("Extension") or "").lower() == extension:
                return
        node = etree.Element(f"{{{CT_NS}}}Default")
        node.set("Extension", extension)
        node.set("ContentType", content_type)
        self.types.insert(0, node)

    def _new_rel_id(self) -> str:
        used = {r.id for r in self.rels}
        number = len(used) + 1
        while f"rId{number}" in used:
            number += 1
        return f"rId{number}"

    # -- positions --

    def _shift_sheet_positions(self, move: Callable[[int], int | None]) -> None:
        """Sheet-scoped names and the view follow their sheets when sheets come and go."""
        names = self.root.find(f"{_M}definedNames")
        for name in list(names) if names is not None else ():
            if name.get("localSheetId") is None:
                continue
            moved = move(int(name.get("localSheetId")))
            if moved is None:
                names.remove(name)
            else:
                name.set("localSheetId", str(moved))
        if names is not None and not len(names):
            self.root.remove(names)
        for view in self.root.iter(f"{_M}workbookView"):
            for key in ("activeTab", "firstSheet"):
                if view.get(key) is not None:
                    moved = move(int(view.get(key)))
                    view.set(key, str(max(moved or 0, 0)))

    def _activate_first(self) -> None:
        """Open on the tool's sheet, as openpyxl's copy did, when deselecting is cheap."""
        views = list(self.root.iter(f"{_M}workbookView"))
        if not views:
            return
        nodes = list(self.sheets_node)
        active = int(views[0].get("activeTab", "0"))
        if active >= len(nodes):
            return
        part = self.parts.get(nodes[active].get("name"))
        if part is None or active == 0:
            return
        if part not in self.rewritten and self.package.size(part) > _SMALL_PART:
            return  # leave the user's view as it was rather than rewrite a big sheet
        xml = self.package.read(part).decode("utf-8")
        head = xml.find("<sheetData")
        head = head if head >= 0 else len(xml)
        self.package.write(part, (xml[:head].replace(' tabSelected="1"', "") + xml[head:]).encode())
        views[0].set("activeTab", "0")
        views[0].set("firstSheet", "0")

    def _drop_calc_chain(self) -> None:
        # The chain may list cells of a removed sheet; Excel rebuilds a missing chain silently.
        for rel in [r for r in self.rels if r.type == CALC_CHAIN]:
            self._remove_tree(rel.target)
            self.rels.remove(rel)


# -- styles --


class _Styles:
    """styles.xml: cell formats cloned with our fill, and the tool book's formats appended."""

    def __init__(self, package: Package, part: str) -> None:
        self.package, self.part = package, part
        self.root = parse_xml(package.read(part))
        self.xfs = self._section("cellXfs")
        if not len(self.xfs):
            raise Unsupported("no cell formats")
        self._fills: dict[str | None, int] = {None: 0}
        self._variants: dict[tuple[int, str | None], int] = {}
        self._appended: dict[tuple[str, bytes], int] = {}

    def _section(self, tag: str, before: tuple[str, ...] = ()) -> etree._Element:
        node = self.root.find(f"{_M}{tag}")
        if node is None:
            node = etree.Element(f"{_M}{tag}")
            anchors = [self.root.find(f"{_M}{b}") for b in before]
            anchor = next((a for a in anchors if a is not None), None)
            if anchor is not None:
                anchor.addprevious(node)
            else:
                self.root.insert(0, node)
        return node

    def fill_colour(self, xf: int) -> str | None:
        node = self._xf(xf)
        fills = self.root.find(f"{_M}fills")
        fill_id = int(node.get("fillId", "0"))
        if fills is None or fill_id >= len(fills):
            return None
        colour = fills[fill_id].find(f"{_M}patternFill/{_M}fgColor")
        rgb = colour.get("rgb") if colour is not None else None
        return rgb[-6:].upper() if rgb else None

    def with_fill(self, xf: int, colour: str | None) -> int:
        """The index of a format like ``xf`` but with a solid ``colour`` fill (None: no fill)."""
        key = (xf, colour)
        if key not in self._variants:
            clone = copy.deepcopy(self._xf(xf))
            clone.set("fillId", str(self._fill(colour)))
            clone.set("applyFill", "1" if colour else "0")
            self._variants[key] = self._append("cellXfs", clone)
        return self._variants[key]

    def _xf(self, xf: int) -> etree._Element:
        return self.xfs[xf] if 0 <= xf < len(self.xfs) else self.xfs[0]

    def _fill(self, colour: str | None) -> int:
        if colour not in self._fills:
            fill = etree.Element(f"{_M}fill")
            pattern = etree.SubElement(fill, f"{_M}patternFill", patternType="solid")
            etree.SubElement(pattern, f"{_M}fgColor", rgb=f"FF{colour}")
            etree.SubElement(pattern, f"{_M}bgColor", indexed="64")
            self._fills[colour] = self._append("fills", fill)
        return self._fills[colour]

    def _append(self, section: str, node: etree._Element) -> int:
        parent = self._section(section)
        parent.append(node)
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    def import_xf(self, other: _Styles, xf: int) -> int:
        """Append ``other``'s format ``xf`` (with its font, fill, border, number format)."""
        key = ("xf", etree.tostring(other._xf(xf)))
        if key in self._appended:
            return self._appended[key]
        clone = copy.deepcopy(other._xf(xf))
        for attr, section in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            source = other.root.find(f"{_M}{section}")
            index = int(clone.get(attr, "0"))
            if source is not None and index < len(source):
                clone.set(attr, str(self._import_node(section, source[index])))
        clone.set("numFmtId", str(self._import_number_format(other, int(clone.get("numFmtId", 0)))))
        clone.set("xfId", "0")
        self._appended[key] = self._append("cellXfs", clone)
        return self._appended[key]

    def _import_node(self, section: str, node: etree._Element) -> int:
        key = (section, etree.tostring(node))
        if key not in self._appended:
            self._appended[key] = self._append(section, copy.deepcopy(node))
        return self._appended[key]

    def _import_number_format(self, other: _Styles, number: int) -> int:
        if number < 164:  # built in
            return number
        source = other.root.find(f"{_M}numFmts")
        code = (
            next((f.get("formatCode") for f in source if int(f.get("numFmtId")) == number), None)
            if source is not None
            else None
        )
        if code is None:
            return 0
        formats = self._section("numFmts", before=("fonts",))
        for existing in formats:
            if existing.get("formatCode") == code:
                return int(existing.get("numFmtId"))
        new_id = max([163, *(int(f.get("numFmtId")) for f in formats)]) + 1
        etree.SubElement(formats, f"{_M}numFmt", numFmtId=str(new_id), formatCode=code)
        formats.set("count", str(len(formats)))
        return new_id

    def save(self) -> None:
        self.package.write(self.part, to_xml(self.root))


# -- one user sheet: marks and notes --


class _SheetEditor:
    def __init__(self, book: _Workbook, name: str) -> None:
        self.book, self.name = book, name
        self.part = book.parts[name]
        self.xml = book.package.read(self.part).decode("utf-8")
        self.column_styles = _column_styles(self.xml)

    def apply(self, cells: dict[int, dict[int, outputs.CellMark | None]]) -> None:
        styles = self.book.styles
        ours = set(outputs.COLOURS.values())

        def restyle(mark: outputs.CellMark | None) -> Callable[[int], int]:
            if mark is not None:
                return lambda old: styles.with_fill(old, mark.colour)
            return lambda old: (
                styles.with_fill(old, None) if styles.fill_colour(old) in ours else old
            )

        changes = {
            row: {col: restyle(mark) for col, mark in cols.items()} for row, cols in cells.items()
        }
        self.xml = _restyle_cells(self.xml, changes, self.column_styles)
        notes = {
            (row, col): mark.note
            for row, cols in cells.items()
            for col, mark in cols.items()
            if mark is not None
        }
        self._write_notes(notes)
        self.book.package.write(self.part, self.xml.encode("utf-8"))
        self.book.rewritten.add(self.part)

    # -- notes --

    def _write_notes(self, notes: dict[tuple[int, int], str]) -> None:
        package = self.book.package
        rels = package.relationships(self.part)
        comments = next((r for r in rels if r.type == COMMENTS), None)
        vml = next((r for r in rels if r.type == VML), None)
        legacy = _LEGACY.search(self.xml)
        if comments is None and legacy is None:
            if notes:
                self._new_notes(rels, notes)
            return
        if comments is None or vml is None or legacy is None or legacy[1] != vml.id:
            raise Unsupported("a drawing of other shapes")  # form controls: leave to openpyxl
        self._merge_notes(rels, comments, vml, legacy, notes)

    def _new_notes(self, rels: list[Relationship], notes: dict[tuple[int, int], str]) -> None:
        package = self.book.package
        comments_part = package.unused_name("xl/comments/comment{}.xml")
        vml_part = package.unused_name("xl/drawings/vmlDrawing{}.vml")
        block = int(re.search(r"(\d+)\.vml$", vml_part)[1])
        comments, drawing = _new_notes_xml(notes, block)
        package.write(comments_part, comments)
        package.write(vml_part, drawing)
        used = {r.id for r in rels}
        comments_id, vml_id = _free_id(used, "rIdC"), _free_id(used | {"rIdC1"}, "rIdV")
        rels += [Relationship(comments_id, COMMENTS, comments_part)]
        rels += [Relationship(vml_id, VML, vml_part)]
        package.set_relationships(self.part, rels)
        self.book.add_override(comments_part, COMMENTS_TYPE)
        self.book.ensure_default("vml", VML_TYPE)
        element = f'<legacyDrawing xmlns:r="{DOC_REL}" r:id="{vml_id}"/>'
        at = _AFTER_LEGACY.search(self.xml, self.xml.find("</sheetData>"))
        if at is None:
            raise Unsupported("no end of worksheet")
        self.xml = self.xml[: at.start()] + element + self.xml[at.start() :]

    def _merge_notes(
        self,
        rels: list[Relationship],
        comments_rel: Relationship,
        vml_rel: Relationship,
        legacy: re.Match,
        notes: dict[tuple[int, int], str],
    ) -> None:
        package = self.book.package
        comments = parse_xml(package.read(comments_rel.target))
        try:
            drawing = etree.fromstring(package.read(vml_rel.target))
        except etree.XMLSyntaxError as error:  # Excel's own VML is not always XML
            raise Unsupported("unreadable drawing") from error
        authors = comments.find(f"{_M}authors")
        our_author = next((i for i, a in enumerate(authors) if a.text == outputs.MARK_AUTHOR), None)
        comment_list = comments.find(f"{_M}commentList")
        removed, kept = set(), set()
        for comment in list(comment_list):
            row, col = _split_ref(comment.get("ref", ""))
            if our_author is not None and comment.get("authorId") == str(our_author):
                comment_list.remove(comment)
                removed.add((row, col))
            else:
                kept.add((row, col))
        for shape in list(drawing):
            if _note_position(shape) in removed:
                drawing.remove(shape)
        ids = [int(m) for m in re.findall(rb"_x0000_s(\d+)", etree.tostring(drawing))]
        fresh = {cell: note for cell, note in notes.items() if cell not in kept}  # theirs stay
        _add_notes(comments, drawing, fresh, max(ids, default=1024) + 1)
        if not len(comment_list):
            self._drop_notes(rels, comments_rel, vml_rel, legacy, drawing)
            return
        package.write(comments_rel.target, to_xml(comments))
        package.write(vml_rel.target, etree.tostring(drawing, encoding="UTF-8"))

    def _drop_notes(self, rels, comments_rel, vml_rel, legacy, drawing) -> None:
        package = self.book.package
        if any(_note_position(s) is None and s.tag.endswith("shape") for s in drawing):
            package.write(vml_rel.target, etree.tostring(drawing, encoding="UTF-8"))
            package.write(comments_rel.target, to_xml(_empty_comments()))
            return
        for rel in (comments_rel, vml_rel):
            self.book._remove_tree(rel.target)
        package.set_relationships(self.part, [r for r in rels if r not in (comments_rel, vml_rel)])
        self.xml = self.xml[: legacy.start()] + self.xml[legacy.end() :]


def _free_id(used: set[str], prefix: str) -> str:
    number = 1
    while f"{prefix}{number}" in used:
        number += 1
    return f"{prefix}{number}"


def _split_ref(ref: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
    return (int(match[2]), column_number(match[1])) if match else (0, 0)


# -- sheet XML as text --


def _column_styles(xml: str) -> dict[int, int]:
    head = xml[: max(xml.find("<sheetData"), 0)]
    styles = {}
    for tag in _COL.findall(head):
        found = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if "style" in found:
            for col in range(int(found.get("min", 0)), min(int(found.get("max", 0)), 16384) + 1):
                styles[col] = int(found["style"])
    return styles


def _restyle_cells(
    xml: str,
    changes: dict[int, dict[int, Callable[[int], int]]],
    column_styles: dict[int, int],
) -> str:
    """Give the cells in ``changes`` (row -> col -> new style of old) their new style index.

    Only the rows named are touched; a cell (or row) that is not in the XML is added empty.
    """
    open_at = xml.find("<sheetData")
    if open_at < 0:
        raise Unsupported("no sheetData")
    tag_end = xml.find(">", open_at) + 1
    if xml[tag_end - 2] == "/":  # <sheetData/>
        xml = xml[: tag_end - 2] + "></sheetData>" + xml[tag_end:]
        tag_end -= 1
    close_at = xml.find("</sheetData>", tag_end)
    region = xml[tag_end:close_at]
    pending = sorted(changes)
    pieces: list[str] = []
    last = 0
    index = 0
    for match in _ROW_TAG.finditer(region):
        if index == len(pending):
            break
        found = _ROW_REF.search(match[0])
        if found is None:
            raise Unsupported("a row without its number")
        row = int(found[1])
        while index < len(pending) and pending[index] < row:
            added = _new_row(pending[index], changes, column_styles)
            pieces += [region[last : match.start()], added]
            last = match.start()
            index += 1
        if index < len(pending) and pending[index] == row:
            if match[1]:  # <row .../>
                content, end = "", match.end()
                tag = match[0][:-2] + ">"
            else:
                end = region.find("</row>", match.end())
                content, tag = region[match.end() : end], match[0]
                end += len("</row>")
            cells = _restyle_row(content, row, changes[row], column_styles)
            pieces += [region[last : match.start()], _SPANS.sub("", tag), cells, "</row>"]
            last = end
            index += 1
    pieces.append(region[last:])
    pieces += [_new_row(r, changes, column_styles) for r in pending[index:]]
    return xml[:tag_end] + "".join(pieces) + xml[close_at:]


def _new_row(row: int, changes: dict, column_styles: dict[int, int]) -> str:
    return f'<row r="{row}">{_restyle_row("", row, changes[row], column_styles)}</row>'


def _restyle_row(
    content: str, row: int, columns: dict[int, Callable[[int], int]], column_styles: dict[int, int]
) -> str:
    pieces, last = [], 0
    todo = sorted(columns)
    index = 0
    for cell in _CELL.finditer(content):
        ref = _CELL_REF.search(cell[0][: cell[0].find(">") + 1])
        if ref is None or int(ref[2]) != row:
            raise Unsupported("a cell without its address")
        col = column_number(ref[1])
        while index < len(todo) and todo[index] < col:
            new = todo[index]
            style = columns[new](column_styles.get(new, 0))
            added = f'<c r="{column_letter(new)}{row}" s="{style}"/>'
            pieces += [content[last : cell.start()], added]
            last = cell.start()
            index += 1
        if index < len(todo) and todo[index] == col:
            text = cell[0]
            gt = text.find(">")
            closing = "/" if text[gt - 1] == "/" else ""
            head = text[: gt - len(closing)]
            old = _STYLE.search(head)
            style = columns[col](int(old[1]) if old else column_styles.get(col, 0))
            if old:
                head = head[: old.start()] + f' s="{style}"' + head[old.end() :]
            else:
                head += f' s="{style}"'
            pieces += [content[last : cell.start()], head + closing + text[gt:]]
            last = cell.end()
            index += 1
    pieces.append(content[last:])
    for new in todo[index:]:
        style = columns[new](column_styles.get(new, 0))
        pieces.append(f'<c r="{column_letter(new)}{row}" s="{style}"/>')
    return "".join(pieces)


# -- notes: comments part and legacy drawing --

_V = "urn:schemas-microsoft-com:vml"
_O = "urn:schemas-microsoft-com:office:office"
_X = "urn:schemas-microsoft-com:office:excel"


def _empty_comments() -> etree._Element:
    root = etree.Element(f"{_M}comments", nsmap={None: MAIN_NS})
    etree.SubElement(root, f"{_M}authors")
    etree.SubElement(root, f"{_M}commentList")
    return root


def _empty_drawing(block: int) -> etree._Element:
    root = etree.Element("xml", nsmap={"v": _V, "o": _O, "x": _X})
    layout = etree.SubElement(root, f"{{{_O}}}shapelayout")
    layout.set(f"{{{_V}}}ext", "edit")
    idmap = etree.SubElement(layout, f"{{{_O}}}idmap", data=str(block))
    idmap.set(f"{{{_V}}}ext", "edit")
    shapetype = etree.SubElement(
        root,
        f"{{{_V}}}shapetype",
        id="_x0000_t202",
        coordsize="21600,21600",
        path="m,l,21600r21600,l21600,xe",
    )
    shapetype.set(f"{{{_O}}}spt", "202")
    etree.SubElement(shapetype, f"{{{_V}}}stroke", joinstyle="miter")
    path = etree.SubElement(shapetype, f"{{{_V}}}path", gradientshapeok="t")
    path.set(f"{{{_O}}}connecttype", "rect")
    return root


def _add_notes(
    comments: etree._Element,
    drawing: etree._Element,
    notes: dict[tuple[int, int], str],
    first_shape: int,
) -> None:
    if not notes:
        return
    authors = comments.find(f"{_M}authors")
    names = [a.text for a in authors]
    if outputs.MARK_AUTHOR not in names:
        etree.SubElement(authors, f"{_M}author").text = outputs.MARK_AUTHOR
        names.append(outputs.MARK_AUTHOR)
    author = str(names.index(outputs.MARK_AUTHOR))
    entries, shapes = _notes_xml(notes, first_shape, author)
    comments.find(f"{_M}commentList").extend(_elements(entries, f'xmlns="{MAIN_NS}"'))
    drawing.extend(_elements(shapes, f'xmlns:v="{_V}" xmlns:o="{_O}" xmlns:x="{_X}"'))


def _new_notes_xml(notes: dict[tuple[int, int], str], block: int) -> tuple[bytes, bytes]:
    """The comments part and the VML drawing of a sheet that had no notes, as bytes.

    What :func:`_add_notes` builds with lxml, written as text: a checked copy of a book with
    hundreds of thousands of issues would otherwise hold millions of elements (gigabytes).
    """
    comments, drawing = _empty_comments(), _empty_drawing(block)
    authors = comments.find(f"{_M}authors")
    etree.SubElement(authors, f"{_M}author").text = outputs.MARK_AUTHOR
    entries, shapes = _notes_xml(notes, 1024 * block + 1, "0")
    head = to_xml(comments).decode("utf-8")
    comments_xml = head.replace("<commentList/>", f"<commentList>{entries}</commentList>", 1)
    drawing_xml = etree.tostring(drawing, encoding="UTF-8").decode("utf-8")
    drawing_xml = drawing_xml[: drawing_xml.rindex("</xml>")] + shapes + "</xml>"
    return comments_xml.encode("utf-8"), drawing_xml.encode("utf-8")


def _notes_xml(notes: dict[tuple[int, int], str], first_shape: int, author: str) -> tuple[str, str]:
    """The notes' comment elements and their VML shapes, as the text lxml writes for them."""
    entries, shapes = [], []
    for number, ((row, col), note) in enumerate(sorted(notes.items()), start=first_shape):
        entries.append(
            f'<comment ref="{column_letter(col)}{row}" authorId="{author}"><text>'
            f'<t xml:space="preserve">{_xml_text(note)}</t></text></comment>'
        )
        shapes.append(_note_shape_xml(number, row, col, note))
    return "".join(entries), "".join(shapes)


def _elements(xml: str, namespaces: str) -> list[etree._Element]:
    """The elements of an XML fragment, parsed at once (the prefixes declared for them)."""
    return list(parse_xml(f"<xml {namespaces}>{xml}</xml>".encode()))


def _xml_text(text: str) -> str:
    """Text as lxml writes it in an element: &, <, > escaped, a carriage return as &#13;."""
    return xml_escape(text, {"\r": "&#13;"})


def _note_shape_xml(number: int, row: int, col: int, note: str) -> str:
    """A note's VML shape, as the text lxml writes for it inside the drawing."""
    height = 40 + 20 * note.count("\n") + len(note) // 2  # px, as the openpyxl writer sizes it
    anchor = f"{col}, 15, {max(row - 2, 0)}, 2, {col + 3}, 15, {row + 3}, 16"
    return (
        f'<v:shape id="_x0000_s{number}" type="#_x0000_t202" style="position:absolute;'
        f"margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:{height * 0.75:.1f}pt;"
        f'z-index:{number % 1024 or 1};visibility:hidden" fillcolor="#ffffe1" '
        'o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column></x:ClientData></v:shape>"
    )


def _note_position(shape: etree._Element) -> tuple[int, int] | None:
    data = shape.find(f"{{{_X}}}ClientData")
    if data is None or data.get("ObjectType") != "Note":
        return None
    row, col = data.find(f"{{{_X}}}Row"), data.find(f"{{{_X}}}Column")
    if row is None or col is None:
        return None
    return int(row.text) + 1, int(col.text) + 1


# -- the tool's own sheets, laid out by openpyxl --


class _ToolPackage:
    """The tool's sheets saved by openpyxl into a small package of their own."""

    def __init__(self, tool_book: Workbook) -> None:
        buffer = io.BytesIO()
        tool_book.save(buffer)
        self.package = Package(buffer.getvalue())
        self.book = _Workbook(self.package)
        self.sheets = list(self.book.parts.items())
        self.sheet_parts = {part for _, part in self.sheets}
        types = self.package.content_types()
        self._overrides = {
            o.get("PartName", "")[1:]: o.get("ContentType")
            for o in types.findall(f"{{{CT_NS}}}Override")
        }
        self._defaults = {
            (d.get("Extension") or "").lower(): d.get("ContentType")
            for d in types.findall(f"{{{CT_NS}}}Default")
        }
        strings = [r.target for r in self.book.rels if r.type.endswith("/sharedStrings")]
        self._strings = _shared_strings(self.package.read(strings[0])) if strings else []
        # rows the writer kept out of openpyxl (see xlsx_writer.StreamedRows): added as XML
        self.streamed = {
            part: rows
            for name, part in self.sheets
            if (rows := getattr(tool_book[name], "streamed_rows", None)) is not None
        }

    def content_type(self, part: str) -> str:
        if part in self._overrides:
            return self._overrides[part]
        return self._defaults.get(posixpath.splitext(part)[1][1:].lower(), "application/xml")

    def sheet_xml(self, part: str, target: _Styles) -> str:
        """The sheet with its styles renumbered into ``target`` and its strings inline."""
        xml = self.package.read(part).decode("utf-8")
        source = self.book.styles

        def restyle(match: re.Match) -> str:
            return f' {match[1]}="{target.import_xf(source, int(match[2]))}"'

        xml = re.sub(r'\s(s|style)="(\d+)"', restyle, xml)
        return re.sub(r'<c\b([^>]*?)\st="s"([^>]*)><v>(\d+)</v></c>', self._inline, xml)

    def _inline(self, match: re.Match) -> str:
        return f'<c{match[1]} t="inlineStr"{match[2]}><is>{self._strings[int(match[3])]}</is></c>'


def _shared_strings(data: bytes) -> list[str]:
    root = parse_xml(data)
    return [
        "".join(etree.tostring(child, encoding="unicode") for child in item).replace(
            f' xmlns="{MAIN_NS}"', ""
        )
        for item in root
    ]
