"""campaign-report: the command line, a few lines a command over the library."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import CampaignError, RefusedError, explain_failure

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(function: Command) -> Command:
        _COMMANDS[name] = function
        return function

    return register


@command("new")
def _new(args: argparse.Namespace) -> int:
    """生成空白台账模板（.xlsx；文件名以 .xlsm 结尾时带控制台按钮）。"""
    from .steps import new_workbook

    path = new_workbook(Path(args.out), progress=_progress)
    print(f"已生成模板：{path}")
    return 0


@command("excel")
def _excel(args: argparse.Namespace) -> int:
    """从 addin/ 的源文件生成带按钮的模板（.xlsm）、加载项（.xlam）和 LibreOffice 扩展（.oxt）。"""
    from .excel_build import build_excel_files

    for label, path in build_excel_files(Path(args.outdir)).items():
        print(f"{label}：{path}")
    return 0


@command("setup-libreoffice")
def _setup_libreoffice(args: argparse.Namespace) -> int:
    """为 LibreOffice（信创桌面）安装“活动汇总”工具栏（校验、汇总、生成报告）；--remove 卸载。"""
    import tempfile

    from . import libreoffice

    office = libreoffice.find_office()
    profile = (
        [f"-env:UserInstallation={Path(args.profile).resolve().as_uri()}"] if args.profile else []
    )
    shared = not profile and libreoffice.as_root()
    with tempfile.TemporaryDirectory() as scratch:
        if args.remove:
            lines = libreoffice.remove(office, profile, shared)
        else:
            lines = libreoffice.install(office, Path(scratch), profile, shared)
    print("\n".join(lines))
    return 0


@command("schema")
def _schema(args: argparse.Namespace) -> int:
    """打印工作簿定义（工作表、列、类型、必填、可选项）。"""
    from .definition import definition_markdown, load_definition

    definition = load_definition()
    if args.json:
        print(json.dumps(definition.to_json_dict(), ensure_ascii=False, indent=2))
    elif args.markdown:
        print(definition_markdown(definition), end="")
    else:
        for sheet in definition.sheets:
            print(f"{sheet.name}：{sheet.help}")
            for column in sheet.columns:
                mark = "（必填）" if column.required else ""
                print(f"  {column.header}{mark}  {column.type_label}  {column.help}")
    return 0


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    """用内置示例（2008年松阳县工商局解放思想大讨论活动）生成工作簿及全部结果。"""
    from .steps import run_demo

    for label, path in run_demo(Path(args.outdir), progress=_progress).items():
        print(f"{label}：{path}")
    return 0


def _read_ahead(book: str) -> None:
    """Begin reading the book while the command's modules (pandas: 0.4 s) are imported."""
    from .adapters.xlsx_reader import read_ahead

    read_ahead(Path(book))


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    """校验工作簿（可一次校验多个，如各单位发回的副本）：标出问题单元格，生成带“校验结果”表的副本。"""
    _read_ahead(args.books[0])
    from .steps import check_file

    if args.out and len(args.books) > 1:
        raise CampaignError("校验多个工作簿时不能指定 --out，副本会各自写在原文件旁边")
    reports, worst, failures = [], 0, []
    for book in args.books:  # one book that fails does not stop the others
        try:
            result, out = check_file(
                Path(book), args.out and Path(args.out), write=not args.no_copy, progress=_progress
            )
        except Exception as error:
            if args.debug:
                raise
            message, code = explain_failure(error)
            worst = max(worst, code)
            failures.append((Path(book).name, message))
            reports.append({"file": book, "ok": False, "error": message})
            if len(args.books) > 1:
                print(f"== {book}\n错误：{message}", file=sys.stderr)
            continue
        worst = max(worst, 0 if result.ok else 1)
        reports.append({"file": book, **result.to_json_dict()})
        if not args.json:
            _print_issues(result, args.limit, out, book if len(args.books) > 1 else "")
    if args.json:
        data = reports[0] if len(args.books) == 1 else {"files": reports}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    if len(args.books) == 1 and failures:
        _fail_line(failures[0][1])
    elif failures:  # the last stderr line says which books failed, after the others' progress
        names = "、".join(f"“{name}”" for name, _ in failures)
        _fail_line(f"{len(failures)}个工作簿未能校验：{names}，原因见上")
    return worst


def _print_issues(result, limit: int, out: Path | None, name: str) -> None:
    if name:
        print(f"== {name}")
    for issue in result.issues[:limit]:
        where = f"{issue.sheet}!{issue.cell}" if issue.cell else issue.sheet
        print(f"[{issue.severity}] {where} {issue.message}")
    if len(result.issues) > limit:
        print(f"……另有{len(result.issues) - limit}条，见校验结果表")
    print(result.summary_line())
    if out:
        print(f"已标注的副本：{out}")


