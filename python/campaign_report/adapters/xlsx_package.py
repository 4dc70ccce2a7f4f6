"""An .xlsx package as parts: read them lazily, copy untouched ones byte for byte.

openpyxl's load-and-save turns every cell of a big book into an object and back, about ten
times the cost of reading it with calamine. A copy that changes a few parts does not need
that: a zip entry's compressed bytes can be copied as they are, so only the parts that
change are inflated, edited and deflated again. This module is that zip layer (no zip64:
packages that need it are left to openpyxl) plus the OPC bookkeeping (relationships,
content types) the patcher needs.
"""

from __future__ import annotations

import io
import os
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from lxml import etree

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OFFICE_DOCUMENT = f"{DOC_REL}/officeDocument"
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP32_LIMIT = 0xFFFFFFFF
_UTF8_NAMES = 0x800
_DATA_DESCRIPTOR = 0x8
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
# zlib level 3 deflates a sheet's XML about 2.5x faster than the default 6, for parts about a
# sixth larger: a book is rewritten on every click, and the deflate of the last sheet is waited for.
DEFLATE_LEVEL = 3
# A part smaller than this is deflated at once (tens of microseconds): handed to the thread,
# its result would wait there for the GIL, held by the caller making the next big part.
_DEFLATE_HERE = 64 * 1024


class Unsupported(Exception):
    """The package holds something the patcher does not handle; use openpyxl instead."""


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _XML_PARSER)


def to_xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # the part name it points at, resolved (no leading slash); or an external URL
    external: bool = False


def rels_name(part: str) -> str:
    """xl/workbook.xml -> xl/_rels/workbook.xml.rels"""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


class Package:
    """The parts of one .xlsx file: untouched ones stay compressed in the source file."""

    def __init__(self, source: Path | bytes) -> None:
        self._source = source if isinstance(source, bytes) else Path(source)
        with zipfile.ZipFile(self._open()) as archive:
            self._infos = {info.filename: info for info in archive.infolist()}
        infos = self._infos.values()
        if any(i.file_size > _ZIP32_LIMIT or i.compress_size > _ZIP32_LIMIT for i in infos):
            raise Unsupported("zip64")
        self._changed: dict[str, bytes] = {}
        # Changed parts, deflated meanwhile: each with the process whose thread deflates it.
        self._deflated: dict[str, tuple[int, Future[_Deflated]]] = {}
        self._deflater: tuple[int, ThreadPoolExecutor] | None = None  # (its process, it)
        self._removed: set[str] = set()
        self._order = list(self._infos)

    # A mapping face (name -> bytes), so code written for a dict of parts works on a package.
    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __getitem__(self, name: str) -> bytes:
        return self.read(name)

    def __setitem__(self, name: str, data: bytes) -> None:
        self.write(name, data)

    def get(self, name: str, default: bytes | None = None) -> bytes | None:
        return self.read(name) if self.has(name) else default

    @property
    def names(self) -> list[str]:
        return [n for n in self._order if n not in self._removed]

    def has(self, name: str) -> bool:
        return name not in self._removed and (name in self._changed or name in self._infos)

    def size(self, name: str) -> int:
        """The uncompressed size of a part."""
        if name in self._changed or name not in self._infos:
            return len(self.read(name))
        return self._infos[name].file_size

    def read(self, name: str) -> bytes:
        if name in self._removed:
            raise KeyError(name)
        if name in self._changed:
            return self._changed[name]
        info = self._infos[name]
        with self._open() as source:
            plain = not info.flag_bits & 0x1  # not encrypted
            if plain and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                return _inflate(source, info)  # no second pass over the central directory
        with zipfile.ZipFile(self._open()) as archive:
            return archive.read(info)

    def _open(self) -> BinaryIO:
        if isinstance(self._source, bytes):
            return io.BytesIO(self._source)
        return open(self._source, "rb")

    def write(self, name: str, data: bytes) -> None:
        self._removed.discard(name)
        if name not in self._infos and name not in self._changed:
            self._order.append(name)
        self._changed[name] = data
        self._forget_deflated(name)
        if len(data) < _DEFLATE_HERE:
            done: Future[_Deflated] = Future()
            done.set_result(_deflate(data))
            self._deflated[name] = (os.getpid(), done)
        else:
            self._deflated[name] = (os.getpid(), self._deflating().submit(_deflate, data))

    def _deflating(self) -> ThreadPoolExecutor:
        """The package's deflating thread (a forked process has none of its parent's)."""
        if self._deflater is None or self._deflater[0] != os.getpid():
            self._deflater = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="deflate"))
        return self._deflater[1]

    def remove(self, name: str) -> None:
        self._removed.add(name)
        self._changed.pop(name, None)
        self._forget_deflated(name)

    def _forget_deflated(self, name: str) -> None:
        if (earlier := self._deflated.pop(name, None)) is not None:
            earlier[1].cancel()

    def unused_name(self, pattern: str) -> str:
        """The first free part name of ``pattern`` (e.g. 'xl/tables/table{}.xml'), from 1."""
        number = 1
        while self.has(pattern.format(number)):
            number += 1
        return pattern.format(number)

    # -- relationships and content types --

    def relationships(self, part: str) -> list[Relationship]:
        name = rels_name(part) if part else "_rels/.rels"
        if not self.has(name):
            return []
        found = []
        for rel in parse_xml(self.read(name)):
            external = rel.get("TargetMode") == "External"
            target = rel.get("Target", "")
            found.append(
                Relationship(
                    rel.get("Id", ""),
                    rel.get("Type", ""),
                    target if external else resolve(part, target),
                    external,
                )
            )
        return found

    def set_relationships(self, part: str, relationships: list[Relationship]) -> None:
        root = etree.Element(f"{{{REL_NS}}}Relationships", nsmap={None: REL_NS})
        for rel in relationships:
            node = etree.SubElement(root, f"{{{REL_NS}}}Relationship")
            node.set("Id", rel.id)
            node.set("Type", rel.type)
            node.set("Target", rel.target if rel.external else f"/{rel.target}")
            if rel.external:
                node.set("TargetMode", "External")
        name = rels_name(part)
        if relationships:
            self.write(name, to_xml(root))
        elif self.has(name):
            self.remove(name)

    def main_part(self) -> str:
        for rel in self.relationships(""):
            if rel.type == OFFICE_DOCUMENT:
                return rel.target
        raise Unsupported("no workbook part")

    def content_types(self) -> etree._Element:
        return parse_xml(self.read("[Content_Types].xml"))

    def set_content_types(self, root: etree._Element) -> None:
        self.write("[Content_Types].xml", to_xml(root))

    # -- saving --

    def save(self, out: BinaryIO, tick: Callable[[str], None] = lambda name: None) -> None:
        """Write the package: changed parts deflated, untouched parts copied compressed."""
        writer = _ZipWriter(out)
        with self._open() as source:
            for name in self.names:
                tick(name)
                if name in self._changed:
                    writer.add(name, self._deflated_part(name))
                else:
                    writer.copy_raw(source, self._infos[name])
        writer.close()
        if self._deflater is not None and self._deflater[0] == os.getpid():
            self._deflater[1].shutdown(wait=False)  # every part is deflated: the thread ends
        self._deflater = None

    def _deflated_part(self, name: str) -> _Deflated:
        process, deflated = self._deflated[name]
        if process == os.getpid():
            return deflated.result()
        return _deflate(self._changed[name])  # written before a fork: that thread is gone


