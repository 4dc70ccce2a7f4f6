"""What the office buttons run: 校验, 汇总, 生成报告, 合并 on the calling workbook.

Each macro is a few lines over the same library functions as the command line,
and knows no office program: it takes a *host* (:class:`Host`), reads the
sheets through it in bulk and hands it a :class:`~campaign_report.outputs.WritePlan`
to carry out. Hosts: Excel through xlwings (``adapters/xlwings_book.py``; VBA calls
``RunPython "import campaign_report.macros as m; m.validate()"``, see ``addin/``)
and LibreOffice through UNO (``adapters/uno_book.py``, called by the extension's
toolbar). A failure is written into the workbook in Chinese instead of surfacing
as a Python traceback dialog.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from . import outputs
from .aggregate import aggregate as aggregate_book
from .collect import COPIES_FOLDER, LOG_SHEET, late_units
from .definition import load_definition
from .errors import CampaignError
from .model import LISTS_SHEET, CampaignBook, RawSheet, load_book
from .report import render_body
from .steps import merge_files, sibling, write_report
from .validate import validate as validate_book

F = TypeVar("F", bound=Callable[..., Any])


@runtime_checkable
class Host(Protocol):
    """An open workbook in an office program, as the macros need it."""

    name: str  # the file name, for messages

    def saved_path(self) -> Path | None:
        """The workbook's file; None while it was never saved."""

    def sheet_names(self) -> list[str]: ...

    def read_sheets(self, names: Collection[str]) -> dict[str, RawSheet]:
        """The named sheets that exist, one bulk read each (their used area)."""

    def apply_plan(self, plan: outputs.WritePlan) -> None:
        """Carry out a write plan, in bulk."""


def _host(book: Any) -> Host:
    if isinstance(book, Host):
        return book
    # Excel's RunPython passes nothing (the calling workbook); tests pass an xlwings book.
    from .adapters.xlwings_book import XlwingsBook

    return XlwingsBook.of(book)


def _step(host: Host, message: str | None) -> None:
    """Show a long macro's step where the host can (Excel's status bar); None clears it."""
    show = getattr(host, "show_step", None)
    if callable(show):
        show(message)


def _status(host: Host, message: str) -> None:
    host.apply_plan(outputs.status_plan(message, host.sheet_names()))


def _reported(function: F) -> F:
    """Run a macro; turn any failure into a Chinese status message in the workbook."""

    @functools.wraps(function)
    def run(book: Any = None, **kwargs: Any) -> Any:
        host = _host(book)
        try:
            _step(host, "正在读取工作簿……")
            return function(host, **kwargs)
        except CampaignError as error:
            _status(host, f"未完成：{error}")
        except OSError as error:  # the report is open in Word, the folder is read-only, ...
            name = f"“{error.filename}”" if error.filename else ""
            _status(host, f"未完成：无法写入文件{name}（是否正在 Word 或 Excel 中打开？）")
        except Exception as error:  # the office must see a message, not a VBA error box
            last = traceback.extract_tb(error.__traceback__)[-1]
            _status(
                host,
                f"出错了：{type(error).__name__}: {error}"
                f"（{Path(last.filename).name}:{last.lineno}），请联系信息中心。",
            )
        finally:
            _step(host, None)
        return None

    return run  # type: ignore[return-value]


def _read(host: Host) -> CampaignBook:
    definition = load_definition()
    sheets = host.read_sheets([*(s.name for s in definition.sheets), LISTS_SHEET])
    return load_book(definition, sheets, source=host.name)


@_reported
def validate(book: Any = None) -> Any:
    """校验: mark bad cells, list every issue on 校验结果, say the count on the control sheet."""
    book_data = _read(book)
    _step(book, "正在校验……")
    result = validate_book(book_data)
    _step(book, "正在写回校验结果……")
    previous = book.read_sheets([outputs.ISSUES_SHEET]).get(outputs.ISSUES_SHEET)
    plan = outputs.validation_plan(result, book.sheet_names(), previous.rows if previous else ())
    book.apply_plan(plan)
    return result


@_reported
def aggregate(book: Any = None) -> Any:
    """汇总: rewrite the 汇总 sheet from the book's rows."""
    book_data = _read(book)
    _step(book, "正在汇总……")
    summary = aggregate_book(book_data)
    render_body(summary)  # the default report's trace: which rows it states (报告依据)
    _step(book, "正在写回汇总表……")
    book.apply_plan(outputs.summary_plan(summary, book.sheet_names()))
    return summary


@_reported
def generate_report(book: Any = None, out_dir: Path | None = None, force: bool = False) -> Any:
    """生成报告: save the 工作总结 .docx next to the workbook and say where."""
    path = book.saved_path()
    if out_dir is None and path is None:
        raise CampaignError("请先把工作簿保存到文件夹中，报告会保存在工作簿旁边")
    out = sibling(path or Path(book.name), "工作总结", ".docx")  # the CLI's name for it too
    if out_dir is not None:
        out = Path(out_dir) / out.name
    book_data = _read(book)
    _step(book, "正在生成工作总结……")
    written = write_report(book_data, out, markdown=False, force=force)
    _status(book, f"已生成工作总结：{written['报告']}")
    return written


@_reported
def merge(book: Any = None, master: Path | None = None, folder: Path | None = None) -> Any:
    """合并: merge the copies in 各单位报表 beside the book into a new 台账.合并.xlsx.

    The saved file is the master (the book on screen is not changed but for 合并记录);
    the result and the 催报 list go to the status cell and the 合并记录 sheet.
    """
    master = Path(master) if master else book.saved_path()
    if master is None:
        raise CampaignError("请先把工作簿保存到文件夹中，合并时读取保存在磁盘上的台账")
    folder = Path(folder or master.parent / COPIES_FOLDER)
    _step(book, "正在合并各单位副本……")
    if not folder.is_dir():
        raise CampaignError(
            f"找不到文件夹“{folder}”：请把各单位发回的副本放进工作簿旁边的这个文件夹"
        )
    result, out = merge_files(master, [folder])
    late = late_units(result.late)
    status = (
        f"已合并{len(result.used)}份副本，合并后的台账：{out}。"
        + (f"催报：{'、'.join(late)}。" if late else "各单位都已报送。")
        + ("跳过的副本、冲突见“合并记录”表。" if result.skipped or result.conflicts else "")
    )
    tables = result.log_tables()
    book.apply_plan(
        outputs.log_plan(LOG_SHEET, result.summary_line(), tables, status, book.sheet_names())
    )
    return result, out
