"""生成报告: render the Jinja2 template of the 工作总结 into a :class:`Document`.

The template (``templates/工作总结.md.j2``) is plain text an office clerk can
edit: ``## `` starts a level-one heading, ``### `` a level-two heading, a blank
line ends a paragraph and ``| a | b |`` lines make a table. It runs in Jinja's
sandbox and sees only the summary's facts, the settings and a few filters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from . import sandbox, wording
from .aggregate import Summary
from .document import Block, Document, Heading, Paragraph, Table, full_width_punctuation
from .errors import TemplateError
from .model import CampaignBook
from .resources import templates_dir

DEFAULT_TEMPLATE = "工作总结.md.j2"
_SECTION_NUMERALS = "一二三四五六七八九十"


def render_document(book: CampaignBook, summary: Summary, template: Path | None = None) -> Document:
    """Return the summary document of ``book``: template body plus front and back matter."""
    settings = book.settings
    body = render_body(summary, template)
    style = settings.get("date_style") or "阿拉伯数字"
    report_date = settings.get("report_date")
    return Document(
        title=settings.get("title") or "",
        addressee=settings.get("addressee") or "",
        blocks=parse_blocks(body),
        date_line=wording.date_line(report_date, style),
        issuer=settings.get("issuer") or "",
        # One date style throughout: 印发日期 is written like 落款日期.
        issue_date=wording.date_line(settings.get("issue_date") or report_date, style),
        signature=settings.get("signature") or settings.get("organisation") or "",
        keywords=settings.get("keywords") or "",
        copy_to=tuple(_split_copy_to(settings.get("copy_to"))),
    )


def render_body(summary: Summary, template: Path | None = None) -> str:
    """Render the template with the summary's facts; a broken template raises TemplateError."""
    path = Path(template) if template else templates_dir() / DEFAULT_TEMPLATE
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"无法读取报告模板“{path}”：{error.strerror}") from error
    except UnicodeDecodeError:
        raise TemplateError(f"报告模板“{path.name}”不是 UTF-8 编码的文本，请另存为 UTF-8") from None
    return sandbox.render(_environment(summary), source, _context(summary), path.name)


def _environment(summary: Summary) -> sandbox.LimitedEnvironment:
    settings = summary.facts["settings"]
    env = sandbox.LimitedEnvironment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    step = int(settings.get("round_to") or 10)
    env.filters.update(
        cn=wording.cn,
        approx=lambda n: wording.approx(n, step=step),
        md=wording.month_day,
        span=wording.span,
        cnjoin=wording.join,
        pair_methods=wording.pair_methods,
        cell=lambda v: str(v if v is not None else "").replace("|", "｜").replace("\n", " "),
    )
    env.globals.update(xun=wording.xun)
    sandbox.limited_filters(env.filters)
    return env


def _context(summary: Summary) -> dict[str, Any]:
    counters = {"section": 0, "item": 0}

    def section() -> str:
        """一、二、… in order, so a left-out section leaves no gap."""
        counters["section"] += 1
        counters["item"] = 0
        return _SECTION_NUMERALS[counters["section"] - 1] + "、"

    def item() -> str:
        """1、2、… within a section."""
        counters["item"] += 1
        return f"{counters['item']}、"

    facts = summary.facts
    span = facts["duration"]
    return {
        **facts,
        "s": facts["settings"],
        "duration_text": wording.duration(span["months"], span["days"]),
        "section": section,
        "item": item,
    }


# -- the body text -> blocks --

_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")


def parse_blocks(text: str) -> tuple[Block, ...]:
    """Split rendered text into headings, paragraphs and tables, Markdown-style.

    Consecutive lines make one paragraph (joined without spaces, as Chinese
    text is); a blank line, a heading or a table ends it.
    """
    blocks: list[Block] = []
    paragraph: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Paragraph("".join(paragraph)))
            paragraph.clear()
        if table:
            blocks.append(Table(tuple(table[0]), tuple(tuple(r) for r in table[1:])))
            table.clear()

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|"):
            if paragraph:
                flush()
            if not _TABLE_RULE.match(line):
                table.append([c.strip() for c in line.strip("|").split("|")])
        elif not line:
            flush()
        elif line.startswith(("## ", "### ")):
            flush()
            level = 2 if line.startswith("### ") else 1
            blocks.append(Heading(line.split(" ", 1)[1].strip(), level))
        else:
            if table:
                flush()
            paragraph.append(line)
    flush()
    return tuple(blocks)


def _split_copy_to(text: Any) -> list[str]:
    if not text:
        return []
    parts = re.split(r"[，,、；;]", str(text).rstrip("。"))
    return [p.strip() for p in parts if p.strip()]


# -- Markdown copy --


def to_markdown(document: Document) -> str:
    """A Markdown copy of the document, for a quick preview or a diff."""
    lines = [f"# {document.title.replace(chr(10), '')}", ""]
    if document.addressee:
        lines += [f"{document.addressee}：", ""]
    for block in document.blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * (block.level + 1)} {block.text}", ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        else:
            lines += ["| " + " | ".join(block.header) + " |", "|" + "---|" * len(block.header)]
            lines += ["| " + " | ".join(row) + " |" for row in block.rows]
            lines.append("")
    if document.signature:
        lines += [f'<p align="right">{document.signature}</p>', ""]
    lines += [f'<p align="right">{document.date_line}</p>', "", "---", ""]
    if document.keywords:
        lines += [f"**主题词**：{document.keywords}", ""]
    if document.copy_to:
        lines += [f"抄送：{'，'.join(document.copy_to)}。", ""]
    issued = f"{document.issue_date}印发" if document.issue_date else ""
    lines += [f"{document.issuer}　　{issued}".strip("　"), ""]
    return full_width_punctuation("\n".join(lines))