@command("aggregate")
def _aggregate(args: argparse.Namespace) -> int:
    """汇总：生成带“汇总”表（各单位情况、主要数字、图表）的副本。"""
    _read_ahead(args.book)
    from .gaps import gap_lines
    from .steps import summarise_file

    summary, out = summarise_file(Path(args.book), args.out and Path(args.out), progress=_progress)
    for label, value in summary.key_figures():
        print(f"{label}：{summary.gaps[label].mark if label in summary.gaps else value}")
    for line in gap_lines(summary.gaps):
        print(line)
    if summary.trace is not None:
        _print_left_out(summary.trace.left_out_lines())
    print(f"汇总表：{out}")
    return 1 if summary.gaps else 0


@command("report")
def _report(args: argparse.Namespace) -> int:
    """生成工作总结（.docx，按 GB/T 9704-2012 排版；可同时输出 Markdown）。"""
    from .adapters import pdf_layout

    inputs = [Path(p) for p in (args.book, args.template) if p]
    # LibreOffice's seconds of start-up overlap the imports too (report_file's own block,
    # inside this one, starts nothing more).
    with pdf_layout.office_started(inputs):
        _read_ahead(args.book)
        from .steps import report_file

        try:
            written = report_file(
                Path(args.book),
                args.out and Path(args.out),
                args.template and Path(args.template),
                markdown=args.markdown,
                force=args.force,
                progress=_progress,
                left_out=_print_left_out,
            )
        except RefusedError as error:
            raise RefusedError(f"{error}。确需生成可加 --force。") from error
    for label, path in written.items():
        print(f"{label}：{path}")
    return 0


@command("doctor")
def _doctor(args: argparse.Namespace) -> int:
    """检查本机能否从 Excel 运行本软件（Python、xlwings、Excel、宏、加载项），每项说明怎么办。"""
    from . import doctor
    from .office_pc import LocalPC

    checks = doctor.run(LocalPC(), [Path(f) for f in args.files])
    for check in checks:
        print(check.line())
    return 1 if doctor.has_problem(checks) else 0


@command("setup-excel")
def _setup_excel(args: argparse.Namespace) -> int:
    """一步配置 Excel：Python 路径、加载项、模板、受信任位置，然后检查；--remove 撤销。"""
    from . import doctor, excel_setup
    from .office_pc import LocalPC

    pc = LocalPC()
    if args.remove:
        excel_setup.remove(pc, print)
        return 0
    excel_setup.setup(pc, print, lambda question: _confirm(question, args.yes))
    print("—— 检查结果 ——")
    checks = doctor.run(pc, [excel_setup.installed_template(pc)])
    for check in checks:
        print(check.line())
    return 1 if doctor.has_problem(checks) else 0


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        return False  # nobody to ask: leave it, the message says how to do it later
    return input(f"{question}[y/N] ").strip().lower() in ("y", "yes", "是")


@command("split")
def _split(args: argparse.Namespace) -> int:
    """分发：按“单位”表给每个单位生成一份只含本单位记录的副本（台账.某单位.xlsx）。"""
    from .steps import split_file

    written = split_file(Path(args.book), Path(args.outdir), progress=_progress)
    print(f"已生成{len(written)}份副本：{Path(args.outdir)}")
    return 0


@command("merge")
def _merge(args: argparse.Namespace) -> int:
    """合并：把各单位发回的副本合并成新的台账（原台账不变），列出冲突、跳过的副本和催报名单。"""
    from .collect import COPIES_FOLDER
    from .steps import merge_files

    book = Path(args.book)
    result, out = merge_files(
        book,
        [Path(p) for p in args.copies] or [book.parent / COPIES_FOLDER],
        args.out and Path(args.out),
        check=args.check,
        progress=_progress,
    )
    for line in result.check_lines():
        print(line)
    for skipped in result.skipped:
        print(f"跳过：{skipped.path.name}：{skipped.reason}")
    for conflict in result.conflicts:
        print(
            f"冲突：{conflict.file} {conflict.sheet}表第{conflict.row}行写的是“{conflict.named}”"
            f"（副本是“{conflict.unit}”的），已保留"
        )
    for file, note in result.warnings:
        print(f"提示：{file}：{note}")
    print(result.summary_line())
    print(f"合并后的台账：{out}" if out else "（--check：只列出改动，没有写出文件）")
    return 0


def _print_left_out(lines: list[str]) -> None:
    """未写入报告: the rows no statement of the report used (see the 报告依据 sheet)."""
    if lines:
        print("未写入报告的记录：")
        for line in lines:
            print(f"  {line}")
    else:
        print("未写入报告的记录：无（每行记录都已写入报告）")


