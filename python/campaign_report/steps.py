"""The product's steps as library functions; the CLI and the Excel macros call these."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import atomic, collect
from .adapters.xlsx_reader import read_raw_sheets, reading_each
from .aggregate import Summary, aggregate
from .definition import Definition, Sheet, load_definition
from .errors import CampaignError, RefusedError
from .example import load_example, load_example_lists
from .model import LISTS_SHEET, CampaignBook, RawSheet, load_book, read_lists
from .validate import ValidationResult, find_errors, validate

# The writers (openpyxl, XlsxWriter, python-docx, Jinja2) are imported by the steps that
# write: `validate --no-copy` on a big book should not pay a second for libraries it never uses.

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def new_workbook(
    out: Path, definition: Definition | None = None, progress: Progress = _quiet
) -> Path:
    """Build the empty template; a name ending .xlsm gets the control sheet and buttons.

    A workbook someone has filled in is never replaced: the template gets the next free name.
    """
    definition = definition or load_definition()
    out = Path(out)
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise CampaignError(f"输出文件名“{out.name}”应以 .xlsx 或 .xlsm 结尾")
    from .adapters.xlsx_template import build_workbook

    return build_workbook(definition, _claim(out, progress))


def open_book(
    path: Path, definition: Definition | None = None, progress: Progress = _quiet
) -> CampaignBook:
    """Read a workbook file into typed tables (see :func:`campaign_report.model.load_book`)."""
    definition = definition or load_definition()
    raw = read_raw_sheets(Path(path), progress=progress, ahead=True)
    return load_book(definition, raw, source=str(path))


def build_example(
    out: Path, definition: Definition | None = None, folder: Path | None = None
) -> Path:
    """Write an example campaign's filled workbook (.xlsm: with the 控制台 buttons).

    ``folder`` holds one CSV a sheet (default: the bundled seed campaign).
    """
    definition = definition or load_definition()
    definition = definition.with_lists(load_example_lists(definition, folder))
    records, settings = load_example(definition, folder)
    from .adapters.xlsx_template import build_workbook

    return build_workbook(definition, Path(out), records, settings)


def run_demo(outdir: Path, progress: Progress = _quiet) -> dict[str, Path]:
    """Build the example workbook and every output the tool makes from it, into ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    definition = load_definition()
    progress("1/6 生成示例工作簿……")
    book_path = build_example(outdir / "示例台账.xlsx", definition)
    excel_book = build_example(outdir / "示例台账.xlsm", definition)
    progress("2/6 校验……")
    result, checked = check_file(book_path)
    progress(f"    {result.summary_line()}")
    progress("3/6 汇总……")
    _, summary = summarise_file(book_path)
    progress("4/6 生成工作总结……")
    report = report_file(book_path, outdir / "工作总结.docx", markdown=True)
    progress("5/6 分发给各单位，两个单位改过副本后合并回来……")
    round_ = demo_round(book_path, outdir / collect.COPIES_FOLDER, definition, progress)
    progress("6/6 用合并后的台账生成工作总结……")
    merged = report_file(round_["合并后的台账"], outdir / "工作总结（合并后）.docx")
    return {
        "示例工作簿": book_path,
        "带按钮的示例工作簿": excel_book,
        "校验结果": checked,
        "汇总": summary,
        **report,
        **round_,
        "合并后的工作总结": merged["报告"],
    }


def demo_round(
    master: Path, folder: Path, definition: Definition, progress: Progress = _quiet
) -> dict[str, Path]:
    """Split ``master``, edit two copies as units would, and merge them back.

    The busiest unit of the first per-unit sheet reports two more rows there; the unit
    with the fewest rows on the last per-unit sheet clears them (and lands on 催报).
    """
    from .adapters import xlsx_merge

    split_file(master, folder)
    tables, _, units = _read_master(master, definition, _quiet)
    exempt = set(definition.rules.get("exempt_unit_kinds", ()))
    names = [u.name for u in units if u.kind not in exempt]
    per_unit = [s for s in collect.unit_sheets(definition) if s.per_unit]
    first, last = per_unit[0], per_unit[-1]
    counts = {k: collections.Counter(r.unit for r in tables[k.key].rows) for k in (first, last)}
    busy = max(names, key=lambda n: counts[first][n])
    quiet = min((n for n in names if counts[last][n] and n != busy), key=lambda n: counts[last][n])
    mine = [r for r in tables[first.key].rows if r.unit == busy][-2:]
    xlsx_merge.edit_copy(
        folder / collect.copy_filename(master, busy),
        first.name,
        append=[_reported_again(first, row) for row in mine],
    )
    copy = folder / collect.copy_filename(master, quiet)
    theirs = collect.read_table(last, read_raw_sheets(copy)[last.name]).rows
    xlsx_merge.edit_copy(copy, last.name, delete=[r.number for r in theirs])
    result, merged = merge_files(master, [folder])
    for line in result.check_lines():
        if not line.endswith("没有改动"):
            progress(f"    {line}")
    progress(f"    {result.summary_line()}")
    return {"各单位副本": folder, "合并后的台账": merged}


