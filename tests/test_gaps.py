"""No silent zeros: a figure whose column is missing or unreadable is named, never printed as 0."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from campaign_report.aggregate import aggregate
from campaign_report.cli import main
from campaign_report.errors import RefusedError
from campaign_report.steps import open_book, report_file


def _summary_cells(path: Path) -> dict[str, object]:
    """Label -> value of every two-column row on the 汇总 sheet, as a clerk reads them."""
    sheet = openpyxl.load_workbook(path)["汇总"]
    return {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], str)}


def _per_unit_column(path: Path, title: str) -> list[object]:
    rows = list(openpyxl.load_workbook(path)["汇总"].iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "单位")
    col = rows[header].index(title)
    body = []
    for row in rows[header + 1 :]:
        if not row or row[0] is None:
            break
        body.append(row[col])
    return body


def test_a_missing_column_is_marked_not_zero(example: Path, edit, capsys) -> None:
    editor = edit(example)
    editor.set("走访", 1, "对象名称", "备注")  # the column is there no more, under its name
    editor.set("征求意见表", 1, "回收份数", "说明")  # an optional column: no error to refuse on
    editor.save()
    assert main(["aggregate", str(example)]) == 1
    out = capsys.readouterr().out
    assert "走访企业（家，去重）：缺列：对象名称" in out
    assert "“走访企业（家，去重）”未能完整统计：“走访”表缺列“对象名称”" in out
    assert "回收征求意见表（份）：缺列：回收份数" in out
    cells = _summary_cells(example.with_name("台账.汇总.xlsx"))
    assert cells["走访企业（家，去重）"] == "缺列：对象名称"
    assert cells["回收征求意见表（份）"] == "缺列：回收份数"
    assert cells["发放征求意见表（份）"] == 300  # figures the missing columns do not touch
    assert cells["走访企业（次）"] == 137


def test_report_refuses_a_book_with_uncounted_figures_unless_forced(
    example: Path, edit, tmp_path: Path
) -> None:
    editor = edit(example)
    editor.set("征求意见表", 1, "回收份数", "说明")  # optional: validation finds no error
    editor.save()
    assert open_book(example).issues  # a warning that the column is missing
    with pytest.raises(RefusedError, match="回收征求意见表"):
        report_file(example, tmp_path / "r.docx")
    assert report_file(example, tmp_path / "r.docx", force=True)["报告"].exists()


def test_unreadable_cells_mark_the_total_and_keep_the_units(example: Path, edit) -> None:
    editor = edit(example)
    editor.set("征求意见表", 3, "发放份数", "#N/A")
    editor.save()
    summary = aggregate(open_book(example))
    gap = summary.gaps["发放征求意见表（份）"]
    assert gap.mark == "有1格无法读取：发放份数"
    assert "征求意见表（份）" in summary.gaps  # the per-unit column of the same figure
    assert main(["aggregate", str(example)]) == 1
    column = _per_unit_column(example.with_name("台账.汇总.xlsx"), "征求意见表（份）")
    assert column[-1] == "有1格无法读取：发放份数"
    assert all(isinstance(v, int) for v in column[:-1])


def test_the_clean_example_has_no_gaps(example_master: Path) -> None:
    assert aggregate(open_book(example_master)).gaps == {}


def test_the_summary_button_names_the_uncounted_figures(tmp_path: Path, definition) -> None:
    from remote_book import open_remote
    from test_macros import _status

    from campaign_report import macros
    from campaign_report.adapters.xlsx_template import build_workbook
    from campaign_report.example import load_example

    records, settings = load_example(definition)
    path = build_workbook(definition, tmp_path / "台账.xlsm", records, settings)
    book = openpyxl.load_workbook(path, keep_vba=True)
    book["征求意见表"]["E1"] = "说明"  # 回收份数 is gone
    book.save(path)
    remote = open_remote(path)
    summary = macros.aggregate(remote)
    assert set(summary.gaps) == {"回收征求意见表（份）"}
    status = _status(remote)
    assert status.startswith("汇总完成，见“汇总”表。注意：“回收征求意见表（份）”未能完整统计")
    assert "“征求意见表”表缺列“回收份数”" in status


def test_the_excel_button_reads_an_error_cell_as_an_error(tmp_path: Path, definition) -> None:
    """xlwings turns #N/A into None unless asked; the 校验 button must see the error."""
    from remote_book import open_remote

    from campaign_report import macros
    from campaign_report.adapters.xlsx_template import build_workbook
    from campaign_report.example import load_example

    records, settings = load_example(definition)
    path = build_workbook(definition, tmp_path / "台账.xlsm", records, settings)
    book = openpyxl.load_workbook(path, keep_vba=True)
    book["征求意见表"]["D3"] = "#N/A"
    book.save(path)
    result = macros.validate(open_remote(path))
    [error] = result.errors
    assert (error.rule, error.sheet, error.cell) == ("error_value", "征求意见表", "D3")


def test_every_key_figure_says_which_columns_it_needs(example_master: Path) -> None:
    """A renamed or new figure must match one FIGURE_COLUMNS pattern, or it could print a 0."""
    from campaign_report.gaps import FIGURE_COLUMNS, needs_of

    labels = [label for label, _ in aggregate(open_book(example_master)).key_figures()]
    assert len(labels) == len(FIGURE_COLUMNS)
    assert all(needs_of(label) for label in labels)
