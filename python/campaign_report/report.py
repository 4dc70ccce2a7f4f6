"""生成报告: render the Jinja2 template of the 工作总结 into a :class:`Document`.

The template (``templates/工作总结.md.j2``) is plain text an office clerk can
edit: ``## `` starts a level-one heading, ``### `` a level-two heading, a blank
line ends a paragraph and ``| a | b |`` lines make a table. It runs in Jinja's
sandbox and sees only the summary's facts, the settings and a few filters.

The template asks for figures through one helper, ``fact("visits.visitors")``,
which records each use and where in the text it fell. After rendering,
:class:`Trace` knows every figure the report states (with its words and source
rows) and every data row that reached no statement (未写入报告).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from . import sandbox, wording
from .aggregate import Fact, Summary
from .document import Block, Document, Heading, Paragraph, Table, full_width_punctuation
from .errors import TemplateError
from .model import CampaignBook
from .resources import templates_dir

DEFAULT_TEMPLATE = "工作总结.md.j2"
_SECTION_NUMERALS = "一二三四五六七八九十"


@dataclass
class Trace:
    """What a rendering stated: each figure with its words, and the rows it left out."""

    stated: list[tuple[Fact, str]] = field(default_factory=list)  # in order of first use
    left_out: dict[str, list[int]] = field(default_factory=dict)  # sheet name -> Excel rows

    def left_out_lines(self) -> list[str]:
        """One line a sheet: 走访：第5、9-12行."""
        return [f"{sheet}：第{row_ranges(rows)}行" for sheet, rows in self.left_out.items()]

    @property
    def left_out_count(self) -> int:
        return sum(len(rows) for rows in self.left_out.values())


def row_ranges(rows: Sequence[int], limit: int = 0) -> str:
    """[5, 6, 7, 9] -> 5-7、9; with ``limit``, only so many ranges as make ``limit`` characters.

    The runs are found with numpy: a big book's figure has 100 000 source rows.
    """
    numbers = np.sort(np.asarray(rows, dtype=np.int64))
    if not len(numbers):
        return ""
    numbers = numbers[np.concatenate(([True], np.diff(numbers) != 0))]  # each once
    breaks = np.flatnonzero(np.diff(numbers) != 1)
    starts = numbers[np.concatenate(([0], breaks + 1))].tolist()
    ends = numbers[np.concatenate((breaks, [len(numbers) - 1]))].tolist()
    parts: list[str] = []
    length = 0
    for start, end in zip(starts, ends, strict=True):
        parts.append(f"{start}-{end}" if end > start else str(start))
        length += len(parts[-1]) + 1
        if limit and length > limit:  # the rest would be cut off anyway
            break
    return "、".join(parts)


def render_document(book: CampaignBook, summary: Summary, template: Path | None = None) -> Document:
    """Return the summary document of ``book``: template body plus front and back matter.

    The rendering's :class:`Trace` is left on ``summary.trace``.
    """
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
    recorder = _Recorder(summary)
    try:
        compiled = _compiled(source, int(summary.facts["settings"].get("round_to") or 10))
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            f"报告模板“{path.name}”第{error.lineno}行有语法错误：{error.message}"
        ) from None
    sandbox.render_into(compiled, _context(summary, recorder), path.name, recorder.write)
    body = recorder.text()
    summary.trace = recorder.trace(body)
    return wording.tidy(body)


class _Recorder:
    """Collects the rendered text and, for each fact the template asks for, where it fell."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.chunks: list[str] = []
        self.length = 0
        self.uses: list[tuple[str, int]] = []

    def write(self, chunk: str) -> None:
        self.chunks.append(chunk)
        self.length += len(chunk)

    def text(self) -> str:
        return "".join(self.chunks)

    def fact(self, key: str) -> Any:
        found = self.summary.sources.get(key)
        if found is None:
            raise jinja2.UndefinedError(f"没有名为“{key}”的数据")
        self.uses.append((key, self.length))
        return found.value

    def trace(self, body: str) -> Trace:
        said: dict[str, list[str]] = {}
        for key, position in self.uses:
            said.setdefault(key, []).append(_sentence_at(body, position))
        words = {k: _best_words(self.summary.sources[k].value, s) for k, s in said.items()}
        stated = [(self.summary.sources[k], w) for k, w in words.items()]
        reached: dict[str, set[int]] = {}
        for fact, _ in stated:
            reached.setdefault(fact.sheet, set()).update(fact.numbers)
        left_out = {
            sheet: _missing(rows, reached.get(sheet, set()))
            for sheet, rows in self.summary.data_rows.items()
        }
        return Trace(stated, {s: rows for s, rows in left_out.items() if rows})


def _missing(rows: Sequence[int], reached: set[int]) -> list[int]:
    """The rows no stated fact came from, in sheet order."""
    if reached.issuperset(rows):  # the usual case, without a loop in Python
        return []
    return [r for r in rows if r not in reached]


