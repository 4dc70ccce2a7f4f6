"""The product's steps as library functions; the CLI and the Excel macros call these."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .adapters.xlsx_reader import read_raw_sheets
from .adapters.xlsx_template import build_workbook
from .definition import Definition, load_definition
from .errors import CampaignError
from .example import load_example
from .model import CampaignBook, load_book

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def new_workbook(out: Path, definition: Definition | None = None) -> Path:
    """Build the empty template; a name ending .xlsm gets the control sheet and buttons."""
    definition = definition or load_definition()
    out = Path(out)
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise CampaignError(f"输出文件名“{out.name}”应以 .xlsx 或 .xlsm 结尾")
    out.parent.mkdir(parents=True, exist_ok=True)
    return build_workbook(definition, out, macros=out.suffix.lower() == ".xlsm")


def open_book(path: Path, definition: Definition | None = None) -> CampaignBook:
    """Read a workbook file into typed tables (see :func:`campaign_report.model.load_book`)."""
    definition = definition or load_definition()
    return load_book(definition, read_raw_sheets(Path(path)), source=str(path))


def build_example(out: Path, definition: Definition | None = None) -> Path:
    """Write the seed campaign's filled workbook."""
    definition = definition or load_definition()
    records, settings = load_example(definition)
    return build_workbook(definition, Path(out), records, settings)


def run_demo(outdir: Path, progress: Progress = _quiet) -> dict[str, Path]:
    """Build the example workbook and every output the tool makes from it, into ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    definition = load_definition()
    progress("生成示例工作簿……")
    book_path = build_example(outdir / "示例台账.xlsx", definition)
    return {"示例工作簿": book_path}
