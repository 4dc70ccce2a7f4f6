"""What the Excel buttons run: 校验, 汇总, 生成报告 on the calling workbook.

Each macro is a few lines over the same library functions as the command line.
VBA calls them with ``RunPython "import campaign_report.macros as m; m.validate()"``
(see ``addin/``); tests pass a book. A failure is written into the workbook in
Chinese instead of surfacing as a Python traceback dialog.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .adapters import xlwings_book
from .aggregate import aggregate as aggregate_book
from .definition import load_definition
from .errors import CampaignError
from .excel_build import CONTROL_SHEET, STATUS_CELL
from .model import CampaignBook, load_book
from .steps import sibling, write_report
from .validate import validate as validate_book

F = TypeVar("F", bound=Callable[..., Any])


def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _status(book: Any, message: str) -> None:
    xlwings_book.write_status(book, message, CONTROL_SHEET, STATUS_CELL)


def _reported(function: F) -> F:
    """Run a macro; turn any failure into a Chinese status message in the workbook."""

    @functools.wraps(function)
    def run(book: Any = None, **kwargs: Any) -> Any:
        book = _caller(book)
        try:
            return function(book, **kwargs)
        except CampaignError as error:
            _status(book, f"未完成：{error}")
        except OSError as error:  # the report is open in Word, the folder is read-only, ...
            name = f"“{error.filename}”" if error.filename else ""
            _status(book, f"未完成：无法写入文件{name}（是否正在 Word 或 Excel 中打开？）")
        except Exception as error:  # the office must see a message, not a VBA error box
            last = traceback.extract_tb(error.__traceback__)[-1]
            _status(
                book,
                f"出错了：{type(error).__name__}: {error}"
                f"（{Path(last.filename).name}:{last.lineno}），请联系信息中心。",
            )
        return None

    return run  # type: ignore[return-value]


def _read(book: Any) -> CampaignBook:
    definition = load_definition()
    return load_book(definition, xlwings_book.read_raw_sheets(book, definition), source=book.name)


@_reported
def validate(book: Any = None) -> Any:
    """校验: mark bad cells, list every issue on 校验结果, say the count on the control sheet."""
    result = validate_book(_read(book))
    skipped = xlwings_book.write_validation(book, result)
    more = f"另有{skipped}处未标色，见校验结果表。" if skipped else ""
    _status(book, f"{result.summary_line()}{more}")
    return result


@_reported
def aggregate(book: Any = None) -> Any:
    """汇总: rewrite the 汇总 sheet from the book's rows."""
    summary = aggregate_book(_read(book))
    xlwings_book.write_summary(book, summary)
    _status(book, "汇总完成，见“汇总”表。")
    return summary


@_reported
def generate_report(book: Any = None, out_dir: Path | None = None, force: bool = False) -> Any:
    """生成报告: save the 工作总结 .docx next to the workbook and say where."""
    if out_dir is None and not Path(book.fullname).is_absolute():
        raise CampaignError("请先把工作簿保存到文件夹中，报告会保存在工作簿旁边")
    out = sibling(Path(book.fullname), "工作总结", ".docx")  # the CLI's name for it too
    if out_dir is not None:
        out = Path(out_dir) / out.name
    written = write_report(_read(book), out, markdown=False, force=force)
    _status(book, f"已生成工作总结：{written['报告']}")
    return written