def _raw_entry(source: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """The entry's data as stored (compressed), read past its local header."""
    source.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(source.read(_LOCAL_HEADER.size))
    if fields[0] != 0x04034B50:
        raise Unsupported("bad local header")
    source.seek(fields[9] + fields[10], 1)  # the name and the extra field
    return source.read(info.compress_size)


def _inflate(source: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    data = _raw_entry(source, info)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        try:
            data = zlib.decompress(data, -15)
        except zlib.error as error:  # what zipfile would say of it
            raise zipfile.BadZipFile(f"Bad compressed data in {info.filename!r}") from error
    if zlib.crc32(data) != info.CRC or len(data) != info.file_size:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


class _Deflated(NamedTuple):
    data: bytes  # raw deflate, as a zip entry holds it
    crc: int
    size: int


def _deflate(data: bytes) -> _Deflated:
    """A part deflated, in a thread of its own: zlib runs without the GIL, so a big sheet is
    compressed while the next part is being made, not all at the end."""
    packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return _Deflated(packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))


class _ZipWriter:
    """The little of the zip format a package needs: stored raw entries and deflated ones."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.central: list[bytes] = []

    def add(self, name: str, part: _Deflated) -> None:
        entry = (zipfile.ZIP_DEFLATED, part.crc, len(part.data), part.size, (0, 33))
        self._entry(name, entry, part.data)

    def copy_raw(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        data = _raw_entry(source, info)
        time, date = _dos_time(info)
        entry = (info.compress_type, info.CRC, info.compress_size, info.file_size, (time, date))
        self._entry(info.filename, entry, data, info.flag_bits & 0x6)  # keep deflate options

    def _entry(
        self, name: str, entry: tuple, data: bytes, extra_flags: int = 0
    ) -> None:  # (method, crc, compressed size, size, (time, date))
        method, crc, csize, size, (time, date) = entry
        encoded = name.encode("utf-8")
        flags = extra_flags | (_UTF8_NAMES if not name.isascii() else 0)
        flags &= ~_DATA_DESCRIPTOR
        offset = self.out.tell()
        if offset > _ZIP32_LIMIT or len(self.central) >= 0xFFFF:
            raise Unsupported("zip64")
        self.out.write(
            _LOCAL_HEADER.pack(
                0x04034B50, 20, flags, method, time, date, crc, csize, size, len(encoded), 0
            )
        )
        self.out.write(encoded)
        self.out.write(data)
        self.central.append(
            _CENTRAL_HEADER.pack(
                0x02014B50,
                20,
                20,
                flags,
                method,
                time,
                date,
                crc,
                csize,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )

    def close(self) -> None:
        start = self.out.tell()
        for record in self.central:
            self.out.write(record)
        size = self.out.tell() - start
        if start > _ZIP32_LIMIT:
            raise Unsupported("zip64")
        count = len(self.central)
        self.out.write(_END_RECORD.pack(0x06054B50, 0, 0, count, count, size, start, 0))


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    year, month, day, hour, minute, second = info.date_time
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