def _reported_again(sheet: Sheet, row: collect.Row) -> dict[str, Any]:
    """A new row like ``row``: its first text key column marked, so it is no duplicate."""
    values = {c.header: v for c, v in zip(sheet.columns, row.values, strict=True)}
    key = next(
        (c for c in sheet.columns if c.key in sheet.duplicate_key and c.type == "text"), None
    )
    if key is not None:
        values[key.header] = f"{values[key.header]}（补报）"
    return values


# -- the three buttons, headless --


def sibling(path: Path, tag: str, suffix: str) -> Path:
    """台账.xlsx -> 台账.校验.xlsx: outputs go beside the input, never over it.

    Run on the tool's own copy (台账.校验.xlsx) it numbers the next one 台账.校验-2.xlsx.
    """
    path = Path(path)
    stem = path.stem.removesuffix(f".{tag}")
    candidate = path.with_name(f"{stem}.{tag}{suffix}")
    number = 2
    while candidate.resolve() == path.resolve():
        candidate = path.with_name(f"{stem}.{tag}-{number}{suffix}")
        number += 1
    return candidate


def check_file(
    path: Path, out: Path | None = None, write: bool = True, progress: Progress = _quiet
) -> tuple[ValidationResult, Path | None]:
    """校验: validate ``path``; with ``write`` save a marked copy (default 台账.校验.xlsx)."""
    out = Path(out) if out else sibling(path, "校验", ".xlsx")
    _refuse_overwrite(path, out)
    progress(f"读取“{Path(path).name}”……")
    definition = load_definition()
    raw = read_raw_sheets(Path(path), progress=progress, ahead=True)
    book = load_book(definition, raw, source=str(path))
    progress("校验……")
    result = validate(book)
    # On a merged book, an issue names the unit's file and row (its 合并来源).
    result.issues = collect.name_sources(result.issues, collect.sources(definition, raw))
    if not write:
        return result, None
    out = _claim(out, progress)
    progress("写出标注副本……")
    from .adapters import xlsx_writer

    return result, xlsx_writer.write_checked_copy(Path(path), out, result, progress)


def summarise_file(
    path: Path, out: Path | None = None, progress: Progress = _quiet
) -> tuple[Summary, Path]:
    """汇总: aggregate ``path`` into a copy with the 汇总 sheet (default 台账.汇总.xlsx)."""
    out, book = _open_for_copy(path, out, "汇总", progress)
    progress("汇总……")
    from .adapters import xlsx_writer
    from .report import render_body

    summary = aggregate(book)
    render_body(summary)  # leaves the trace (报告依据) of the default report on the summary
    _warn_error_values(book, progress)
    out = _claim(out, progress)
    progress("写出汇总副本……")
    return summary, xlsx_writer.write_summary_copy(Path(path), out, summary, progress)


def report_file(
    path: Path,
    out: Path | None = None,
    template: Path | None = None,
    markdown: bool = False,
    force: bool = False,
    progress: Progress = _quiet,
    left_out: Callable[[list[str]], None] | None = None,
) -> dict[str, Path]:
    """生成报告: write the 工作总结 .docx (and .md); refused while the book has errors.

    ``left_out`` receives the rows no statement used (未写入报告), one line a sheet.
    """
    from .adapters import pdf_layout

    out = Path(out) if out else sibling(path, "工作总结", ".docx")
    _refuse_overwrite(path, out)
    inputs = [Path(path), *([Path(template)] if template else [])]
    with pdf_layout.office_started(inputs):  # LibreOffice starts while the book is read
        progress(f"读取“{Path(path).name}”……")
        book = open_book(path, progress=progress)
        progress("校验、汇总并生成工作总结……")
        return write_report(book, out, template, markdown, force, left_out, progress)


def write_report(
    book: CampaignBook,
    out: Path,
    template: Path | None = None,
    markdown: bool = False,
    force: bool = False,
    left_out: Callable[[list[str]], None] | None = None,
    progress: Progress = _quiet,
) -> dict[str, Path]:
    """Validate, aggregate and render ``book``; the shared core of the CLI and the Excel button.

    The .docx and the .md are written together: both or, on any failure, neither.
    """
    from .adapters import pdf_layout

    with pdf_layout.office_started():  # its start-up overlaps the work up to the measuring
        return _write_report(book, out, template, markdown, force, left_out, progress)