def _best_words(value: Any, sentences: list[str]) -> str:
    """The sentence that shows the figure (六 or 6 or 120余), else the last one it was asked in."""
    if isinstance(value, int) and not isinstance(value, bool):
        shown = (str(value), wording.cn(value), wording.approx(value).removesuffix("余"))
        for sentence in sentences:
            if any(text in sentence for text in shown):
                return sentence
    return next((s for s in reversed(sentences) if s), "")


def _sentence_at(body: str, position: int) -> str:
    """The sentence of the rendered body that the text written after ``position`` belongs to."""
    start = position
    while start < len(body) and body[start] in " \n":
        start += 1
    begin = max(body.rfind(c, 0, start) for c in "。；！？\n") + 1
    ends = [i for i in (body.find(c, start) for c in "。；！？\n") if i >= 0]
    end = min(ends) + 1 if ends else len(body)
    said = body[begin:end].strip()
    if said.startswith("#") or said.startswith("|"):
        said = said.lstrip("#| ").strip()
    return wording.tidy(said)[:200]


@functools.lru_cache(maxsize=8)
def _compiled(source: str, step: int) -> jinja2.Template:
    """The template compiled once per text and rounding step: compiling costs most.

    What ``env.from_string`` does, with the compiled code kept between runs in Jinja's own
    bytecode cache (a private folder in the temp directory), keyed by the template's text.
    """
    env = _environment(step)
    return env.template_class.from_code(env, _code(env, source), env.make_globals(None), None)


# The code depends on the template's text (the cache's checksum), on Jinja and on how the
# environment compiles (the sandbox intercepts some operators): the name carries the latter.
_CODE_NAME = (
    f"campaign-report-{jinja2.__version__}-{sorted(sandbox.LimitedEnvironment.intercepted_binops)}"
)


def _code(env: jinja2.Environment, source: str) -> Any:
    try:
        cache = jinja2.FileSystemBytecodeCache()
        # A file a template text: the default template and an office's own (or two installed
        # versions) do not take each other's place.
        name = f"{_CODE_NAME}-{hashlib.sha256(source.encode('utf-8')).hexdigest()}"
        bucket = cache.get_bucket(env, name, None, source)
        if bucket.code is not None:
            return bucket.code
    except Exception:  # no safe cache folder, or a damaged entry: compile as usual
        return env.compile(source)
    bucket.code = env.compile(source)
    with contextlib.suppress(OSError):  # an unwritable cache only costs the next run
        cache.set_bucket(bucket)
    return bucket.code


def _environment(step: int) -> sandbox.LimitedEnvironment:
    env = sandbox.LimitedEnvironment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        cn=wording.cn,
        approx=lambda n: wording.approx(n, step=step),
        md=wording.month_day,
        span=wording.span,
        cnjoin=wording.join,
        pair_methods=wording.pair_methods,
        trim=wording.trim,
        quoted=wording.quoted,
        cell=lambda v: str(v if v is not None else "").replace("|", "｜").replace("\n", " "),
    )
    env.tests["column"] = wording.is_column_title
    env.globals.update(
        xun=wording.xun, clause=wording.clause, sentence=wording.sentence, period=wording.period
    )
    sandbox.limited_filters(env.filters)
    return env


def _context(summary: Summary, recorder: _Recorder | None = None) -> dict[str, Any]:
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
    settings = facts["settings"]
    fact = (recorder or _Recorder(summary)).fact
    step = int(settings.get("round_to") or 10)
    return {
        **facts,
        "s": settings,
        "fact": fact,
        "activity": _activity_sentence(fact, step),
        "duration_text": wording.period(settings.get("period_start"), settings.get("period_end")),
        "section": section,
        "item": item,
    }


def _activity_sentence(fact: Callable[[str], Any], step: int) -> Callable[[str], str]:
    """The generic statement of one kind of activity: how many, when, who, which."""

    def activity(kind: str) -> str:
        k = fact(f"activities.{kind}")
        when = wording.span(k["span"])
        if k["count"] == 1:
            r = k["records"][0]
            return wording.sentence(
                when,
                wording.clause("{}{}", k["verb"], r["title"] or kind),
                wording.clause("共{}支队伍参赛", r["teams"]),
                wording.clause("{}人参加", r["participants"]),
                r["content"],
            )
        name = k["title"]
        titles = ""
        if name == kind and k["titles"]:
            titles = ("包括{}等" if k["more_titles"] else "分别为{}").format(
                wording.quoted(k["titles"])
            )
        return wording.sentence(
            when,
            f"共{k['verb']}{name}{k['count']}{k['unit']}",
            titles,
            wording.clause("共有{}支队伍参赛", k["teams"] or None),
            wording.clause("参加{}人次", wording.approx(k["participants"], step) or None)
            if k["participants"]
            else "",
        )

    return activity


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
