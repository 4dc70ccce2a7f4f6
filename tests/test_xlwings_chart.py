"""The Excel 汇总 button draws the per-unit chart through xlwings' chart API.

xlwings' remote book records charts, but only from single-area ranges, and the chart's
source is three areas (units, visits, ideas). So the calls are checked on a recording
fake sheet, against the table the real summary of the example writes; the remote book
shows that 汇总 still completes where the chart cannot be drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl.utils import get_column_letter
from remote_book import actions, open_remote

from campaign_report import macros, outputs
from campaign_report.adapters import xlwings_book
from campaign_report.adapters.xlsx_template import build_workbook
from campaign_report.aggregate import aggregate
from campaign_report.example import load_example
from campaign_report.steps import open_book


class Recorder:
    """Records what the adapter asks of a sheet, as xlwings' Sheet would be asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.charts = RecordingCharts(self.calls)

    def range(self, address: Any) -> str:
        self.calls.append(("range", address))
        return f"<range {address}>"


class RecordingCharts:
    def __init__(self, calls: list[tuple[str, Any]]) -> None:
        self.calls = calls
        self.names: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Any:
        charts = self

        class Chart:
            def delete(self) -> None:
                charts.calls.append(("delete", name))
                charts.names.discard(name)

        return Chart()

    def add(self, **options: Any) -> Any:
        self.calls.append(("add", options))
        self.names.add(options["name"])
        calls = self.calls

        class Chart:
            def __setattr__(self, attribute: str, value: Any) -> None:
                calls.append((f"set {attribute}", value))

        return Chart()


@pytest.fixture(scope="module")
def unit_block(example_master: Path) -> outputs.Block:
    """The per-unit block of the example's real summary."""
    return outputs.summary_blocks(aggregate(open_book(example_master)))[0]


def test_one_chart_each_for_visits_and_ideas_in_table_order(unit_block: outputs.Block) -> None:
    sheet = Recorder()
    assert xlwings_book.add_unit_charts(sheet, 4, unit_block) == 2
    units = [row[0] for row in unit_block.rows]
    assert units[-1] == "合计" and len(units) > 3  # left out of the charts
    last = 4 + len(units) - 1
    adds = [options for call, options in sheet.calls if call == "add"]
    left = len(unit_block.headers) + 2  # right of the table, side by side
    for add, (series, title) in zip(adds, outputs.UNIT_CHARTS, strict=True):
        col = get_column_letter(unit_block.headers.index(series) + 1)
        assert add["source"] == f"<range A4:A{last},{col}4:{col}{last}>"
        assert add["chart_type"] == "bar_clustered"
        assert add["anchor"] == f"<range {(4, left)}>"
        assert add["name"] == title and ("set title", title) in sheet.calls
        left += outputs.CHART_COLUMNS


def test_a_second_run_replaces_the_charts(unit_block: outputs.Block) -> None:
    sheet = Recorder()
    xlwings_book.add_unit_charts(sheet, 4, unit_block)
    xlwings_book.add_unit_charts(sheet, 4, unit_block)
    kinds = [call for call, _ in sheet.calls if call in ("add", "delete")]
    assert kinds == ["add", "add", "delete", "add", "delete", "add"]


def test_no_chart_without_units(unit_block: outputs.Block) -> None:
    only_total = outputs.Block(unit_block.title, unit_block.headers, unit_block.rows[-1:])
    sheet = Recorder()
    assert not xlwings_book.add_unit_charts(sheet, 4, only_total)
    assert sheet.calls == []


def test_the_button_on_a_remote_book_completes_without_the_chart(
    tmp_path: Path, definition
) -> None:
    records, settings = load_example(definition)
    book = open_remote(build_workbook(definition, tmp_path / "台账.xlsm", records, settings))
    assert macros.aggregate(book) is not None
    done = actions(book)
    assert not [a for a in done if a["func"] == "addChart"]
    status = [a["values"][0][0] for a in done if a["func"] == "setValues" and a["values"]]
    assert "汇总完成，见“汇总”表。" in status