def _write_report(
    book: CampaignBook,
    out: Path,
    template: Path | None,
    markdown: bool,
    force: bool,
    left_out: Callable[[list[str]], None] | None,
    progress: Progress,
) -> dict[str, Path]:
    from .adapters import pdf_layout
    from .docx_writer import write_docx
    from .report import render_document, to_markdown

    errors = [] if force else find_errors(book)  # warnings never refuse a report
    if errors:
        first = errors[0]
        raise RefusedError(
            f"工作簿有{len(errors)}个错误，请先改正后再生成报告"
            f"（第一个：{first.sheet}!{first.cell} {first.message}）"
        )
    summary = aggregate(book)
    if summary.gaps and not force:
        raise RefusedError(
            f"有{len(summary.gaps)}个数字因缺列或单元格无法读取而未能完整统计，"
            f"请先改正后再生成报告（{next(iter(summary.gaps.values())).line}）"
        )
    if Path(out).suffix.lower() != ".docx":
        raise CampaignError(f"报告文件名“{Path(out).name}”应以 .docx 结尾")
    document = render_document(book, summary, template)
    if left_out is not None and summary.trace is not None:
        left_out(summary.trace.left_out_lines())
    targets, note = atomic.claim(out, *([Path(out).with_suffix(".md")] if markdown else []))
    if note:
        progress(note)
    with atomic.atomic_paths(targets) as scratches:
        # With LibreOffice at hand the closing block is fitted to the measured pages.
        write_docx(document, scratches[0], measure=pdf_layout.measure_docx)
        if markdown:
            scratches[1].write_text(to_markdown(document) + "\n", encoding="utf-8")
    return dict(zip(("报告", "Markdown"), targets, strict=False))


def _open_for_copy(
    path: Path, out: Path | None, tag: str, progress: Progress
) -> tuple[Path, CampaignBook]:
    """Name the copy (checked before any work, so a bad name fails fast), then read the book."""
    out = Path(out) if out else sibling(path, tag, ".xlsx")
    _refuse_overwrite(path, out)
    progress(f"读取“{Path(path).name}”……")
    return out, open_book(path, progress=progress)


def _refuse_overwrite(source: Path, out: Path) -> None:
    same = Path(out).resolve() == Path(source).resolve()
    if not same and Path(out).exists() and Path(source).exists():
        same = os.path.samefile(out, source)  # a hard link, or another spelling of the name
    if same:
        raise CampaignError("输出文件不能与输入文件相同：本工具从不修改原工作簿，请换一个文件名")


# -- the collection round: split the book into the units' copies, merge them back --


def split_file(master: Path, outdir: Path, progress: Progress = _quiet) -> list[Path]:
    """Write one copy a unit of the 单位 sheet into ``outdir``: 台账.古市工商所.xlsx …"""
    from .adapters import xlsx_template

    master, outdir = Path(master), Path(outdir)
    definition = load_definition()
    lists = read_raw_sheets(master, only={LISTS_SHEET}).get(LISTS_SHEET)
    definition = definition.with_lists(read_lists(definition, lists))  # the copies' dropdowns
    tables, settings, units = _read_master(master, definition, progress, whole=True)
    protected = collect.office_sheet_keys(definition)
    mark = functools.partial(
        collect.marker,
        campaign=str(settings.get("campaign_name") or ""),
        version=_file_version(master),
        when=dt.datetime.now(),
    )
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for number, unit in enumerate(units, start=1):
        progress(f"{number}/{len(units)} {unit.name}")
        path = outdir / collect.copy_filename(master, unit.name)
        _refuse_overwrite(master, path)
        records = collect.split_records(definition, tables, unit.name)
        copy = xlsx_template.UnitCopy(unit.name, protected, mark(unit.name))
        written.append(xlsx_template.build_workbook(definition, path, records, settings, copy))
    return written