class _TerminalProgress:
    """Step lines on stderr; on a terminal, a bar over the sheets read or the parts written."""

    def __call__(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def bar(self, label: str, total: int) -> Callable[[str], None]:
        if not sys.stderr.isatty():
            return lambda item: None
        from tqdm import tqdm

        shown = tqdm(total=total, desc=label, unit="项", file=sys.stderr, leave=False)

        def tick(item: str) -> None:
            shown.set_postfix_str(item[-24:], refresh=False)
            shown.update()
            if shown.n >= total:
                shown.close()

        return tick


_progress = _TerminalProgress()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campaign-report", description="活动台账：校验、汇总、生成工作总结。"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="出错时显示完整的 Python 错误信息")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    new = sub.add_parser("new", help=_new.__doc__)
    new.add_argument("out", help="输出文件，如 台账.xlsx 或 台账.xlsm")
    excel = sub.add_parser("excel", help=_excel.__doc__)
    excel.add_argument("outdir", help="输出文件夹")
    setup_lo = sub.add_parser("setup-libreoffice", help=_setup_libreoffice.__doc__)
    setup_lo.add_argument("--remove", action="store_true", help="卸载扩展")
    setup_lo.add_argument(
        "--profile", help="LibreOffice 用户配置文件夹（默认：当前用户的；一般不用填）"
    )
    schema = sub.add_parser("schema", help=_schema.__doc__)
    schema.add_argument("--json", action="store_true", help="以 JSON 输出，供其他工具读取")
    schema.add_argument(
        "--markdown", action="store_true", help="以 Markdown 输出（docs/workbook.md）"
    )
    validate = sub.add_parser("validate", help=_validate.__doc__)
    validate.add_argument(
        "books", nargs="+", metavar="book", help="要校验的工作簿（.xlsx/.xlsm），可多个"
    )
    validate.add_argument("--out", help="标注副本的文件名（默认：原名.校验.xlsx）")
    validate.add_argument("--json", action="store_true", help="以 JSON 输出全部问题")
    validate.add_argument("--no-copy", action="store_true", help="只检查，不生成标注副本")
    validate.add_argument("--limit", type=int, default=50, help="屏幕上最多列出几条（默认50）")
    aggregate = sub.add_parser("aggregate", help=_aggregate.__doc__)
    aggregate.add_argument("book", help="要汇总的工作簿")
    aggregate.add_argument("--out", help="汇总副本的文件名（默认：原名.汇总.xlsx）")
    report = sub.add_parser("report", help=_report.__doc__)
    report.add_argument("book", help="工作簿")
    report.add_argument("--out", help="报告文件名（默认：原名.工作总结.docx）")
    report.add_argument("--template", help="自定义的 Jinja2 报告模板")
    report.add_argument("--markdown", action="store_true", help="同时输出 Markdown 副本")
    report.add_argument("--force", action="store_true", help="工作簿有错误时也生成")
    split = sub.add_parser("split", help=_split.__doc__)
    split.add_argument("book", help="台账（.xlsx/.xlsm）")
    split.add_argument("outdir", help="副本的输出文件夹")
    merge = sub.add_parser("merge", help=_merge.__doc__)
    merge.add_argument("book", help="台账（.xlsx/.xlsm），不会被修改")
    merge.add_argument(
        "copies",
        nargs="*",
        metavar="副本",
        help="各单位发回的副本，或放副本的文件夹（默认：台账旁边的“各单位报表”文件夹）",
    )
    merge.add_argument("--out", help="合并后的台账（默认：原名.合并.xlsx）")
    merge.add_argument("--check", action="store_true", help="只列出会有哪些改动，不写文件")
    demo = sub.add_parser("demo", help=_demo.__doc__)
    demo.add_argument("outdir", help="输出文件夹")
    doctor = sub.add_parser("doctor", help=_doctor.__doc__)
    doctor.add_argument(
        "files", nargs="*", metavar="file", help="也检查这些文件（网络标记、VBA 版本、配置表）"
    )
    setup = sub.add_parser("setup-excel", help=_setup_excel.__doc__)
    setup.add_argument("--yes", action="store_true", help="不询问，直接添加受信任位置")
    setup.add_argument("--remove", action="store_true", help="撤销 setup-excel 所做的一切")
    return parser


def _fail_line(message: str) -> None:
    print(f"错误：{' '.join(message.split())}", file=sys.stderr, flush=True)


def _quiet_unraisable(unraisable: object) -> None:
    """A writer's object failing again while it is cleaned up (a ZipFile on a full disk)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command: the one error boundary turns every failure into one Chinese line.

    Exit codes: 0 done (warnings allowed), 1 the book has errors (validate; a refused report),
    2 could not be done (a file unreadable or unwritable, a broken template, …).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    hook = sys.unraisablehook
    if not args.debug:
        sys.unraisablehook = _quiet_unraisable
    try:
        with warnings.catch_warnings():
            if not args.debug:  # a library's English warning must not be the last line
                warnings.simplefilter("ignore")
            return _COMMANDS[args.command](args)
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except KeyboardInterrupt:
        print("已中止。", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        message, code = explain_failure(error)
        _fail_line(message)
        return code
    finally:
        sys.unraisablehook = hook


def run() -> NoReturn:
    """The console script: :func:`main`, then leave without tearing the interpreter down.

    With pandas, numpy and openpyxl loaded, freeing every module's objects at exit takes
    about 0.13 s, a seventh of a one-county command, and there is nothing left to do: every
    file is written and closed by then. The exit handlers still run (LibreOffice stopped,
    its scratch profile removed) and the output is flushed; threads still parsing sheets
    nobody asked for are not waited for.
    """
    code = main()
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the usual exit
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
