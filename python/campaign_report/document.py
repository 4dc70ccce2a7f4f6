"""The summary document as plain data, between the rendered template and the writers.

The Jinja template renders the body as a small Markdown subset (``## `` level-one
heading, ``### `` level-two heading, paragraphs, pipe tables); the front and back
matter (title, addressee, date line, 版记) come from the settings. The .docx and
.md writers both take a :class:`Document`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 is “一、…” (黑体), level 2 is “（一）…” (楷体)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph, first line indented two characters."""

    text: str


@dataclass(frozen=True)
class Table:
    """A real Word table: one header row, then the rows, all as text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class Document:
    """A 工作总结 laid out after GB/T 9704-2012."""

    title: str
    blocks: tuple[Block, ...]
    date_line: str  # already written out, e.g. 2008年4月7日 or 二〇〇八年四月七日
    issuer: str  # 印发机关
    issue_date: str  # already written out, e.g. 2008年4月7日
    addressee: str = ""  # 主送, without the trailing colon
    signature: str = ""  # 发文机关署名 above the date line; empty to leave it out
    keywords: str = ""  # 主题词 (dropped by the 2012 standard, kept when set)
    copy_to: tuple[str, ...] = field(default_factory=tuple)  # 抄送 bodies


@dataclass(frozen=True)
class TextLine:
    """One line of text as a renderer laid it out: page (from 1) and box in points from the
    page's top-left corner. The .docx writer measures its pages with these."""

    page: int
    top: float
    bottom: float
    left: float
    text: str


_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_BRACKETED = re.compile(rf"\(([^()]*[{_CJK}][^()]*)\)|(?<=[{_CJK}])\(([^()]*)\)")
_HALF_WIDTH_MARKS = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_MARK_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])([,;:?!])(?![0-9A-Za-z/])")


def full_width_punctuation(text: str) -> str:
    """Chinese text takes full-width brackets and marks: 个私(民营)协会 -> 个私（民营）协会.

    Only where it is safe: brackets holding or following Chinese, and ,;:?! right after a
    Chinese character and not before Latin text or digits (so 3,000 and http://x stay).
    """
    text = _BRACKETED.sub(lambda m: f"（{m.group(1) or m.group(2)}）", text)
    return _MARK_AFTER_CJK.sub(lambda m: _HALF_WIDTH_MARKS[m.group(1)], text)