def merge_files(
    master: Path,
    inputs: Sequence[Path],
    out: Path | None = None,
    check: bool = False,
    progress: Progress = _quiet,
) -> tuple[collect.MergeResult, Path | None]:
    """Merge the units' copies (files or folders) into a new copy of ``master``.

    With ``check`` nothing is written. The master itself is never changed.
    """
    with _cycle_collector_paused():
        return _merge_files(Path(master), inputs, out, check, progress)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A merge keeps every copy's cells alive until it ends, and makes no reference cycles
    worth collecting meanwhile; the cycle collector would walk those cells again and again
    (a fifth of a 30-copy merge's time). Refcounting still frees what is dropped.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _merge_files(
    master: Path, inputs: Sequence[Path], out: Path | None, check: bool, progress: Progress
) -> tuple[collect.MergeResult, Path | None]:
    from .adapters import xlsx_merge

    definition = load_definition()
    out = Path(out) if out else sibling(master, "合并", master.suffix.lower())
    _refuse_overwrite(master, out)
    files = copy_files(inputs, exclude=(master, out))
    wanted = {s.name for s in collect.unit_sheets(definition)}
    # A copy's own sheets, one pass each; its marker's parts kept from the same pass. Merge
    # parses nothing else of a copy: what calamine does not parse need not be scanned.
    with reading_each(
        files, only=wanted, keep=xlsx_merge.PACKAGE_INFO_PARTS, sheets_only=True
    ) as copies_read:
        tables, settings, units = _read_master(master, definition, progress)  # meanwhile
        if not files:
            raise CampaignError("没有找到要合并的副本（.xlsx/.xlsm），请检查文件或文件夹")
        # The master's side of the merged book, split into rows while the copies are read.
        prepared = None
        if not check:
            unit_tables = {s.key: tables[s.key] for s in collect.unit_sheets(definition)}
            prepared = xlsx_merge.prepare_merged_copy(master, unit_tables)
        found: dict[Path, collect.Copy | collect.Skipped] = {}
        read: dict[Path, Mapping[str, RawSheet]] = {}
        for number, (path, sheets) in enumerate(copies_read, start=1):
            progress(f"读取副本 {number}/{len(files)}：{path.name}")
            if isinstance(sheets, CampaignError):  # an unreadable copy is listed; merge goes on
                found[path] = collect.Skipped(path, str(sheets))
            else:
                read[path] = sheets
    campaign, version = str(settings.get("campaign_name") or ""), _file_version(master)
    # The copies' sheets are read together: the values they share are looked at once.
    tables_of = collect.copy_tables(definition, list(read.values()))
    for path, sheets in zip(read, tables_of, strict=True):
        info = xlsx_merge.read_package_info(path, getattr(read[path], "parts", None))
        found[path] = collect.identify(definition, path, info, sheets, units, campaign, version)
    in_order = [found[path] for path in files]
    copies = [c for c in in_order if isinstance(c, collect.Copy)]
    skipped = [c for c in in_order if isinstance(c, collect.Skipped)]
    result = collect.merge(definition, tables, units, copies, skipped)
    if check:
        return result, None
    progress("写出合并后的台账……")
    return result, xlsx_merge.write_merged_copy(master, out, result, tables, prepared)


def copy_files(inputs: Sequence[Path], exclude: Sequence[Path] = ()) -> list[Path]:
    """The workbooks named, and those inside the folders named (Excel's ~$ lock files left out)."""
    skip = {Path(p).resolve() for p in exclude}
    found: dict[Path, Path] = {}
    for item in map(Path, inputs):
        if not item.exists():
            raise CampaignError(f"找不到“{item}”：请写出各单位发回的副本，或放副本的文件夹")
        if item.is_dir():
            candidates = sorted(
                p
                for p in item.rglob("*")
                if p.suffix.lower() in (".xlsx", ".xlsm") and not p.name.startswith(("~$", "."))
            )
        else:
            candidates = [item]
        for path in candidates:
            if path.resolve() not in skip:
                found.setdefault(path.resolve(), path)
    return list(found.values())


def _read_master(
    master: Path, definition: Definition, progress: Progress, whole: bool = False
) -> tuple[dict[str, collect.SheetRows], dict[str, Any], list[collect.RosterUnit]]:
    """The master's tables: every one (``whole``, to split), else what a merge needs."""
    progress(f"读取“{master.name}”……")
    needed = [*collect.unit_sheets(definition), definition.sheet("units")]
    sheets = definition.tables if whole else tuple(needed)
    names = {s.name for s in sheets} | {definition.settings.name}
    raw = read_raw_sheets(master, only=names)
    tables = {}
    for sheet in sheets:
        found = raw.get(sheet.name)
        if found is None and sheet in needed:
            raise CampaignError(f"台账“{master.name}”缺少工作表“{sheet.name}”，请使用最新模板")
        tables[sheet.key] = collect.read_table(sheet, found or RawSheet(sheet.name, []))
    units = collect.roster(definition, tables["units"])
    if not units:
        raise CampaignError(f"台账“{master.name}”的“单位”表中没有单位，无法分发或合并")
    return tables, collect.settings_values(definition, raw.get(definition.settings.name)), units


def _file_version(path: Path) -> str:
    """The master's version, as the copies' marker records it: its content's fingerprint."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _claim(out: Path, progress: Progress) -> Path:
    """The output's name: ``out``, or the next free one when ``out`` holds someone's edits."""
    (target,), note = atomic.claim(out)
    if note:
        progress(note)
    return target


def _warn_error_values(book: CampaignBook, progress: Progress) -> None:
    """Cells showing #N/A, #DIV/0! … count as empty in the figures: say so, never silently."""
    cells = [i for i in book.issues if i.rule == "error_value"]
    if cells:
        first = cells[0]
        progress(
            f"注意：有{len(cells)}个单元格是错误值（如 {first.sheet}!{first.cell} 的"
            f"“{first.value}”），未计入汇总，请先改正。"
        )
